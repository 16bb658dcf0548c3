"""Batch data augmentation in torch, for training (the trainer calls :func:`augment` per batch).

An :class:`Augmentation` holds strengths, all off by default (then :func:`augment` returns the
batch itself). Each sample gets its own random draw from the caller's ``torch.Generator``, so a
seeded generator reproduces a batch exactly. Geometric changes (translate, rotate, scale,
flips) are one affine map per sample applied by ``affine_grid`` + ``grid_sample`` (bilinear;
what comes in from beyond the edges is 0); flips alone are exact mirror copies. Then
contrast, brightness and noise. Values are not clipped afterwards.

1D batches (N, C, L) take everything but rotation and vertical flips.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import torch
import torch.nn.functional as F

from .errors import DataError


@dataclass(frozen=True)
class Augmentation:
    """Strengths of each augmentation; 0 / False is off.

    translate:  largest shift, as a fraction of the width/height (0.1 = up to 10 %)
    rotate:     largest rotation in degrees, either way
    scale:      zoom drawn log-uniformly from [1 / (1 + scale), 1 + scale]
    flip:       mirror left-right with probability 1/2
    flip_vertical: mirror top-bottom with probability 1/2
    brightness: add a number drawn from [-brightness, brightness]
    contrast:   multiply deviations from each sample's mean by [1 - contrast, 1 + contrast]
    noise:      standard deviation of added Gaussian noise
    """

    translate: float = 0.0
    rotate: float = 0.0
    scale: float = 0.0
    flip: bool = False
    flip_vertical: bool = False
    brightness: float = 0.0
    contrast: float = 0.0
    noise: float = 0.0

    def __post_init__(self):
        limits = {
            "translate": 1.0,
            "rotate": 180.0,
            "scale": 4.0,
            "brightness": 10.0,
            "contrast": 1.0,
            "noise": 10.0,
        }
        for name, top in limits.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise DataError(f"augmentation {name} must be a number, not {value!r}")
            if not (math.isfinite(value) and 0.0 <= value <= top):
                raise DataError(f"augmentation {name} must be from 0 to {top:g}, not {value!r}")
        for name in ("flip", "flip_vertical"):
            if not isinstance(getattr(self, name), bool):
                raise DataError(f"augmentation {name} must be True or False")

    @property
    def active(self) -> bool:
        return any(bool(getattr(self, f.name)) for f in fields(self))

    @property
    def geometric(self) -> bool:
        return bool(self.translate or self.rotate or self.scale)


def augment(batch: torch.Tensor, aug: Augmentation, generator: torch.Generator) -> torch.Tensor:
    """Augmented copy of a float batch (N, C, H, W) or (N, C, L); the batch itself if all off."""
    if (
        not isinstance(batch, torch.Tensor)
        or batch.ndim not in (3, 4)
        or not batch.is_floating_point()
    ):
        shape = tuple(batch.shape) if hasattr(batch, "shape") else type(batch).__name__
        raise DataError(f"augment needs a float batch (N, C, H, W) or (N, C, L), not {shape}")
    if not aug.active:
        return batch
    one_d = batch.ndim == 3
    if one_d and (aug.rotate or aug.flip_vertical):
        raise DataError("rotation and vertical flips need images (N, C, H, W); this batch is 1D")
    n = batch.shape[0]
    opts = {"generator": generator, "device": batch.device, "dtype": batch.dtype}
    # Always draw every number in the same order, so each strength's randomness does not
    # depend on which others are on.
    u = torch.rand(n, 8, **opts) * 2 - 1  # uniform in [-1, 1)
    out = batch.unsqueeze(2) if one_d else batch  # 1D as images of height 1
    flip_x = (u[:, 4] < 0) if aug.flip else torch.zeros(n, dtype=torch.bool, device=batch.device)
    flip_y = (u[:, 5] < 0) if aug.flip_vertical else torch.zeros_like(flip_x)
    if aug.geometric:
        out = _affine(out, aug, u, flip_x, flip_y)
    else:
        out = torch.where(flip_x[:, None, None, None], out.flip(-1), out)
        out = torch.where(flip_y[:, None, None, None], out.flip(-2), out)
    if aug.contrast:
        mean = out.mean(dim=(1, 2, 3), keepdim=True)
        out = (out - mean) * (1 + aug.contrast * u[:, 6])[:, None, None, None] + mean
    if aug.brightness:
        out = out + (aug.brightness * u[:, 7])[:, None, None, None]
    if aug.noise:
        out = out + aug.noise * torch.randn(out.shape, **opts)
    out = out.squeeze(2) if one_d else out
    return out.contiguous() if out is not batch else out.clone()


def _affine(images, aug, u, flip_x, flip_y):
    """One affine resampling per sample: output coordinates -> input coordinates."""
    angle = torch.deg2rad(aug.rotate * u[:, 0])
    zoom = torch.exp(math.log1p(aug.scale) * u[:, 1])
    sx = torch.where(flip_x, -1.0, 1.0).to(images.dtype) / zoom
    sy = torch.where(flip_y, -1.0, 1.0).to(images.dtype) / zoom
    cos, sin = torch.cos(angle), torch.sin(angle)
    # Normalized coordinates span [-1, 1]: a shift of fraction f is 2 f.
    tx = 2 * aug.translate * u[:, 2]
    ty = 2 * aug.translate * u[:, 3] if images.shape[2] > 1 else torch.zeros_like(tx)
    theta = torch.stack(
        [
            torch.stack([cos * sx, -sin * sy, tx], dim=1),
            torch.stack([sin * sx, cos * sy, ty], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def preview(x: np.ndarray, aug: Augmentation, n: int = 8, seed: int = 0) -> np.ndarray:
    """``n`` augmented versions of one sample (C, H, W) or (C, L), float32 (n, C, ...)."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim not in (2, 3):
        raise DataError(f"a sample is (C, L) or (C, H, W), not {tuple(x.shape)}")
    if not isinstance(n, int) or not 1 <= n <= 1024:
        raise DataError(f"the preview count must be from 1 to 1024, not {n!r}")
    generator = torch.Generator().manual_seed(int(seed))
    batch = torch.from_numpy(np.ascontiguousarray(x)).unsqueeze(0).repeat(n, *([1] * x.ndim))
    with torch.no_grad():
        out = augment(batch, aug, generator)
    return np.ascontiguousarray(out.numpy(), dtype=np.float32)


