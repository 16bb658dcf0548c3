"""Running networks: analysis (shapes, counts, errors per layer), weights, forward passes.

A layer that cannot work gets its own located error ("layer 3 'conv2': ..."); the layers that
read it get a :class:`~engine.errors.DependencyError`; layers that do not depend on it still
work. Nothing here raises for a bad layer; only a bad network input (shape or array) raises.
"""

from __future__ import annotations

import math
import numbers
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import numpy as np

from . import incremental as inc
from . import layers as L
from .errors import EngineError, OpError, ShapeError, SpecError
from .graph import LayerInfo, Node, check_input_shape, plan, walk
from .receptive import receptive_field_sizes
from .spec import INPUT, LAYER_TYPES, NetworkSpec
from .trace import Trace

__all__ = [  # the graph's names stay importable from here (engine.graph holds them)
    "Analysis", "LayerInfo", "Node", "Totals", "Weights", "analyze", "check_input",
    "check_input_shape", "forward", "init_weights", "plan", "reconcile_weights",
]  # fmt: skip

Shape = tuple[int, ...]
Weights = dict[str, dict[str, np.ndarray]]


# --------------------------------------------------------------------------- analysis


@dataclass(frozen=True)
class Totals:
    """Whole-network sums.

    ``fc_parameters`` adds up the fully connected equivalents of the layers that have weights
    (convolutions, transposed convolutions, linear layers): what a fully connected network
    with the same hidden sizes would need. For the book's MNIST-1D CNN that is 59,065, the
    parameter count of its fully connected comparison. Parameter-free layers (activations,
    pooling, flatten, ...) would not exist in such a network, so they do not count here.
    """

    parameters: int = 0
    fc_parameters: int = 0
    macs: int = 0


@dataclass
class Analysis:
    input_shape: Shape
    layers: list[LayerInfo]
    total: Totals

    @property
    def ok(self) -> bool:
        return all(info.error is None for info in self.layers)

    def layer(self, name: str) -> LayerInfo:
        for info in self.layers:
            if info.name == name:
                return info
        raise SpecError(f"there is no layer named '{name}'")

    def first_error(self) -> EngineError | None:
        return next((info.error for info in self.layers if info.error is not None), None)

    @property
    def out_shape(self) -> Shape | None:
        return self.layers[-1].out_shape if self.layers else self.input_shape


def analyze(spec: NetworkSpec, input_shape: Shape | None = None) -> Analysis:
    """Shapes, parameter counts, FC counts, MACs, receptive fields and errors per layer."""
    shape = check_input_shape(spec.input_shape if input_shape is None else input_shape)
    nodes = plan(spec)
    infos = [info for _, info in walk(shape, nodes)]
    fields = receptive_field_sizes(nodes, infos, shape)
    for info in infos:
        info.receptive_field = fields.get(info.name)
    ok = [i for i in infos if i.error is None]
    weighted = [i for i in ok if LAYER_TYPES[i.type].has_weights]
    total = Totals(
        sum(i.parameters for i in ok),
        sum(i.fc_parameters for i in weighted),
        sum(i.macs for i in ok),
    )
    return Analysis(shape, infos, total)


# --------------------------------------------------------------------------- weights


def _rng(seed: int, name: str) -> np.random.Generator:
    # Seeded per layer name: adding or editing one layer leaves the others' draws alone.
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(name.encode())])


def _init_layer(name: str, shapes: dict[str, Shape], seed: int) -> dict[str, np.ndarray]:
    """torch's default init: kaiming_uniform(a=sqrt(5)) weights, uniform bias, both with
    bound 1/sqrt(fan_in), fan_in = size of the weight's axes after the first."""
    rng = _rng(seed, name)
    w_shape = shapes["weight"]
    fan_in = math.prod(w_shape[1:])
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    out = {"weight": rng.uniform(-bound, bound, w_shape).astype(np.float32)}
    if "bias" in shapes:
        out["bias"] = rng.uniform(-bound, bound, shapes["bias"]).astype(np.float32)
    return out


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise SpecError(f"seed must be a whole number >= 0; got {seed!r}")
    return int(seed)


