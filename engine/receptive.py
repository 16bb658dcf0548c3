"""Exact receptive fields through a whole network.

The per-axis connectivity of each layer (``engine.layers.connectivity_pairs``: which input
positions feed each output position) is composed backwards through the graph:
mask_in = A_h^T @ mask_out @ A_w > 0 for a 2D layer, A^T @ mask_out > 0 for a 1D one. Where
two branches meet (add, concat) the fields are united. A layer with a vector output
(flatten, global average pool, linear) maps back exactly: a flatten output reads one channel
position, a linear or global average pool output reads everything.

A max unpool is followed through its data input using its pool's windows: which position of
a window receives a value depends on the data (the pool's indices), so the field shown is
every position that *could* receive it. The unpool's dependence on the pool's indices is not
followed into the pool's input.
"""

from __future__ import annotations

import numpy as np

from . import layers as L
from .errors import SpecError
from .graph import check_input_shape, plan, walk
from .spec import INPUT, NetworkSpec

_IDENTITY = ("activation", "dropout", "add", "concat")


class _Graph:
    """Shapes and cached per-axis connectivity of an analysed network."""

    def __init__(self, nodes, infos, input_shape):
        self.nodes = nodes
        self.infos: dict = {}
        for info in infos:  # a duplicate name (an error) never shadows the first layer
            self.infos.setdefault(info.name, info)
        self.shapes = {INPUT: tuple(input_shape)}
        for info in infos:
            if info.error is None:
                self.shapes.setdefault(info.name, tuple(info.out_shape))
        self.params = {n.name: n.params for n in nodes if n.error is None}
        self._pairs: dict = {}

    def pool(self, node):
        if node.layer.type != "max_unpool":
            return None
        info = self.infos[node.params["pool"]]
        return self.params[info.name], tuple(info.input_shapes[0]), tuple(info.out_shape)

    def pairs(self, node, axis: int, k: int):
        key = (node.index, axis, k)
        if key not in self._pairs:
            info = self.infos[node.name]
            self._pairs[key] = L.connectivity_pairs(
                node.layer, node.params, info.input_shapes, info.out_shape, axis, k, self.pool(node)
            )
        return self._pairs[key]


def _back_axis(mask: np.ndarray, rows, cols, axis: int, length: int) -> np.ndarray:
    """Input mask along ``axis`` from an output mask: any output row that reads it."""
    moved = np.moveaxis(mask, axis, 0)
    out = np.zeros((length, *moved.shape[1:]), dtype=bool)
    np.logical_or.at(out, cols, moved[rows])
    return np.moveaxis(out, 0, axis)


def _back(graph: _Graph, node, mask: np.ndarray, k: int) -> np.ndarray:
    """The mask over input ``k`` of ``node`` given the mask over its output."""
    source = node.inputs[k]
    in_shape = graph.shapes[source]
    out_shape = graph.shapes[node.name]
    kind = node.layer.type
    if len(out_shape) == 1:  # vector output
        if len(in_shape) == 1:
            if kind == "concat":
                d0 = graph.shapes[node.inputs[0]][0]
                return mask[:d0].copy() if k == 0 else mask[d0:].copy()
            if kind in ("linear",):
                return np.full(in_shape, mask.any())
            return mask.copy()
        if kind == "flatten":
            return mask.reshape(in_shape).any(axis=0)
        return np.full(in_shape[1:], mask.any())  # global average pool
    if kind in _IDENTITY:
        return mask.copy()
    for axis in range(len(out_shape) - 1):
        rows, cols = graph.pairs(node, axis, k)
        mask = _back_axis(mask, rows, cols, axis, in_shape[1 + axis])
    return mask


def _propagate(graph: _Graph, target_index: int, start: np.ndarray) -> dict[str, np.ndarray]:
    masks = {graph.nodes[target_index].name: start}
    for node in reversed(graph.nodes[: target_index + 1]):
        mask = masks.get(node.name)
        if mask is None or node.error is not None or graph.infos[node.name].error is not None:
            continue
        for k, source in enumerate(node.inputs):
            m = _back(graph, node, mask, k)
            if source in masks:
                masks[source] = masks[source] | m
            else:
                masks[source] = m
    return masks


