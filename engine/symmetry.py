"""Invariance and equivariance, measured layer by layer (the symmetry lab's numbers).

A function f is *invariant* to a transformation t when f(t(x)) = f(x) and *equivariant*
when f(t(x)) = t(f(x)). For layer l of a network the lab compares its output on the
transformed input, f_l(t(x)), with

- t_l(f_l(x)): the transform carried to layer l's grid; a shift s becomes s divided by the
  product of the strides before l and multiplied by the upsampling factors. When that is not
  a whole number, t_l is *not defined* (the report says why, e.g. "shift 1 is half a
  position here"). Vector layers (after flatten, global pooling, linear) have no grid: no
  equivariance error;
- f_l(x) itself.

equivariance error = ||f_l(t x) - t_l(f_l x)||_2 / ||f_l x||_2,
invariance error   = ||f_l(t x) - f_l x||_2 / ||f_l x||_2.

Where ||f_l x|| is 0 the report says so (``note``) and gives no number. A transform here is
a flip per spatial axis, then a quarter turn (images only), then a shift with wrap or zero
fill, in that order; carried to a layer the flips and turns stay as they are and only the
shift is rescaled. The forward passes are :func:`engine.network.forward`'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np

from . import geometry as G
from .errors import DataError, EngineError
from .graph import plan
from .network import Weights, analyze, check_input, forward
from .spec import INPUT, LayerSpec, NetworkSpec
from .trace import Trace

FILLS = ("wrap", "zeros")
Scale = tuple[Fraction, ...]  # positions of this layer's grid per input position, per axis


# --------------------------------------------------------------------------- transforms


@dataclass(frozen=True)
class Transform:
    """flip (per spatial axis) -> rotate by ``quarter_turns`` x 90 deg -> shift.

    ``shift`` is one whole number per spatial axis in axis order: ``(dx,)`` for a signal,
    ``(dy, dx)`` for an image (positive moves content down / right). ``fill`` says what
    enters at the edge a shift vacates: ``"wrap"`` (what left at the other edge) or
    ``"zeros"``. Build one with :func:`shift`, :func:`flip` or :func:`rot90`.
    """

    shift: tuple[int, ...] = ()
    fill: str = "wrap"
    flips: tuple[bool, ...] = ()
    quarter_turns: int = 0

    def __post_init__(self):
        if self.fill not in FILLS:
            raise DataError(f"the fill must be one of {', '.join(FILLS)}; got {self.fill!r}")
        for s in self.shift:
            if isinstance(s, bool) or not isinstance(s, int | np.integer):
                raise DataError(f"a shift is whole positions; got {self.shift!r}")
        object.__setattr__(self, "shift", tuple(int(s) for s in self.shift))
        object.__setattr__(self, "flips", tuple(bool(f) for f in self.flips))
        object.__setattr__(self, "quarter_turns", int(self.quarter_turns) % 4)

    @property
    def is_identity(self) -> bool:
        return not any(self.shift) and not any(self.flips) and self.quarter_turns == 0

    def describe(self) -> str:
        parts = []
        if any(self.flips):
            names = ("x",) if len(self.flips) == 1 else ("y", "x")
            axes = [n for n, f in zip(names, self.flips, strict=False) if f]
            parts.append("flip " + " and ".join(axes))
        if self.quarter_turns:
            parts.append(f"rotate {90 * self.quarter_turns}°")
        if any(self.shift):
            if len(self.shift) == 1:
                parts.append(f"shift {self.shift[0]} ({self.fill})")
            else:
                parts.append(f"shift dx {self.shift[1]}, dy {self.shift[0]} ({self.fill})")
        return ", ".join(parts) or "identity"

    def to_dict(self) -> dict[str, Any]:
        return {
            "shift": list(self.shift),
            "fill": self.fill,
            "flips": list(self.flips),
            "quarter_turns": self.quarter_turns,
            "text": self.describe(),
        }

    def apply(self, x: np.ndarray) -> np.ndarray:
        """The transformed map (C, L) or (C, H, W), float32; DataError when it cannot apply."""
        x = np.asarray(x)
        if x.ndim not in (2, 3):
            raise DataError(f"a transform needs a map (C, L) or (C, H, W); got {x.shape}")
        n = x.ndim - 1
        shift = self.shift or (0,) * n
        flips = self.flips or (False,) * n
        if len(shift) != n or len(flips) != n:
            raise DataError(
                f"the transform has {len(shift)} shift and {len(flips)} flip values "
                f"but the map has {n} spatial axes"
            )
        out = x
        for axis, f in enumerate(flips, start=1):
            if f:
                out = np.flip(out, axis=axis)
        if self.quarter_turns:
            if n != 2:
                raise DataError("a rotation by 90° needs an image (two spatial axes)")
            if out.shape[1] != out.shape[2]:
                raise DataError(
                    f"a rotation by 90° needs a square map; got {out.shape[1]}×{out.shape[2]}"
                )
            out = np.rot90(out, self.quarter_turns, axes=(1, 2))
        moved = [(axis, s) for axis, s in enumerate(shift, start=1) if s]
        if moved:  # one copy: np.roll over every shifted axis at once
            out = np.roll(out, [s for _, s in moved], axis=[a for a, _ in moved])
        else:
            out = out.copy()
        if out.dtype != np.float32:
            out = out.astype(np.float32)
        if self.fill == "zeros":
            for axis, s in moved:
                index = [slice(None)] * x.ndim
                size = out.shape[axis]
                index[axis] = slice(0, min(s, size)) if s > 0 else slice(max(size + s, 0), size)
                out[tuple(index)] = 0.0
        return np.ascontiguousarray(out)


def shift(dx: int, dy: int | None = None, fill: str = "wrap") -> Transform:
    """A shift by ``dx`` (and ``dy`` for an image) whole positions."""
    return Transform(shift=(dx,) if dy is None else (dy, dx), fill=fill)


def flip(axes: tuple[bool, ...]) -> Transform:
    """Mirror the spatial axes marked True (axis order: (x,) or (y, x))."""
    return Transform(flips=tuple(axes))


def rot90(quarter_turns: int = 1) -> Transform:
    """Rotate an image by ``quarter_turns`` x 90° (counter-clockwise, numpy's rot90)."""
    return Transform(quarter_turns=quarter_turns)


# --------------------------------------------------------------------------- grids


def _fraction_text(value: Fraction) -> str:
    if value == Fraction(1, 2):
        return "half a position"
    if value.numerator == 1:
        return f"a {_ordinal(value.denominator)} of a position"
    return f"{value.numerator}/{value.denominator} positions"


def _ordinal(n: int) -> str:
    return {3: "third", 4: "quarter"}.get(n, f"1/{n}")


def grid_scales(spec: NetworkSpec, input_shape=None) -> dict[str, Scale | None | str]:
    """Per layer: its grid positions per input position on each axis (a Fraction), None for
    a vector layer, or a text when the layer has no single grid (an error, or an add of two
    grids that do not match)."""
    analysis = analyze(spec, input_shape)
    n = len(analysis.input_shape) - 1
    scales: dict[str, Scale | None | str] = {INPUT: (Fraction(1),) * n}
    shapes = {info.name: info.out_shape for info in analysis.layers}
    nodes = plan(spec)
    by_name = {node.name: node for node in nodes}
    for node, info in zip(nodes, analysis.layers, strict=True):
        if info.error is not None or node.params is None:
            scales[node.name] = f"the layer cannot run: {info.error}"
            continue
        if shapes[node.name] is None or len(shapes[node.name]) < 2:
            scales[node.name] = None
            continue
        scales[node.name] = _node_scale(node, scales, n, by_name)
    del scales[INPUT]
    return scales


def _node_scale(node, scales, n: int, by_name) -> Scale | None | str:
    ins = [scales.get(name) for name in node.inputs]
    if any(isinstance(s, str) for s in ins):
        return next(s for s in ins if isinstance(s, str))
    if any(s is None for s in ins):
        return None
    if len(set(ins)) > 1:
        return "its inputs come from grids of different strides"
    base = ins[0]
    kind, p = node.layer.type, node.params
    factor: tuple[Fraction, ...] = (Fraction(1),) * n
    if kind == "conv":
        factor = tuple(Fraction(1, s) for s in G.per_axis(p["stride"], n))
    elif kind in ("max_pool", "avg_pool"):
        stride = G.pool_stride(p["kernel_size"], p["stride"])
        factor = tuple(Fraction(1, s) for s in G.per_axis(stride, n))
    elif kind == "subsample":
        factor = tuple(Fraction(1, s) for s in G.per_axis(p["factor"], n))
    elif kind == "blur_pool":
        factor = tuple(Fraction(1, s) for s in G.per_axis(p["stride"], n))
    elif kind == "conv_transpose":
        factor = tuple(Fraction(s) for s in G.per_axis(p["stride"], n))
    elif kind == "upsample":
        factor = tuple(Fraction(s) for s in G.per_axis(p["scale_factor"], n))
    elif kind == "max_unpool":  # undoes its pool's stride
        pool = by_name[p["pool"]].params
        stride = G.pool_stride(pool["kernel_size"], pool["stride"])
        factor = tuple(Fraction(s) for s in G.per_axis(stride, n))
    return tuple(b * f for b, f in zip(base, factor, strict=True))


def carry(transform: Transform, scale: Scale | None | str) -> tuple[Transform | None, str | None]:
    """The transform on a layer's grid, or (None, why it is not defined there)."""
    if scale is None:
        return None, "a vector has no positions to move"
    if isinstance(scale, str):
        return None, scale
    shifts = []
    for s, k in zip(transform.shift or (0,) * len(scale), scale, strict=True):
        moved = s * k
        if moved.denominator != 1:
            stride = f"the strides before it multiply to {1 / k}" if k < 1 else f"scale {k}"
            return None, f"shift {s} is {_fraction_text(moved)} here ({stride})"
        shifts.append(int(moved))
    return replace(transform, shift=tuple(shifts)), None


# --------------------------------------------------------------------------- measuring


@dataclass
class LayerSymmetry:
    """One layer's numbers; ``shift`` is the carried shift (None: not defined or a vector)."""

    name: str
    type: str
    shape: tuple[int, ...] | None
    shift: tuple[int, ...] | None
    equivariance_error: float | None
    invariance_error: float | None
    note: str | None = None  # why a number is missing
    f_tx: np.ndarray | None = field(default=None, repr=False)  # f_l(t(x))
    t_fx: np.ndarray | None = field(default=None, repr=False)  # t_l(f_l(x)), when defined
    f_x: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "shape": None if self.shape is None else list(self.shape),
            "shift": None if self.shift is None else list(self.shift),
            "equivariance_error": self.equivariance_error,
            "invariance_error": self.invariance_error,
            "note": self.note,
        }


