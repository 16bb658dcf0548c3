"""What the sampling lab's worker runs: each job calls the engine and returns its records.

Plain functions of immutable arguments (arrays the document froze, numbers from the
controls), so the GUI thread only snapshots; no Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import sampling as S


@dataclass(frozen=True, eq=False)
class UpJob:
    """The up section's numbers: the max pool of the input (the small map) and every
    upsampler on it, the max unpool paired with that pool."""

    small_source: str
    comparison: S.UpComparison


@dataclass(frozen=True, eq=False)
class MatrixJob:
    """A convolution and its transposed convolution as matrices, and the zero-insertion
    equivalence of the strided transposed convolution on a test input."""

    pair: S.TransposePair
    weight: np.ndarray
    stride: int
    padding: int
    insertion: S.ZeroInsertion


def down(x: np.ndarray, factor: int, kernel: np.ndarray | None) -> S.DownComparison:
    return S.downsample_views(x, factor, kernel)


def up(x: np.ndarray, factor: int, k: int, s: int, p: int, op: int) -> UpJob:
    pair = S.max_unpool_pair(x, factor)
    comparison = S.upsample_views(
        pair.pooled,
        factor,
        kernel_size=k,
        stride=s,
        padding=p,
        output_padding=op,
        pool_input=x,
    )
    return UpJob(f"max pool ×{factor} of the input", comparison)


def checker(k: int, s: int, dims: int, mode: str = "nearest") -> S.Checkerboard:
    return S.checkerboard(k, s, dims=dims, resize_mode=mode)


def matrix(dims: int, side: int, channels: int, k: int, s: int, p: int, seed: int) -> MatrixJob:
    """conv (channels → channels, K, S, P) on a (channels, side[, side]) input with weights
    rounded to tenths from ``seed``, its transposed convolution, and the zero insertion."""
    rng = np.random.default_rng(seed)
    weight = np.round(rng.uniform(-1, 1, (channels, channels, *(k,) * dims)), 1)
    weight[weight == 0] = 0.1  # every tap visible in the matrix
    in_shape = (channels, *(side,) * dims)
    pair = S.transpose_pair(in_shape, weight, stride=s, padding=p)
    y = np.round(rng.uniform(-1, 1, pair.conv.output_shape), 1)
    insertion = S.zero_insertion(y, weight, s, p, pair.output_padding)
    return MatrixJob(pair, weight, s, p, insertion)


def mixing(image: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, S.MixingCounts]:
    out = S.apply_mixing(image, matrix)
    return out, S.mixing_counts(image.shape[0], matrix.shape[0])


def mixing_on(image, photo: str, side: int, matrix: np.ndarray):
    """(image, mixed, counts): ``image`` (3, H, W), or the example ``photo`` at ``side``."""
    from engine.examples import make_example

    if image is None:
        image = make_example(photo, side)
    out, counts = mixing(image, matrix)
    return image, out, counts
