"""The general formula of a layer type in the book's notation, with one layer's numbers in.

``general_formula(spec, layer, in_shape, out_shape)`` writes what the layer computes (the
sum, window or copy and the input index each output position reads), its output length per
axis with the arithmetic filled in, and its output shape. Every number comes from
:mod:`engine.geometry`, and every filled-in line evaluates to the number it claims
(tests/engine/test_formula_truth.py evaluates them all and checks them against the engine's
shapes and a real forward pass).

Indices count from 0, as the maps' readout and the probe do, and the text says so (the
book counts from 1: its x_(i+j−2) for K = 3, P = 1 is x_(i+j−1) here). With P_left the
padding before an axis, output i of a convolution reads input S·i + D·j − P_left for tap
j = 0…K−1.
"""

from __future__ import annotations

import math

from . import geometry as G
from .errors import ShapeError, SpecError
from .spec import NetworkSpec

ACTIVATION_TITLES = {
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
}

INDEX_NOTE = "indices count from 0, as in the maps' readout (the book counts from 1)"

PADDING_READS = {
    "zeros": "zeros",
    "reflect": "reflect (the mirror image, the edge not repeated)",
    "replicate": "replicate (the edge value)",
    "circular": "circular (the other end of the input)",
}

# the letters of the output and tap indices along each axis, in 1D and 2D
OUT_LETTERS = {1: ("i",), 2: ("i", "j")}
TAP_LETTERS = {1: ("j",), 2: ("m", "n")}
AXIS_LETTERS = {1: ("L",), 2: ("H", "W")}


def general_formula(
    spec: NetworkSpec,
    layer: str,
    in_shape: tuple[int, ...] | None,
    out_shape: tuple[int, ...] | None,
) -> str:
    """The layer type's formula in the book's notation, with this layer's numbers filled in.

    ``in_shape`` / ``out_shape`` come from the engine's analysis (the widget never computes
    shapes); either may be None when the layer is in error.
    """
    ls = spec.layer(layer)
    writer = _WRITERS.get(ls.type)
    lines = writer(_Layer(ls, in_shape, out_shape)) if writer else []
    if any(_has_index(line) for line in lines):
        lines.append(INDEX_NOTE)
    if out_shape is not None:
        lines.append(f"output shape {_shape_text(out_shape)}")
    return "\n".join(lines)


class _Layer:
    """One layer's parameters and shapes, as the writers below read them."""

    def __init__(self, ls, in_shape, out_shape):
        self.spec = ls
        self.in_shape = tuple(in_shape) if in_shape else None
        self.out_shape = tuple(out_shape) if out_shape else None
        is_map = self.in_shape is not None and len(self.in_shape) in (2, 3)
        self.dims = len(self.in_shape) - 1 if is_map else 1

    def param(self, key: str):
        return self.spec.param(key)

    def axes(self, key: str) -> tuple[int, ...]:
        try:
            return tuple(int(v) for v in G.per_axis(self.param(key), self.dims, key))
        except ShapeError as error:
            raise SpecError(error.detail) from None

    def length(self, axis: int) -> int | None:
        """The input length along spatial ``axis`` (None when unknown)."""
        return self.in_shape[1 + axis] if self.in_shape else None

    def out(self, axis: int) -> int | None:
        shape = self.out_shape
        return shape[1 + axis] if shape and len(shape) == self.dims + 1 else None


# --------------------------------------------------------------------------- writers