@dataclass
class SymmetryReport:
    transform: Transform
    layers: list[LayerSymmetry]
    probabilities: np.ndarray | None = None  # softmax of the class scores on t(x)

    def layer(self, name: str) -> LayerSymmetry:
        return next(layer for layer in self.layers if layer.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "transform": self.transform.to_dict(),
            "layers": [layer.to_dict() for layer in self.layers],
        }


def norm(a: np.ndarray) -> float:
    """||a||_2 (the sum of squares in float64 for float64 maps, else in the map's type)."""
    flat = np.ascontiguousarray(a).ravel()
    return math.sqrt(float(np.dot(flat, flat)))


def relative_error(a: np.ndarray, b: np.ndarray, base: np.ndarray | float) -> float | None:
    """||a - b|| / ||base||, or None when ||base|| is 0 (``base`` may be that norm)."""
    denominator = base if isinstance(base, float) else norm(base)
    if denominator == 0.0:
        return None
    return norm(np.subtract(a, b)) / denominator


def _transformed_input(transform: Transform, x: np.ndarray) -> np.ndarray:
    x = check_input(x)
    if x.ndim == 1:
        raise DataError("the input is a vector: there is nothing to shift, flip or rotate")
    return transform.apply(x)


def measure(
    spec: NetworkSpec,
    weights: Weights,
    x: np.ndarray,
    transform: Transform,
    *,
    keep_maps: bool = True,
    base: Trace | None = None,
    _cache: dict | None = None,
) -> SymmetryReport:
    """Both errors for every layer, in network order (``base``: a trace of ``x`` to reuse)."""
    x = check_input(x)
    tx = _transformed_input(transform, x)
    cache = _cache if _cache is not None else {}
    if "scales" not in cache:
        cache["scales"] = grid_scales(spec, x.shape)
        cache["norms"] = {}
    scales, norms = cache["scales"], cache["norms"]
    plain = base if base is not None else forward(spec, weights, x)
    moved = forward(spec, weights, tx)
    layers = [
        _layer_symmetry(name, kind, plain, moved, transform, scales.get(name), keep_maps, norms)
        for name, kind in ((layer.name, layer.type) for layer in spec.layers)
    ]
    return SymmetryReport(transform, layers, class_probabilities(spec, moved))


