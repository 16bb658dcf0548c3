"""Incremental passes (engine.incremental): after a weight edit, only the changed channels
are tracked and recomputed, and every output equals a full pass bit for bit."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.network import forward, init_weights
from engine.spec import LayerSpec, NetworkSpec

CHANNELWISE = [
    ("activation", {"function": "relu"}),
    ("activation", {"function": "leaky_relu", "negative_slope": 0.13}),
    ("activation", {"function": "sigmoid"}),
    ("activation", {"function": "tanh"}),
    ("max_pool", {"kernel_size": 2}),
    ("max_pool", {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("avg_pool", {"kernel_size": 2}),
    ("avg_pool", {"kernel_size": 3, "stride": 1, "padding": 1}),
    ("subsample", {"factor": 2}),
    ("upsample", {"scale_factor": 2, "mode": "nearest"}),
    ("upsample", {"scale_factor": 3, "mode": "LINEAR"}),  # linear or bilinear by dimension
    ("dropout", {"p": 0.3}),
]


@st.composite
def networks(draw):
    dims = draw(st.sampled_from([1, 2]))
    channels = draw(st.integers(1, 3))
    size = draw(st.integers(6, 19))  # odd sizes too: ragged vector tails
    shape = (channels, size) if dims == 1 else (channels, size, draw(st.integers(6, 19)))
    layers = []
    c = channels
    for i in range(draw(st.integers(2, 5))):
        if i == 0 or draw(st.booleans()):
            depthwise = draw(st.booleans())
            out = c * draw(st.integers(1, 2)) if depthwise else draw(st.integers(1, 6))
            params = {
                "out_channels": out,
                "kernel_size": draw(st.sampled_from([1, 3])),
                "padding": 1,
                "groups": c if depthwise else 1,
                "bias": draw(st.booleans()),
            }
            layers.append(LayerSpec(f"conv{i}", "conv", params))
            c = out
        else:
            kind, params = draw(st.sampled_from(CHANNELWISE))
            if params.get("mode") == "LINEAR":
                params = {**params, "mode": "linear" if dims == 1 else "bilinear"}
            layers.append(LayerSpec(f"{kind}{i}", kind, params))
    return NetworkSpec(tuple(layers), shape)


def _edit(weights, name, rng, kind):
    """New weights with some output channels of ``name`` changed (new arrays, new dict)."""
    layer = dict(weights[name])
    key = "bias" if kind == "bias" and "bias" in layer else "weight"
    array = layer[key].copy()
    count = array.shape[0]
    chosen = rng.choice(count, size=rng.integers(1, count + 1), replace=False)
    for o in chosen:
        position = (o, *(rng.integers(0, n) for n in array.shape[1:]))
        array[position] = rng.uniform(-2, 2)
    layer[key] = array
    return {**weights, name: layer}, set(chosen.tolist())


@settings(max_examples=60, deadline=None)
@given(networks(), st.integers(0, 2**31), st.sampled_from(["weight", "bias"]))
def test_an_edit_recomputes_the_same_numbers_as_a_full_pass(spec, seed, kind):
    rng = np.random.default_rng(seed)
    weights = init_weights(spec, seed=seed % 1000)
    x = rng.standard_normal(spec.input_shape).astype(np.float32)
    first = forward(spec, weights, x)
    assert first.ok
    convs = [layer.name for layer in spec.layers if layer.type == "conv"]
    target = convs[rng.integers(len(convs))]
    edited, chosen = _edit(weights, target, rng, kind)
    again = forward(spec, edited, x, start_from=target, previous=first)
    fresh = forward(spec, edited, x)
    assert again.changed_since == first.serial
    assert again.changed_channels.get(target, chosen) <= chosen  # absent: all channels
    for name in spec.names():
        np.testing.assert_array_equal(again.outputs[name], fresh.outputs[name], err_msg=name)
    for name, channels in again.changed_channels.items():
        unchanged = [c for c in range(again.outputs[name].shape[0]) if c not in channels]
        np.testing.assert_array_equal(
            again.outputs[name][unchanged], first.outputs[name][unchanged], err_msg=name
        )


def _reference(c_in=1, size=32):
    layers = (
        LayerSpec("conv1", "conv", {"out_channels": 6, "kernel_size": 3, "padding": 1}),
        LayerSpec("relu1", "activation", {"function": "relu"}),
        LayerSpec("pool", "max_pool", {"kernel_size": 2}),
        LayerSpec("conv2", "conv", {"out_channels": 6, "kernel_size": 3, "padding": 1}),
        LayerSpec("relu2", "activation", {"function": "relu"}),
    )
    spec = NetworkSpec(layers, (c_in, size, size))
    x = np.random.default_rng(0).standard_normal((c_in, size, size)).astype(np.float32)
    return spec, init_weights(spec, seed=3), x


def test_a_kernel_edit_changes_only_its_channel_until_the_next_full_convolution():
    spec, weights, x = _reference()
    first = forward(spec, weights, x)
    layer = dict(weights["conv1"])
    w = layer["weight"].copy()
    w[4, 0, 1, 2] += 0.5
    layer["weight"] = w
    edited = {**weights, "conv1": layer}
    again = forward(spec, edited, x, start_from="conv1", previous=first)
    assert again.changed_channels == {
        "conv1": frozenset({4}),
        "relu1": frozenset({4}),
        "pool": frozenset({4}),
    }  # conv2 mixes all channels: computed whole, not listed
    assert not np.array_equal(again.outputs["conv2"], first.outputs["conv2"])


def test_an_edit_that_changes_nothing_keeps_every_output_array():
    spec, weights, x = _reference()
    first = forward(spec, weights, x)
    same = {**weights, "conv1": {k: v.copy() for k, v in weights["conv1"].items()}}
    again = forward(spec, same, x, start_from="conv1", previous=first)
    for name in spec.names():
        assert again.outputs[name] is first.outputs[name], name
    assert again.changed_channels == {}


def test_a_parameter_change_or_a_new_input_recomputes_whole():
    spec, weights, x = _reference()
    first = forward(spec, weights, x)
    layers = list(spec.layers)
    layers[1] = layers[1].with_params(function="leaky_relu")
    changed_spec = NetworkSpec(tuple(layers), spec.input_shape)
    again = forward(changed_spec, weights, x, start_from="relu1", previous=first)
    assert "relu1" not in again.changed_channels
    np.testing.assert_array_equal(
        again.outputs["pool"], forward(changed_spec, weights, x).outputs["pool"]
    )
    other = forward(spec, weights, x + 1, start_from="conv1", previous=first)
    assert other.changed_channels == {}  # a new input array: nothing is tracked
    np.testing.assert_array_equal(
        other.outputs["relu2"], forward(spec, weights, x + 1).outputs["relu2"]
    )


def test_a_depthwise_convolution_keeps_channels_apart():
    layers = (
        LayerSpec("conv1", "conv", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        LayerSpec("dw", "conv", {"out_channels": 8, "kernel_size": 3, "padding": 1, "groups": 4}),
        LayerSpec("up", "upsample", {"scale_factor": 2, "mode": "bilinear"}),
    )
    spec = NetworkSpec(layers, (1, 12, 12))
    weights = init_weights(spec, seed=0)
    x = np.random.default_rng(2).standard_normal((1, 12, 12)).astype(np.float32)
    first = forward(spec, weights, x)
    layer = dict(weights["conv1"])
    bias = layer["bias"].copy()
    bias[2] += 1.0
    layer["bias"] = bias
    edited = {**weights, "conv1": layer}
    again = forward(spec, edited, x, start_from="conv1", previous=first)
    assert again.changed_channels["dw"] == frozenset({4, 5})  # group 2 reads channel 2
    assert again.changed_channels["up"] == frozenset({4, 5})
    fresh = forward(spec, edited, x)
    for name in spec.names():
        np.testing.assert_array_equal(again.outputs[name], fresh.outputs[name])


def test_an_unpool_reading_an_edited_pool_is_recomputed_exactly():
    layers = (
        LayerSpec("conv1", "conv", {"out_channels": 3, "kernel_size": 3, "padding": 1}),
        LayerSpec("pool", "max_pool", {"kernel_size": 2}),
        LayerSpec("unpool", "max_unpool", {"pool": "pool"}),
    )
    spec = NetworkSpec(layers, (1, 10, 10))
    weights = init_weights(spec, seed=0)
    x = np.random.default_rng(3).standard_normal((1, 10, 10)).astype(np.float32)
    first = forward(spec, weights, x)
    edited, _ = _edit(weights, "conv1", np.random.default_rng(4), "weight")
    again = forward(spec, edited, x, start_from="conv1", previous=first)
    fresh = forward(spec, edited, x)
    for name in spec.names():
        np.testing.assert_array_equal(again.outputs[name], fresh.outputs[name])
    np.testing.assert_array_equal(again.indices["pool"], fresh.indices["pool"])
    assert "unpool" not in again.changed_channels
