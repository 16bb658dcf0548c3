"""engine.network: located errors, forward reuse, weights, dropout."""

import numpy as np
import pytest

from engine.errors import DependencyError, SpecError
from engine.network import analyze, forward, init_weights, reconcile_weights
from engine.presets import get_preset
from engine.spec import LayerSpec, NetworkSpec


def net(*layers, shape=(1, 16)):
    return NetworkSpec(tuple(layers), shape)


def conv(name, **params):
    return LayerSpec(name, "conv", {"out_channels": 2, "kernel_size": 3, **params})


def test_error_is_located_and_dependents_blocked_but_earlier_layers_keep_shapes():
    spec = net(conv("a"), conv("b", kernel_size=99), conv("c"))
    a = analyze(spec)
    assert a.layers[0].out_shape == (2, 14) and a.layers[0].error is None
    assert str(a.layers[1].error).startswith("layer 2 'b': kernel 99 is larger")
    assert isinstance(a.layers[2].error, DependencyError)
    assert str(a.layers[2].error) == "layer 3 'c': depends on layer 2 'b', which cannot run"
    assert a.total.parameters == a.layers[0].parameters


@pytest.mark.parametrize(
    "layers, message",
    [
        ((conv("a"), conv("a")), "layer 2 'a': the name 'a' is already used by layer 1"),
        (
            (
                conv(
                    "a",
                ),
                LayerSpec("s", "add", {}, ("a", "later")),
                conv("later"),
            ),
            "layer 2 's': reads 'later', which does not come before it",
        ),
        ((LayerSpec("s", "add", {}, ("input", "s")),), "reads 's', which does not come before"),
        ((conv("a"), LayerSpec("s", "add", {}, ("a", "ghost"))), "no layer of that name"),
        ((conv("a"), LayerSpec("s", "add", {}, ("a",))), "reads 2 inputs; got 1"),
        ((conv("a"), LayerSpec("u", "max_unpool", {"pool": "a"})), "'a' is not a max pool"),
        ((LayerSpec("input", "flatten"),), "reserved"),
        ((LayerSpec("x", "blur"),), "unknown layer type 'blur'"),
    ],
)
def test_spec_level_problems_are_located(layers, message):
    a = analyze(net(*layers))
    errors = [str(info.error) for info in a.layers if info.error is not None]
    assert any(message in e for e in errors), errors


def test_independent_branch_still_runs_when_the_other_fails():
    spec = net(
        conv("a"), conv("bad", kernel_size=50, inputs=()), conv("b", padding=1), shape=(1, 16)
    )
    spec = spec.replace_layer(
        2, LayerSpec("b", "conv", {"out_channels": 2, "kernel_size": 3}, ("a",))
    )
    w = init_weights(spec)
    assert "bad" not in w and "a" in w and "b" in w
    trace = forward(spec, w, np.ones((1, 16), np.float32))
    assert "bad" in trace.errors and "bad" not in trace.outputs
    assert trace.outputs["b"].shape == (2, 12) and trace.skipped == []


def test_forward_outputs_are_float32_contiguous_and_input_is_kept():
    spec = get_preset("encoder-decoder")
    w = init_weights(spec)
    x = np.random.default_rng(0).random((1, 64, 64))  # float64 in: converted once
    trace = forward(spec, w, x)
    assert trace.ok and trace.order == spec.names()
    for name, out in trace.outputs.items():
        assert out.dtype == np.float32 and out.flags.c_contiguous, name
    assert trace.indices["pool1"].shape == (8, 32, 32)
    np.testing.assert_array_equal(trace.outputs["input"], x.astype(np.float32))


