"""The arithmetic behind one output value, with the actual numbers (Qt-free).

``explain(spec, weights, trace, layer, channel, position)`` returns an :class:`Explanation`:
the terms (weight, input value, input position, input channel) that make the value, the
bias, the sum, the activation the book wraps around it (``h = a[β + Σ ω x]`` when the next
layer is an activation) and the result, which equals the trace value. ``Explanation.format``
writes it as one line, abbreviating long sums while the numbers stay exact.

``general_formula`` (from :mod:`engine.formulas`, importable from here too) writes the layer
type's formula in the book's notation with the layer's numbers filled in. Positions count
from 0 in both, as in the maps' readout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import product

import numpy as np

from . import geometry as G
from .errors import EngineError, ShapeError
from .formulas import ACTIVATION_TITLES, general_formula
from .spec import INPUT, LAYER_TYPES, NetworkSpec
from .trace import Trace

__all__ = ["Explanation", "ExplainError", "Term", "explain", "fmt_num", "general_formula"]

KEEP_TERMS = 256  # longer sums (a linear layer on a big map) keep only their ends as terms


class ExplainError(EngineError):
    """The value cannot be explained (no trace for the layer, position out of range, ...)."""


@dataclass(frozen=True)
class Term:
    """One product ``weight · value`` of a weighted sum (weight 1 for copies and pools).

    ``position`` is the input position the kernel touches, in input coordinates (it may lie
    outside the input: then ``padded`` is True and ``value`` is what the padding supplies,
    0 for zero padding). ``weight_index`` indexes the layer's ``weight`` array (None when
    the term has no learned weight).
    """

    weight: float
    value: float
    position: tuple[int, ...]
    channel: int
    padded: bool = False
    weight_index: tuple[int, ...] | None = None
    source: str = INPUT  # the layer (or "input") the value comes from


@dataclass
class Explanation:
    """How one value of one layer's output came about.

    ``kind`` says how the terms combine: ``"sum"`` (bias + Σ weight·value: conv, transposed
    conv, linear, interpolation), ``"max"`` (``winner`` is the term that won), ``"mean"``,
    ``"copy"`` (one term passed through: subsample, nearest upsample, flatten, dropout,
    unpool), ``"add"`` or ``"activation"`` (the activation applied to one term).
    """

    layer: str
    layer_type: str
    channel: int
    position: tuple[int, ...]
    kind: str
    terms: list[Term] = field(default_factory=list)
    bias: float | None = None
    pre_activation: float = 0.0  # what the terms combine to (bias included)
    value: float = 0.0  # the layer's own output value from the trace
    activation: str | None = None  # the activation function wrapped around it
    activation_layer: str | None = None  # the layer that applies it
    negative_slope: float = 0.01
    result: float = 0.0  # the value after the wrapped activation (= value without one)
    winner: int | None = None  # max pool: index into terms
    count: int = 0  # mean pool: the divisor
    note: str = ""
    omitted: int = 0  # terms left out before the last one (very long sums; see KEEP_TERMS)

    @property
    def n_terms(self) -> int:
        """How many terms the value really has (``terms`` may hold only the ends)."""
        return len(self.terms) + self.omitted

    def format(self, max_terms: int = 4, digits: int = 3) -> str:
        """One line of arithmetic, e.g. ``h[2, 14, 9] = ReLU[0.1 + (0.5·1.2) + … ] = 0.73``.

        Sums with more than ``max_terms`` + 1 terms show the first ``max_terms``, an ellipsis
        and the last term; every number shown is the exact number used.
        """
        n = lambda v: fmt_num(v, digits)  # noqa: E731
        where = ", ".join(str(i) for i in (self.channel, *self.position))
        symbol = "h" if self.activation else ("z" if self.kind == "sum" else "y")
        lhs = f"{symbol}[{where}]"
        if self.kind == "sum":
            parts = [f"({n(t.weight)}·{n(t.value)})" for t in self.terms]
            parts = _abbreviate(parts, max_terms, self.omitted)
            if self.bias is not None:
                parts.insert(0, n(self.bias))
            inner = " + ".join(parts) if parts else "0"
        elif self.kind in ("max", "mean"):
            shown = [
                n(t.value) + ("*" if i == self.winner else "") for i, t in enumerate(self.terms)
            ]
            body = ", ".join(_abbreviate(shown, max_terms, self.omitted))
            inner = f"{self.kind}[{body}]"
            if self.kind == "mean":
                inner += f" = {n(self.pre_activation * self.count)}/{self.count}"
        elif self.kind == "add":
            inner = " + ".join(n(t.value) for t in self.terms)
        elif self.kind == "copy":
            t = self.terms[0]
            src = ", ".join(str(i) for i in (t.channel, *t.position))
            inner = f"{t.source}[{src}]" + (" (padding)" if t.padded else "")
            inner += f" = {n(t.value)}" if not t.padded else ""
        else:  # a bare activation
            inner = n(self.terms[0].value)
        if self.activation:
            title = ACTIVATION_TITLES.get(self.activation, self.activation)
            if self.kind == "activation":
                return f"{lhs} = {title}[{inner}] = {n(self.result)}"
            return (
                f"{lhs} = {title}[{inner}] = {title}[{n(self.pre_activation)}] = {n(self.result)}"
            )
        return f"{lhs} = {inner} = {n(self.result)}"


def fmt_num(value: float, digits: int = 3) -> str:
    """A short readable number with a true minus sign: 0.73, −0.25, 1.2e−05."""
    v = float(value)
    if v == 0.0:
        return "0"
    if not math.isfinite(v):
        return str(v).replace("-", "−")
    if 1e-3 <= abs(v) < 1e5:
        text = f"{v:.{digits}f}".rstrip("0").rstrip(".")
        if text in ("", "-0", "0"):
            text = f"{v:.{digits}g}"
    else:
        text = f"{v:.{digits}g}"
    return text.replace("-", "−")


def _abbreviate(parts: list[str], max_terms: int, omitted: int = 0) -> list[str]:
    """The first ``max_terms`` parts, an ellipsis counting what is hidden, the last part."""
    if len(parts) <= max_terms + 1 and not omitted:
        return parts
    hidden = len(parts) - min(max_terms, len(parts) - 1) - 1 + omitted
    return [*parts[: min(max_terms, len(parts) - 1)], f"… ({hidden} more)", parts[-1]]


def per_axis(value, dims: int, name: str = "size") -> tuple[int, ...]:
    """A layer parameter (an int or one per axis) as a tuple of ``dims`` ints."""
    try:
        return tuple(int(v) for v in G.per_axis(value, dims, name))
    except ShapeError as error:
        raise ExplainError(error.detail) from None


def conv_padding(padding, kernel, dilation) -> tuple[int, ...]:
    """Left (leading) padding per axis; 'same' pads D·(K−1) in total, the extra one at the end."""
    return tuple(before for before, _ in G.conv_pads(padding, kernel, dilation))


def _output(trace: Trace, name: str) -> np.ndarray:
    if name in trace.errors:
        raise ExplainError(f"layer '{name}' has an error: {trace.errors[name]}")
    if name not in trace.outputs:
        raise ExplainError(f"the trace holds no output for '{name}'")
    return trace.outputs[name]


def _next_activation(spec: NetworkSpec, index: int):
    """The activation layer right after ``index`` that reads it, or None."""
    if index + 1 >= len(spec.layers):
        return None
    nxt = spec.layers[index + 1]
    if nxt.type == "activation" and spec.inputs_of(index + 1) == (spec.layers[index].name,):
        return nxt
    return None


def explain(
    spec: NetworkSpec,
    weights: dict[str, dict[str, np.ndarray]],
    trace: Trace,
    layer: str,
    channel: int,
    position: tuple[int, ...],
) -> Explanation:
    """The terms, bias, sum, activation and result behind one value of ``trace.outputs[layer]``.

    For a vector output ``(D,)`` the unit is ``channel`` (with ``position == ()``) or
    ``position[0]``. An activation layer that reads a weighted layer is explained as
    ``a[β + Σ ω x]`` of that layer; a weighted layer followed by an activation wraps it.
    Raises :class:`ExplainError` when the value does not exist.
    """
    position = tuple(int(p) for p in position)
    index = spec.index(layer)
    ls = spec.layers[index]
    out = _output(trace, layer)
    where = _locate(out, channel, position)
    value = float(out[where])
    if ls.type == "activation":
        (src,) = spec.inputs_of(index)
        if src != INPUT:
            src_index = spec.index(src)
            if LAYER_TYPES[spec.layers[src_index].type].has_weights:
                inner = explain(spec, weights, trace, src, channel, position)
                if inner.activation_layer == layer:
                    return inner
    exp = _explain_own(spec, weights, trace, index, where, value)
    exp.layer, exp.layer_type, exp.value = layer, ls.type, value
    exp.channel, exp.position = int(where[0]), tuple(int(p) for p in where[1:])
    exp.result = value
    act = _next_activation(spec, index) if exp.kind == "sum" else None
    if act is not None and act.name in trace.outputs:
        exp.activation = act.param("function")
        exp.activation_layer = act.name
        exp.negative_slope = float(act.param("negative_slope"))
        exp.result = float(trace.outputs[act.name][where])
    return exp


def _locate(out: np.ndarray, channel: int, position: tuple[int, ...]) -> tuple[int, ...]:
    if out.ndim == 1 and not position:
        where = (int(channel),)
    elif out.ndim == 1:
        where = (int(position[0]),)
    else:
        where = (int(channel), *position)
    if len(where) != out.ndim or any(not 0 <= w < s for w, s in zip(where, out.shape, strict=True)):
        raise ExplainError(f"position {where} lies outside the output of shape {out.shape}")
    return where


def _explain_own(spec, weights, trace, index, where, value) -> Explanation:
    ls = spec.layers[index]
    sources = spec.inputs_of(index)
    inputs = [_output(trace, s) for s in sources]
    x, source = inputs[0], sources[0]
    base = dict(layer=ls.name, layer_type=ls.type, channel=where[0], position=where[1:])
    t = ls.type
    if t == "conv":
        return _conv(ls, weights.get(ls.name, {}), x, source, where, base)
    if t == "conv_transpose":
        return _conv_transpose(ls, weights.get(ls.name, {}), x, source, where, base)
    if t == "linear":
        return _linear(ls, weights, x, source, where, base)
    if t in ("max_pool", "avg_pool"):
        return _pool(ls, x, source, where, base)
    if t == "activation":
        return _activation(ls, x, source, where, base)
    if t == "blur_pool":
        return _blur_pool(ls, x, source, where, base)
    if t == "subsample":
        f = int(ls.param("factor"))
        return _copy(base, x, (where[0], *(p * f for p in where[1:])), source)
    if t == "upsample":
        return _upsample(ls, x, source, where, base)
    if t == "dropout":
        if ls.param("train") and ls.name in trace.indices:
            return _dropout_train(ls, trace.indices[ls.name], x, source, where, base)
        return _copy(
            base, x, where, source, note="dropout passes values unchanged when not training"
        )
    if t == "flatten":
        return _copy(base, x, _unravel(where[0], x.shape), source)
    if t == "global_avg_pool":
        return _global_mean(x, source, where, base)
    if t == "max_unpool":
        return _unpool(ls, trace, x, source, where, base)
    if t == "add":
        return _add(inputs, sources, where, base)
    if t == "concat":
        c, first = where[0], inputs[0].shape[0]
        if c < first:
            return _copy(base, inputs[0], where, sources[0])
        return _copy(base, inputs[1], (c - first, *where[1:]), sources[1])
    raise ExplainError(f"no explanation for layers of type '{t}'")


def _linear(ls, weights, x: np.ndarray, source: str, where, base) -> Explanation:
    w = weights[ls.name]["weight"]
    b = _bias(ls, weights.get(ls.name, {}), where[0])
    flat = x.reshape(-1)
    keep = _kept(flat.size)
    terms = [
        Term(float(w[where[0], j]), float(flat[j]), (j,), j, False, (where[0], j), source)
        for j in keep
    ]
    exp = _sum(base, terms, b)
    if len(keep) < flat.size:  # the sum over all terms, exactly as float64 (fsum-free)
        exp.omitted = flat.size - len(keep)
        row = w[where[0]].astype(np.float64)
        exp.pre_activation = (b or 0.0) + float(np.dot(row, flat.astype(np.float64)))
    return exp


def _activation(ls, x: np.ndarray, source: str, where, base) -> Explanation:
    term = Term(1.0, float(x[where]), where[1:], where[0], source=source)
    return Explanation(
        **base,
        kind="activation",
        terms=[term],
        pre_activation=term.value,
        activation=ls.param("function"),
        activation_layer=ls.name,
        negative_slope=float(ls.param("negative_slope")),
    )


def _global_mean(x: np.ndarray, source: str, where, base) -> Explanation:
    c = where[0]
    plane = x[c]
    keep = _kept(plane.size)
    terms = [
        Term(1.0, float(plane.flat[i]), _unravel(i, plane.shape), c, source=source) for i in keep
    ]
    exp = Explanation(**base, kind="mean", terms=terms, count=plane.size)
    exp.omitted = plane.size - len(keep)
    exp.pre_activation = float(plane.astype(np.float64).mean())
    return exp


def _unpool(ls, trace: Trace, x: np.ndarray, source: str, where, base) -> Explanation:
    """The pooled value whose maximum came from this position, or 0 when none did."""
    pool = ls.param("pool")
    idx = trace.indices.get(pool)
    if idx is None:
        raise ExplainError(f"the trace holds no indices for max pool '{pool}'")
    flat_pos = int(np.ravel_multi_index(where[1:], trace.outputs[ls.name].shape[1:]))
    hits = np.flatnonzero(idx[where[0]].reshape(-1) == flat_pos)
    if hits.size == 0:
        exp = Explanation(**base, kind="copy", note="no pooled maximum came from here: 0")
        exp.terms = [Term(1.0, 0.0, where[1:], where[0], True, None, pool)]
        return exp
    src = _unravel(int(hits[0]), idx.shape[1:])
    return _copy(base, x, (where[0], *src), source)


def _add(inputs, sources, where, base) -> Explanation:
    terms = [
        Term(1.0, float(inp[where]), where[1:], where[0], source=s)
        for inp, s in zip(inputs, sources, strict=True)
    ]
    exp = Explanation(**base, kind="add", terms=terms)
    exp.pre_activation = sum(tt.value for tt in terms)
    return exp


def _unravel(i: int, shape) -> tuple[int, ...]:
    return tuple(int(v) for v in np.unravel_index(i, shape))


def _kept(n: int) -> list[int]:
    """Indices of the terms kept of ``n``: all, or the first KEEP_TERMS − 1 and the last."""
    if n <= KEEP_TERMS:
        return list(range(n))
    return [*range(KEEP_TERMS - 1), n - 1]


def _bias(ls, w: dict, out_channel: int) -> float | None:
    if not ls.param("bias"):
        return None
    b = w.get("bias")
    return None if b is None else float(b[out_channel])


def _sum(base: dict, terms: list[Term], bias: float | None) -> Explanation:
    exp = Explanation(**base, kind="sum", terms=terms, bias=bias)
    # float64 accumulation: the explained value matches the float32 trace to rounding
    exp.pre_activation = (bias or 0.0) + math.fsum(t.weight * t.value for t in terms)
    return exp


def _dropout_train(ls, keep: np.ndarray, x: np.ndarray, source: str, where, base):
    """Training mode: the mask's unit times 1/(1 - p), or 0 where the mask drops it."""
    p = float(ls.param("p"))
    kept = bool(keep[where])
    scale = (0.0 if p >= 1 else 1.0 / (1.0 - p)) if kept else 0.0
    term = Term(
        scale, float(x[where]), tuple(int(i) for i in where[1:]), int(where[0]), source=source
    )
    seed = ls.param("seed")
    note = (
        f"training mode: kept by the mask (seed {seed}), scaled by 1/(1 − p) = {scale:.4g}"
        if kept
        else f"training mode: dropped by the mask (seed {seed}, p = {p:g}): 0"
    )
    exp = Explanation(**base, kind="sum", terms=[term], note=note)
    exp.pre_activation = np.float32(scale) * np.float32(term.value) if kept else 0.0
    return exp