def init_weights(spec: NetworkSpec, input_shape: Shape | None = None, seed: int = 0) -> Weights:
    """Fresh float32 weights for every layer that has them and can be built (deterministic).

    Layers with an error get none (forward then reports them).
    """
    seed = _check_seed(seed)
    analysis = analyze(spec, input_shape)
    return {
        info.name: _init_layer(info.name, info.weight_shapes, seed)
        for info in analysis.layers
        if info.error is None and info.weight_shapes
    }


def reconcile_weights(
    spec: NetworkSpec, weights: Weights, input_shape: Shape | None = None, seed: int = 0
) -> Weights:
    """Keep every array whose shape still fits; initialise the rest (after a layer edit)."""
    seed = _check_seed(seed)
    analysis = analyze(spec, input_shape)
    out: Weights = {}
    for info in analysis.layers:
        if info.error is not None or not info.weight_shapes:
            continue
        old = weights.get(info.name) or {} if isinstance(weights, dict) else {}
        keep = {
            k: old[k]
            for k, s in info.weight_shapes.items()
            if isinstance(old.get(k), np.ndarray) and tuple(old[k].shape) == s
        }
        if len(keep) < len(info.weight_shapes):
            fresh = _init_layer(info.name, info.weight_shapes, seed)
            keep = {k: keep.get(k, fresh[k]) for k in info.weight_shapes}
        out[info.name] = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in keep.items()}
    return out


# --------------------------------------------------------------------------- forward


def check_input(x: Any) -> np.ndarray:
    """The network input as float32 C-contiguous (C, L) / (C, H, W) / (D,), or SpecError."""
    if not isinstance(x, np.ndarray):
        raise SpecError(f"the input must be a numpy array; got {type(x).__name__}")
    if x.dtype.kind not in "fiub":
        raise SpecError(f"the input has dtype {x.dtype}; expected numbers")
    check_input_shape(x.shape)
    return np.ascontiguousarray(x, dtype=np.float32)


def forward(
    spec: NetworkSpec,
    weights: Weights,
    x: np.ndarray,
    *,
    start_from: str | None = None,
    previous: Trace | None = None,
    training: bool = False,
    dropout_seed: int = 0,
    on_output: Callable[[str, np.ndarray], None] | None = None,
) -> Trace:
    """Run the network on one input ``x`` (no batch axis) and keep every layer's output.

    With ``start_from`` and ``previous`` (an earlier trace of the same input), the outputs of
    layers that do not depend on ``start_from`` are reused and only the rest is computed.
    Dropout is the identity unless ``training`` (then its keep-mask is drawn from
    ``dropout_seed`` and the layer's position) or its own ``train`` parameter is set (the
    lab's view: the mask is ``ops.dropout_mask(shape, p, seed)`` of its ``seed`` parameter);
    either way the keep-mask is stored in ``trace.indices``. A max pool's
    indices are computed in the pass only when a max unpool reads them; otherwise
    ``trace.indices[name]`` computes them on first access. ``on_output(name, output,
    changed)`` is called as soon as each layer's output is computed (not for reused ones),
    e.g. to show it before the whole pass ends; ``changed`` is its
    ``trace.changed_channels`` entry or None.

    With ``previous``, a layer that runs again with the same inputs, parameters and
    weights keeps its old output, and only the channels an edit changed are tracked and,
    where that is exact, recomputed (see :mod:`engine.incremental`): the numbers equal a
    full pass's bit for bit. So replace weight arrays rather than change them in place
    after a pass (the document's arrays are read-only).
    """
    x = check_input(x)
    nodes = plan(spec)
    from .budget import check_budget  # late: budget imports graph, which network imports

    check_budget(spec, x.shape, nodes=nodes)  # bound the pass as a whole, before computing
    dirty = _dirty_layers(nodes, start_from, previous, x)
    run = _Pass(nodes, weights, previous, dirty, training, dropout_seed, on_output)
    run.trace.outputs[INPUT] = x
    for node in nodes:
        run.step(node)
    run.trace.params = run.params_of
    return run.trace