def _layer_symmetry(
    name, kind, plain: Trace, moved: Trace, transform, scale, keep, norms
) -> LayerSymmetry:
    fx, ftx = plain.outputs.get(name), moved.outputs.get(name)
    if fx is None or ftx is None:
        error = plain.errors.get(name) or moved.errors.get(name)
        why = f"the layer did not run: {error}" if error else "the layer did not run"
        return LayerSymmetry(name, kind, None, None, None, None, why)
    carried, why = carry(transform, scale)
    t_fx = None
    if carried is not None:
        try:
            t_fx = carried.apply(fx)
        except EngineError as error:
            carried, why = None, str(error)
    notes = [why] if why and scale is not None else []
    if name not in norms:
        norms[name] = norm(fx)
    if norms[name] == 0.0:
        notes.append("‖f(x)‖ is 0 here: no relative error")
    eq = None if t_fx is None else relative_error(ftx, t_fx, norms[name])
    inv = relative_error(ftx, fx, norms[name])
    return LayerSymmetry(
        name,
        kind,
        tuple(fx.shape),
        None if carried is None else carried.shift or (0,) * (fx.ndim - 1),
        eq,
        inv,
        "; ".join(notes) or None,
        ftx if keep else None,
        t_fx if keep else None,
        fx if keep else None,
    )


