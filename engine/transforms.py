"""Input transforms for the equivariance lab and the live lab.

All functions are pure: they take an input (C, L) or (C, H, W), return a new float32
C-contiguous array of the same shape, and raise DataError for bad arguments. Spatial axes are
numbered from 0: for a signal axis 0 is L; for an image axis 0 is H (down) and axis 1 is W
(right). A positive shift moves content towards higher indices (down / right).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .errors import DataError

TRANSLATE_MODES = ("zeros", "wrap")


def _check_input(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim not in (2, 3) or x.dtype.kind not in "biuf" or x.size == 0:
        raise DataError(f"an input is (C, L) or (C, H, W) numbers, not {x.dtype} {tuple(x.shape)}")
    return x


def translate(x: np.ndarray, shift: int | Sequence[int], mode: str = "zeros") -> np.ndarray:
    """Shift by whole samples per spatial axis; ``'zeros'`` fills the vacated edge with 0,
    ``'wrap'`` moves what leaves one edge in at the other (circular shift).

    ``shift`` is an int for a signal or (dy, dx) for an image.
    """
    x = _check_input(x)
    n_axes = x.ndim - 1
    shifts = (shift,) if isinstance(shift, int | np.integer) else tuple(shift)
    if len(shifts) != n_axes or not all(
        isinstance(s, int | np.integer) and not isinstance(s, bool) for s in shifts
    ):
        raise DataError(
            f"the shift must be {n_axes} whole number{'s' if n_axes > 1 else ''} "
            f"(one per spatial axis), not {shift!r}"
        )
    if mode not in TRANSLATE_MODES:
        raise DataError(f"translate mode must be one of {', '.join(TRANSLATE_MODES)}, not {mode!r}")
    out = x.astype(np.float32, copy=True)
    for axis, s in enumerate(shifts, start=1):
        s = int(s)
        n = x.shape[axis]
        out = np.roll(out, s, axis=axis)
        if mode == "zeros" and s != 0:
            index = [slice(None)] * x.ndim
            index[axis] = slice(0, min(s, n)) if s > 0 else slice(max(n + s, 0), n)
            out[tuple(index)] = 0.0
    return np.ascontiguousarray(out)


def flip(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Mirror along a spatial axis (0 = L or H, 1 = W; -1 = the last one)."""
    x = _check_input(x)
    n_axes = x.ndim - 1
    if isinstance(axis, bool) or not isinstance(axis, int) or not -n_axes <= axis < n_axes:
        raise DataError(f"flip axis must be a spatial axis from {-n_axes} to {n_axes - 1}")
    spatial = axis % n_axes + 1
    return np.ascontiguousarray(np.flip(x, axis=spatial), dtype=np.float32)


def scale(x: np.ndarray, factor: float) -> np.ndarray:
    """Zoom about the centre by ``factor`` (> 1 enlarges, < 1 shrinks), keeping the size.

    Linear (bilinear for images) interpolation; output sample ``i`` reads the input at
    ``c + (i - c) / factor`` with ``c = (n - 1) / 2``; positions outside the input read 0.
    ``factor == 1`` returns an exact copy.
    """
    x = _check_input(x)
    if (
        not isinstance(factor, int | float | np.floating)
        or not math.isfinite(factor)
        or factor <= 0
    ):
        raise DataError(f"the scale factor must be a positive number, not {factor!r}")
    out = x.astype(np.float32, copy=True)
    for axis in range(1, x.ndim):
        matrix = _interpolation_matrix(x.shape[axis], float(factor))
        out = np.moveaxis(np.tensordot(out, matrix, axes=([axis], [1])), -1, axis)
    return np.ascontiguousarray(out, dtype=np.float32)


def _interpolation_matrix(n: int, factor: float) -> np.ndarray:
    """(n, n) matrix M with out = M @ in: linear interpolation at the zoomed positions."""
    centre = (n - 1) / 2
    source = centre + (np.arange(n) - centre) / factor
    left = np.floor(source).astype(np.int64)
    weight_right = (source - left).astype(np.float32)
    matrix = np.zeros((n, n), np.float32)
    rows = np.arange(n)
    for offset, weight in ((0, 1.0 - weight_right), (1, weight_right)):
        cols = left + offset
        inside = (cols >= 0) & (cols < n) & (weight != 0)
        matrix[rows[inside], cols[inside]] += weight[inside]
    return matrix


def add_noise(x: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Add Gaussian noise N(0, sigma^2), seeded (the same seed gives the same noise)."""
    x = _check_input(x)
    if not isinstance(sigma, int | float | np.floating) or not math.isfinite(sigma) or sigma < 0:
        raise DataError(f"the noise sigma must be a number >= 0, not {sigma!r}")
    noise = np.random.default_rng(seed).normal(0.0, float(sigma), x.shape)
    return np.ascontiguousarray(x + noise, dtype=np.float32)
