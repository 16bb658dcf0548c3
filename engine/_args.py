"""Argument checking shared by ``engine.ops`` and ``engine.reference``.

Both modules call these helpers before computing anything, so they accept exactly the same
calls and reject exactly the same calls with the same :class:`~engine.errors.OpError`
message. The sizes themselves (per-side and 'same' padding, output lengths, the pool stride
default) are the formulas of :mod:`engine.geometry`; the helpers here check that they make
sense (a window that fits, padding a mode allows, ...) and say why when they do not.
``engine.layers`` checks a network's shapes with the same helpers (``conv_padding``,
``check_pad_fits``, ``conv_out``, ``check_pool_padding``, ``check_output_padding``,
``transpose_out``), so a layer's declared shape is the shape its op produces.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import geometry as G
from .errors import OpError, short
from .limits import MAX_OP_INT, MAX_OP_VALUES

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
PADDING_MODES = G.PADDING_MODES
AXIS_NAMES = {1: ("length",), 2: ("height", "width")}

Pads = tuple[tuple[int, int], ...]  # per spatial axis: (before, after)


# --------------------------------------------------------------------------- arrays


def float_array(x: Any, name: str = "input") -> np.ndarray:
    """``x`` as a float32/float64 numpy array (never copied when it already is one)."""
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise OpError(f"{name} is not an array of numbers ({error})") from None
    if a.dtype not in FLOAT_DTYPES:
        raise OpError(f"{name} has dtype {a.dtype}; expected float32 or float64")
    return a


def like(x: Any, dtype: np.dtype, name: str) -> np.ndarray:
    """A weight/bias/mask-like array as ``dtype`` (the input's), checking it is numeric."""
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise OpError(f"{name} is not an array of numbers ({error})") from None
    if a.dtype.kind not in "fiub":
        raise OpError(f"{name} has dtype {a.dtype}; expected numbers")
    return a.astype(dtype, copy=False)


def batched(x: np.ndarray, spatial: int, name: str = "input") -> tuple[np.ndarray, bool]:
    """``x`` with a batch axis, and whether it had one.

    ``x`` must be (C, *spatial) or (N, C, *spatial) with every size positive.
    """
    if x.ndim not in (spatial + 1, spatial + 2):
        layout = _layout(spatial)
        raise OpError(
            f"{name} has shape {tuple(x.shape)}; expected {spatial + 1} axes "
            f"({layout[4:]} or {spatial + 2} axes {layout}"
        )
    if any(s <= 0 for s in x.shape):
        raise OpError(f"{name} shape {tuple(x.shape)} has an empty axis")
    return (x, True) if x.ndim == spatial + 2 else (x[None], False)


def _layout(spatial: int) -> str:
    return "(N, C, L)" if spatial == 1 else "(N, C, H, W)"


def unbatch(y: np.ndarray, was_batched: bool) -> np.ndarray:
    return y if was_batched else y[0]


# --------------------------------------------------------------------------- sizes


def whole(value: Any, name: str, minimum: int, maximum: int | None = MAX_OP_INT) -> int:
    """A whole number from ``minimum`` to ``maximum`` (default :data:`engine.limits.MAX_OP_INT`:
    a stride, padding, dilation or factor of 10**30 is refused here, not by numpy's or torch's
    overflow); bools, fractions, NaN and infinities are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise OpError(f"{name} must be a whole number, got {value!r}")
    if isinstance(value, numbers.Integral):
        n = int(value)
    else:
        f = float(value)
        if not math.isfinite(f) or f != int(f):
            raise OpError(f"{name} must be a whole number, got {value!r}")
        n = int(f)
    if n < minimum:
        raise OpError(f"{name} must be at least {minimum}, got {n}")
    if maximum is not None and n > maximum:
        raise OpError(f"{name} must be at most {maximum:,}, got {short(str(n), 40)}")
    return n


def size(value: Any, n: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    """An int or a per-axis sequence of ``n`` ints, as an ``n``-tuple."""
    if isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, str):
        items = tuple(value)
        if len(items) != n:
            raise OpError(f"{name} {items} has {len(items)} values; expected {n}")
    return tuple(whole(v, name, minimum) for v in G.per_axis(value, n, name))


def real(value: Any, name: str, low: float | None = None, high: float | None = None) -> float:
    """A finite real number, optionally within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise OpError(f"{name} must be a number, got {value!r}")
    f = float(value)
    if not math.isfinite(f):
        raise OpError(f"{name} must be a finite number, got {f}")
    if (low is not None and f < low) or (high is not None and f > high):
        raise OpError(f"{name} must lie in [{low}, {high}], got {f}")
    return f


# --------------------------------------------------------------------------- convolution


def conv_padding(
    padding: Any, kernel: tuple[int, ...], dilation: tuple[int, ...], stride: tuple[int, ...]
) -> Pads:
    """Per-axis (before, after) padding for a convolution (:func:`engine.geometry.conv_pads`).

    ``'valid'`` is no padding; ``'same'`` keeps the length (the odd extra position after, as
    torch) and needs stride 1; a number must be a whole number >= 0 (one or one per axis).
    """
    n = len(kernel)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise OpError(f"padding must be a number, 'same' or 'valid', got {padding!r}")
        if padding == "same" and any(s != 1 for s in stride):
            raise OpError(f"padding 'same' needs stride 1, got stride {_show(stride)}")
    else:
        padding = size(padding, n, "padding", minimum=0)
    return G.conv_pads(padding, kernel, dilation)


def check_padding_mode(mode: Any) -> str:
    if mode not in PADDING_MODES:
        raise OpError(f"padding_mode must be one of {', '.join(PADDING_MODES)}, got {mode!r}")
    return mode


def check_pad_fits(spatial: tuple[int, ...], pads: Pads, mode: str) -> None:
    """Reflect padding must be smaller than the axis; circular at most the axis (as torch)."""
    for axis, (length, (before, after)) in enumerate(zip(spatial, pads, strict=True)):
        widest = max(before, after)
        what = AXIS_NAMES[len(spatial)][axis]
        if mode == "reflect" and widest >= length:
            raise OpError(
                f"reflect padding {widest} must be smaller than the input {what} {length}"
            )
        if mode == "circular" and widest > length:
            raise OpError(f"circular padding {widest} must not exceed the input {what} {length}")


def conv_out(
    length: int,
    kernel: int,
    stride: int,
    before: int,
    after: int,
    dilation: int,
    what: str = "input",
    name: str = "kernel",
) -> int:
    """:func:`engine.geometry.conv_length`, checked: the window must fit the padded input.

    For convolutions and pools (dilation 1). ``what``
    names the axis in the message (see :func:`input_name`), ``name`` the window ("kernel"
    for the ops, whose argument is ``kernel_size``; a pool layer says "window").
    """
    span = G.window_span(kernel, dilation)
    padded = length + before + after
    if span > padded:
        if dilation == 1:
            raise OpError(f"{name} {kernel} is larger than the padded {what} {padded}")
        raise OpError(
            f"{name} {kernel} with dilation {dilation} spans {span} positions "
            f"but the padded {what} has {padded}"
        )
    return G.conv_length(length, kernel, stride, (before, after), dilation)


def input_name(axis: int, spatial: int) -> str:
    """How messages name an input axis: 'input' in 1D, 'input height' / 'input width' in 2D."""
    return "input" if spatial == 1 else f"input {AXIS_NAMES[spatial][axis]}"


def check_output_padding(output_padding: int, stride: int, dilation: int) -> None:
    """A transposed convolution's output_padding must be below the stride or the dilation."""
    if output_padding >= max(stride, dilation):
        raise OpError(
            f"output_padding {output_padding} must be smaller than the stride {stride} "
            f"or the dilation {dilation}"
        )


def transpose_out(
    length: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int
) -> int:
    """:func:`engine.geometry.transposed_length`, checked: refuses a padding that leaves
    nothing. ``output_padding`` is checked by :func:`check_output_padding` first (callers
    report the two as different kinds of error).
    """
    out = G.transposed_length(length, kernel, stride, padding, output_padding, dilation)
    if out < 1:
        raise OpError(
            f"padding {padding} removes everything: (L-1)*S + D*(K-1) + 1 + output_padding "
            f"= {out + 2 * padding} positions, minus 2 x {padding}, leaves {out}"
        )
    return out


def check_conv_weight(
    c_in: int, weight: np.ndarray, bias: np.ndarray | None, groups: int, spatial: int
) -> int:
    """Check a convolution's weight (C_out, C_in/groups, K...) and bias; return C_out."""
    if weight.ndim != spatial + 2:
        raise OpError(
            f"weight has shape {tuple(weight.shape)}; expected {spatial + 2} axes "
            f"(C_out, C_in/groups, {'K' if spatial == 1 else 'K, K'})"
        )
    if any(s <= 0 for s in weight.shape):
        raise OpError(f"weight shape {tuple(weight.shape)} has an empty axis")
    c_out = weight.shape[0]
    if c_in % groups:
        raise OpError(f"groups {groups} does not divide the {c_in} input channels")
    if c_out % groups:
        raise OpError(f"groups {groups} does not divide the {c_out} output channels")
    if weight.shape[1] * groups != c_in:
        expects = (
            f"{weight.shape[1]}"
            if groups == 1
            else (f"{weight.shape[1]} per group x {groups} groups = {weight.shape[1] * groups}")
        )
        raise OpError(f"weight expects {expects} input channels but the input has {c_in}")
    _check_bias(bias, c_out)
    return c_out


def _check_bias(bias: np.ndarray | None, c_out: int) -> None:
    if bias is not None and bias.shape != (c_out,):
        raise OpError(f"bias has shape {tuple(bias.shape)}; expected ({c_out},)")


def check_transpose_weight(
    c_in: int, weight: np.ndarray, bias: np.ndarray | None, groups: int, spatial: int
) -> int:
    """Check a transposed convolution's weight (C_in, C_out/groups, K...); return C_out."""
    if weight.ndim != spatial + 2:
        raise OpError(
            f"weight has shape {tuple(weight.shape)}; expected {spatial + 2} axes "
            f"(C_in, C_out/groups, {'K' if spatial == 1 else 'K, K'})"
        )
    if any(s <= 0 for s in weight.shape):
        raise OpError(f"weight shape {tuple(weight.shape)} has an empty axis")
    if c_in % groups:
        raise OpError(f"groups {groups} does not divide the {c_in} input channels")
    if weight.shape[0] != c_in:
        raise OpError(f"weight expects {weight.shape[0]} input channels but the input has {c_in}")
    c_out = weight.shape[1] * groups
    _check_bias(bias, c_out)
    return c_out


def check_values(shape: Sequence[int], what: str) -> None:
    """Refuse an array the call would make (output, padded input) of over MAX_OP_VALUES."""
    count = math.prod(int(s) for s in shape)
    if count > MAX_OP_VALUES:
        raise OpError(
            f"the {what} would hold {count:,} values {short(str(tuple(shape)), 60)}; "
            f"the limit is {MAX_OP_VALUES:,}"
        )


class ConvArgs:
    """A checked convolution call: the batched input, weights and every derived size."""

    def __init__(
        self, input, weight, bias, stride, padding, dilation, groups, padding_mode, spatial: int
    ):
        x = float_array(input)
        self.x, self.was_batched = batched(x, spatial)
        self.weight = like(weight, x.dtype, "weight")
        self.bias = None if bias is None else like(bias, x.dtype, "bias")
        self.groups = whole(groups, "groups", 1)
        self.c_out = check_conv_weight(
            self.x.shape[1], self.weight, self.bias, self.groups, spatial
        )
        self.kernel = tuple(self.weight.shape[2:])
        self.stride = size(stride, spatial, "stride")
        self.dilation = size(dilation, spatial, "dilation")
        self.mode = check_padding_mode(padding_mode)
        self.pads = conv_padding(padding, self.kernel, self.dilation, self.stride)
        in_spatial = tuple(self.x.shape[2:])
        if self.mode != "zeros":
            check_pad_fits(in_spatial, self.pads, self.mode)
        self.out_spatial = tuple(
            conv_out(n, k, s, p[0], p[1], d, input_name(a, spatial))
            for a, (n, k, s, p, d) in enumerate(
                zip(in_spatial, self.kernel, self.stride, self.pads, self.dilation, strict=True)
            )
        )
        lead = self.x.shape[:2]
        check_values(
            (*lead, *(n + p0 + p1 for n, (p0, p1) in zip(in_spatial, self.pads, strict=True))),
            "padded input",
        )
        check_values((lead[0], self.c_out, *self.out_spatial), "output")


class TransposeArgs:
    """A checked transposed-convolution call and its output size (see :func:`transpose_out`)."""

    def __init__(
        self, input, weight, bias, stride, padding, output_padding, groups, dilation, spatial: int
    ):
        x = float_array(input)
        self.x, self.was_batched = batched(x, spatial)
        self.weight = like(weight, x.dtype, "weight")
        self.bias = None if bias is None else like(bias, x.dtype, "bias")
        self.groups = whole(groups, "groups", 1)
        self.c_out = check_transpose_weight(
            self.x.shape[1], self.weight, self.bias, self.groups, spatial
        )
        self.kernel = tuple(self.weight.shape[2:])
        self.stride = size(stride, spatial, "stride")
        self.dilation = size(dilation, spatial, "dilation")
        if isinstance(padding, str):
            raise OpError(f"a transposed convolution's padding must be a number, got {padding!r}")
        self.padding = size(padding, spatial, "padding", minimum=0)
        self.output_padding = size(output_padding, spatial, "output_padding", minimum=0)
        axes = (self.kernel, self.stride, self.padding, self.output_padding, self.dilation)
        out = []
        for n, k, s, p, op, d in zip(self.x.shape[2:], *axes, strict=True):
            check_output_padding(op, s, d)
            out.append(transpose_out(n, k, s, p, op, d))
        self.out_spatial = tuple(out)
        reach = (
            o + 2 * p + k * d
            for o, p, k, d in zip(out, self.padding, self.kernel, self.dilation, strict=True)
        )
        check_values((self.x.shape[0], self.c_out, *reach), "output (with its padding)")


# --------------------------------------------------------------------------- pooling


class PoolArgs:
    """A checked pooling call: kernel, stride (default: the kernel), padding, output size.

    Output length floor((L + 2P - K) / S) + 1; padding at most half the window (as torch).
    """

    def __init__(self, input, kernel_size, stride, padding, spatial: int):
        x = float_array(input)
        self.x, self.was_batched = batched(x, spatial)
        self.kernel, self.stride, self.padding = pool_window(kernel_size, stride, padding, spatial)
        out = []
        for a, (n, k, s, p) in enumerate(
            zip(self.x.shape[2:], self.kernel, self.stride, self.padding, strict=True)
        ):
            check_pool_padding(p, k)
            out.append(conv_out(n, k, s, p, p, 1, input_name(a, spatial)))
        self.out_spatial = tuple(out)
        lead = self.x.shape[:2]
        check_values(
            (*lead, *(n + 2 * p for n, p in zip(self.x.shape[2:], self.padding, strict=True))),
            "padded input",
        )
        check_values((*lead, *self.out_spatial), "output")


def pool_window(
    kernel_size: Any, stride: Any, padding: Any, spatial: int
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """A pool's (or unpool's) checked kernel, stride (default: the kernel) and padding."""
    kernel = size(kernel_size, spatial, "kernel_size")
    stride_ = size(G.pool_stride(kernel, stride), spatial, "stride")
    return kernel, stride_, size(padding, spatial, "padding", minimum=0)


def check_pool_padding(padding: int, kernel: int) -> None:
    """A pool's padding is at most half its window (as torch): a window never sees only pad."""
    if 2 * padding > kernel:
        raise OpError(f"padding {padding} must be at most half the window {kernel}")


def unpool_size(
    in_spatial: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    output_size: Any,
    leading: tuple[int, ...],
) -> tuple[int, ...]:
    """The spatial output size of a max unpool.

    Default (L - 1)*S - 2P + K; an explicit ``output_size`` (spatial sizes, or the full shape
    with the leading axes) must lie strictly within S of the default, as torch requires.
    """
    n = len(in_spatial)
    default = tuple(  # a transposed convolution's length with the pool's window
        G.transposed_length(length, k, s, p)
        for length, k, s, p in zip(in_spatial, kernel, stride, padding, strict=True)
    )
    if output_size is None:
        if any(d < 1 for d in default):
            raise OpError(f"padding {_show(padding)} leaves an empty output {_show(default)}")
        check_values((*leading, *default), "output")
        return default
    if isinstance(output_size, (Sequence, np.ndarray)) and not isinstance(output_size, str):
        items = list(output_size)
        if len(items) not in (n, n + len(leading)):
            raise OpError(
                f"output_size {tuple(items)} has {len(items)} values; expected {n} "
                f"(spatial) or {n + len(leading)} (full shape)"
            )
        if len(items) == n + len(leading):
            head = tuple(whole(v, "output_size", 0) for v in items[: len(leading)])
            if head != tuple(leading):
                raise OpError(
                    f"output_size {tuple(items)} does not start with the input's {tuple(leading)}"
                )
            items = items[len(leading) :]
        wanted = tuple(whole(v, "output_size", 1) for v in items)
    else:
        wanted = (whole(output_size, "output_size", 1),) * n
    for w, d, s in zip(wanted, default, stride, strict=True):
        if not d - s < w < d + s:
            raise OpError(
                f"output_size {w} is impossible: with this window and stride it must lie "
                f"strictly between {d - s} and {d + s}"
            )
    check_values((*leading, *wanted), "output")
    return wanted


def check_indices(indices: Any, shape: tuple[int, ...], out: tuple[int, ...]) -> np.ndarray:
    """Max-pool indices: integers, the input's shape, each inside the output plane ``out``."""
    plane = math.prod(out)
    try:
        idx = np.asarray(indices)
    except (TypeError, ValueError) as error:
        raise OpError(f"indices are not an array of integers ({error})") from None
    if idx.dtype.kind not in "iu":
        raise OpError(f"indices have dtype {idx.dtype}; expected integers")
    if tuple(idx.shape) != tuple(shape):
        raise OpError(f"indices have shape {tuple(idx.shape)} but the input has {tuple(shape)}")
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        if low < 0 or high >= plane:
            bad = low if low < 0 else high
            raise OpError(
                f"index {bad} lies outside the {' x '.join(map(str, out))} output "
                f"({plane} positions); pass the pooled input's size as output_size"
            )
    return idx.astype(np.int64, copy=False)


# --------------------------------------------------------------------------- others


def upsample_scale(x: np.ndarray, scale_factor: Any, n: int) -> tuple[int, ...]:
    """An upsampling's checked factors (one per axis) for the batched ``x``."""
    scale = size(scale_factor, n, "scale_factor")
    check_values(
        (*x.shape[:2], *(d * s for d, s in zip(x.shape[2:], scale, strict=True))), "output"
    )
    return scale


def upsample_dims(ndim: int, mode: Any, spatial_dims: Any) -> int:
    """How many spatial axes an upsample input has; refuses ambiguous or mismatched calls.

    'linear' is 1D and 'bilinear' 2D. 'nearest' works on both: a 2-axis input is (C, L) and
    a 4-axis input (N, C, H, W), but a 3-axis input could be (N, C, L) or (C, H, W), so
    there ``spatial_dims`` (1 or 2) must say which.
    """
    if mode not in ("nearest", "linear", "bilinear"):
        raise OpError(f"mode must be 'nearest', 'linear' or 'bilinear', got {mode!r}")
    if spatial_dims is not None:
        spatial_dims = check_spatial_dims(spatial_dims)
    implied = {"linear": 1, "bilinear": 2}.get(mode)
    if implied is not None:
        if spatial_dims is not None and spatial_dims != implied:
            raise OpError(f"mode '{mode}' is {implied}D but spatial_dims is {spatial_dims}")
        return implied
    if spatial_dims is not None:
        return spatial_dims
    if ndim == 2:
        return 1
    if ndim == 4:
        return 2
    if ndim == 3:
        raise OpError(
            "a 3-axis input is (N, C, L) or (C, H, W): pass spatial_dims=1 or 2 to say which"
        )
    raise OpError(f"input has {ndim} axes; expected 2 to 4")


def check_spatial_dims(value: Any) -> int:
    """1 or 2 (as an int: a bool or a float is refused)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value not in (1, 2):
        raise OpError(f"spatial_dims must be 1 or 2, got {value!r}")
    return int(value)


def check_p(p: Any) -> float:
    return real(p, "p", 0.0, 1.0)


def dropout_mask(shape: Any, p: Any, seed: Any = None) -> np.ndarray:
    """The keep-mask of dropout: each unit kept (True) with probability 1 - p.

    The same ``seed`` gives the same mask (numpy's default Generator); ``None`` draws afresh.
    """
    prob = check_p(p)
    if isinstance(shape, (Sequence, np.ndarray)) and not isinstance(shape, str):
        dims = tuple(whole(s, "shape", 0) for s in shape)
    else:
        dims = (whole(shape, "shape", 0),)
    rng = np.random.default_rng(None if seed is None else whole(seed, "seed", 0, None))
    return rng.random(dims) >= prob


def dropout_args(
    input: Any, p: Any, mask: Any, seed: Any, training: Any
) -> tuple[np.ndarray, np.ndarray | None, float]:
    """The checked input, the keep-mask (None when not training) and the scale 1/(1-p)."""
    x = float_array(input)
    prob = check_p(p)
    if not isinstance(training, (bool, np.bool_)):
        raise OpError(f"training must be True or False, got {training!r}")
    if mask is not None and seed is not None:
        raise OpError("pass a mask or a seed, not both")
    if not training:
        return x, None, 1.0
    if mask is None:
        keep = dropout_mask(x.shape, prob, seed)
    else:
        keep = np.asarray(mask)
        if keep.dtype != np.bool_:
            raise OpError(f"mask has dtype {keep.dtype}; expected bool (True = keep)")
        if keep.shape != x.shape:
            raise OpError(f"mask has shape {tuple(keep.shape)} but the input has {tuple(x.shape)}")
    scale = 0.0 if prob == 1.0 else 1.0 / (1.0 - prob)
    return x, keep, scale


def linear_args(
    input: Any, weight: Any, bias: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Checked ``linear`` arguments: x (..., D_in), W (D_out, D_in), b (D_out,)."""
    x = float_array(input)
    w = like(weight, x.dtype, "weight")
    if x.ndim < 1 or any(s <= 0 for s in x.shape):
        raise OpError(f"input shape {tuple(x.shape)} must have at least one non-empty axis")
    if w.ndim != 2 or any(s <= 0 for s in w.shape):
        raise OpError(f"weight has shape {tuple(w.shape)}; expected (D_out, D_in)")
    if w.shape[1] != x.shape[-1]:
        raise OpError(f"weight takes {w.shape[1]} inputs but the input has {x.shape[-1]} features")
    b = None if bias is None else like(bias, x.dtype, "bias")
    _check_bias(b, w.shape[0])
    return x, w, b


def flatten_checked(x: np.ndarray, batched: Any) -> np.ndarray:
    """(C, ...) -> (C*...,), or with ``batched`` (N, C, ...) -> (N, C*...)."""
    if not isinstance(batched, (bool, np.bool_)):
        raise OpError(f"batched must be True or False, got {batched!r}")
    if batched:
        if x.ndim < 2:
            raise OpError(f"a batched input needs at least 2 axes, got {tuple(x.shape)}")
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))
    if x.ndim < 1:
        raise OpError("input is a single number; flatten needs at least one axis")
    return x.reshape(-1)


def _show(t: tuple[int, ...]) -> str:
    return str(t[0]) if len(set(t)) == 1 else str(tuple(t))