def _dirty_layers(nodes: list[Node], start_from, previous: Trace | None, x) -> set[str] | None:
    """``start_from`` and every layer that depends on it, or None when there is no earlier
    pass of an input of the same shape to reuse."""
    if start_from is None or previous is None:
        return None
    old_input = previous.outputs.get(INPUT)
    if old_input is None or old_input.shape != x.shape:
        return None
    dirty = {start_from}
    for node in nodes:
        if any(d in dirty for d in node.deps):
            dirty.add(node.name)
    return dirty


class _Pass:
    """One forward pass under way: the trace it fills, and what it may take from ``previous``.

    :meth:`step` handles one layer: it records a spec error, skips a layer whose input
    failed, keeps an output that cannot have changed, or computes it (whole, or only the
    changed channels).
    """

    def __init__(self, nodes: list[Node], weights, previous, dirty, training, seed, on_output):
        self.trace = Trace()
        self.weights = weights
        self.previous: Trace | None = previous
        self.dirty: set[str] | None = dirty  # None: nothing to reuse
        self.training = training
        self.dropout_seed = seed
        self.on_output = on_output
        self.params_of: dict[str, dict] = {}
        self.by_name = {node.name: node for node in nodes}
        # Pools whose indices this pass itself needs; the others' are computed when read.
        self.unpooled = {
            node.params["pool"]
            for node in nodes
            if node.error is None and node.layer.type == "max_unpool"
        }
        self.down: set[str] = set()  # layers that failed or were skipped
        self.incremental = dirty is not None and not training
        if self.incremental:
            self.trace.changed_since = previous.serial

    def step(self, node: Node) -> None:
        name, trace = node.name, self.trace
        if node.error is not None:
            trace.errors[name] = node.error
            self.down.add(name)
            return
        if any(d in self.down for d in node.deps):
            trace.skipped.append(name)
            self.down.add(name)
            return
        self.params_of[name] = node.params
        trace.deps[name] = tuple(node.deps)
        layer_weights = self.weights.get(name) if isinstance(self.weights, dict) else None
        # A copy of the layer's dict: a caller may put new arrays into the same dict.
        trace.weights[name] = None if layer_weights is None else dict(layer_weights)
        changed, unchanged = self._what_changed(node, layer_weights)
        if unchanged:
            self._reuse(name)
        else:
            self._compute(node, changed)

    def _what_changed(self, node: Node, layer_weights) -> tuple[frozenset[int] | None, bool]:
        """(the channels that may have changed or None, whether the old output stays)."""
        name, previous = node.name, self.previous
        if self.incremental and name in previous.outputs:
            # Checked for every layer, not only those after start_from: a layer is kept
            # only when its inputs, parameters and weights are what they were.
            changed = _changed_channels(node, layer_weights, self.trace, previous)
            return changed, changed == frozenset()
        dirty = self.dirty
        return None, dirty is not None and name not in dirty and name in previous.outputs

    def _reuse(self, name: str) -> None:
        trace, previous = self.trace, self.previous
        trace.outputs[name] = previous.outputs[name]
        if name in previous.indices:
            trace.indices.carry(previous.indices, name)  # deferred stays deferred
        trace.seconds[name] = previous.seconds.get(name, 0.0)
        trace.order.append(name)

    def _compute(self, node: Node, changed: frozenset[int] | None) -> None:
        start = perf_counter()
        try:
            out, extra = self._run(node, changed)
        except EngineError as error:
            self._fail(node, error)
            return
        except (RuntimeError, ValueError, TypeError, MemoryError) as error:
            self._fail(node, OpError(f"the operation failed: {error}"))
            return
        name, trace = node.name, self.trace
        trace.outputs[name] = out
        if changed is not None:
            trace.changed_channels[name] = changed
        if extra is not None:
            trace.indices[name] = extra
        elif node.layer.type == "max_pool":
            pool_input = trace.outputs[node.inputs[0]]
            trace.indices.defer(name, lambda p=node.params, x=pool_input: L.max_pool_indices(p, x))
        trace.seconds[name] = perf_counter() - start
        trace.order.append(name)
        if self.on_output is not None:
            self.on_output(name, out, changed)

    def _run(self, node: Node, changed: frozenset[int] | None):
        """(output, extra): only the changed channels where that is exact, else the layer."""
        unpooled = node.name in self.unpooled
        if (
            changed is not None
            and not unpooled
            and inc.runs_on_slices(node.layer.type, node.params)
        ):
            return _run_channels(node, self.trace, self.previous, changed)
        return _run(
            node,
            self.trace,
            self.params_of,
            self.by_name,
            self.weights,
            self.training,
            self.dropout_seed,
            unpooled,
        )

    def _fail(self, node: Node, error: EngineError) -> None:
        self.trace.errors[node.name] = error.at_layer(node.index, node.name)
        self.down.add(node.name)