def _copy(base: dict, x: np.ndarray, src: tuple[int, ...], source: str, note: str = ""):
    term = Term(1.0, float(x[src]), tuple(int(i) for i in src[1:]), int(src[0]), source=source)
    exp = Explanation(**base, kind="copy", terms=[term], note=note)
    exp.pre_activation = term.value
    return exp


def _conv(ls, w: dict, x: np.ndarray, source: str, where, base) -> Explanation:
    weight = w["weight"]
    dims = x.ndim - 1
    kernel = tuple(weight.shape[2:])
    stride = per_axis(ls.param("stride"), dims, "stride")
    dilation = per_axis(ls.param("dilation"), dims, "dilation")
    pad = conv_padding(ls.param("padding"), kernel, dilation)
    mode = ls.param("padding_mode")
    flip = bool(ls.param("flip"))
    groups = int(ls.param("groups"))
    c_out = weight.shape[0]
    c_in_g = weight.shape[1]
    o = where[0]
    group = o // (c_out // groups)
    # per axis and tap: the padded position the tap reads, and where its value comes from
    taps = [
        G.tap_position(where[1 + a], np.arange(kernel[a]), stride[a], dilation[a], pad[a])
        for a in range(dims)
    ]
    sources = [G.source_positions(t, n, mode) for t, n in zip(taps, x.shape[1:], strict=True)]
    terms = []
    for ci in range(c_in_g):
        c = group * c_in_g + ci
        for k in product(*(range(n) for n in kernel)):
            pos = tuple(int(taps[a][k[a]]) for a in range(dims))
            src = tuple(int(sources[a][k[a]]) for a in range(dims))
            padded = any(s < 0 for s in src)  # zero padding
            val = 0.0 if padded else float(x[(c, *src)])
            padded = padded or src != pos
            wk = tuple(n - 1 - kk for kk, n in zip(k, kernel, strict=True)) if flip else k
            widx = (o, ci, *wk)
            terms.append(Term(float(weight[widx]), val, pos, c, padded, widx, source))
    return _sum(base, terms, _bias(ls, w, o))