def test_start_from_reuses_upstream_and_recomputes_downstream():
    spec = get_preset("encoder-decoder")
    w = init_weights(spec, seed=1)
    x = np.random.default_rng(1).random((1, 64, 64)).astype(np.float32)
    first = forward(spec, w, x)
    w["dec2"]["weight"] = w["dec2"]["weight"] * -2.0
    again = forward(spec, w, x, start_from="dec2", previous=first)
    fresh = forward(spec, w, x)
    for name in spec.names():
        np.testing.assert_allclose(again.outputs[name], fresh.outputs[name], atol=1e-6)
    assert again.outputs["enc1"] is first.outputs["enc1"]  # reused, not recomputed
    assert again.outputs["skip2"] is first.outputs["skip2"]
    assert not np.allclose(again.outputs["classes"], first.outputs["classes"])


def test_dropout_identity_unless_training_and_mask_is_stored():
    spec = net(LayerSpec("d", "dropout", {"p": 0.5}), shape=(2, 50))
    x = np.ones((2, 50), np.float32)
    assert np.array_equal(forward(spec, {}, x).outputs["d"], x)
    t1 = forward(spec, {}, x, training=True, dropout_seed=4)
    t2 = forward(spec, {}, x, training=True, dropout_seed=4)
    mask = t1.indices["d"]
    assert mask.dtype == bool and 0 < mask.sum() < mask.size
    np.testing.assert_array_equal(mask, t2.indices["d"])
    np.testing.assert_array_equal(t1.outputs["d"], np.where(mask, 2.0, 0.0))


def test_init_weights_deterministic_bounded_and_per_layer_stable():
    spec = get_preset("udl-mnist1d-cnn")
    w1, w2, w3 = init_weights(spec, seed=5), init_weights(spec, seed=5), init_weights(spec)
    for name in w1:
        for key in w1[name]:
            np.testing.assert_array_equal(w1[name][key], w2[name][key])
            assert w1[name][key].dtype == np.float32
    assert not np.array_equal(w1["conv1"]["weight"], w3["conv1"]["weight"])
    bound = 1 / np.sqrt(15 * 3)  # torch's kaiming_uniform(a=sqrt(5)): 1/sqrt(fan_in)
    assert np.abs(w1["conv2"]["weight"]).max() <= bound
    assert np.abs(w1["conv2"]["weight"]).max() > 0.8 * bound
    # editing one layer does not change the draws of the others
    edited = spec.replace_layer(0, spec.layers[0].with_params(out_channels=7))
    w4 = init_weights(edited, seed=5)
    np.testing.assert_array_equal(w4["fc"]["weight"], w1["fc"]["weight"])


def test_reconcile_keeps_fitting_arrays_and_initialises_the_rest():
    spec = get_preset("udl-mnist1d-cnn")
    w = init_weights(spec, seed=2)
    w["conv3"]["weight"] = w["conv3"]["weight"] + 1.0
    edited = spec.replace_layer(2, spec.layers[2].with_params(out_channels=8))
    r = reconcile_weights(edited, w, seed=2)
    assert r["conv2"]["weight"].shape == (8, 15, 3)
    assert r["conv3"]["weight"].shape == (15, 8, 3)  # re-initialised, new shape
    np.testing.assert_array_equal(r["conv1"]["weight"], w["conv1"]["weight"])
    np.testing.assert_array_equal(r["conv3"]["bias"], w["conv3"]["bias"])  # still fits


def test_bad_input_raises_but_bad_layers_do_not():
    spec = get_preset("lab-1d")
    w = init_weights(spec)
    for bad in (
        "text",
        np.zeros((1, 2, 3, 4), np.float32),
        np.zeros((0, 5), np.float32),
        np.array([["a"]]),
    ):
        with pytest.raises(SpecError):
            forward(spec, w, bad)
    trace = forward(spec, {}, np.zeros((1, 128), np.float32))  # no weights: located errors
    assert "layer 1 'conv1'" in str(trace.errors["conv1"])
    assert "relu2" in trace.skipped


def test_input_of_another_size_is_analysed_from_x():
    spec = get_preset("lab-1d")
    trace = forward(spec, init_weights(spec), np.zeros((1, 40), np.float32))
    assert trace.outputs["relu2"].shape == (4, 18)
    assert analyze(spec, (1, 40)).layers[-1].out_shape == (4, 18)