def _conv(layer: _Layer) -> list[str]:
    dims = layer.dims
    k, s, d = layer.axes("kernel_size"), layer.axes("stride"), layer.axes("dilation")
    pads = G.conv_pads(layer.param("padding"), k, d)
    outs, taps = OUT_LETTERS[dims], TAP_LETTERS[dims]
    index = ",".join(_index_expr(outs[a], taps[a], s[a], d[a], pads[a][0]) for a in range(dims))
    lines = [
        f"z_{''.join(outs)} = β + Σ_c {' '.join('Σ_' + t for t in taps)} "
        f"ω_c{''.join(taps)} · x_c,{index}   ({_tap_ranges(taps, k)})"
    ]
    if layer.param("flip"):
        turned = ",".join(f"({kk - 1}−{t})" for kk, t in zip(k, taps, strict=True))
        what = "flipped" if dims == 1 else "turned by 180°"
        lines.append(f"true convolution: the kernel is {what}, ω_{''.join(taps)} → ω_{turned}")
    padding = layer.param("padding")
    if isinstance(padding, str) and padding == "same":
        lines.append(_same_line(pads))
    if any(before or after for before, after in pads):
        lines.append(f"an index outside the input reads the padding: {_mode(layer)}")
    for a in range(dims):
        lines.append(_conv_length_line(layer, a, k[a], s[a], d[a], pads[a]))
    return lines


def _conv_transpose(layer: _Layer) -> list[str]:
    dims = layer.dims
    k, s, d = layer.axes("kernel_size"), layer.axes("stride"), layer.axes("dilation")
    p, op = layer.axes("padding"), layer.axes("output_padding")
    ins, taps = OUT_LETTERS[dims], TAP_LETTERS[dims]
    target = ",".join(_index_expr(ins[a], taps[a], s[a], d[a], p[a]) for a in range(dims))
    lines = [
        f"each input position {','.join(ins)} adds ω_c{''.join(taps)} · x_c,{','.join(ins)} "
        f"to output position {target}   ({_tap_ranges(taps, k)})",
        "z = β + the sum of what lands on each output position",
    ]
    for a in range(dims):
        axis, length, out = AXIS_LETTERS[dims][a], layer.length(a), layer.out(a)
        formula = f"({axis} − 1)·S − 2P + D·(K − 1) + OP + 1"
        line = f"output {axis} = {formula}"
        if length is not None:
            filled = f"({length} − 1)·{s[a]} − 2·{p[a]} + {d[a]}·({k[a]} − 1) + {op[a]} + 1"
            line += f" = {filled} = {_claimed(out)}"
        lines.append(line)
    return lines


def _pool(layer: _Layer) -> list[str]:
    dims = layer.dims
    k = layer.axes("kernel_size")
    s = tuple(int(v) for v in G.per_axis(G.pool_stride(k, layer.param("stride")), dims))
    p = layer.axes("padding")
    op = "max" if layer.spec.type == "max_pool" else "mean"
    outs, taps = OUT_LETTERS[dims], TAP_LETTERS[dims]
    index = ",".join(_index_expr(outs[a], taps[a], s[a], 1, p[a]) for a in range(dims))
    stride_note = " = the window, the default" if layer.param("stride") is None else ""
    lines = [
        f"z_c,{''.join(outs)} = {op}_{','.join(taps)} x_c,{index}   "
        f"({_tap_ranges(taps, k)}; window {'×'.join(map(str, k))}, "
        f"stride {'×'.join(map(str, s))}{stride_note})"
    ]
    if any(p):
        lines.append(
            "an index outside the input is padding, which never wins the max"
            if op == "max"
            else "an index outside the input reads the zero padding, which counts in the mean"
        )
    for a in range(dims):
        axis, length, out = AXIS_LETTERS[dims][a], layer.length(a), layer.out(a)
        line = f"output {axis} = floor(({axis} + 2P − K)/S) + 1"
        if length is not None:
            line += f" = floor(({length} + 2·{p[a]} − {k[a]})/{s[a]}) + 1 = {_claimed(out)}"
        lines.append(line)
    return lines