def _conv_transpose(ls, w: dict, x: np.ndarray, source: str, where, base) -> Explanation:
    weight = w["weight"]  # (C_in, C_out/groups, K...)
    dims = x.ndim - 1
    kernel = tuple(weight.shape[2:])
    stride = per_axis(ls.param("stride"), dims, "stride")
    dilation = per_axis(ls.param("dilation"), dims, "dilation")
    pad = per_axis(ls.param("padding"), dims, "padding")
    groups = int(ls.param("groups"))
    c_in = weight.shape[0]
    c_out_g = weight.shape[1]
    o = where[0]
    group, oo = divmod(o, c_out_g)
    c_in_g = c_in // groups
    spatial = x.shape[1:]
    terms = []
    for ci in range(group * c_in_g, (group + 1) * c_in_g):
        for k in product(*(range(n) for n in kernel)):
            p = tuple(
                G.transposed_source(where[1 + a], k[a], stride[a], dilation[a], pad[a], spatial[a])
                for a in range(dims)
            )
            if None not in p:
                widx = (ci, oo, *k)
                terms.append(
                    Term(float(weight[widx]), float(x[(ci, *p)]), p, ci, False, widx, source)
                )
    return _sum(base, terms, _bias(ls, w, o))


def _pool(ls, x: np.ndarray, source: str, where, base) -> Explanation:
    dims = x.ndim - 1
    kernel = per_axis(ls.param("kernel_size"), dims, "kernel_size")
    stride = per_axis(G.pool_stride(kernel, ls.param("stride")), dims, "stride")
    pad = per_axis(ls.param("padding"), dims, "padding")
    spatial = x.shape[1:]
    c = where[0]
    terms = []
    for k in product(*(range(n) for n in kernel)):
        pos = tuple(G.tap_position(where[1 + a], k[a], stride[a], 1, pad[a]) for a in range(dims))
        inside = all(0 <= p < n for p, n in zip(pos, spatial, strict=True))
        if inside:
            terms.append(Term(1.0, float(x[(c, *pos)]), pos, c, source=source))
        elif ls.type == "avg_pool":  # zero padding counts in the mean (torch's default)
            terms.append(Term(1.0, 0.0, pos, c, True, source=source))
    if ls.type == "max_pool":
        winner = max(range(len(terms)), key=lambda i: terms[i].value)  # first maximum wins
        exp = Explanation(**base, kind="max", terms=terms, winner=winner)
        exp.pre_activation = terms[winner].value
        return exp
    exp = Explanation(**base, kind="mean", terms=terms, count=len(terms))
    exp.pre_activation = math.fsum(t.value for t in terms) / len(terms)
    return exp