def _changed_channels(node: Node, layer_weights, trace: Trace, previous: Trace):
    """The channels in which ``node``'s output can differ from ``previous``'s, or None.

    An empty set means the output cannot differ at all (same inputs, parameters and
    weights). None: unknown or all channels (the layer runs whole, nothing is tracked).
    """
    name, kind = node.name, node.layer.type
    if previous.params.get(name) != node.params:
        return None
    if previous.deps.get(name) != tuple(node.deps):
        # it reads other layers than before (a move or an insertion before it): the same
        # arrays under its old inputs' names say nothing about its new inputs
        return None
    inputs_changed: set[int] = set()
    for dep in node.deps:
        now, before = trace.outputs.get(dep), previous.outputs.get(dep)
        if now is before:
            continue
        if dep not in trace.changed_channels or dep not in node.inputs or len(node.deps) > 1:
            return None  # changed in a way not tracked (or a second input / indices)
        inputs_changed |= trace.changed_channels[dep]
    in_changed = frozenset(inputs_changed)
    if kind == "conv":
        weights_changed = inc.weight_channels(layer_weights, previous.weights.get(name))
        x = trace.outputs[node.inputs[0]]
        out = previous.outputs[name]
        if weights_changed is None or x.ndim < 2 or out.ndim != x.ndim:
            return None
        return inc.conv_channels(
            in_changed, weights_changed, node.params["groups"], x.shape[0], out.shape[0]
        )
    if inc.weight_channels(layer_weights, previous.weights.get(name)) != frozenset():
        return None
    if kind in inc.CHANNELWISE and previous.outputs[name].ndim >= 2:
        return in_changed
    return frozenset() if not in_changed else None


def _run_channels(node: Node, trace: Trace, previous: Trace, changed: frozenset[int]):
    """A channel-wise layer's output recomputed in ``changed`` only (the rest is kept)."""
    before = previous.outputs[node.name]
    index = inc.channel_index(changed)
    x = trace.outputs[node.inputs[0]][index]
    part, _ = L.forward(node.layer, node.params, [x], None, indices=False)
    return inc.splice(before, part, index), None


def _run(
    node: Node,
    trace: Trace,
    params_of,
    by_name,
    weights,
    training: bool,
    dropout_seed: int,
    indices: bool = True,
):
    inputs = [trace.outputs[s] for s in node.inputs]
    in_shapes = [a.shape for a in inputs]
    pool = pool_indices = None
    if node.layer.type == "max_unpool":
        pool_name = node.params["pool"]
        pool_out = trace.outputs[pool_name]
        pool_in = trace.outputs[by_name[pool_name].inputs[0]]
        pool = (params_of[pool_name], pool_in.shape, pool_out.shape)
        pool_indices = trace.indices.get(pool_name)
    out_shape = L.output_shape(node.layer, node.params, in_shapes, pool)
    if math.prod(out_shape) > L.MAX_VALUES:
        raise ShapeError(
            f"the output {L.fmt(out_shape)} would have "
            f"{math.prod(out_shape):,} values; the limit is {L.MAX_VALUES:,}"
        )
    layer_weights = weights.get(node.name) if isinstance(weights, dict) else None
    seed = (int(dropout_seed) * 1009 + node.index) & 0x7FFFFFFF
    if node.layer.type == "dropout" and not training and node.params["train"]:
        # the lab's training-mode view: the mask comes from the layer's own seed
        training, seed = True, int(node.params["seed"])
    out, extra = L.forward(
        node.layer,
        node.params,
        inputs,
        layer_weights,
        pool_indices=pool_indices,
        pool=pool,
        training=training,
        dropout_seed=seed,
        indices=indices,
    )
    if out.dtype != np.float32 or not out.flags.c_contiguous:
        out = np.ascontiguousarray(out, dtype=np.float32)
    return out, extra