def _blur_pool(layer: _Layer) -> list[str]:
    dims, k, s = layer.dims, int(layer.param("kernel_size")), int(layer.param("stride"))
    before, after = G.blur_pads(k)
    outs, taps = OUT_LETTERS[dims], TAP_LETTERS[dims]
    index = ",".join(_index_expr(outs[a], taps[a], s, 1, before) for a in range(dims))
    weights = " ".join(f"b_{t}" for t in taps)
    row = G.binomial_filter(k) * 2 ** (k - 1)
    taps_text = ", ".join(str(int(v)) for v in row)
    lines = [
        f"z_c,{''.join(outs)} = {' '.join('Σ_' + t for t in taps)} {weights} · x_c,{index}   "
        f"({_tap_ranges(taps, (k,) * dims)}; stride {s})",
        f"b = [{taps_text}]/{2 ** (k - 1)}: the binomial filter of {k} taps (a fixed low-pass, "
        "no learned weights), each channel on its own",
        f"padding P_left = {before}, P_right = {after} (K − 1 in total, the odd one on the "
        f"right); an index outside the input reads the padding: {_mode(layer)}",
    ]
    for a in range(dims):
        lines.append(_conv_length_line(layer, a, k, s, 1, (before, after)))
    return lines


def _subsample(layer: _Layer) -> list[str]:
    f, dims = int(layer.param("factor")), layer.dims
    outs = OUT_LETTERS[dims]
    index = ",".join(_index_expr(o, None, f, 1, 0) for o in outs)
    every = "every position" if f == 1 else f"every {_ordinal(f)} position from 0"
    lines = [f"z_c,{''.join(outs)} = x_c,{index}   (keep {every})"]
    for a in range(dims):
        axis, length = AXIS_LETTERS[dims][a], layer.length(a)
        line = f"output {axis} = ceil({axis}/f)"
        if length is not None:
            line += f" = ceil({length}/{f}) = {_claimed(layer.out(a))}"
        lines.append(line)
    return lines


def _upsample(layer: _Layer) -> list[str]:
    f, dims = int(layer.param("scale_factor")), layer.dims
    outs = OUT_LETTERS[dims]
    if layer.param("mode") == "nearest":
        index = ",".join(f"⌊{o}/{f}⌋" for o in outs)
        lines = [f"z_c,{''.join(outs)} = x_c,{index}   (each value repeated {f}×)"]
    else:
        lines = [
            "z_c,i = (1−λ)·x_c,k + λ·x_c,(k+1),  "
            f"k + λ = max((i + ½)/{f} − ½, 0)   (k + 1 stops at the last position)"
        ]
        if dims == 2:
            lines.append("the same along the columns with j; the weights multiply (bilinear)")
    for a in range(dims):
        axis, length = AXIS_LETTERS[dims][a], layer.length(a)
        line = f"output {axis} = {axis}·f"
        if length is not None:
            line += f" = {length}·{f} = {_claimed(layer.out(a))}"
        lines.append(line)
    return lines


def _linear(layer: _Layer) -> list[str]:
    d_out = layer.param("out_features")
    if layer.in_shape is None:
        return ["h_i = β_i + Σ_j ω_ij · x_j"]
    d_in = math.prod(layer.in_shape)
    return [f"h_i = β_i + Σ_j ω_ij · x_j   (j = 0…{d_in - 1}, i = 0…{d_out - 1})"]


def _flatten(layer: _Layer) -> list[str]:
    shape = layer.in_shape
    if shape is None or len(shape) == 1:
        return ["z_i = x_i   (already a vector)" if shape else "z: the channels laid end to end"]
    letters = ("c", "l") if len(shape) == 2 else ("c", "h", "w")
    strides = [math.prod(shape[a + 1 :]) for a in range(len(shape))]
    flat = "+".join(f"{st}{ch}" if st != 1 else ch for st, ch in zip(strides, letters, strict=True))
    return [f"z_({flat}) = x_{','.join(letters)}   (channels laid end to end)"]


def _global_avg_pool(layer: _Layer) -> list[str]:
    if layer.in_shape is None or len(layer.in_shape) < 2:
        return ["z_c = mean of channel c   (one value per channel)"]
    n = math.prod(layer.in_shape[1:])
    return [f"z_c = the mean of the {n} positions of x_c   (one value per channel)"]


