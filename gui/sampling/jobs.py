"""What the sampling lab's worker runs: each job calls the engine and returns its records.

Plain functions of immutable arguments (arrays the document froze, numbers from the
controls), so the GUI thread only snapshots; no Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import layers as L
from engine import sampling as S
from engine.spec import INPUT


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
    stride: int | tuple[int, ...]
    padding: int | tuple[int, ...]
    insertion: S.ZeroInsertion


def down(
    x: np.ndarray, factor: int, kernel: np.ndarray | None, side: int | None = None
) -> S.DownComparison:
    """Every downsampler on ``x`` (or its centre ``side`` positions per axis)."""
    return S.downsample_views(x if side is None else S.centre_crop(x, side), factor, kernel)


def up(
    x: np.ndarray,
    factor: int,
    k: int,
    s: int,
    p: int,
    op: int,
    layer: str | None = None,
    network=None,
    side: int | None = None,
) -> UpJob:
    """Upsample the max pool of ``x`` by ``factor`` or, with ``layer``, that layer's
    output in ``network`` = (spec, weights) on ``x`` (its channel maps; the max unpool is
    paired when the layer is a max pool by ``factor``)."""
    if layer is None:
        small = None
        pool_input = x if side is None else S.centre_crop(x, side)
        source = f"max pool ×{factor} of the input"
    else:
        small, pool_input = _layer_output(network, x, layer, factor)
        source = f"output of '{layer}'"
        if side is not None:
            small, pool_input = _aligned_crop(small, pool_input, max(1, side // factor), factor)
    if small is None:
        small = S.max_unpool_pair(pool_input, factor).pooled
    comparison = S.upsample_views(
        small,
        factor,
        kernel_size=k,
        stride=s,
        padding=p,
        output_padding=op,
        pool_input=pool_input,
    )
    return UpJob(source, comparison)


def _aligned_crop(small: np.ndarray, big: np.ndarray | None, n: int, factor: int):
    """The centre ``n`` positions per axis of ``small`` and the ``n·factor`` positions of
    ``big`` that its max pool read (window k of the small map is big[k·f : (k+1)·f])."""
    starts = [(s - min(s, n)) // 2 for s in small.shape[1:]]
    cut = tuple(slice(a, a + min(s, n)) for a, s in zip(starts, small.shape[1:], strict=True))
    out = np.ascontiguousarray(small[(slice(None), *cut)])
    if big is None:
        return out, None
    big_cut = tuple(slice(c.start * factor, c.stop * factor) for c in cut)
    return out, np.ascontiguousarray(big[(slice(None), *big_cut)])


def _layer_output(network, x: np.ndarray, layer: str, factor: int):
    """(the layer's output, its input when the layer is a max pool by ``factor``)."""
    from engine.network import forward

    spec, weights = network
    trace = forward(spec, weights, x)
    error = trace.first_error()
    if error is not None:
        raise error
    node = next(l for l in spec.layers if l.name == layer)
    out = np.asarray(trace.outputs[layer])
    pool_input = None
    if node.type == "max_pool":
        names = [l.name for l in spec.layers]
        before = (
            node.inputs[0]
            if node.inputs
            else (names[names.index(layer) - 1] if names.index(layer) else INPUT)
        )
        candidate = np.asarray(trace.outputs[before])
        try:
            if S.max_unpool_pair(candidate, factor).pooled.shape == out.shape:
                pool_input = candidate
        except S.SamplingError:
            pool_input = None
    return out, pool_input


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


def layer_matrix(layer, weight: np.ndarray, dims: int, side: int, seed: int = 0) -> MatrixJob:
    """The pair for a network's convolution ``layer`` (its weight, stride, padding,
    dilation and groups) on a (C_in, side[, side]) input, and its zero insertion."""
    params = L.validate_params(layer)
    if layer.type != "conv" or weight.ndim - 2 != dims:
        raise S.SamplingError(
            f"layer '{layer.name}' is not a {dims}D convolution: select one to see its matrix"
        )
    groups = int(params["groups"])
    in_shape = (weight.shape[1] * groups, *(side,) * dims)
    s, p, d = params["stride"], params["padding"], params["dilation"]
    if isinstance(p, str):
        raise S.SamplingError(
            f"layer '{layer.name}' pads '{p}'; the transposed pair needs a number of padding "
            "positions (set P = a number in the inspector)"
        )
    pair = S.transpose_pair(in_shape, weight, stride=s, padding=p, dilation=d, groups=groups)
    y = np.round(np.random.default_rng(seed).uniform(-1, 1, pair.conv.output_shape), 1)
    insertion = S.zero_insertion(y, weight, s, p, pair.output_padding, d, groups)
    return MatrixJob(pair, np.asarray(weight), s, p, insertion)


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