def receptive_field_sizes(nodes, infos, input_shape) -> dict[str, tuple[int, ...] | None]:
    """Per map-shaped layer: per spatial axis, the span (first to last position) in the
    network input of the field of one central output position. Vectors: None.

    One forward pass (linear in the network's size): every layer keeps, per axis and output
    position, the first and last input position it depends on; a layer's are the min / max
    of its sources' over the positions it reads (the span of the union of their fields)."""
    graph = _Graph(nodes, infos, input_shape)
    sizes: dict[str, tuple[int, ...] | None] = {}
    if len(input_shape) < 2:
        return sizes
    last_use = {source: node.index for node in nodes for source in node.inputs}
    bounds = {INPUT: [(np.arange(n), np.arange(n)) for n in input_shape[1:]]}
    for node, info in zip(nodes, infos, strict=True):
        if info.error is not None or node.error is not None or len(info.out_shape) < 2:
            sizes.setdefault(node.name, None)
            continue
        per_axis = [
            _axis_bounds(graph, node, info, axis, bounds) for axis in range(len(info.out_shape) - 1)
        ]
        spans = []
        for lo, hi in per_axis:
            centre = (len(lo) - 1) // 2
            spans.append(int(hi[centre] - lo[centre] + 1) if hi[centre] >= lo[centre] else 0)
        sizes.setdefault(node.name, tuple(spans))
        bounds.setdefault(node.name, per_axis)
        for source in node.inputs:  # keep only what a later layer still reads
            if last_use.get(source) == node.index and source != INPUT:
                bounds.pop(source, None)
    return sizes


_NONE = np.iinfo(np.int64).max


def _axis_bounds(graph: _Graph, node, info, axis: int, bounds) -> tuple[np.ndarray, np.ndarray]:
    """(first, last) input position each output position of ``node`` depends on, one axis."""
    length = info.out_shape[1 + axis]
    lo = np.full(length, _NONE, dtype=np.int64)
    hi = np.full(length, -1, dtype=np.int64)
    for k, source in enumerate(node.inputs):
        if source not in bounds:
            continue
        src_lo, src_hi = bounds[source][axis]
        if node.layer.type in _IDENTITY:
            np.minimum(lo, src_lo, out=lo)
            np.maximum(hi, src_hi, out=hi)
        else:
            rows, cols = graph.pairs(node, axis, k)
            np.minimum.at(lo, rows, src_lo[cols])
            np.maximum.at(hi, rows, src_hi[cols])
    return lo, hi


def receptive_field(
    spec: NetworkSpec, input_shape, layer: str, position: tuple[int, ...]
) -> dict[str, np.ndarray]:
    """Boolean masks of everything one output value of ``layer`` depends on.

    ``position`` is the output's spatial index (no channel), or ``(d,)`` for a vector layer.
    Keys: ``"input"`` (a mask over the input's spatial grid; always present, all False
    when the value reads only padding), ``layer`` itself and every earlier layer it depends
    on (spatial masks for maps, (D,) masks for vectors); layers it does not depend on are
    absent. Raises the layer's error if it cannot run.
    """
    shape = check_input_shape(spec.input_shape if input_shape is None else input_shape)
    nodes = plan(spec)
    infos = [info for _, info in walk(shape, nodes)]
    index = next((n.index for n in nodes if n.name == layer), None)
    if index is None:
        raise SpecError(f"there is no layer named '{layer}'")
    info = infos[index]
    if info.error is not None:
        raise info.error
    grid = info.out_shape[1:] if len(info.out_shape) > 1 else info.out_shape
    try:
        pos = tuple(int(p) for p in position)
    except (TypeError, ValueError):
        raise SpecError(f"position must be a tuple of indices; got {position!r}") from None
    if len(pos) != len(grid) or not all(0 <= p < g for p, g in zip(pos, grid, strict=True)):
        raise SpecError(f"position {position!r} is outside layer '{layer}''s grid {tuple(grid)}")
    start = np.zeros(grid, dtype=bool)
    start[pos] = True
    masks = _propagate(_Graph(nodes, infos, shape), index, start)
    if INPUT not in masks:
        masks[INPUT] = np.zeros(shape[1:] if len(shape) > 1 else shape, dtype=bool)
    return {name: m for name, m in masks.items() if name in (layer, INPUT) or m.any()}
