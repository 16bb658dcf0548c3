"""The network as a graph: layers resolved into nodes, then walked in order with shapes.

:func:`plan` resolves every layer against the spec (checked parameters, the layers it reads,
the max pool an unpool takes indices from) without shapes; :func:`walk` then gives each
layer its shapes and counts (:class:`LayerInfo`), or a located error, in order. A layer
that reads a failed layer gets a :class:`~engine.errors.DependencyError`. ``engine.network``
(analysis, forward passes) and ``engine.receptive`` (receptive fields) both walk the graph
from here, so neither imports the other's helpers.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

from . import layers as L
from .errors import DependencyError, EngineError, ShapeError, SpecError
from .spec import INPUT, LAYER_TYPES, NetworkSpec

Shape = tuple[int, ...]

MAX_SIZE = 1 << 20  # largest single axis of a network input


@dataclass
class Node:
    """One layer resolved against the network: checked params, inputs, dependencies."""

    index: int
    name: str
    layer: Any
    params: dict[str, Any] | None  # None when the layer's spec is wrong (see error)
    inputs: tuple[str, ...]  # data inputs, in order
    deps: tuple[str, ...]  # inputs plus the max pool an unpool reads indices from
    error: EngineError | None = None


def plan(spec: NetworkSpec) -> list[Node]:
    """Every layer resolved and checked at the spec level (no shapes), in order."""
    nodes: list[Node] = []
    seen: dict[str, int] = {}
    later = {getattr(layer, "name", None) for layer in spec.layers}
    for i, layer in enumerate(spec.layers):
        name = layer.name if isinstance(getattr(layer, "name", None), str) else f"#{i + 1}"
        node = Node(i, name, layer, None, (), ())
        try:
            node.params, node.inputs, node.deps = _resolve(spec, i, layer, seen, later, nodes)
        except EngineError as error:
            node.error = error.at_layer(i, name)
        if isinstance(getattr(layer, "name", None), str) and layer.name not in seen:
            seen[layer.name] = i
        nodes.append(node)
    return nodes


def _resolve(spec, i, layer, seen, later, nodes):
    name = layer.name
    if not isinstance(name, str) or not name:
        raise SpecError(f"a layer needs a non-empty name; got {name!r}")
    if name == INPUT:
        raise SpecError(f"'{INPUT}' is reserved for the network input; rename the layer")
    if name in seen:
        raise SpecError(f"the name '{name}' is already used by layer {seen[name] + 1}")
    params = L.validate_params(layer)
    wanted = LAYER_TYPES[layer.type].n_inputs
    given = layer.inputs
    if not isinstance(given, tuple) or not all(isinstance(g, str) for g in given):
        raise SpecError(f"inputs must be a list of layer names; got {given!r}")
    if given:
        inputs = given
    elif wanted == 1:
        inputs = (nodes[i - 1].name,) if i > 0 else (INPUT,)
    else:
        inputs = ()
    if len(inputs) != wanted:
        raise SpecError(
            f"a {layer.type} layer reads {wanted} "
            f"input{'s' if wanted > 1 else ''}; got {len(inputs)}"
            + (" (name them in 'inputs')" if wanted > 1 else "")
        )
    for source in inputs:
        _check_source(source, seen, later, name)
    deps = inputs
    if layer.type == "max_unpool":
        pool = params["pool"]
        _check_source(pool, seen, later, name)
        if pool == INPUT or nodes[seen[pool]].layer.type != "max_pool":
            raise SpecError(
                f"'{pool}' is not a max pool; max_unpool needs the max pool whose indices it uses"
            )
        if pool not in deps:
            deps = (*deps, pool)
    return params, inputs, deps


def _check_source(source: str, seen, later, name: str) -> None:
    if source == INPUT or source in seen:
        return
    if source == name or source in later:
        raise SpecError(
            f"reads '{source}', which does not come before it (a layer may only "
            f"read earlier layers, so there are no cycles)"
        )
    raise SpecError(f"reads '{source}', but there is no layer of that name")


# --------------------------------------------------------------------------- shapes


@dataclass
class LayerInfo:
    """What the engine knows about one layer (counts are 0 when it has an error)."""

    index: int
    name: str
    type: str
    input_shapes: list[Shape]
    out_shape: Shape | None
    parameters: int = 0
    fc_parameters: int = 0
    macs: int = 0
    receptive_field: tuple[int, ...] | None = None
    error: EngineError | None = None
    weight_shapes: dict[str, Shape] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()


def check_input_shape(shape: Any) -> Shape:
    """A network input shape: (D,), (C, L) or (C, H, W) of positive ints (else SpecError)."""
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__"):
        raise SpecError(f"the input shape must be (C, L) or (C, H, W); got {shape!r}")
    items = list(shape)
    if not 1 <= len(items) <= 3:
        raise SpecError(f"the input shape must be (C, L) or (C, H, W); got {tuple(items)}")
    out = []
    for v in items:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 1 <= v <= MAX_SIZE:
            raise SpecError(
                f"the input shape {tuple(items)} must hold whole numbers from 1 to {MAX_SIZE}"
            )
        out.append(int(v))
    if math.prod(out) > L.MAX_VALUES:
        raise SpecError(
            f"the input shape {tuple(out)} has {math.prod(out):,} values; the "
            f"limit is {L.MAX_VALUES:,}"
        )
    return tuple(out)


def _pool_info(node: Node, infos: dict[str, LayerInfo], params_of: dict[str, dict]):
    if node.layer.type != "max_unpool":
        return None
    pool = infos[node.params["pool"]]
    return params_of[pool.name], tuple(pool.input_shapes[0]), tuple(pool.out_shape)


def _shape_layer(node: Node, shapes: dict[str, Shape], infos, params_of) -> LayerInfo:
    """Shapes and counts of one layer whose dependencies all worked."""
    in_shapes = [shapes[s] for s in node.inputs]
    info = LayerInfo(node.index, node.name, node.layer.type, in_shapes, None, inputs=node.inputs)
    pool = _pool_info(node, infos, params_of)
    out = L.output_shape(node.layer, node.params, in_shapes, pool)
    if math.prod(out) > L.MAX_VALUES:
        raise ShapeError(
            f"the output {L.fmt(out)} would have {math.prod(out):,} values; "
            f"the limit is {L.MAX_VALUES:,}"
        )
    w = L.weight_shapes(node.layer, node.params, in_shapes)
    count = sum(math.prod(s) for s in w.values())
    if count > L.MAX_VALUES:
        raise ShapeError(f"needs {count:,} weights; the limit is {L.MAX_VALUES:,}")
    info.out_shape = out
    info.weight_shapes = w
    info.parameters = count
    info.fc_parameters = L.fc_parameter_count(in_shapes, out)
    info.macs = L.mac_count(node.layer, node.params, in_shapes, out)
    return info


def walk(input_shape: Shape, nodes: list[Node]):
    """Shape every layer; yields (node, info) in order."""
    shapes: dict[str, Shape] = {INPUT: input_shape}
    infos: dict[str, LayerInfo] = {}
    params_of: dict[str, dict] = {}
    failed: dict[str, Node] = {}
    for node in nodes:
        if node.error is not None:
            info = LayerInfo(
                node.index,
                node.name,
                getattr(node.layer, "type", "?"),
                [],
                None,
                error=node.error,
                inputs=node.inputs,
            )
            failed[node.name] = node
        else:
            bad = next((d for d in node.deps if d in failed), None)
            if bad is not None:
                source = failed[bad]
                info = LayerInfo(
                    node.index,
                    node.name,
                    node.layer.type,
                    [shapes[s] for s in node.inputs if s in shapes],
                    None,
                    inputs=node.inputs,
                )
                info.error = DependencyError(
                    f"depends on layer {source.index + 1} '{source.name}', which cannot run"
                ).at_layer(node.index, node.name)
                failed[node.name] = node
            else:
                try:
                    info = _shape_layer(node, shapes, infos, params_of)
                    shapes[node.name] = info.out_shape
                    params_of[node.name] = node.params
                except EngineError as error:
                    info = LayerInfo(
                        node.index,
                        node.name,
                        node.layer.type,
                        [shapes[s] for s in node.inputs],
                        None,
                        error=error.at_layer(node.index, node.name),
                        inputs=node.inputs,
                    )
                    failed[node.name] = node
        if node.name not in infos:
            infos[node.name] = info
        yield node, info