def _blur_pool(ls, x: np.ndarray, source: str, where, base) -> Explanation:
    """Σ b_j·x over the window, b the binomial filter (its product on both axes); no bias
    and no learned weight: ``weight_index`` stays None."""
    dims = x.ndim - 1
    k = int(ls.param("kernel_size"))
    stride = int(ls.param("stride"))
    mode = ls.param("padding_mode")
    taps_b = G.binomial_filter(k)
    before = G.blur_pads(k)[0]
    c = where[0]
    taps = [G.tap_position(where[1 + a], np.arange(k), stride, 1, before) for a in range(dims)]
    sources = [G.source_positions(t, n, mode) for t, n in zip(taps, x.shape[1:], strict=True)]
    terms = []
    for j in product(range(k), repeat=dims):
        pos = tuple(int(taps[a][j[a]]) for a in range(dims))
        src = tuple(int(sources[a][j[a]]) for a in range(dims))
        zero = any(s < 0 for s in src)
        val = 0.0 if zero else float(x[(c, *src)])
        weight = math.prod(float(taps_b[jj]) for jj in j)
        terms.append(Term(weight, val, pos, c, zero or src != pos, None, source))
    return _sum(base, terms, None)


def _upsample(ls, x: np.ndarray, source: str, where, base) -> Explanation:
    dims = x.ndim - 1
    f = int(ls.param("scale_factor"))
    mode = ls.param("mode")
    spatial = x.shape[1:]
    c = where[0]
    if mode == "nearest":
        src = (c, *(p // f for p in where[1:]))
        return _copy(base, x, src, source)
    # linear / bilinear, align_corners=False: source coordinate (o + ½)/f − ½, clamped at 0
    axes = []
    for a in range(dims):
        coord = max((where[1 + a] + 0.5) / f - 0.5, 0.0)
        i0 = min(int(math.floor(coord)), spatial[a] - 1)
        i1 = min(i0 + 1, spatial[a] - 1)
        lam = coord - i0
        axes.append(((i0, 1.0 - lam), (i1, lam)))
    terms = []
    for combo in product(*axes):
        pos = tuple(i for i, _ in combo)
        wgt = math.prod(wt for _, wt in combo)
        terms.append(Term(wgt, float(x[(c, *pos)]), pos, c, source=source))
    return _sum(base, terms, None)