def class_probabilities(spec: NetworkSpec, trace: Trace) -> np.ndarray | None:
    """Softmax of the last layer's output when it is a vector of 2 or more class scores."""
    if not spec.layers:
        return None
    out = trace.outputs.get(spec.layers[-1].name)
    if out is None or out.ndim != 1 or out.size < 2:
        return None
    z = np.asarray(out, np.float64) - float(np.max(out))
    e = np.exp(z)
    return e / e.sum()


# --------------------------------------------------------------------------- sweep


@dataclass
class Sweep:
    """Both errors per layer for shifts 0..N along ``direction`` (None: not defined)."""

    shifts: list[int]
    direction: tuple[int, ...]
    fill: str
    equivariance: dict[str, list[float | None]]
    invariance: dict[str, list[float | None]]
    probabilities: np.ndarray | None = None  # (shifts, classes) or None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "shifts": self.shifts,
            "direction": list(self.direction),
            "fill": self.fill,
            "layers": [
                {
                    "name": n,
                    "equivariance_error": self.equivariance[n],
                    "invariance_error": self.invariance[n],
                }
                for n in self.equivariance
            ],
        }
        if self.probabilities is not None:
            d["probabilities"] = self.probabilities.tolist()
        return d


def sweep(
    spec: NetworkSpec,
    weights: Weights,
    x: np.ndarray,
    n: int,
    *,
    fill: str = "wrap",
    direction: tuple[int, ...] | None = None,
) -> Sweep:
    """Shift by s * direction for s = 0..n (direction: one step along the last axis)."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 4096:
        raise DataError(f"the sweep needs a whole number of shifts from 0 to 4096; got {n!r}")
    x = check_input(x)
    dims = x.ndim - 1
    direction = direction or (0,) * (dims - 1) + (1,)
    if len(direction) != dims:
        raise DataError(f"the sweep direction needs {dims} values; got {direction!r}")
    plain = forward(spec, weights, x)
    names = [layer.name for layer in spec.layers]
    eq: dict[str, list] = {name: [] for name in names}
    inv: dict[str, list] = {name: [] for name in names}
    probs = []
    cache: dict = {}
    for s in range(n + 1):
        t = Transform(shift=tuple(s * d for d in direction), fill=fill)
        report = measure(spec, weights, x, t, keep_maps=False, base=plain, _cache=cache)
        for layer in report.layers:
            eq[layer.name].append(layer.equivariance_error)
            inv[layer.name].append(layer.invariance_error)
        if report.probabilities is not None:
            probs.append(report.probabilities)
    probabilities = np.stack(probs) if probs and len(probs) == n + 1 else None
    return Sweep(list(range(n + 1)), tuple(direction), fill, eq, inv, probabilities)


def sweep_period(spec: NetworkSpec, name: str, input_shape=None) -> int | None:
    """The smallest shift along the last axis carried to a whole shift at ``name``."""
    scale = grid_scales(spec, input_shape).get(name)
    if not isinstance(scale, tuple):
        return None
    return scale[-1].denominator if scale[-1] < 1 else 1


# --------------------------------------------------------------------------- lessons


@dataclass(frozen=True)
class Lesson:
    """A network that demonstrates one point, the lab's fill for it, and what to look for."""

    name: str
    title: str
    caption: str
    fill: str
    layers: tuple[LayerSpec, ...]

    def spec(self, input_shape=(1, 64, 64)) -> NetworkSpec:
        """The lesson's network (dimension-agnostic: it fits a signal or an image)."""
        return NetworkSpec(self.layers, tuple(input_shape), self.name, self.caption)


