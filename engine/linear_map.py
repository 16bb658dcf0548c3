"""A layer's linear map as a matrix: rows are output values, columns input values.

Both are flattened channel-first in C order ((c, y, x) -> c*H*W + y*W + x), and the bias is
left out, so ``M @ x.ravel() == layer(x).ravel() - bias`` (Dumoulin & Visin, "A guide to
convolution arithmetic", section 4: a convolution is a sparse matrix C, its transposed
convolution multiplies by C^T).

How the matrix is made
----------------------
By construction from each layer's definition, not by pushing unit vectors through the torch
path: every entry is then a weight (or 1/K, or an interpolation weight) placed where the
formula puts it, exactly, without depending on how a backend sums; nothing but the matrix
itself is allocated; and the convolution (gather: output i reads input i*S + k*D - P) and the
transposed convolution (scatter: input i writes output i*S + k*D - P) are built from their
own definitions, so that "one is the transpose of the other" is something the tests check
rather than something the code assumes. Mean pools, subsampling and nearest upsampling are
depthwise (transposed) convolutions with fixed kernels and are built as such; linear
upsampling is separable, its per-axis matrix is the engine's 1D upsample of an identity.
Layer types this module does not know (e.g. a blur pool added later) are *probed*: one unit
vector at a time through the layer's own forward, then checked to be linear.

Layers that are not linear (max pool, activations, max unpool) raise :class:`MatrixError`,
and so does a matrix with more than :data:`MAX_ENTRIES` entries, before any memory is taken.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import layers as L
from .errors import EngineError
from .network import Weights, analyze
from .reference import _NUMPY_PAD_MODE
from .spec import LAYER_TYPES, LayerSpec, NetworkSpec

Shape = tuple[int, ...]

MAX_SIDE = 4096
MAX_ENTRIES = MAX_SIDE * MAX_SIDE  # 16,777,216 entries: 128 MiB as float64

NOT_LINEAR = {
    "max_pool": "a max pool is not linear: which value of a window wins depends on the values",
    "activation": "an activation is not linear (a[x + y] differs from a[x] + a[y])",
    "max_unpool": "a max unpool is not linear in the network's input: where each value goes "
    "depends on its max pool's input",
}

# Checked against a random input after probing an unknown layer type.
_PROBE_RTOL = 1e-4


class MatrixError(EngineError):
    """A layer has no matrix (it is not linear, reads two inputs) or the matrix is too big."""


@dataclass(frozen=True, eq=False)
class MatrixRow:
    """One output value (a row) and the input values it reads (its non-zero columns)."""

    row: int
    output: tuple[int, ...]  # (channel, *position) of the output value
    columns: np.ndarray  # the non-zero columns, ascending
    inputs: tuple[tuple[int, ...], ...]  # (channel, *position) of each column
    weights: np.ndarray  # matrix[row, columns]


@dataclass(frozen=True, eq=False)
class MatrixColumn:
    """One input value (a column) and the output values it feeds (its non-zero rows)."""

    column: int
    input: tuple[int, ...]
    rows: np.ndarray
    outputs: tuple[tuple[int, ...], ...]
    weights: np.ndarray  # matrix[rows, column]


@dataclass(frozen=True, eq=False)
class LayerMatrix:
    """The linear map of one layer, without its bias (see the module docstring).

    ``method`` is ``"construction"`` or ``"probing"`` (a layer type built from unit vectors).
    """

    layer: str
    layer_type: str
    input_shape: Shape
    output_shape: Shape
    matrix: np.ndarray  # float64, (prod(output_shape), prod(input_shape))
    method: str = "construction"

    def output_index(self, row: int) -> tuple[int, ...]:
        """(channel, *position) of row ``row`` (for a vector output: (unit,))."""
        return _unravel(row, self.output_shape, "row")

    def input_index(self, column: int) -> tuple[int, ...]:
        return _unravel(column, self.input_shape, "column")

    def row_of(self, output: tuple[int, ...]) -> int:
        """The row of output value (channel, *position)."""
        return _ravel(output, self.output_shape, "output")

    def column_of(self, input: tuple[int, ...]) -> int:
        return _ravel(input, self.input_shape, "input")

    def row_reads(self, row: int) -> MatrixRow:
        """For hovering a row: the output value and the input values it reads."""
        out = self.output_index(row)
        columns = np.flatnonzero(self.matrix[row])
        inputs = tuple(self.input_index(int(c)) for c in columns)
        return MatrixRow(int(row), out, columns, inputs, self.matrix[row, columns].copy())

    def column_feeds(self, column: int) -> MatrixColumn:
        """For hovering a column (a row of the transposed matrix): the outputs it feeds."""
        where = self.input_index(column)
        rows = np.flatnonzero(self.matrix[:, column])
        outputs = tuple(self.output_index(int(r)) for r in rows)
        return MatrixColumn(int(column), where, rows, outputs, self.matrix[rows, column].copy())

    def to_dict(self) -> dict:
        """What ``app.py matrix --json`` writes: layer, shapes and the rows."""
        return {
            "layer": self.layer,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            "matrix": self.matrix.tolist(),
        }


def _unravel(index: int, shape: Shape, what: str) -> tuple[int, ...]:
    n = math.prod(shape)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < n:
        raise MatrixError(f"{what} {index!r} is outside 0…{n - 1}")
    return tuple(int(i) for i in np.unravel_index(int(index), shape))


def _ravel(where: tuple[int, ...], shape: Shape, what: str) -> int:
    items = tuple(where)
    if len(items) != len(shape) or not all(
        isinstance(i, (int, np.integer)) and 0 <= i < s for i, s in zip(items, shape, strict=True)
    ):
        raise MatrixError(f"{what} {items!r} lies outside the shape {L.fmt(shape)}")
    return int(np.ravel_multi_index(items, shape))


# --------------------------------------------------------------------------- entry points


def check_matrix_size(rows: int, cols: int) -> None:
    """Refuse a matrix over :data:`MAX_ENTRIES` entries (call before allocating anything)."""
    if rows * cols > MAX_ENTRIES:
        raise MatrixError(
            f"the matrix would be {rows:,} × {cols:,} = {rows * cols:,} entries; the limit is "
            f"{MAX_SIDE:,} × {MAX_SIDE:,} = {MAX_ENTRIES:,} (use a smaller input shape)"
        )


def matrix_shape(spec: NetworkSpec, layer_name: str, input_shape: Shape | None = None):
    """(layer's input shape, its output shape), checked to be linear and small enough.

    Shapes only: no weights, no arrays. Raises the layer's own error if it cannot run.
    """
    analysis = analyze(spec, input_shape)
    info = analysis.layer(layer_name)
    if info.error is not None:
        raise info.error
    layer = spec.layers[info.index]
    try:
        _check_linear(layer, info.input_shapes)
        check_matrix_size(math.prod(info.out_shape), math.prod(info.input_shapes[0]))
    except EngineError as error:
        raise error.at_layer(info.index, info.name) from None
    return tuple(info.input_shapes[0]), tuple(info.out_shape)


def layer_matrix(
    spec: NetworkSpec, weights: Weights, layer_name: str, input_shape: Shape | None = None
) -> LayerMatrix:
    """The matrix of layer ``layer_name`` of a network whose input has ``input_shape``
    (default: the network's own); ``weights`` are the network's (as ``init_weights``)."""
    in_shape, _ = matrix_shape(spec, layer_name, input_shape)
    index = spec.index(layer_name)
    layer_weights = weights.get(layer_name) if isinstance(weights, dict) else None
    try:
        return layer_spec_matrix(spec.layers[index], in_shape, layer_weights)
    except EngineError as error:
        raise error.at_layer(index, layer_name) from None


def layer_spec_matrix(
    layer: LayerSpec, in_shape: Shape, weights: dict[str, np.ndarray] | None = None
) -> LayerMatrix:
    """The matrix of one layer given the shape it receives and its weights (if it has any)."""
    params = L.validate_params(layer)
    in_shapes = [tuple(int(s) for s in in_shape)]
    _check_linear(layer, in_shapes)
    out_shape = L.output_shape(layer, params, in_shapes)
    check_matrix_size(math.prod(out_shape), math.prod(in_shapes[0]))
    build = _BUILDERS.get(layer.type)
    if build is None:
        matrix = _probe(layer, params, in_shapes[0], out_shape, weights)
        method = "probing"
    else:
        w = None
        if LAYER_TYPES[layer.type].has_weights:
            w, _ = L._weights(layer, params, in_shapes, weights)
            w = np.asarray(w, dtype=np.float64)
        matrix = build(params, in_shapes[0], out_shape, w)
        method = "construction"
    return LayerMatrix(layer.name, layer.type, in_shapes[0], tuple(out_shape), matrix, method)


def _check_linear(layer: LayerSpec, in_shapes: list[Shape]) -> None:
    why = NOT_LINEAR.get(layer.type)
    if why is not None:
        raise MatrixError(f"{why}; no matrix gives it")
    if len(in_shapes) != 1 or LAYER_TYPES[layer.type].n_inputs != 1:
        raise MatrixError(f"a {layer.type} layer reads two inputs; a matrix here maps one input")


# --------------------------------------------------------------------------- construction


def _taps(n: int, k: int, s: int, d: int, shift: int) -> np.ndarray:
    """(n, k): position i*S + j*D - shift for every position i and kernel tap j."""
    return np.arange(n)[:, None] * s + np.arange(k)[None, :] * d - shift


def _tap_pairs(index: list[np.ndarray], other: Shape) -> tuple[np.ndarray, np.ndarray]:
    """For one kernel tap: per-axis positions ``index`` (-1 = none) over a grid of own
    positions -> (own flat positions, the other side's flat positions) where all are valid."""
    grids = np.meshgrid(*index, indexing="ij")
    valid = np.logical_and.reduce([g >= 0 for g in grids])
    own = np.flatnonzero(valid)
    return own, np.ravel_multi_index(tuple(g[valid] for g in grids), other)


def _channel_blocks(weight: np.ndarray, groups: int, transposed: bool) -> np.ndarray:
    """(C_out, C_in, *K) with each group's weights in its block and zeros between groups."""
    if transposed:  # (C_in, C_out/groups, K...): group g's inputs feed its outputs
        c_in, per_out = weight.shape[:2]
        c_out, per_in = per_out * groups, c_in // groups
    else:  # (C_out, C_in/groups, K...)
        c_out, per_in = weight.shape[:2]
        c_in, per_out = per_in * groups, c_out // groups
    dense = np.zeros((c_out, c_in, *weight.shape[2:]))
    for g in range(groups):
        outs, ins = slice(g * per_out, (g + 1) * per_out), slice(g * per_in, (g + 1) * per_in)
        block = weight[ins].swapaxes(0, 1) if transposed else weight[outs]
        dense[outs, ins] = block
    return dense


def conv_matrix(
    weight: np.ndarray,
    in_shape: Shape,
    out_shape: Shape,
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    mode: str = "zeros",
    groups: int = 1,
) -> np.ndarray:
    """A convolution's matrix: output i reads padded input i*S + j*D with weight w_j.

    The padding is resolved per axis first: ``np.pad`` of the positions 0…L-1 with the
    padding mode says which input position each padded position copies (-1: a zero), so
    reflect/replicate/circular padding lands on the input values it repeats.
    """
    c_in, spatial = in_shape[0], tuple(in_shape[1:])
    c_out, out_spatial = out_shape[0], tuple(out_shape[1:])
    sources = []
    for n, pad in zip(spatial, pads, strict=True):
        if mode == "zeros":
            sources.append(np.pad(np.arange(n), pad, constant_values=-1))
        else:
            sources.append(np.pad(np.arange(n), pad, mode=_NUMPY_PAD_MODE[mode]))
    taps = [
        src[_taps(o, k, s, d, 0)]
        for src, o, k, s, d in zip(
            sources, out_spatial, weight.shape[2:], stride, dilation, strict=True
        )
    ]
    dense = _channel_blocks(weight, groups, transposed=False)
    m = np.zeros((c_out, math.prod(out_spatial), c_in, math.prod(spatial)))
    for tap in np.ndindex(*weight.shape[2:]):
        rows, cols = _tap_pairs([t[:, j] for t, j in zip(taps, tap, strict=True)], spatial)
        # one entry per (row, col) within a tap; reflect padding may add a second tap's
        m[:, rows, :, cols] += dense[(slice(None), slice(None), *tap)]
    return m.reshape(c_out * math.prod(out_spatial), c_in * math.prod(spatial))


def conv_transpose_matrix(
    weight: np.ndarray,
    in_shape: Shape,
    out_shape: Shape,
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int = 1,
) -> np.ndarray:
    """A transposed convolution's matrix: input i adds w_j x_i at output i*S + j*D - P
    (kept when it lies inside the output; output_padding only makes the output longer)."""
    c_in, spatial = in_shape[0], tuple(in_shape[1:])
    c_out, out_spatial = out_shape[0], tuple(out_shape[1:])
    taps = []
    axes = (spatial, out_spatial, weight.shape[2:], stride, padding, dilation)
    for n, o, k, s, p, d in zip(*axes, strict=True):
        t = _taps(n, k, s, d, p)
        t[(t < 0) | (t >= o)] = -1
        taps.append(t)
    dense = _channel_blocks(weight, groups, transposed=True)
    m = np.zeros((c_out, math.prod(out_spatial), c_in, math.prod(spatial)))
    for tap in np.ndindex(*weight.shape[2:]):
        cols, rows = _tap_pairs([t[:, j] for t, j in zip(taps, tap, strict=True)], out_spatial)
        m[:, rows, :, cols] += dense[(slice(None), slice(None), *tap)]
    return m.reshape(c_out * math.prod(out_spatial), c_in * math.prod(spatial))


def _axes(params, key: str, n: int) -> tuple[int, ...]:
    return L.per_axis(params[key], n, key)


def _conv(params, in_shape, out_shape, w) -> np.ndarray:
    n = len(in_shape) - 1
    if params["flip"]:  # true convolution: the layer turns its kernel round
        w = w[(slice(None), slice(None), *(slice(None, None, -1),) * n)]
    return conv_matrix(
        w,
        in_shape,
        out_shape,
        _axes(params, "stride", n),
        _axes(params, "dilation", n),
        L.conv_pads(params, n),
        params["padding_mode"],
        params["groups"],
    )


def _conv_transpose(params, in_shape, out_shape, w) -> np.ndarray:
    n = len(in_shape) - 1
    return conv_transpose_matrix(
        w,
        in_shape,
        out_shape,
        _axes(params, "stride", n),
        _axes(params, "padding", n),
        _axes(params, "dilation", n),
        params["groups"],
    )


def _avg_pool(params, in_shape, out_shape, _w) -> np.ndarray:
    # a depthwise convolution with weights 1/K (zero padding counts, as the layer's pool)
    n = len(in_shape) - 1
    kernel = _axes(params, "kernel_size", n)
    stride = kernel if params["stride"] is None else _axes(params, "stride", n)
    pads = tuple((p, p) for p in _axes(params, "padding", n))
    w = np.full((in_shape[0], 1, *kernel), 1.0 / math.prod(kernel))
    return conv_matrix(w, in_shape, out_shape, stride, (1,) * n, pads, groups=in_shape[0])


def _subsample(params, in_shape, out_shape, _w) -> np.ndarray:
    # a depthwise 1-tap convolution with weight 1 and stride f
    n = len(in_shape) - 1
    w = np.ones((in_shape[0], 1, *(1,) * n))
    stride = (params["factor"],) * n
    return conv_matrix(w, in_shape, out_shape, stride, (1,) * n, ((0, 0),) * n, groups=in_shape[0])


def _upsample(params, in_shape, out_shape, _w) -> np.ndarray:
    n = len(in_shape) - 1
    s = params["scale_factor"]
    c = in_shape[0]
    if params["mode"] == "nearest":  # a depthwise transposed convolution: s ones, stride s
        w = np.ones((c, 1, *(s,) * n))
        return conv_transpose_matrix(w, in_shape, out_shape, (s,) * n, (0,) * n, (1,) * n, c)
    from . import reference

    # separable: the Kronecker product of the per-axis 1D interpolations of an identity
    spatial = np.ones((1, 1))
    for length in in_shape[1:]:
        eye = np.eye(length)[:, None, :]  # a batch of unit signals (N = L, C = 1, L)
        per_axis = reference.upsample(eye, s, "linear")[:, 0, :].T  # (L*s, L)
        spatial = np.kron(spatial, per_axis)
    return np.kron(np.eye(c), spatial)


def _linear(_params, _in_shape, _out_shape, w) -> np.ndarray:
    return np.array(w, dtype=np.float64)


def _identity(_params, in_shape, _out_shape, _w) -> np.ndarray:
    # flatten reorders nothing in C order; dropout outside training passes values on
    return np.eye(math.prod(in_shape))


def _global_avg_pool(_params, in_shape, _out_shape, _w) -> np.ndarray:
    plane = math.prod(in_shape[1:])
    return np.kron(np.eye(in_shape[0]), np.full((1, plane), 1.0 / plane))


_BUILDERS = {
    "conv": _conv,
    "conv_transpose": _conv_transpose,
    "linear": _linear,
    "avg_pool": _avg_pool,
    "subsample": _subsample,
    "upsample": _upsample,
    "flatten": _identity,
    "dropout": _identity,
    "global_avg_pool": _global_avg_pool,
}


# --------------------------------------------------------------------------- probing


def _probe(layer: LayerSpec, params, in_shape: Shape, out_shape: Shape, weights) -> np.ndarray:
    """Column j = f(e_j) - f(0) through the layer's own forward; then f must be linear."""

    def f(x: np.ndarray) -> np.ndarray:
        y, _ = L.forward(layer, params, [x], weights, indices=False)
        return np.asarray(y, dtype=np.float64).reshape(-1)

    cols = math.prod(in_shape)
    base = f(np.zeros(in_shape))
    m = np.zeros((math.prod(out_shape), cols))
    unit = np.zeros(cols)
    for j in range(cols):
        unit[j] = 1.0
        m[:, j] = f(unit.reshape(in_shape)) - base
        unit[j] = 0.0
    x = np.random.default_rng(0).standard_normal(cols)
    expected = f(x.reshape(in_shape)) - base
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    if not np.allclose(m @ x, expected, rtol=_PROBE_RTOL, atol=_PROBE_RTOL * scale):
        raise MatrixError(f"a {layer.type} layer is not linear; no matrix gives it")
    return m