# -- augmentation that moves the targets too (segmentation masks, detection boxes) ----------

TASK_SAFE = ("translate", "flip", "flip_vertical", "brightness", "contrast", "noise")


def check_task_augmentation(aug: Augmentation | None, task: str) -> None:
    """Raise DataError when ``aug`` asks for a change the task's targets cannot follow exactly.

    Masks and boxes follow flips and whole-pixel shifts exactly; a rotation or zoom would turn
    a box into a shape that is no longer an axis-aligned box, so both are refused.
    """
    if aug is None or task == "classification":
        return
    wrong = [name for name in ("rotate", "scale") if getattr(aug, name)]
    if wrong:
        raise DataError(
            f"{' and '.join(wrong)} cannot be used for {task}: only flips, shifts (whole "
            "pixels), brightness, contrast and noise move the masks and boxes exactly "
            "with the image; set " + " and ".join(wrong) + " to 0"
        )


def task_draws(n: int, aug: Augmentation, size: tuple[int, int], generator: torch.Generator):
    """Per sample: (flip_x, flip_y, dy, dx, u); shifts in whole pixels, drawn as in
    :func:`augment` (the same eight uniforms per sample, in the same order)."""
    u = torch.rand(n, 8, generator=generator) * 2 - 1
    h, w = size
    flip_x = (u[:, 4] < 0) if aug.flip else torch.zeros(n, dtype=torch.bool)
    flip_y = (u[:, 5] < 0) if aug.flip_vertical else torch.zeros(n, dtype=torch.bool)
    dx = torch.round(aug.translate * w * u[:, 2]).long()
    dy = torch.round(aug.translate * h * u[:, 3]).long()
    return flip_x, flip_y, dy, dx, u


def move_pixels(t: torch.Tensor, flip_x, flip_y, dy, dx, fill=0) -> torch.Tensor:
    """(N, C, H, W) or (N, H, W): each sample mirrored (when asked), then shifted by (dy, dx)
    whole pixels; what comes in from beyond the edges is ``fill``. Exact: values are copied."""
    squeeze = t.ndim == 3
    x = t[:, None] if squeeze else t
    n, _, h, w = x.shape
    ys = torch.arange(h)[None, :] - dy[:, None]  # where each output row comes from
    xs = torch.arange(w)[None, :] - dx[:, None]
    valid = ((ys >= 0) & (ys < h))[:, :, None] & ((xs >= 0) & (xs < w))[:, None, :]
    ys = torch.where(flip_y[:, None], h - 1 - ys, ys).clamp(0, h - 1)
    xs = torch.where(flip_x[:, None], w - 1 - xs, xs).clamp(0, w - 1)
    rows = torch.arange(n)[:, None, None]
    out = x.permute(0, 2, 3, 1)[rows, ys[:, :, None], xs[:, None, :]].permute(0, 3, 1, 2)
    out = torch.where(valid[:, None], out, torch.as_tensor(fill, dtype=out.dtype))
    out = out.contiguous()
    return out[:, 0] if squeeze else out


