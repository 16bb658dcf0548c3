"""engine.torch_build: the module has the engine's parameter count and computes the same."""

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from engine.errors import EngineError, ShapeError
from engine.network import analyze, forward, init_weights
from engine.presets import get_preset, preset_names
from engine.spec import LayerSpec, NetworkSpec
from engine.torch_build import build_module, load_weights, module_weights


@st.composite
def random_specs(draw):
    """Valid-looking random stacks of every layer kind, with skips and dense heads."""
    n = draw(st.sampled_from([1, 2]))
    size = draw(st.integers(8, 20))
    input_shape = (draw(st.integers(1, 3)), *([size] * n))
    layers = []
    for i in range(draw(st.integers(1, 6))):
        kind = draw(
            st.sampled_from(
                [
                    "conv",
                    "conv",
                    "conv_transpose",
                    "max_pool",
                    "avg_pool",
                    "subsample",
                    "blur_pool",
                    "upsample",
                    "activation",
                    "dropout",
                    "add",
                    "concat",
                    "unpool",
                ]
            )
        )
        name = f"l{i}"
        if kind == "conv":
            params = {
                "out_channels": draw(st.integers(1, 4)),
                "kernel_size": draw(st.integers(1, 3)),
                "dilation": draw(st.integers(1, 2)),
                "padding": draw(st.sampled_from([0, 1, "same"])),
                "padding_mode": draw(
                    st.sampled_from(["zeros", "reflect", "replicate", "circular"])
                ),
                "bias": draw(st.booleans()),
                "flip": draw(st.booleans()),
            }
            if params["padding"] != "same":
                params["stride"] = draw(st.integers(1, 2))
            layers.append(LayerSpec(name, "conv", params))
        elif kind == "conv_transpose":
            layers.append(
                LayerSpec(
                    name,
                    "conv_transpose",
                    {
                        "out_channels": draw(st.integers(1, 3)),
                        "kernel_size": draw(st.integers(1, 3)),
                        "stride": draw(st.integers(1, 2)),
                        "bias": draw(st.booleans()),
                    },
                )
            )
        elif kind in ("max_pool", "avg_pool"):
            layers.append(
                LayerSpec(
                    name,
                    kind,
                    {
                        "kernel_size": draw(st.integers(1, 3)),
                        "stride": draw(st.sampled_from([None, 1, 2])),
                        "padding": draw(st.integers(0, 1)),
                    },
                )
            )
        elif kind == "subsample":
            layers.append(LayerSpec(name, "subsample", {"factor": draw(st.integers(1, 3))}))
        elif kind == "blur_pool":
            params = {
                "kernel_size": draw(st.integers(2, 7)),
                "stride": draw(st.integers(1, 3)),
                "padding_mode": draw(
                    st.sampled_from(["zeros", "reflect", "replicate", "circular"])
                ),
            }
            layers.append(LayerSpec(name, "blur_pool", params))
        elif kind == "upsample":
            mode = draw(st.sampled_from(["nearest", "linear" if n == 1 else "bilinear"]))
            layers.append(
                LayerSpec(name, "upsample", {"scale_factor": draw(st.integers(1, 3)), "mode": mode})
            )
        elif kind == "activation":
            layers.append(
                LayerSpec(
                    name,
                    "activation",
                    {
                        "function": draw(
                            st.sampled_from(["relu", "leaky_relu", "sigmoid", "tanh"])
                        ),
                        "negative_slope": 0.1,
                    },
                )
            )
        elif kind == "dropout":
            layers.append(LayerSpec(name, "dropout", {"p": 0.3}))
        elif kind in ("add", "concat"):
            earlier = ["input"] + [layer.name for layer in layers]
            other = draw(st.sampled_from(earlier))
            prev = earlier[-1]
            layers.append(LayerSpec(name, kind, {}, (prev, other)))
        else:  # a max pool, a 1x1 conv keeping the channels, the unpool
            layers.append(LayerSpec(name + "p", "max_pool", {"kernel_size": 2}))
            layers.append(LayerSpec(name + "a", "activation", {"function": "tanh"}))
            layers.append(LayerSpec(name, "max_unpool", {"pool": name + "p"}))
    head = draw(st.sampled_from(["none", "flatten", "gap"]))
    if head != "none":
        layers.append(LayerSpec("head", "flatten" if head == "flatten" else "global_avg_pool"))
        layers.append(LayerSpec("fc", "linear", {"out_features": draw(st.integers(1, 4))}))
    return NetworkSpec(tuple(layers), input_shape)


def engine_output(spec, weights, x):
    trace = forward(spec, weights, x)
    assert trace.ok, trace.first_error()
    return trace.outputs[spec.layers[-1].name]


@pytest.mark.parametrize("name", preset_names())
def test_presets_build_with_equal_counts_and_outputs(name):
    spec = get_preset(name)
    weights = init_weights(spec, seed=3)
    module = build_module(spec, weights).eval()
    assert sum(p.numel() for p in module.parameters()) == analyze(spec).total.parameters
    x = np.random.default_rng(0).standard_normal(spec.input_shape).astype(np.float32)
    with torch.no_grad():
        y = module(torch.from_numpy(x)[None])[0].numpy()
    np.testing.assert_allclose(y, engine_output(spec, weights, x), rtol=1e-5, atol=1e-5)


@given(random_specs(), st.integers(0, 1000))
def test_random_specs_build_with_equal_counts_and_outputs(spec, seed):
    analysis = analyze(spec)
    assume(analysis.ok)
    weights = init_weights(spec, seed=seed)
    module = build_module(spec, weights).eval()
    assert sum(p.numel() for p in module.parameters()) == analysis.total.parameters
    x = np.random.default_rng(seed).standard_normal(spec.input_shape).astype(np.float32)
    with torch.no_grad():
        y = module(torch.from_numpy(x)[None])[0].numpy()
    np.testing.assert_allclose(y, engine_output(spec, weights, x), rtol=1e-5, atol=1e-5)


def test_weights_round_trip_through_the_module():
    spec = get_preset("lenet")
    weights = init_weights(spec, seed=1)
    module = build_module(spec, weights)
    back = module_weights(module)
    assert back.keys() == weights.keys()
    for name in weights:
        for key in weights[name]:
            np.testing.assert_array_equal(back[name][key], weights[name][key])
            assert back[name][key].dtype == np.float32 and back[name][key].flags.c_contiguous


def test_flipped_conv_module_flips_in_forward():
    layer = LayerSpec(
        "c", "conv", {"out_channels": 1, "kernel_size": 3, "flip": True, "bias": False}
    )
    spec = NetworkSpec((layer,), (1, 5))
    weights = {"c": {"weight": np.array([[[1.0, 0.0, 0.0]]], np.float32)}}
    module = build_module(spec, weights)
    x = torch.arange(5.0).reshape(1, 1, 5)
    # true convolution with [1, 0, 0] picks the last position of each window
    assert module(x).flatten().tolist() == [2.0, 3.0, 4.0]
    assert module.layers[0].weight.shape == (1, 1, 3)


def test_bad_weights_and_broken_networks_raise_engine_errors():
    spec = get_preset("udl-mnist1d-cnn")
    module = build_module(spec)
    with pytest.raises(ShapeError, match="conv1"):
        load_weights(module, {"conv1": {"weight": np.zeros((1, 1, 1), np.float32)}})
    broken = spec.with_input_shape((1, 4))
    with pytest.raises(EngineError, match="layer 3 'conv2'"):
        build_module(broken)
