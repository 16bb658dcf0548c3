"""An incremental pass after a layer moved: a layer that now reads other layers than before
is recomputed, never kept because its old inputs' arrays happen to be reused (the monkey
test found conv3 kept after relu2 moved below it: maps no longer the network's)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.network import forward, init_weights
from engine.spec import LayerSpec, NetworkSpec


def _layers():
    return [
        LayerSpec("conv1", "conv", {"out_channels": 3, "kernel_size": 3}),
        LayerSpec("conv2", "conv", {"out_channels": 3, "kernel_size": 3}),
        LayerSpec("relu2", "activation", {"function": "relu"}),
        LayerSpec("conv3", "conv", {"out_channels": 2, "kernel_size": 3}),
        LayerSpec("relu3", "activation", {"function": "tanh"}),
    ]


def _moved(layers, index: int, to: int):
    layers = list(layers)
    layers.insert(to, layers.pop(index))
    return layers


@pytest.mark.parametrize(("index", "to"), [(2, 3), (3, 2), (4, 2), (0, 1), (2, 4)])
def test_after_a_move_every_output_is_the_full_pass_s(index, to):
    shape = (1, 32)
    before = NetworkSpec(tuple(_layers()), shape)
    after = NetworkSpec(tuple(_moved(_layers(), index, to)), shape)
    weights = init_weights(before, shape, seed=2)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    first = forward(before, weights, x)
    start = after.layers[min(index, to)].name
    again = forward(after, weights, x, start_from=start, previous=first)
    fresh = forward(after, weights, x)
    assert set(again.outputs) == set(fresh.outputs)
    for name, expected in fresh.outputs.items():
        np.testing.assert_array_equal(again.outputs[name], expected, err_msg=name)
    assert again.deps.get("conv3") == fresh.deps.get("conv3")
    assert set(again.errors) == set(fresh.errors)


def test_a_layer_whose_inputs_are_unchanged_is_still_kept():
    shape = (1, 32)
    spec = NetworkSpec(tuple(_layers()), shape)
    weights = init_weights(spec, shape, seed=2)
    x = np.ones(shape, np.float32)
    first = forward(spec, weights, x)
    again = forward(spec, weights, x, start_from="conv1", previous=first)
    assert all(again.outputs[n] is first.outputs[n] for n in first.outputs)
