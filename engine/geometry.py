"""The book's size arithmetic, in one place: output lengths, padding, window positions.

Every number a layer's shape, its connectivity, its explanation or its formula text needs
comes from here, so the shapes the engine declares, the ops compute and the panel prints
are one formula. Nothing here checks arguments (``engine._args`` and ``engine.layers`` do,
with messages); these functions take sizes that are already whole numbers and return what
the formulas give, even when that is nothing (a length below 1).

Positions count from 0 along one spatial axis, as numpy and torch index. With P_left the
padding before the axis, output position i of a convolution reads, for tap j (0…K−1),
input position S·i + D·j − P_left (:func:`tap_position`); a position outside 0…L−1 lies in
the padding, and :func:`source_positions` says which input position a padding mode copies
there. Output length (:func:`conv_length`)::

    floor((L + P_left + P_right − D·(K − 1) − 1) / S) + 1

``'same'`` padding pads D·(K−1) in total; when that is odd (an even kernel) the extra
position goes on the right, as torch does (:func:`same_padding`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import ShapeError, SpecError

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")

Pair = tuple[int, int]  # (before, after) along one axis


def per_axis(value: Any, n: int, name: str = "size") -> tuple[Any, ...]:
    """An int (the same on every axis) or a per-axis sequence, as an ``n``-tuple.

    The values are not converted or checked (``engine._args.size`` checks them); a
    sequence of the wrong length is a :class:`~engine.errors.ShapeError`.
    """
    if isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, str):
        items = tuple(value)
        if len(items) != n:
            raise ShapeError(
                f"{name} {items} has {len(items)} values but the input has "
                f"{n} spatial {'axis' if n == 1 else 'axes'}"
            )
        return items
    return (value,) * n


def pool_stride(kernel: Any, stride: Any) -> Any:
    """A pool's stride: the window size when none is given (torch's default)."""
    return kernel if stride is None else stride


def same_padding(kernel: int, dilation: int = 1) -> Pair:
    """(left, right) padding that keeps the length at stride 1: D·(K−1) in total, the
    odd extra position on the right (torch's choice)."""
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


def conv_pads(padding: Any, kernel: Sequence[int], dilation: Sequence[int]) -> tuple[Pair, ...]:
    """Per-axis (left, right) padding of a convolution from its ``padding`` parameter:
    ``'valid'`` (none), ``'same'`` (:func:`same_padding`), an int or one int per axis."""
    n = len(kernel)
    if padding == "valid":
        return ((0, 0),) * n
    if padding == "same":
        return tuple(same_padding(k, d) for k, d in zip(kernel, dilation, strict=True))
    if isinstance(padding, str):
        raise SpecError(f"padding must be a number, 'same' or 'valid', got {padding!r}")
    return tuple((p, p) for p in per_axis(padding, n, "padding"))


def _pair(padding: int | Pair) -> Pair:
    return (padding, padding) if isinstance(padding, (int, np.integer)) else tuple(padding)


def conv_length(
    length: int, kernel: int, stride: int = 1, padding: int | Pair = 0, dilation: int = 1
) -> int:
    """floor((L + P_left + P_right − D·(K−1) − 1)/S) + 1; ``padding`` is P on both sides
    or a (left, right) pair. Below 1 when the window does not fit the padded input."""
    before, after = _pair(padding)
    return (length + before + after - dilation * (kernel - 1) - 1) // stride + 1


def window_span(kernel: int, dilation: int = 1) -> int:
    """How many positions a window covers: D·(K−1) + 1."""
    return dilation * (kernel - 1) + 1


def pool_length(length: int, kernel: int, stride: int | None = None, padding: int = 0) -> int:
    """A max or average pool's output length: floor((L + 2P − K)/S) + 1, S defaulting to K
    (a convolution's formula with dilation 1; torch's floor mode)."""
    return conv_length(length, kernel, pool_stride(kernel, stride), padding, 1)


def transposed_length(
    length: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """A transposed convolution's output length (torch's rule):
    (L − 1)·S − 2P + D·(K − 1) + output_padding + 1.

    With K the window, D = 1 and no output padding it is also a max unpool's default length.
    """
    return (length - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def subsample_length(length: int, factor: int) -> int:
    """Keeping every ``factor``-th position from 0: ceil(L / f) positions."""
    return -(-length // factor)


BLUR_KERNELS = range(2, 8)  # a blur pool's binomial filters: 2 … 7 taps


def binomial_filter(kernel: int) -> np.ndarray:
    """The normalised binomial filter of ``kernel`` taps: row K−1 of Pascal's triangle over
    2^(K−1), e.g. [1, 2, 1]/4 for K = 3, [1, 3, 3, 1]/8 for K = 4 (float64, sums to 1)."""
    row = np.array([math.comb(kernel - 1, j) for j in range(kernel)], dtype=np.float64)
    return row / 2.0 ** (kernel - 1)


def blur_pads(kernel: int) -> Pair:
    """A blur pool's (left, right) padding: K−1 in total, the odd extra on the right
    (Zhang 2019's layout, the same as :func:`same_padding`)."""
    return same_padding(kernel)


def blur_pool_length(length: int, kernel: int, stride: int) -> int:
    """A blur pool's output length: the padded convolution's
    floor((L + K − 1 − K)/S) + 1 = floor((L − 1)/S) + 1 = ceil(L / S), whatever K."""
    return conv_length(length, kernel, stride, blur_pads(kernel))


def upsample_length(length: int, factor: int) -> int:
    """Upsampling by an integer factor: L·f positions."""
    return length * factor


def tap_position(index: Any, tap: Any, stride: int = 1, dilation: int = 1, before: int = 0):
    """S·i + D·j − P_left: the input position tap ``j`` of output ``i``'s window reads
    (0-indexed; below 0 or from L on it is padding). Works on ints and numpy arrays.

    For a transposed convolution the same expression, with i an input position, is the
    output position that tap j of input i adds to (P_left being its ``padding``).
    """
    return index * stride + tap * dilation - before


def transposed_source(
    out_index: int, tap: int, stride: int, dilation: int, padding: int, length: int
):
    """The input position i whose tap j adds to output position o of a transposed
    convolution (o = S·i + D·j − P solved for i), or None when no input position in 0…L−1
    does."""
    reach = out_index + padding - tap * dilation
    if reach % stride or not 0 <= reach // stride < length:
        return None
    return reach // stride


def source_positions(positions: Any, length: int, mode: str) -> np.ndarray:
    """For each (padded) position along an axis of ``length``, the input position its value
    is read from under padding ``mode``, or −1 where zero padding supplies a 0.

    reflect mirrors without repeating the edge (c b | a b c d | c b), replicate repeats the
    edge (a a | a b c d | d d), circular wraps round (c d | a b c d | a b).
    """
    pos = np.asarray(positions, dtype=np.int64)
    if mode == "zeros":
        return np.where((pos >= 0) & (pos < length), pos, -1)
    if mode == "replicate":
        return np.clip(pos, 0, length - 1)
    if mode == "circular":
        return np.mod(pos, length)
    if mode == "reflect":
        period = 2 * (length - 1)
        if period == 0:  # a single position mirrors onto itself
            return np.zeros_like(pos)
        folded = np.mod(pos, period)
        return np.where(folded < length, folded, period - folded)
    raise SpecError(f"padding_mode must be one of {', '.join(PADDING_MODES)}, got {mode!r}")


def source_position(position: int, length: int, mode: str) -> int | None:
    """:func:`source_positions` for one position: the input position, or None for a zero."""
    source = int(source_positions(position, length, mode))
    return None if source < 0 else source
