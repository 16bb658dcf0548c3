"""What each layer type does: parameters, output shape, counts, connectivity, forward.

Everything here works on one layer given the shapes it receives (no batch axis): ``(C, L)``
for a 1D map, ``(C, H, W)`` for a 2D map and ``(D,)`` for a vector. Layer types are
dimension-agnostic: a ``conv`` on ``(C, L)`` is 1D, on ``(C, H, W)`` 2D; sizes such as
``kernel_size`` may be an int or a per-axis tuple.

Counts
------
``parameter_count``
    weights + biases, exactly what the built torch module has.
``fc_parameter_count``
    what a fully connected layer mapping the same input size to the same output size would
    need: D_in * D_out + D_out with D = the number of values in a shape (for two-input layers
    D_in is the total of both inputs). Reported for *every* layer, with or without weights,
    so a table can always set the two side by side.
``mac_count``
    multiply-accumulates of the weighted layers (conv, transposed conv, linear); bias
    additions are not counted and layers without weights count 0, as torchinfo does.

Connectivity
------------
``connectivity_pairs`` says, along one spatial axis, which input positions feed each output
position (rows = output positions, cols = input positions). Padding modes are followed
exactly: with reflect/replicate/circular padding the padded positions are the input positions
they copy. Layers whose output is a vector are dense: ``connectivity`` returns the
(D_out, D_in) relation between flattened values (all True for linear).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _args as A
from . import geometry as G
from .errors import EngineError, OpError, ShapeError, SpecError
from .spec import LAYER_TYPES, LayerSpec, ParamSpec

Shape = tuple[int, ...]
Params = dict[str, Any]

# A forward pass refuses to make an array with more values than this (1 GiB of float32):
# a typo in a size must give a message, not exhaust the memory.
MAX_VALUES = 1 << 28


def fmt(shape: Shape) -> str:
    """``(15, 4)`` (and ``(60,)``) for messages."""
    return str(tuple(int(s) for s in shape))


# --------------------------------------------------------------------------- parameters


def validate_params(layer: LayerSpec) -> Params:
    """The layer's parameters checked and completed with defaults (lists become tuples).

    Raises
    ------
    SpecError
        Unknown type or parameter, wrong type, NaN, out of range; the message names the
        parameter and the value (the caller locates it at the layer).
    """
    kind = layer.type
    if not isinstance(kind, str) or kind not in LAYER_TYPES:
        raise SpecError(f"unknown layer type {kind!r}; known types: {', '.join(LAYER_TYPES)}")
    declared = LAYER_TYPES[kind].params
    given = layer.params
    if not isinstance(given, dict):
        raise SpecError(f"params must be a mapping of names to values; got {given!r}")
    for key in given:
        if key not in declared:
            known = ", ".join(declared) or "no parameters"
            raise SpecError(f"a {kind} layer has no parameter {key!r} (it takes: {known})")
    params = {key: _check(key, given.get(key, ps.default), ps) for key, ps in declared.items()}
    if kind == "max_unpool" and not params["pool"]:
        raise SpecError(
            "max_unpool needs the name of the max pool whose indices it uses (parameter 'pool')"
        )
    return params


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _int(key: str, value: Any, ps: ParamSpec) -> int:
    if not _is_int(value):
        raise SpecError(f"{key} must be an integer; got {value!r}")
    n = int(value)
    if ps.minimum is not None and n < ps.minimum:
        raise SpecError(f"{key} must be at least {int(ps.minimum)}; got {n}")
    if ps.maximum is not None and n > ps.maximum:
        raise SpecError(f"{key} must be at most {int(ps.maximum)}; got {n}")
    return n


def _size(key: str, value: Any, ps: ParamSpec) -> int | tuple[int, ...]:
    if isinstance(value, (list, tuple)):
        if not 1 <= len(value) <= 2:
            raise SpecError(
                f"{key} must be an integer or one per axis (1 or 2 values); got {list(value)!r}"
            )
        return tuple(_int(key, v, ps) for v in value)
    return _int(key, value, ps)


def _check(key: str, value: Any, ps: ParamSpec) -> Any:
    kind = ps.kind
    if kind == "int":
        return _int(key, value, ps)
    if kind == "size":
        return _size(key, value, ps)
    if kind == "optional_size":
        return None if value is None else _size(key, value, ps)
    if kind == "padding":
        if isinstance(value, str):
            if value not in ("same", "valid"):
                raise SpecError(f"{key} must be a number, 'same' or 'valid'; got {value!r}")
            return value
        return _size(key, value, ps)
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise SpecError(f"{key} must be a number; got {value!r}")
        f = float(value)
        if not math.isfinite(f):
            raise SpecError(f"{key} must be a finite number; got {f}")
        if (ps.minimum is not None and f < ps.minimum) or (
            ps.maximum is not None and f > ps.maximum
        ):
            raise SpecError(f"{key} must lie between {ps.minimum:g} and {ps.maximum:g}; got {f:g}")
        return f
    if kind == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise SpecError(f"{key} must be true or false; got {value!r}")
        return bool(value)
    if kind == "choice":
        if not isinstance(value, str) or value not in ps.choices:
            raise SpecError(f"{key} must be one of {', '.join(ps.choices)}; got {value!r}")
        return value
    if kind == "layer":
        if not isinstance(value, str):
            raise SpecError(f"{key} must be the name of a layer; got {value!r}")
        return value
    raise SpecError(f"{key}: unknown parameter kind {kind!r}")  # a bug in LAYER_TYPES


per_axis = G.per_axis  # an int or per-axis tuple as an n-tuple (ShapeError: wrong count)


# --------------------------------------------------------------------------- shapes


def _spatial(shape: Shape, what: str) -> int:
    """Number of spatial axes of a map input (1 or 2), or a ShapeError."""
    n = len(shape) - 1
    if n == 0:
        raise ShapeError(f"{what} needs a (C, L) or (C, H, W) map; got a vector {fmt(shape)}")
    if n not in (1, 2):
        raise ShapeError(f"{what} works on (C, L) or (C, H, W) maps; got {fmt(shape)}")
    return n


def _as(error_type: type[EngineError], check: Callable[..., Any], *args: Any) -> Any:
    """``check(*args)`` from engine._args, its OpError raised again as ``error_type``.

    The sizes are computed where the ops compute them, so a layer's shape is its op's shape;
    only the kind changes: SpecError when the parameters contradict each other, ShapeError
    when they do not fit the input. The network locates either with ``.at_layer``.
    """
    try:
        return check(*args)
    except OpError as error:
        raise error_type(error.detail) from None


def conv_pads(params: Params, n: int) -> tuple[tuple[int, int], ...]:
    """Per-axis (before, after) padding of a conv; 'same' puts an odd extra after (torch)."""
    padding = params["padding"]
    k = per_axis(params["kernel_size"], n, "kernel_size")
    d = per_axis(params["dilation"], n, "dilation")
    if isinstance(padding, str):
        s = per_axis(params["stride"], n, "stride")
        return _as(SpecError, A.conv_padding, padding, k, d, s)
    return G.conv_pads(padding, k, d)


def _check_groups(c_in: int, params: Params) -> None:
    c_out, g = params["out_channels"], params["groups"]
    if c_in % g or c_out % g:
        raise ShapeError(
            f"groups {g} must divide the {c_in} input channels and the {c_out} output channels"
        )


def _pool_axes(params: Params, n: int):
    k = per_axis(params["kernel_size"], n, "kernel_size")
    s = per_axis(G.pool_stride(k, params["stride"]), n, "stride")
    p = per_axis(params["padding"], n, "padding")
    return k, s, p


def output_shape(
    layer: LayerSpec,
    params: Params,
    in_shapes: list[Shape],
    pool: tuple[Params, Shape, Shape] | None = None,
) -> Shape:
    """The layer's output shape for the given input shape(s).

    ``pool`` is ``(params, input shape, output shape)`` of the max pool a ``max_unpool``
    names. Raises ShapeError (or SpecError for a parameter that cannot fit) with the numbers.
    """
    kind = layer.type
    x = in_shapes[0]
    if kind in _MAP_SHAPES:
        return _MAP_SHAPES[kind](params, x)
    if kind == "max_unpool":
        return _unpool_shape(params, x, pool)
    if kind in ("activation", "dropout"):
        return tuple(x)
    if kind == "flatten":
        return (math.prod(x),)
    if kind == "linear":
        if len(x) != 1:
            raise ShapeError(
                f"linear layer needs a vector; got a {fmt(x)} map — add a flatten layer first"
            )
        return (params["out_features"],)
    if kind in ("add", "concat"):
        return _joined_shape(kind, *in_shapes)
    raise SpecError(f"unknown layer type {kind!r}")


def _conv_shape(params: Params, x: Shape) -> Shape:
    n = _spatial(x, "a convolution")
    _check_groups(x[0], params)
    k = per_axis(params["kernel_size"], n, "kernel_size")
    s = per_axis(params["stride"], n, "stride")
    d = per_axis(params["dilation"], n, "dilation")
    pads = conv_pads(params, n)
    _as(ShapeError, A.check_pad_fits, tuple(x[1:]), pads, params["padding_mode"])
    out = []
    for axis, (length, kk, ss, (b, a), dd) in enumerate(zip(x[1:], k, s, pads, d, strict=True)):
        what = A.input_name(axis, n)
        out.append(_as(ShapeError, A.conv_out, length, kk, ss, b, a, dd, what))
    return (params["out_channels"], *out)


def _conv_transpose_shape(params: Params, x: Shape) -> Shape:
    n = _spatial(x, "a transposed convolution")
    _check_groups(x[0], params)
    keys = ("kernel_size", "stride", "padding", "output_padding", "dilation")
    axes = (per_axis(params[key], n, key) for key in keys)
    out = []
    for length, kk, ss, pp, op, dd in zip(x[1:], *axes, strict=True):
        _as(SpecError, A.check_output_padding, op, ss, dd)
        out.append(_as(ShapeError, A.transpose_out, length, kk, ss, pp, op, dd))
    return (params["out_channels"], *out)


def _pool_shape(params: Params, x: Shape) -> Shape:
    n = _spatial(x, "a pooling layer")
    k, s, p = _pool_axes(params, n)
    out = []
    for axis, (length, kk, ss, pp) in enumerate(zip(x[1:], k, s, p, strict=True)):
        _as(SpecError, A.check_pool_padding, pp, kk)
        what = A.input_name(axis, n)
        out.append(_as(ShapeError, A.conv_out, length, kk, ss, pp, pp, 1, what, "window"))
    return (x[0], *out)


def _subsample_shape(params: Params, x: Shape) -> Shape:
    _spatial(x, "subsampling")
    return (x[0], *(G.subsample_length(length, params["factor"]) for length in x[1:]))


def _blur_pool_shape(params: Params, x: Shape) -> Shape:
    n = _spatial(x, "a blur pool")
    k = params["kernel_size"]
    pads = (G.blur_pads(k),) * n
    _as(ShapeError, A.check_pad_fits, tuple(x[1:]), pads, params["padding_mode"])
    return (x[0], *(G.blur_pool_length(length, k, params["stride"]) for length in x[1:]))


def _global_avg_pool_shape(params: Params, x: Shape) -> Shape:
    _spatial(x, "a global average pool")
    return (x[0],)


def _upsample_shape(params: Params, x: Shape) -> Shape:
    n = _spatial(x, "upsampling")
    mode = params["mode"]
    if mode == "linear" and n != 1:
        raise ShapeError(
            f"mode 'linear' works on 1D signals; use 'bilinear' for the 2D map {fmt(x)}"
        )
    if mode == "bilinear" and n != 2:
        raise ShapeError(
            f"mode 'bilinear' works on 2D maps; use 'linear' for the 1D signal {fmt(x)}"
        )
    return (x[0], *(G.upsample_length(length, params["scale_factor"]) for length in x[1:]))


# map-to-map layers: their output shape from their parameters and input shape
_MAP_SHAPES = {
    "conv": _conv_shape,
    "conv_transpose": _conv_transpose_shape,
    "max_pool": _pool_shape,
    "avg_pool": _pool_shape,
    "subsample": _subsample_shape,
    "blur_pool": _blur_pool_shape,
    "global_avg_pool": _global_avg_pool_shape,
    "upsample": _upsample_shape,
}


def _unpool_shape(params: Params, x: Shape, pool: tuple[Params, Shape, Shape] | None) -> Shape:
    """The pool's input shape, for an input of the pool's output shape."""
    if pool is None:
        raise SpecError(f"'{params['pool']}' is not a max pool before this layer")
    _, pool_in, pool_out = pool
    if tuple(x) != tuple(pool_out):
        raise ShapeError(
            f"max_unpool needs the shape of max pool '{params['pool']}''s "
            f"output {fmt(pool_out)}; got {fmt(x)}"
        )
    return tuple(pool_in)


def _joined_shape(kind: str, a: Shape, b: Shape) -> Shape:
    if kind == "add":
        if tuple(a) != tuple(b):
            raise ShapeError(f"add needs two inputs of the same shape; got {fmt(a)} and {fmt(b)}")
        return tuple(a)
    if len(a) != len(b) or tuple(a[1:]) != tuple(b[1:]):
        raise ShapeError(
            f"concat needs inputs that differ only in channels; got {fmt(a)} and {fmt(b)}"
        )
    return (a[0] + b[0], *a[1:])


# --------------------------------------------------------------------------- counts


def weight_shapes(layer: LayerSpec, params: Params, in_shapes: list[Shape]) -> dict[str, Shape]:
    """Shapes of the layer's arrays in torch's layout: ``{"weight": ..., "bias": ...}``.

    Empty for layers without weights; no "bias" when ``bias`` is off.
    """
    kind = layer.type
    x = in_shapes[0]
    if kind == "conv":
        n = len(x) - 1
        k = per_axis(params["kernel_size"], n, "kernel_size")
        c_out = params["out_channels"]
        shapes = {"weight": (c_out, x[0] // params["groups"], *k)}
    elif kind == "conv_transpose":
        n = len(x) - 1
        k = per_axis(params["kernel_size"], n, "kernel_size")
        c_out = params["out_channels"]
        shapes = {"weight": (x[0], c_out // params["groups"], *k)}
    elif kind == "linear":
        c_out = params["out_features"]
        shapes = {"weight": (c_out, x[0])}
    else:
        return {}
    if params["bias"]:
        shapes["bias"] = (c_out,)
    return shapes


def parameter_count(layer: LayerSpec, params: Params, in_shapes: list[Shape]) -> int:
    """Weights + biases (equals the built torch module's count)."""
    return sum(math.prod(s) for s in weight_shapes(layer, params, in_shapes).values())


def fc_parameter_count(in_shapes: list[Shape], out_shape: Shape) -> int:
    """D_in * D_out + D_out: a fully connected layer between the same sizes."""
    d_in = sum(math.prod(s) for s in in_shapes)
    d_out = math.prod(out_shape)
    return d_in * d_out + d_out


def mac_count(layer: LayerSpec, params: Params, in_shapes: list[Shape], out_shape: Shape) -> int:
    """Multiply-accumulates of one forward pass (0 for layers without weights)."""
    kind = layer.type
    if kind == "conv":
        w = weight_shapes(layer, params, in_shapes)["weight"]
        return math.prod(out_shape) * math.prod(w[1:])
    if kind == "conv_transpose":
        w = weight_shapes(layer, params, in_shapes)["weight"]
        return math.prod(in_shapes[0]) * math.prod(w[1:])
    if kind == "linear":
        return in_shapes[0][0] * out_shape[0]
    return 0


# --------------------------------------------------------------------------- connectivity


def _window_pairs(
    l_in: int, l_out: int, k: int, s: int, d: int, before: int, mode: str = "zeros"
) -> tuple[np.ndarray, np.ndarray]:
    out = np.arange(l_out)[:, None]
    pos = G.tap_position(out, np.arange(k)[None, :], s, d, before)
    rows = np.broadcast_to(out, pos.shape)
    src = G.source_positions(pos, l_in, mode)
    if mode == "zeros":  # zero padding reads no input
        keep = src >= 0
        return rows[keep], src[keep]
    return rows.ravel(), src.ravel()


def _upsample_pairs(l_in: int, s: int, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Mimics torch's linear index arithmetic (float32 scale = 1/s, align_corners=False)."""
    out = np.arange(l_in * s)
    scale = np.float32(1.0 / s)
    if mode == "nearest":  # engine.ops duplicates exactly (no float rounding)
        return out, out // s
    src = scale * (out.astype(np.float32) + np.float32(0.5)) - np.float32(0.5)
    src = np.maximum(src, np.float32(0))
    i0 = src.astype(np.int64)
    lam = src - i0.astype(np.float32)
    second = (i0 < l_in - 1) & (lam > 0)
    rows = np.concatenate([out, out[second]])
    cols = np.concatenate([i0, i0[second] + 1])
    return rows, cols


def connectivity_pairs(
    layer: LayerSpec,
    params: Params,
    in_shapes: list[Shape],
    out_shape: Shape,
    axis: int,
    input_index: int = 0,
    pool: tuple[Params, Shape, Shape] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols): output position rows[i] reads input position cols[i] along ``axis``.

    For map-to-map layers only (``axis`` counts spatial axes from 0). A ``max_unpool``
    uses its pool's windows (the indices make the true dependence data-dependent: any
    position of a window may receive the value).
    """
    kind = layer.type
    x = in_shapes[input_index]
    n = len(x) - 1
    l_in, l_out = x[1 + axis], out_shape[1 + axis]
    if kind == "conv":
        k = per_axis(params["kernel_size"], n, "kernel_size")[axis]
        s = per_axis(params["stride"], n, "stride")[axis]
        d = per_axis(params["dilation"], n, "dilation")[axis]
        before = conv_pads(params, n)[axis][0]
        return _window_pairs(l_in, l_out, k, s, d, before, params["padding_mode"])
    if kind in ("max_pool", "avg_pool"):
        k, s, p = (v[axis] for v in _pool_axes(params, n))
        return _window_pairs(l_in, l_out, k, s, 1, p)
    if kind == "conv_transpose":
        k, s, p, d = (
            per_axis(params[key], n, key)[axis]
            for key in ("kernel_size", "stride", "padding", "dilation")
        )
        src = np.arange(l_in)[:, None]
        pos = G.tap_position(src, np.arange(k)[None, :], s, d, p)  # where input src adds
        cols = np.broadcast_to(src, pos.shape)
        keep = (pos >= 0) & (pos < l_out)
        return pos[keep], cols[keep]
    if kind == "blur_pool":
        k = params["kernel_size"]
        before = G.blur_pads(k)[0]
        return _window_pairs(l_in, l_out, k, params["stride"], 1, before, params["padding_mode"])
    if kind == "subsample":
        rows = np.arange(l_out)
        return rows, rows * params["factor"]
    if kind == "upsample":
        return _upsample_pairs(l_in, params["scale_factor"], params["mode"])
    if kind == "max_unpool":
        assert pool is not None
        pool_params, pool_in, pool_out = pool
        k, s, p = (v[axis] for v in _pool_axes(pool_params, n))
        rows, cols = _window_pairs(pool_in[1 + axis], pool_out[1 + axis], k, s, 1, p)
        return cols, rows
    if kind in ("activation", "dropout", "add", "concat"):
        rows = np.arange(l_out)
        return rows, rows
    raise ShapeError(f"a {kind} layer has no per-axis connectivity")


def connectivity(
    layer: LayerSpec,
    params: Params,
    in_shapes: list[Shape],
    out_shape: Shape,
    axis: int = 0,
    input_index: int = 0,
    pool: tuple[Params, Shape, Shape] | None = None,
) -> np.ndarray:
    """Boolean (out_len, in_len) matrix: which input positions feed each output position.

    For a map-to-map layer along spatial ``axis``; for a layer whose input or output is a
    vector, the (D_out, D_in) relation between flattened values (``axis`` is ignored).
    """
    x = in_shapes[input_index]
    if len(out_shape) == 1 or len(x) == 1:
        d_in, d_out = math.prod(x), math.prod(out_shape)
        if layer.type == "flatten":
            return np.eye(d_out, d_in, dtype=bool)
        if layer.type == "global_avg_pool":
            return np.repeat(np.eye(d_out, dtype=bool), d_in // d_out, axis=1)
        if layer.type in ("activation", "dropout", "add"):
            return np.eye(d_out, dtype=bool)
        if layer.type == "concat":
            offset = 0 if input_index == 0 else math.prod(in_shapes[0])
            return np.eye(d_out, d_in, k=offset, dtype=bool)
        return np.ones((d_out, d_in), dtype=bool)
    rows, cols = connectivity_pairs(layer, params, in_shapes, out_shape, axis, input_index, pool)
    m = np.zeros((out_shape[1 + axis], x[1 + axis]), dtype=bool)
    m[rows, cols] = True
    return m


# --------------------------------------------------------------------------- forward


def forward(
    layer: LayerSpec,
    params: Params,
    inputs: list[np.ndarray],
    weights: dict[str, np.ndarray] | None,
    *,
    pool_indices: np.ndarray | None = None,
    pool: tuple[Params, Shape, Shape] | None = None,
    training: bool = False,
    dropout_seed: int = 0,
    indices: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Run one layer through ``engine.ops``: (output, extra) where extra is a max pool's
    indices (unless ``indices`` is False: much faster; see :func:`max_pool_indices`) or a
    training dropout's keep-mask (else None).

    Shapes must have been checked with :func:`output_shape`; weights are checked here.
    """
    kind = layer.type
    x = inputs[0]
    if kind in ("conv", "conv_transpose", "linear"):
        w, b = _weights(layer, params, [a.shape for a in inputs], weights)
        return _weighted(kind, params, x, w, b), None
    if kind == "max_pool":
        return _max_pool(params, x, indices)
    if kind == "max_unpool":
        return _max_unpool(params, x, pool_indices, pool), None
    if kind == "dropout":
        return _dropout(params, x, training, dropout_seed)
    if kind == "add":
        return x + inputs[1], None
    if kind == "concat":
        return np.concatenate([x, inputs[1]], axis=0), None
    return _one_input(kind, params, x), None


def _weighted(kind: str, params: Params, x: np.ndarray, w: np.ndarray, b) -> np.ndarray:
    """A linear layer, convolution or transposed convolution with its checked weights."""
    from . import ops

    if kind == "linear":
        return ops.linear(x, w, b)
    n = x.ndim - 1
    if kind == "conv":
        conv = ops.conv1d if n == 1 else ops.conv2d
        return conv(
            x,
            w,
            b,
            stride=params["stride"],
            padding=params["padding"],
            dilation=params["dilation"],
            groups=params["groups"],
            padding_mode=params["padding_mode"],
            flip=params["flip"],
        )
    conv_t = ops.conv_transpose1d if n == 1 else ops.conv_transpose2d
    return conv_t(
        x,
        w,
        b,
        stride=params["stride"],
        padding=params["padding"],
        output_padding=params["output_padding"],
        groups=params["groups"],
        dilation=params["dilation"],
    )


def _max_pool(params: Params, x: np.ndarray, indices: bool):
    """(output, argmax indices or None): the indices only when asked for (they are slower)."""
    from . import ops

    if not indices:
        pool_fn = ops.max_pool1d if x.ndim == 2 else ops.max_pool2d
        return pool_fn(
            x, params["kernel_size"], stride=params["stride"], padding=params["padding"]
        ), None
    return _max_pool_with_indices(params, x)


def _max_unpool(params: Params, x: np.ndarray, pool_indices, pool) -> np.ndarray:
    from . import ops

    if pool_indices is None or pool is None:
        raise ShapeError(f"max pool '{params['pool']}' has no indices to unpool with")
    pool_params = pool[0]
    unpool = ops.max_unpool1d if x.ndim == 2 else ops.max_unpool2d
    return unpool(
        x,
        pool_indices,
        pool_params["kernel_size"],
        stride=pool_params["stride"],
        padding=pool_params["padding"],
        output_size=pool[1][1:],
    )


def _dropout(params: Params, x: np.ndarray, training: bool, seed: int):
    """(output, keep-mask or None): the identity unless training."""
    from . import ops

    if not training:
        return x, None
    mask = ops.dropout_mask(x.shape, params["p"], seed)
    return ops.dropout(x, params["p"], mask=mask, training=True), mask


def _one_input(kind: str, params: Params, x: np.ndarray) -> np.ndarray:
    """The layers without weights that read one input and return one array."""
    from . import ops

    n = x.ndim - 1
    if kind == "avg_pool":
        pool_fn = ops.avg_pool1d if n == 1 else ops.avg_pool2d
        return pool_fn(x, params["kernel_size"], stride=params["stride"], padding=params["padding"])
    if kind == "subsample":
        sub = ops.subsample1d if n == 1 else ops.subsample2d
        return sub(x, params["factor"])
    if kind == "blur_pool":
        blur = ops.blur_pool1d if n == 1 else ops.blur_pool2d
        return blur(x, params["kernel_size"], params["stride"], params["padding_mode"])
    if kind == "global_avg_pool":
        return ops.global_avg_pool(x, n)
    if kind == "upsample":
        return ops.upsample(x, params["scale_factor"], params["mode"], spatial_dims=n)
    if kind == "activation":
        fn = params["function"]
        if fn == "relu":
            return ops.relu(x)
        if fn == "leaky_relu":
            return ops.leaky_relu(x, params["negative_slope"])
        return ops.sigmoid(x) if fn == "sigmoid" else ops.tanh(x)
    if kind == "flatten":
        return x.reshape(-1)
    raise SpecError(f"unknown layer type {kind!r}")


def max_pool_indices(params: Params, x: np.ndarray) -> np.ndarray:
    """A max pool's argmax indices for its input ``x`` (what :func:`forward` returns)."""
    return _max_pool_with_indices(params, x)[1]


def _max_pool_with_indices(params: Params, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from . import ops

    pool_fn = ops.max_pool1d if x.ndim == 2 else ops.max_pool2d
    return pool_fn(
        x,
        params["kernel_size"],
        stride=params["stride"],
        padding=params["padding"],
        return_indices=True,
    )


def _weights(
    layer: LayerSpec, params: Params, in_shapes: list[Shape], weights: dict[str, np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray | None]:
    expected = weight_shapes(layer, params, in_shapes)
    if not weights or "weight" not in weights:
        raise ShapeError("has no weights yet (initialise or reconcile the weights)")
    arrays = {}
    for key, shape in expected.items():
        a = weights.get(key)
        if a is None:
            raise ShapeError(f"has no {key} array (expected shape {fmt(shape)})")
        if tuple(np.shape(a)) != shape:
            raise ShapeError(f"{key} has shape {fmt(np.shape(a))} but the layer needs {fmt(shape)}")
        arrays[key] = a
    return arrays["weight"], arrays.get("bias")