def _c(name: str, out: int, mode: str = "circular") -> LayerSpec:
    return LayerSpec(
        name, "conv", {"out_channels": out, "kernel_size": 3, "padding": 1, "padding_mode": mode}
    )


def _r(name: str) -> LayerSpec:
    return LayerSpec(name, "activation", {"function": "relu"})


def _pool(name: str) -> LayerSpec:
    return LayerSpec(name, "max_pool", {"kernel_size": 2})


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "circular-stack",
        "Circular stack",
        "Circular padding and wrapped shifts: the equivariance error is 0 at every layer.",
        "wrap",
        (_c("conv1", 8), _r("relu1"), _c("conv2", 8), _r("relu2")),
    ),
    Lesson(
        "zero-padding",
        "Zero padding",
        "Zero padding breaks equivariance at the borders: the difference map is 0 inside.",
        "zeros",
        (_c("conv1", 8, "zeros"), _r("relu1"), _c("conv2", 8, "zeros"), _r("relu2")),
    ),
    Lesson(
        "pooling-stack",
        "Pooling stack",
        "Two stride-2 pools: exact only for shifts divisible by 4; the sweep shows the period.",
        "wrap",
        (_c("conv1", 8), _r("relu1"), _pool("pool1"), _c("conv2", 8), _r("relu2"), _pool("pool2")),
    ),
    Lesson(
        "blur-pool",
        "Blur pool vs max pool",
        "Shift by 1: 'maxpool' (K2 S2) changes a lot; 'blur' (max pool K2 S1, then a blur "
        "pool S2) much less (Zhang 2019).",
        "wrap",
        (
            _c("conv1", 8),
            _r("relu1"),
            LayerSpec("maxpool", "max_pool", {"kernel_size": 2}),
            LayerSpec("max_s1", "max_pool", {"kernel_size": 2, "stride": 1}, ("relu1",)),
            LayerSpec("blur", "blur_pool", {"kernel_size": 3, "stride": 2}),
        ),
    ),
    Lesson(
        "gap-classifier",
        "GAP classifier",
        "Global average pooling after circular convs: invariant, flat class probabilities.",
        "wrap",
        (
            _c("conv1", 8),
            _r("relu1"),
            _c("conv2", 8),
            _r("relu2"),
            LayerSpec("gap", "global_avg_pool"),
            LayerSpec("scores", "linear", {"out_features": 4}),
        ),
    ),
)


def lesson(name: str) -> Lesson:
    for item in LESSONS:
        if item.name == name:
            return item
    raise DataError(f"there is no lesson {name!r}; known: {', '.join(x.name for x in LESSONS)}")


__all__ = [
    "FILLS", "LESSONS", "Lesson", "LayerSymmetry", "lesson", "Sweep", "SymmetryReport",
    "Transform", "carry", "channel_maps",
    "class_probabilities", "flip", "grid_scales", "measure", "relative_error", "rot90",
    "shift", "sweep", "sweep_period",
]  # fmt: skip


def channel_maps(layer: LayerSymmetry, channel: int) -> dict[str, Any]:
    """One channel's f(t x), t(f x) and their difference, with shared display ranges.

    ``levels`` is the (low, high) range both maps share; the difference is drawn on the
    same magnitude, ``(-m, m)`` with ``m = max(|low|, |high|)``, so a small difference looks
    small. ``t_fx`` and ``difference`` are None where t_l is not defined.
    """
    if layer.f_tx is None or layer.f_tx.ndim < 2:
        return {"f_tx": None, "t_fx": None, "difference": None, "levels": None, "max_diff": None}
    c = min(max(int(channel), 0), layer.f_tx.shape[0] - 1)
    f_tx = np.ascontiguousarray(layer.f_tx[c], np.float32)
    t_fx = None if layer.t_fx is None else np.ascontiguousarray(layer.t_fx[c], np.float32)
    both = [f_tx] if t_fx is None else [f_tx, t_fx]
    low = float(min(a.min() for a in both))
    high = float(max(a.max() for a in both))
    if high <= low:
        high = low + 1.0
    diff = None if t_fx is None else f_tx - t_fx
    return {
        "channel": c,
        "f_tx": f_tx,
        "t_fx": t_fx,
        "difference": diff,
        "levels": (low, high),
        "diff_levels": (-max(abs(low), abs(high)), max(abs(low), abs(high))),
        "max_diff": None if diff is None else float(np.abs(diff).max()),
    }
