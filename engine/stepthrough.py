"""Step through one layer: the kernel sliding over the input, one step at a time (Qt-free).

``build_plan(spec, weights, trace, layer, channel)`` returns a :class:`StepPlan` for one
output channel of a layer of the network the trace ran. Its steps are, in raster order:

- convolution, pooling, subsampling, upsampling, max unpool: one step per **output
  position** (a *window* step). The step's taps are the input positions the window reads
  (padding cells included, with the value the padding mode puts there), each tap's product
  and the running result after it (a sum, a running maximum or a running sum for a mean),
  the bias, the output value, and the arithmetic text of the Formula panel
  (``engine.explain``'s :meth:`Explanation.format`), so both say exactly the same;
- transposed convolution: one step per **input position** (a *scatter* step): the position's
  values times the kernel land on the output positions S·i + D·j − P; positions outside the
  output are cropped by the padding. :meth:`StepPlan.accumulated` is the output as it
  stands after a step (the bias plus everything scattered so far), equal to the layer's
  output after the last step.

Steps are made when asked for (a plan of a 256×256 layer costs nothing until a step is
read). :func:`carry_step` keeps the current step across an edit where it still exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product

import numpy as np

from . import geometry as G
from . import ops
from .errors import EngineError
from .explain import Explanation, explain, fmt_num, per_axis
from .spec import NetworkSpec
from .trace import Trace

__all__ = [
    "STEPPABLE",
    "Step",
    "StepError",
    "StepPlan",
    "Tap",
    "Target",
    "build_plan",
    "carry_step",
]

# layer type -> how its steps go
STEPPABLE = {
    "conv": "window",
    "max_pool": "window",
    "avg_pool": "window",
    "subsample": "window",
    "blur_pool": "window",
    "upsample": "window",
    "max_unpool": "window",
    "conv_transpose": "scatter",
}


class StepError(EngineError):
    """The layer cannot be stepped through (its type, an error in the trace, ...)."""


@dataclass(frozen=True)
class Tap:
    """One input value a window step reads: ``position`` in input coordinates (outside
    0…L−1 it is a padding cell and ``padded`` is True), the weight it is multiplied by (1 for
    pools and copies), the product and the running result after it."""

    channel: int
    position: tuple[int, ...]
    value: float
    weight: float
    product: float
    running: float
    padded: bool
    source: str


@dataclass(frozen=True)
class Target:
    """Where a scatter step puts one product: output ``position`` (``cropped`` when the
    padding removes it from the output), from input channel ``channel`` and tap ``tap``."""

    channel: int
    tap: tuple[int, ...]
    position: tuple[int, ...]
    weight: float
    value: float
    contribution: float
    cropped: bool


@dataclass(frozen=True)
class Step:
    """One step. ``position`` is the output position written (window) or the input position
    scattering (scatter); ``value`` is the output value there (window) or the input value at
    the position in the plan's shown channel (scatter); ``text`` the step's arithmetic."""

    index: int
    kind: str  # "window" or "scatter"
    channel: int  # the output channel
    position: tuple[int, ...]
    combine: str  # "sum", "max", "mean", "copy" (window) or "scatter"
    taps: tuple[Tap, ...] = ()
    targets: tuple[Target, ...] = ()
    bias: float | None = None
    value: float = 0.0
    result: float = 0.0  # after the activation the formula wraps around it (= value without)
    winner: int | None = None  # max pool: index into taps
    text: str = ""
    explanation: Explanation | None = None


class StepPlan:
    """The steps of one output channel of one layer, made on demand."""

    def __init__(self, spec: NetworkSpec, weights, trace: Trace, layer: str, channel: int):
        if layer not in spec.names():
            raise StepError(f"there is no layer named '{layer}'")
        index = spec.index(layer)
        self.layer_spec = ls = spec.layers[index]
        if ls.type not in STEPPABLE:
            raise StepError(f"no step-through for layers of type '{ls.type}'")
        if layer in trace.errors:
            raise StepError(f"layer '{layer}' has an error: {trace.errors[layer]}")
        self.source = spec.inputs_of(index)[0]
        if layer not in trace.outputs or self.source not in trace.outputs:
            raise StepError(f"the trace holds no output for '{layer}'")
        self.spec, self.weights, self.trace = spec, weights, trace
        self.layer, self.type, self.kind = layer, ls.type, STEPPABLE[ls.type]
        self.input = trace.outputs[self.source]
        self.output = trace.outputs[layer]
        if self.input.ndim not in (2, 3) or self.output.ndim != self.input.ndim:
            raise StepError(f"'{layer}' has no spatial input to step through")
        self.dims = self.input.ndim - 1
        if not 0 <= int(channel) < self.output.shape[0]:
            raise StepError(f"channel {channel} lies outside 0…{self.output.shape[0] - 1}")
        self.channel = int(channel)
        self.padding = self._padding()
        self._cache: dict[int, Step] = {}

    # ----------------------------------------------------------------- shape of the plan
    @property
    def grid(self) -> tuple[int, ...]:
        """The spatial shape the steps run over (output for window, input for scatter)."""
        return tuple((self.output if self.kind == "window" else self.input).shape[1:])

    @property
    def count(self) -> int:
        return math.prod(self.grid)

    def position_of(self, index: int) -> tuple[int, ...]:
        if not 0 <= index < self.count:
            raise StepError(f"step {index} lies outside 0…{self.count - 1}")
        return tuple(int(i) for i in np.unravel_index(index, self.grid))

    def index_of(self, position) -> int | None:
        """The step at ``position`` (output for window, input for scatter), or None."""
        position = tuple(int(p) for p in position)
        if len(position) != self.dims or any(
            not 0 <= p < n for p, n in zip(position, self.grid, strict=True)
        ):
            return None
        return int(np.ravel_multi_index(position, self.grid))

    def input_channels(self) -> tuple[int, ...]:
        """The input channels this output channel reads (its group's for a conv)."""
        c_in = self.input.shape[0]
        if self.type in ("conv", "conv_transpose"):
            groups = int(self.layer_spec.param("groups"))
            c_out = self.output.shape[0]
            group = self.channel // (c_out // groups)
            per = c_in // groups
            return tuple(range(group * per, (group + 1) * per))
        return (self.channel,) if self.channel < c_in else ()

    # ----------------------------------------------------------------- padding
    def _padding(self) -> tuple[tuple[int, int], ...]:
        ls, dims = self.layer_spec, self.dims
        if self.type == "conv":
            kernel = self.weights[self.layer]["weight"].shape[2:]
            dilation = per_axis(ls.param("dilation"), dims, "dilation")
            return tuple(G.conv_pads(ls.param("padding"), kernel, dilation))
        if self.type in ("max_pool", "avg_pool"):
            return tuple((p, p) for p in per_axis(ls.param("padding"), dims, "padding"))
        if self.type == "blur_pool":
            return (G.blur_pads(int(ls.param("kernel_size"))),) * dims
        return ((0, 0),) * dims

    @property
    def padding_fill(self) -> str:
        """What the padding cells hold: a padding mode, 'zeros' or '−∞' (max pool)."""
        if self.type in ("conv", "blur_pool"):
            return str(self.layer_spec.param("padding_mode"))
        return "−∞" if self.type == "max_pool" else "zeros"

    def padded_input(self, channel: int) -> np.ndarray:
        """Input channel ``channel`` with its padding cells filled as the layer fills them
        (the padding mode's values; −inf for a max pool). Index it at position + before."""
        plane = self.input[channel].astype(np.float64)
        axes = []
        for a, (before, after) in enumerate(self.padding):
            n = plane.shape[a]
            pos = np.arange(-before, n + after)
            mode = self.padding_fill if self.type in ("conv", "blur_pool") else "zeros"
            axes.append(G.source_positions(pos, n, mode))
        src = np.ix_(*[np.where(s < 0, 0, s) for s in axes])
        out = plane[src]
        zero = np.zeros(out.shape, bool)
        for a, s in enumerate(axes):
            shape = [1] * self.dims
            shape[a] = -1
            zero |= (s < 0).reshape(shape)
        out = out.copy()
        out[zero] = -np.inf if self.type == "max_pool" else 0.0
        return out

    # ----------------------------------------------------------------- steps
    def has_step(self, index: int) -> bool:
        """True when step ``index`` is made already (reading it costs nothing)."""
        return int(index) in self._cache

    def step(self, index: int) -> Step:
        """Step ``index`` (made once and kept; safe to call from two threads)."""
        index = int(index)
        made = self._cache.get(index)
        if made is None:
            position = self.position_of(index)
            make = self._window if self.kind == "window" else self._scatter
            made = make(index, position)
            if len(self._cache) > 4096:
                self._cache = {}
            self._cache[index] = made
        return made

    def _window(self, index: int, position: tuple[int, ...]) -> Step:
        try:
            exp = explain(self.spec, self.weights, self.trace, self.layer, self.channel, position)
        except EngineError as error:
            raise StepError(str(error)) from None
        combine = exp.kind if exp.kind in ("sum", "max", "mean", "copy") else "copy"
        taps, running = [], 0.0
        if combine == "sum":
            running = exp.bias or 0.0
        for i, t in enumerate(exp.terms):
            prod = t.weight * t.value
            if combine == "sum":
                running += prod
            elif combine == "max":
                running = t.value if i == 0 else max(running, t.value)
            elif combine == "mean":
                running += t.value
            else:
                running = t.value
            taps.append(
                Tap(t.channel, t.position, t.value, t.weight, prod, running, t.padded, t.source)
            )
        return Step(
            index,
            "window",
            self.channel,
            position,
            combine,
            tuple(taps),
            (),
            exp.bias,
            exp.value,
            exp.result,
            exp.winner,
            exp.format(),
            exp,
        )

    def _scatter(self, index: int, position: tuple[int, ...]) -> Step:
        ls, dims = self.layer_spec, self.dims
        weight = self.weights[self.layer]["weight"]  # (C_in, C_out/groups, K...)
        kernel = weight.shape[2:]
        stride = per_axis(ls.param("stride"), dims, "stride")
        dilation = per_axis(ls.param("dilation"), dims, "dilation")
        pad = per_axis(ls.param("padding"), dims, "padding")
        oo = self.channel % weight.shape[1]
        out_shape = self.output.shape[1:]
        targets = []
        for ci in self.input_channels():
            x = float(self.input[(ci, *position)])
            for k in product(*(range(n) for n in kernel)):
                t = tuple(
                    int(G.tap_position(position[a], k[a], stride[a], dilation[a], pad[a]))
                    for a in range(dims)
                )
                w = float(weight[(ci, oo, *k)])
                cropped = any(not 0 <= p < n for p, n in zip(t, out_shape, strict=True))
                targets.append(Target(ci, k, t, w, x, w * x, cropped))
        b = self.weights[self.layer].get("bias") if ls.param("bias") else None
        bias = None if b is None else float(b[self.channel])
        shown = self.input_channels()[0]
        value = float(self.input[(shown, *position)])
        return Step(
            index,
            "scatter",
            self.channel,
            position,
            "scatter",
            (),
            tuple(targets),
            bias,
            value,
            value,
            None,
            _scatter_text(self.source, self.channel, position, targets),
        )

    def accumulated(self, index: int) -> np.ndarray:
        """Scatter plans: the output channel after steps 0…``index`` (the bias plus every
        product scattered so far); ``index`` −1 is the bias alone. Equal to the layer's output
        after the last step."""
        if self.kind != "scatter":
            raise StepError("only a transposed convolution accumulates its output")
        ls, dims = self.layer_spec, self.dims
        mask = np.zeros(self.count, np.float32)
        mask[: index + 1] = 1.0
        x = self.input * mask.reshape(self.grid)[None]
        w = self.weights[self.layer]
        b = w.get("bias") if ls.param("bias") else None
        fn = ops.conv_transpose1d if dims == 1 else ops.conv_transpose2d
        out = fn(
            x,
            w["weight"],
            b,
            per_axis(ls.param("stride"), dims, "stride"),
            per_axis(ls.param("padding"), dims, "padding"),
            per_axis(ls.param("output_padding"), dims, "output_padding"),
            int(ls.param("groups")),
            per_axis(ls.param("dilation"), dims, "dilation"),
        )
        return np.asarray(out[self.channel])

    def scatter_extent(self) -> tuple[tuple[int, int], ...]:
        """Scatter plans: per axis the output positions ``(first, stop)`` the drawing spans:
        from −P (cropped by the padding) to the farthest position a kernel tap reaches
        (S·(L−1) + D·(K−1) − P) or the output's last position, whichever is further."""
        if self.kind != "scatter":
            raise StepError("only a transposed convolution scatters")
        ls, dims = self.layer_spec, self.dims
        kernel = self.weights[self.layer]["weight"].shape[2:]
        stride = per_axis(ls.param("stride"), dims, "stride")
        dilation = per_axis(ls.param("dilation"), dims, "dilation")
        pad = per_axis(ls.param("padding"), dims, "padding")
        out = []
        for a in range(dims):
            reach = stride[a] * (self.input.shape[1 + a] - 1) + dilation[a] * (kernel[a] - 1)
            out.append((-pad[a], max(reach - pad[a], self.output.shape[1 + a] - 1) + 1))
        return tuple(out)

    def overlaps(self, index: int) -> np.ndarray:
        """Scatter plans: how many of the input positions of steps 0…``index`` wrote each
        output position, over :meth:`scatter_extent` (cell 0 is position −P). A count above 1
        is an overlap: there the output sums several scaled kernels."""
        extent = self.scatter_extent()
        ls, dims = self.layer_spec, self.dims
        kernel = self.weights[self.layer]["weight"].shape[2:]
        stride = per_axis(ls.param("stride"), dims, "stride")
        dilation = per_axis(ls.param("dilation"), dims, "dilation")
        counts = np.zeros(tuple(stop - first for first, stop in extent), np.int32)
        done = np.zeros(self.count, np.int32)
        done[: max(index + 1, 0)] = 1
        done = done.reshape(self.grid)
        for k in product(*(range(n) for n in kernel)):
            # tap k of input position i lands on S·i + D·k − P: cell S·i + D·k
            where = tuple(
                slice(dilation[a] * k[a], dilation[a] * k[a] + stride[a] * (n - 1) + 1, stride[a])
                for a, n in enumerate(self.grid)
            )
            counts[where] += done
        return counts

    def output_padding_cells(self) -> np.ndarray:
        """Scatter plans: True on the output positions that ``output_padding`` adds (the last
        output_padding rows/columns of each axis), over :meth:`scatter_extent`."""
        extent = self.scatter_extent()
        extra = per_axis(self.layer_spec.param("output_padding"), self.dims, "output_padding")
        mask = np.zeros(tuple(stop - first for first, stop in extent), bool)
        for a, ((first, _stop), op) in enumerate(zip(extent, extra, strict=True)):
            if op <= 0:
                continue
            n = self.output.shape[1 + a]
            index = [slice(None)] * self.dims
            index[a] = slice(n - op - first, n - first)
            mask[tuple(index)] = True
        return mask

    def written(self, index: int) -> np.ndarray:
        """Window plans: a boolean map of the output positions written by steps 0…index."""
        done = np.zeros(self.count, bool)
        done[: index + 1] = True
        return done.reshape(self.grid)


def _scatter_text(source: str, channel: int, position, targets: list[Target]) -> str:
    """``x[c, i] = v scatters into z[o]: z[o, t] += (ω·v), …`` (cropped targets said)."""
    at = ", ".join(str(p) for p in position)
    chans = sorted({t.channel for t in targets})
    head = ", ".join(
        f"{source}[{c}, {at}] = {fmt_num(next(t.value for t in targets if t.channel == c))}"
        for c in chans[:2]
    )
    if len(chans) > 2:
        head += f", … ({len(chans) - 2} more channels)"
    parts = []
    for t in targets[:4]:
        where = ", ".join(str(p) for p in t.position)
        gone = " (cropped)" if t.cropped else ""
        parts.append(f"z[{channel}, {where}] += ({fmt_num(t.weight)}·{fmt_num(t.value)}){gone}")
    if len(targets) > 5:
        parts.append(f"… ({len(targets) - 5} more)")
    if len(targets) > 4:
        t = targets[-1]
        where = ", ".join(str(p) for p in t.position)
        gone = " (cropped)" if t.cropped else ""
        parts.append(f"z[{channel}, {where}] += ({fmt_num(t.weight)}·{fmt_num(t.value)}){gone}")
    return f"{head} scatters: " + "; ".join(parts)


def build_plan(spec: NetworkSpec, weights, trace: Trace, layer: str, channel: int = 0) -> StepPlan:
    """The steps of output ``channel`` of ``layer`` (raises :class:`StepError`)."""
    try:
        return StepPlan(spec, weights, trace, layer, channel)
    except StepError:
        raise
    except (EngineError, KeyError, IndexError) as error:
        raise StepError(f"cannot step through '{layer}': {error}") from None


def carry_step(old: StepPlan | None, index: int, new: StepPlan) -> int:
    """The step of ``new`` at the position ``old``'s step ``index`` showed, when it still
    exists there (the same kind of step); else the nearest step by number."""
    if new.count == 0:
        return 0
    if old is not None and old.kind == new.kind and 0 <= index < old.count:
        found = new.index_of(old.position_of(index))
        if found is not None:
            return found
    return min(max(index, 0), new.count - 1)