def move_boxes(boxes, labels, flip_x, flip_y, dy, dx, size: tuple[int, int]):
    """Boxes (N, K, 4) as (x0, y0, x1, y1) pixels (pixel j spans [j, j + 1)) moved as
    :func:`move_pixels` moves the image: mirrored (x -> W - x), shifted, then cut to the image;
    a box left with no area is dropped (its label becomes -1). Returns new (boxes, labels)."""
    h, w = size
    b = np.array(boxes, dtype=np.float64, copy=True)
    k = np.array(labels, dtype=np.int64, copy=True)
    fx, fy = np.asarray(flip_x, bool), np.asarray(flip_y, bool)
    b[fx] = np.stack([w - b[fx][..., 2], b[fx][..., 1], w - b[fx][..., 0], b[fx][..., 3]], -1)
    b[fy] = np.stack([b[fy][..., 0], h - b[fy][..., 3], b[fy][..., 2], h - b[fy][..., 1]], -1)
    b[..., [0, 2]] += np.asarray(dx, np.float64)[:, None, None]
    b[..., [1, 3]] += np.asarray(dy, np.float64)[:, None, None]
    b[..., [0, 2]] = b[..., [0, 2]].clip(0, w)
    b[..., [1, 3]] = b[..., [1, 3]].clip(0, h)
    gone = (b[..., 2] <= b[..., 0]) | (b[..., 3] <= b[..., 1])
    k[gone] = -1
    b[k < 0] = 0.0
    return b.astype(np.float32), k


def _photometric(out: torch.Tensor, aug: Augmentation, u, generator) -> torch.Tensor:
    if aug.contrast:
        mean = out.mean(dim=(1, 2, 3), keepdim=True)
        out = (out - mean) * (1 + aug.contrast * u[:, 6])[:, None, None, None] + mean
    if aug.brightness:
        out = out + (aug.brightness * u[:, 7])[:, None, None, None]
    if aug.noise:
        out = out + aug.noise * torch.randn(out.shape, generator=generator, dtype=out.dtype)
    return out


def augment_with_targets(
    images: torch.Tensor,
    aug: Augmentation,
    generator: torch.Generator,
    masks: torch.Tensor | None = None,
    boxes=None,
    labels=None,
):
    """Augmented copies of images (N, C, H, W) and their targets, moved together.

    Returns ``(images, masks, boxes, labels)`` (the ones not given are None): masks (N, H, W)
    get the same flips and shifts (background 0 comes in at the edges), boxes follow
    :func:`move_boxes`. Only the task-safe augmentations (``TASK_SAFE``) are allowed.
    """
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        raise DataError("augmentation with masks or boxes needs images (N, C, H, W)")
    check_task_augmentation(aug, "segmentation" if masks is not None else "detection")
    size = (int(images.shape[2]), int(images.shape[3]))
    flip_x, flip_y, dy, dx, u = task_draws(len(images), aug, size, generator)
    out = move_pixels(images, flip_x, flip_y, dy, dx, 0.0)
    out = _photometric(out, aug, u, generator)
    new_masks = None if masks is None else move_pixels(masks, flip_x, flip_y, dy, dx, 0)
    new_boxes = new_labels = None
    if boxes is not None:
        new_boxes, new_labels = move_boxes(boxes, labels, flip_x, flip_y, dy, dx, size)
    return out.contiguous(), new_masks, new_boxes, new_labels


def preview_with_targets(
    x, aug: Augmentation, n: int = 8, seed: int = 0, mask=None, boxes=None, labels=None
):
    """``n`` augmented versions of one image (C, H, W) with its mask (H, W) or its boxes
    (K, 4) and labels (K,), moved together exactly as training moves them
    (:func:`augment_with_targets`). Returns ``(images (n, C, H, W) float32, masks (n, H, W)
    int64 or None, boxes (n, K, 4) float32 or None, labels (n, K) int64 or None)``; a box
    pushed out of the image has label -1."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3:
        raise DataError(f"a sample with a mask or boxes is an image (C, H, W), not {x.shape}")
    if not isinstance(n, int) or not 1 <= n <= 1024:
        raise DataError(f"the preview count must be from 1 to 1024, not {n!r}")
    if mask is None and boxes is None:
        raise DataError("a preview with targets needs a mask or boxes")
    generator = torch.Generator().manual_seed(int(seed))
    images = torch.from_numpy(np.ascontiguousarray(x)).unsqueeze(0).repeat(n, 1, 1, 1)
    masks = None
    if mask is not None:
        masks = torch.from_numpy(np.asarray(mask, dtype=np.int64)).unsqueeze(0).repeat(n, 1, 1)
    many_boxes = many_labels = None
    if boxes is not None:
        many_boxes = np.repeat(np.asarray(boxes, np.float32)[None], n, axis=0)
        many_labels = np.repeat(np.asarray(labels, np.int64)[None], n, axis=0)
    with torch.no_grad():
        out, masks, many_boxes, many_labels = augment_with_targets(
            images, aug, generator, masks=masks, boxes=many_boxes, labels=many_labels
        )
    return (
        np.ascontiguousarray(out.numpy(), dtype=np.float32),
        None if masks is None else masks.numpy().astype(np.int64),
        many_boxes,
        many_labels,
    )
