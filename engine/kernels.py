"""Kernel presets (float32) and small kernel utilities.

Kernels follow the book's cross-correlation: output ``z_i = sum_j w_j x_(i+j-c)`` with ``c``
the kernel's centre index ``(K - 1) // 2`` (no flip). So ``difference`` ``[-1, 1]`` gives
``x_(i+1) - x_i`` and ``sobel-x`` responds positively where the image brightens to the right.

:func:`preset_kernel` returns a preset at the requested size: presets with a size of their
own (identity, box, gaussian, binomial) are made at that size; fixed presets (Sobel, ...)
are padded with zeros to fit a larger kernel, centrally; when the difference is odd the
extra zero goes after (right/bottom), which keeps the preset's centre at index
``(K - 1) // 2``, where torch's ``padding='same'`` expects it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .errors import DataError

_FIXED_2D = {
    "sobel-x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel-y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "prewitt-x": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "prewitt-y": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}
_FIXED_1D = {
    "difference": [-1, 1],
    "central-difference": [-1, 0, 1],
    "second-difference": [1, -2, 1],
}
_SIZED = ("identity", "box", "gaussian", "binomial")

PRESETS_1D: tuple[str, ...] = (
    "identity",
    "difference",
    "central-difference",
    "second-difference",
    "box",
    "binomial",
    "gaussian",
)
PRESETS_2D: tuple[str, ...] = ("identity", "box", "gaussian", "binomial") + tuple(_FIXED_2D)


def kernel_preset_names(dims: int) -> tuple[str, ...]:
    """The preset names for 1D or 2D kernels, in menu order."""
    if dims == 1:
        return PRESETS_1D
    if dims == 2:
        return PRESETS_2D
    raise DataError(f"kernels are 1D or 2D, not {dims}D")


def preset_kernel(
    name: str, size: int | Sequence[int], dims: int | None = None, *, sigma: float | None = None
) -> np.ndarray:
    """The preset ``name`` as a float32 kernel of shape ``size``.

    ``size`` is K (1D, or K x K when ``dims=2``) or a tuple (K,) / (K_h, K_w). ``sigma`` is the
    Gaussian's standard deviation in samples (default ``0.3 * ((K - 1) / 2 - 1) + 0.8``).
    Raises DataError for an unknown name or a preset that cannot fit.
    """
    shape = _shape(size, dims)
    names = kernel_preset_names(len(shape))
    if name not in names:
        raise DataError(f"there is no {len(shape)}D kernel preset {name!r}; use {', '.join(names)}")
    if name in _SIZED:
        axes = [_sized_1d(name, k, sigma) for k in shape]
        kernel = axes[0] if len(axes) == 1 else np.outer(axes[0], axes[1])
        return np.ascontiguousarray(kernel, dtype=np.float32)
    fixed = np.asarray((_FIXED_1D if len(shape) == 1 else _FIXED_2D)[name], dtype=np.float32)
    if any(k < f for k, f in zip(shape, fixed.shape, strict=True)):
        have = " x ".join(map(str, fixed.shape))
        want = " x ".join(map(str, shape))
        raise DataError(f"the {name} kernel is {have} and cannot fit a {want} kernel")
    pads = [((k - f) // 2, k - f - (k - f) // 2) for k, f in zip(shape, fixed.shape, strict=True)]
    return np.ascontiguousarray(np.pad(fixed, pads), dtype=np.float32)


def _shape(size, dims: int | None) -> tuple[int, ...]:
    if isinstance(size, Sequence) and not isinstance(size, str):
        shape = tuple(size)
        if dims is not None and dims != len(shape):
            raise DataError(f"kernel size {shape} does not have {dims} axes")
    else:
        shape = (size,) * (dims or 1)
    for k in shape:
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= 4096:
            raise DataError(f"a kernel size must be a whole number from 1 to 4096, not {k!r}")
    if len(shape) not in (1, 2):
        raise DataError(f"kernels are 1D or 2D, not {len(shape)}D")
    return tuple(int(k) for k in shape)


def _sized_1d(name: str, k: int, sigma: float | None) -> np.ndarray:
    """One axis of a separable sized preset (the 2D kernel is the outer product)."""
    if name == "identity":
        axis = np.zeros(k)
        axis[(k - 1) // 2] = 1.0
        return axis
    if name == "box":
        return np.full(k, 1.0 / k)
    if name == "binomial":
        axis = np.array([math.comb(k - 1, i) for i in range(k)], dtype=np.float64)
        return axis / axis.sum()
    if sigma is None:
        sigma = 0.3 * ((k - 1) / 2 - 1) + 0.8
    if not (isinstance(sigma, int | float) and math.isfinite(sigma) and sigma > 0):
        raise DataError(f"the Gaussian's sigma must be a positive number, not {sigma!r}")
    offsets = np.arange(k) - (k - 1) / 2
    axis = np.exp(-0.5 * (offsets / sigma) ** 2)
    return axis / axis.sum()


def kaiming(shape: Sequence[int], seed: int = 0, *, fan_in: int | None = None) -> np.ndarray:
    """Random weights like torch's default for conv/linear layers: U(-1/sqrt(fan_in), +...).

    (``kaiming_uniform_(a=sqrt(5))`` reduces to this bound.) ``fan_in`` defaults to the
    product of all axes but the first for torch layouts (3 or more axes: (C_out, C_in, K...)),
    and to the product of all axes for a bare kernel (1 or 2 axes); pass it for a linear
    layer's (out, in) weights.
    """
    shape = tuple(int(s) for s in shape)
    if not shape or any(s < 1 for s in shape):
        raise DataError(f"cannot make weights of shape {shape}")
    if fan_in is None:
        fan_in = math.prod(shape[1:]) if len(shape) >= 3 else math.prod(shape)
    bound = 1.0 / math.sqrt(fan_in)
    rng = np.random.default_rng(seed)
    return rng.uniform(-bound, bound, shape).astype(np.float32)


def normalize_kernel(kernel: np.ndarray) -> np.ndarray:
    """Scale so the weights sum to 1 (a smoothing kernel keeps brightness); when they sum to
    (nearly) 0, as for edge detectors, scale so the largest magnitude is 1 instead.

    "Nearly 0" means ``|sum| <= 1e-6 * sum(|w|)``. An all-zero kernel raises DataError.
    """
    k = np.asarray(kernel, dtype=np.float64)
    magnitude = np.abs(k).sum()
    if not np.isfinite(magnitude):
        raise DataError("the kernel holds NaN or infinite values")
    if magnitude == 0:
        raise DataError("an all-zero kernel cannot be normalized")
    total = k.sum()
    scale = total if abs(total) > 1e-6 * magnitude else np.abs(k).max()
    return np.ascontiguousarray(k / scale, dtype=np.float32)


def flip_kernel(kernel: np.ndarray, dims: int | None = None) -> np.ndarray:
    """Reverse the last ``dims`` axes: turns cross-correlation into true convolution.

    ``dims`` defaults to every axis of a bare kernel (1 or 2 axes) and to the spatial axes of
    a torch layout (C_out, C_in, K...).
    """
    k = np.asarray(kernel)
    if dims is None:
        dims = k.ndim if k.ndim <= 2 else k.ndim - 2
    if not 1 <= dims <= k.ndim:
        raise DataError(f"cannot flip {dims} axes of a kernel with shape {k.shape}")
    return np.ascontiguousarray(
        np.flip(k, axis=tuple(range(k.ndim - dims, k.ndim))), dtype=np.float32
    )


# What the first two axes of each layer type's weight array count (torch's layouts): a
# transposed convolution's weight is (C_in, C_out / groups, K...), the other way round.
_WEIGHT_AXES = {
    "conv": ("output channel", "input channel within its group"),
    "conv_transpose": ("input channel", "output channel within its group"),
    "linear": ("output unit", "input unit"),
}


def weight_axes(layer_type: str) -> tuple[str, str]:
    """What axes 0 and 1 of ``layer_type``'s weight count: a kernel index ``(a, b)`` picks
    ``weight[a, b]``, the kernel from axis-1 channel ``b`` to axis-0 channel ``a`` (conv)."""
    try:
        return _WEIGHT_AXES[layer_type]
    except KeyError:
        raise DataError(f"layer type '{layer_type}' has no weight array") from None


def bias_of_kernel(layer, weight_shape: Sequence[int], a: int, b: int) -> int:
    """Which element of ``layer``'s bias (a LayerSpec) the kernel ``weight[a, b]`` adds
    into: the kernel's output channel."""
    if layer.type == "conv_transpose":  # (C_in, C_out/g): input a's group, then b within it
        groups = int(layer.param("groups"))
        return (a // (weight_shape[0] // groups)) * weight_shape[1] + b
    return a