def _activation(layer: _Layer) -> list[str]:
    f = layer.param("function")
    return [f"h = a[z],  a = {ACTIVATION_TITLES.get(f, f)}"]


def _fixed(text: str):
    return lambda layer: [text]


def _dropout(layer: _Layer) -> list[str]:
    p = layer.param("p")
    if layer.param("train"):
        keep = "∞" if p >= 1 else f"{1 / (1 - p):.4g}"
        return [
            f"training mode (seed {layer.param('seed')}): z = m · x / (1 − p), "
            f"m = 0 with probability p = {p}, else 1 (survivors × {keep})"
        ]
    return [f"z = x (training: each value 0 with probability {p}, else x/(1 − p))"]


_WRITERS = {
    "conv": _conv,
    "conv_transpose": _conv_transpose,
    "max_pool": _pool,
    "avg_pool": _pool,
    "subsample": _subsample,
    "blur_pool": _blur_pool,
    "upsample": _upsample,
    "linear": _linear,
    "flatten": _flatten,
    "global_avg_pool": _global_avg_pool,
    "activation": _activation,
    "dropout": _dropout,
    "max_unpool": _fixed("z = x at the position the max pool's winner came from; 0 elsewhere"),
    "add": _fixed("z = x + y   (a residual connection)"),
    "concat": _fixed("z = [x; y]   (channels of both, stacked)"),
}


# --------------------------------------------------------------------------- pieces


def _index_expr(out: str, tap: str | None, stride: int, dilation: int, before: int) -> str:
    """S·i + D·j − P_left as the book writes an index: (2i+2j−1), (i+j), (2i)."""
    text = out if stride == 1 else f"{stride}{out}"
    if tap is not None:
        text += "+" + (tap if dilation == 1 else f"{dilation}{tap}")
    if before:
        text += f"−{before}"
    return f"({text})"


def _has_index(line: str) -> bool:
    return "x_c," in line or "x_j" in line or "z_(" in line


def _tap_ranges(taps: tuple[str, ...], kernel: tuple[int, ...]) -> str:
    return ", ".join(f"{t} = 0…{k - 1}" for t, k in zip(taps, kernel, strict=True))


def _same_line(pads) -> str:
    """Both sides of 'same' padding, per axis: an even kernel pads one more on the right."""

    def sides(before: int, after: int) -> str:
        if before == after:
            return f"P = {before} on each side"
        return f"P_left = {before}, P_right = {after}"

    if len(pads) == 1:
        text = sides(*pads[0])
    else:
        text = "; ".join(f"{axis}: {sides(*pad)}" for axis, pad in zip("HW", pads, strict=True))
    if any(before != after for before, after in pads):
        text += " (the odd extra position goes on the right, as in torch)"
    return f"padding 'same': {text}"


def _mode(layer: _Layer) -> str:
    mode = layer.param("padding_mode")
    return PADDING_READS.get(mode, mode)


def _conv_length_line(layer: _Layer, axis: int, k: int, s: int, d: int, pad) -> str:
    name, length = AXIS_LETTERS[layer.dims][axis], layer.length(axis)
    before, after = pad
    if before == after:
        formula = f"floor(({name} + 2P − D·(K−1) − 1)/S) + 1"
        filled = f"floor(({length} + 2·{before} − {d}·({k}−1) − 1)/{s}) + 1"
    else:  # both sides, so the arithmetic shown is the arithmetic done
        formula = f"floor(({name} + P_left + P_right − D·(K−1) − 1)/S) + 1"
        filled = f"floor(({length} + {before} + {after} − {d}·({k}−1) − 1)/{s}) + 1"
    if length is None:
        return f"output {name} = {formula}"
    return f"output {name} = {formula} = {filled} = {_claimed(layer.out(axis))}"


def _claimed(out: int | None) -> str:
    return "—" if out is None else str(out)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"
