"""A generated data set of shapes: circles, squares, triangles and crosses on noisy ground.

Each image has one *main* object, whose class is the image's label (classification); with
``max_objects > 1`` it also has up to ``max_objects - 1`` smaller extra objects, drawn first so
the main object is never hidden (detection). Every image comes with its objects' bounding boxes
and a per-pixel class mask (0 = background, ``k + 1`` = class ``k``; where objects overlap, the
one drawn last wins). Seeded: the same arguments give identical arrays every time.

The drawing functions take coordinates and shape parameters that broadcast, so a whole batch
is drawn at once; :mod:`engine.examples` uses them for single pictures too.
"""

from __future__ import annotations

import numpy as np

from engine.errors import DataError

from .dataset import Dataset

CLASS_NAMES = ("circle", "square", "triangle", "cross")
_SQRT3_2 = np.float32(np.sqrt(3.0) / 2.0)


def grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates (y, x), each (H, W) float32: pixel j's centre is j + 0.5."""
    ys = np.arange(height, dtype=np.float32) + 0.5
    xs = np.arange(width, dtype=np.float32) + 0.5
    return ys[:, None] + 0 * xs[None, :], xs[None, :] + 0 * ys[:, None]


def signed_distance(kind, y, x, cy, cx, r) -> np.ndarray:
    """Signed distance (pixels, negative inside) to a shape of ``kind`` (an index into
    :data:`CLASS_NAMES`, scalar or array) centred at (cy, cx) with half-extent ``r``.

    A triangle points up with circumradius ``r``; a cross is a plus of arm width ``r / 2``.
    Polygons use the largest edge distance, exact inside and close enough outside for
    one-pixel anti-aliasing.
    """
    dy, dx = y - cy, x - cx
    if np.ndim(kind) == 0:
        return _DISTANCES[int(kind)](dy, dx, r)
    return np.choose(np.asarray(kind), [f(dy, dx, r) for f in _DISTANCES])


def _circle(dy, dx, r):
    return np.sqrt(dx * dx + dy * dy) - r


def _square(dy, dx, r):
    return np.maximum(np.abs(dx), np.abs(dy)) - r


def _triangle(dy, dx, r):
    return np.maximum(dy, np.abs(dx) * _SQRT3_2 - dy * 0.5) - r * 0.5


def _cross(dy, dx, r):
    arm = r * 0.25
    ax, ay = np.abs(dx), np.abs(dy)
    return np.minimum(np.maximum(ax - r, ay - arm), np.maximum(ax - arm, ay - r))


_DISTANCES = (_circle, _square, _triangle, _cross)


def coverage(distance: np.ndarray) -> np.ndarray:
    """Anti-aliased coverage in [0, 1] from a signed distance (one-pixel ramp)."""
    return np.clip(0.5 - distance, 0.0, 1.0).astype(np.float32)


def bounding_box(kind, cy, cx, r) -> np.ndarray:
    """(..., 4) float32 boxes (x0, y0, x1, y1) enclosing each shape's inside."""
    kind, cy, cx, r = np.broadcast_arrays(np.asarray(kind), cy, cx, r)
    half_w = np.where(kind == 2, r * _SQRT3_2, r)  # a triangle is narrower than tall
    bottom = np.where(kind == 2, cy + r * 0.5, cy + r)
    return np.stack([cx - half_w, cy - r, cx + half_w, bottom], axis=-1).astype(np.float32)


def make_shapes(
    n_train: int = 2000,
    n_test: int = 500,
    size: int = 32,
    seed: int = 0,
    max_objects: int = 1,
    noise: float = 0.05,
) -> Dataset:
    """The shapes data set: x (N, 1, size, size) float32 roughly in [0, 1], y = main class.

    ``boxes_*``/``box_labels_*`` hold the main object in slot 0 and the extras after it.
    """
    for label, value, low in (("n_train", n_train, 1), ("n_test", n_test, 1), ("size", size, 8)):
        if int(value) != value or value < low:
            raise DataError(f"shapes: {label} must be a whole number of at least {low}")
    if not 1 <= max_objects <= 8:
        raise DataError("shapes: max_objects must be between 1 and 8")
    rng = np.random.default_rng(seed)
    train = _draw(rng, n_train, size, max_objects, noise)
    test = _draw(rng, n_test, size, max_objects, noise)
    return Dataset(
        x_train=train[0],
        y_train=train[1],
        x_test=test[0],
        y_test=test[1],
        class_names=CLASS_NAMES,
        input_shape=(1, size, size),
        name="shapes",
        boxes_train=train[2],
        boxes_test=test[2],
        box_labels_train=train[3],
        box_labels_test=test[3],
        masks_train=train[4],
        masks_test=test[4],
    )


def _draw(rng: np.random.Generator, n: int, size: int, max_objects: int, noise: float):
    y, x = grid(size, size)
    background = rng.uniform(0.0, 0.3, (n, 1, 1)).astype(np.float32)
    images = np.broadcast_to(background, (n, size, size)).copy()
    masks = np.zeros((n, size, size), dtype=np.int64)
    boxes = np.zeros((n, max_objects, 4), dtype=np.float32)
    box_labels = np.full((n, max_objects), -1, dtype=np.int64)
    labels = rng.integers(0, len(CLASS_NAMES), n)
    n_extra = rng.integers(0, max_objects, n) if max_objects > 1 else np.zeros(n, np.int64)
    # Extras first (smaller, under the main object), the main object last.
    for slot in list(range(1, max_objects)) + [0]:
        present = np.ones(n, bool) if slot == 0 else slot <= n_extra
        kind = labels if slot == 0 else rng.integers(0, len(CLASS_NAMES), n)
        lo, hi = (0.18, 0.32) if slot == 0 else (0.08, 0.16)
        r = rng.uniform(lo * size, hi * size, n).astype(np.float32)
        cy = rng.uniform(r, size - r).astype(np.float32)
        cx = rng.uniform(r, size - r).astype(np.float32)
        intensity = rng.uniform(0.5, 1.0, n).astype(np.float32)
        dist = np.empty((n, size, size), np.float32)
        for k in range(len(CLASS_NAMES)):  # each class's distance only where it is drawn
            sel = kind == k
            c = (cy[sel, None, None], cx[sel, None, None], r[sel, None, None])
            dist[sel] = signed_distance(k, y, x, *c)
        cover = coverage(dist) * present[:, None, None]
        images += cover * (intensity[:, None, None] - images)
        masks = np.where((cover > 0.5), kind[:, None, None] + 1, masks)
        boxes[present, slot] = bounding_box(kind, cy, cx, r)[present]
        box_labels[present, slot] = kind[present]
    images += rng.normal(0.0, noise, images.shape).astype(np.float32)
    return (
        np.ascontiguousarray(images[:, None], dtype=np.float32),
        labels.astype(np.int64),
        boxes,
        box_labels,
        masks,
    )
