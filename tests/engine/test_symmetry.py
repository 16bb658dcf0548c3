"""engine.symmetry: invariance and equivariance per layer, on hand-worked cases and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import symmetry as S
from engine.errors import DataError
from engine.network import init_weights
from engine.spec import LayerSpec, NetworkSpec
from engine.transforms import translate


def net(shape, *layers) -> NetworkSpec:
    return NetworkSpec(tuple(layers), shape)


def conv(name, out, k=3, **params) -> LayerSpec:
    return LayerSpec(name, "conv", {"out_channels": out, "kernel_size": k, **params})


def circ(name, out, k=3, **params) -> LayerSpec:
    return conv(name, out, k, padding=k // 2, padding_mode="circular", **params)


def relu(name) -> LayerSpec:
    return LayerSpec(name, "activation", {"function": "relu"})


def box_weights(name, k=3) -> dict:
    return {name: {"weight": np.ones((1, 1, k), np.float32), "bias": np.zeros(1, np.float32)}}


# --------------------------------------------------------------------------- transforms


def test_shift_wrap_and_zero_fill_match_the_input_transforms():
    x = np.arange(2 * 5 * 6, dtype=np.float32).reshape(2, 5, 6)
    for fill in ("wrap", "zeros"):
        got = S.shift(2, -1, fill=fill).apply(x)
        np.testing.assert_array_equal(got, translate(x, (-1, 2), fill))


def test_flip_then_rotation_then_shift():
    x = np.arange(9, dtype=np.float32).reshape(1, 3, 3)
    t = S.Transform(shift=(0, 1), flips=(False, True), quarter_turns=1)
    expected = np.roll(np.rot90(x[:, :, ::-1], 1, axes=(1, 2)), 1, axis=2)
    np.testing.assert_array_equal(t.apply(x), expected)


def test_bad_transforms_are_refused_with_a_reason():
    with pytest.raises(DataError, match="fill"):
        S.Transform(shift=(1,), fill="mirror")
    with pytest.raises(DataError, match="whole"):
        S.Transform(shift=(0.5,))
    with pytest.raises(DataError, match="square"):
        S.rot90().apply(np.zeros((1, 3, 4), np.float32))
    with pytest.raises(DataError, match="image"):
        S.rot90().apply(np.zeros((1, 4), np.float32))


# --------------------------------------------------------------------------- carrying


def test_stride_two_makes_an_odd_shift_half_a_position():
    spec = net((1, 16), circ("c", 1), LayerSpec("p", "max_pool", {"kernel_size": 2}), relu("r"))
    scales = S.grid_scales(spec)
    carried, why = S.carry(S.shift(1), scales["p"])
    assert carried is None and why.startswith("shift 1 is half a position here")
    carried, why = S.carry(S.shift(6), scales["r"])
    assert carried.shift == (3,) and why is None
    carried, why = S.carry(S.shift(1), scales["c"])
    assert carried.shift == (1,)


def test_two_strides_make_a_quarter_and_upsampling_gives_it_back():
    spec = net(
        (1, 16),
        conv("c", 1, 3, stride=2, padding=1),
        LayerSpec("p", "max_pool", {"kernel_size": 2}),
        LayerSpec("u", "upsample", {"scale_factor": 2}),
        LayerSpec("u2", "upsample", {"scale_factor": 2}),
    )
    scales = S.grid_scales(spec)
    assert "a quarter of a position" in S.carry(S.shift(1), scales["p"])[1]
    assert "3/4 positions" in S.carry(S.shift(3), scales["p"])[1]
    assert S.carry(S.shift(2), scales["u"])[0].shift == (1,)
    assert S.carry(S.shift(3), scales["u2"])[0].shift == (3,)
    assert S.sweep_period(spec, "p") == 4


def test_vector_layers_have_no_grid():
    spec = net(
        (1, 8),
        circ("c", 2),
        LayerSpec("g", "global_avg_pool"),
        LayerSpec("l", "linear", {"out_features": 3}),
    )
    scales = S.grid_scales(spec)
    assert scales["g"] is None and scales["l"] is None
    assert S.carry(S.shift(1), None)[0] is None


# --------------------------------------------------------------------------- hand-worked


def test_circular_conv_is_exactly_equivariant_to_any_shift():
    spec = net((1, 8), circ("c", 1))
    x = np.array([[0, 1, 4, 2, 0, 0, 3, 1]], np.float32)
    for s in range(-9, 10):
        report = S.measure(spec, box_weights("c"), x, S.shift(s))
        layer = report.layer("c")
        assert layer.equivariance_error == 0.0
        assert layer.shift == (s,)


def test_zero_padding_error_lives_at_the_borders():
    # box filter [1, 1, 1], zero padding 1: f(x) = [1, 5, 7, 6, 2, 3, 4, 4] for
    # x = [0, 1, 4, 2, 0, 0, 3, 1]; wrapped by 1, t(x) = [1, 0, 1, 4, 2, 0, 0, 3] gives
    # f(t x) = [1, 2, 5, 7, 6, 2, 3, 3] while t(f x) = [4, 1, 5, 7, 6, 2, 3, 4]:
    # they differ at the wrap seam (positions 0 and 1) and at the last position only.
    spec = net((1, 8), conv("c", 1, 3, padding=1))
    x = np.array([[0, 1, 4, 2, 0, 0, 3, 1]], np.float32)
    layer = S.measure(spec, box_weights("c"), x, S.shift(1)).layer("c")
    np.testing.assert_array_equal(layer.f_x[0], [1, 5, 7, 6, 2, 3, 4, 4])
    np.testing.assert_array_equal(layer.f_tx[0], [1, 2, 5, 7, 6, 2, 3, 3])
    diff = layer.f_tx - layer.t_fx
    np.testing.assert_array_equal(diff[0], [-3, 1, 0, 0, 0, 0, 0, -1])
    norm_fx = math.sqrt(1 + 25 + 49 + 36 + 4 + 9 + 16 + 16)
    assert layer.equivariance_error == pytest.approx(math.sqrt(11) / norm_fx)
    inv = math.sqrt(0 + 9 + 4 + 1 + 16 + 1 + 1 + 1)
    assert layer.invariance_error == pytest.approx(inv / norm_fx)


def test_max_pool_stride_two_is_only_partly_invariant():
    # maxima at even positions: a shift by 1 stays inside each window -> invariant;
    # shifted by 2 the pooled values move one place -> not invariant
    spec = net((1, 8), LayerSpec("p", "max_pool", {"kernel_size": 2}))
    x = np.array([[5, 0, 3, 0, 0, 0, 2, 0]], np.float32)  # pooled: [5, 3, 0, 2]
    one = S.measure(spec, {}, x, S.shift(1)).layer("p")
    assert one.invariance_error == 0.0
    assert one.equivariance_error is None and "half a position" in one.note
    two = S.measure(spec, {}, x, S.shift(2)).layer("p")  # pooled: [2, 5, 3, 0]
    assert two.equivariance_error == 0.0 and two.shift == (1,)
    assert two.invariance_error == pytest.approx(math.sqrt(9 + 4 + 9 + 4) / math.sqrt(25 + 9 + 4))
    # maxima at odd positions: a shift by 1 carries one of them into the next window
    y = np.array([[0, 5, 0, 3, 0, 0, 0, 2]], np.float32)  # pooled [5, 3, 0, 2]
    odd = S.measure(spec, {}, y, S.shift(1)).layer("p")  # shifted pooled [2, 5, 3, 0]
    assert odd.invariance_error == pytest.approx(two.invariance_error)


def test_global_average_pool_is_invariant_and_has_no_equivariance():
    spec = net((1, 8), circ("c", 2), relu("r"), LayerSpec("g", "global_avg_pool"))
    w = init_weights(spec, seed=3)
    x = np.array([[0, 1, 4, 2, 0, 0, 3, 1]], np.float32)
    g = S.measure(spec, w, x, S.shift(3)).layer("g")
    assert g.equivariance_error is None and g.shift is None
    assert g.invariance_error <= 1e-6


def test_a_zero_output_is_reported_not_divided():
    spec = net((1, 8), conv("c", 1, 3, padding=1))
    w = {"c": {"weight": np.zeros((1, 1, 3), np.float32), "bias": np.zeros(1, np.float32)}}
    layer = S.measure(spec, w, np.ones((1, 8), np.float32), S.shift(1)).layer("c")
    assert layer.equivariance_error is None and layer.invariance_error is None
    assert "is 0" in layer.note


def test_flip_and_rotation_with_symmetric_kernels_are_equivariant():
    spec = net((1, 6, 6), circ("c", 1))
    k = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32)
    w = {"c": {"weight": k[None, None], "bias": np.zeros(1, np.float32)}}
    x = np.random.default_rng(0).normal(size=(1, 6, 6)).astype(np.float32)
    for t in (S.rot90(1), S.rot90(3), S.flip((True, False)), S.flip((False, True))):
        layer = S.measure(spec, w, x, t).layer("c")
        assert layer.equivariance_error <= 1e-6
        assert layer.invariance_error > 0.1


def test_report_as_json_names_every_layer_in_order():
    spec = net(
        (1, 8),
        circ("c", 2),
        LayerSpec("p", "max_pool", {"kernel_size": 2}),
        LayerSpec("f", "flatten"),
    )
    d = S.measure(spec, init_weights(spec), np.ones((1, 8), np.float32), S.shift(1)).to_dict()
    assert [layer["name"] for layer in d["layers"]] == ["c", "p", "f"]
    assert d["layers"][1]["shift"] is None and d["layers"][0]["shift"] == [1]
    assert d["transform"]["shift"] == [1]


# --------------------------------------------------------------------------- sweep


def test_sweep_shows_the_period_of_the_stride():
    spec = net((1, 16), circ("c", 2), LayerSpec("p", "max_pool", {"kernel_size": 2}))
    x = np.random.default_rng(1).normal(size=(1, 16)).astype(np.float32)
    result = S.sweep(spec, init_weights(spec), x, 6)
    assert result.shifts == [0, 1, 2, 3, 4, 5, 6]
    assert all(e <= 1e-6 for e in result.equivariance["c"])
    defined = [e is not None for e in result.equivariance["p"]]
    assert defined == [True, False, True, False, True, False, True]
    assert all(e <= 1e-6 for e in result.equivariance["p"] if e is not None)
    assert result.invariance["c"][0] == 0.0 and result.invariance["c"][1] > 0
    assert result.probabilities is None


def test_sweep_of_a_classifier_has_probabilities_per_shift():
    spec = net(
        (1, 8),
        circ("c", 3),
        relu("r"),
        LayerSpec("g", "global_avg_pool"),
        LayerSpec("l", "linear", {"out_features": 4}),
    )
    x = np.random.default_rng(2).normal(size=(1, 8)).astype(np.float32)
    result = S.sweep(spec, init_weights(spec), x, 5)
    assert result.probabilities.shape == (6, 4)
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0)
    np.testing.assert_allclose(
        result.probabilities, result.probabilities[0:1].repeat(6, 0), atol=1e-6
    )


def test_sweep_refuses_a_bad_count():
    spec = net((1, 8), circ("c", 1))
    with pytest.raises(DataError):
        S.sweep(spec, {}, np.ones((1, 8), np.float32), -1)


# --------------------------------------------------------------------------- properties


@st.composite
def circular_networks(draw):
    dims = draw(st.sampled_from([1, 2]))
    side = draw(st.integers(4, 10))
    layers, channels = [], draw(st.integers(1, 2))
    for i in range(draw(st.integers(1, 3))):
        k = draw(st.sampled_from([1, 3, 5]))
        out = draw(st.integers(1, 3))
        layers.append(circ(f"c{i}", out, k, bias=draw(st.booleans())))
        fn = draw(st.sampled_from(["relu", "tanh", "leaky_relu", None]))
        if fn:
            layers.append(LayerSpec(f"a{i}", "activation", {"function": fn}))
    spec = net((channels,) + (side,) * dims, *layers)
    seed = draw(st.integers(0, 2**16))
    shifts = tuple(draw(st.integers(-2 * side, 2 * side)) for _ in range(dims))
    return spec, seed, shifts


@settings(max_examples=40, deadline=None)
@given(circular_networks())
def test_circular_networks_are_equivariant_to_wrapped_shifts_at_every_layer(case):
    spec, seed, shifts = case
    x = np.random.default_rng(seed).normal(size=spec.input_shape).astype(np.float32)
    report = S.measure(spec, init_weights(spec, seed=seed), x, S.Transform(shift=shifts))
    for layer in report.layers:
        if layer.equivariance_error is None:  # a ReLU that killed everything
            assert "is 0" in layer.note and not np.any(layer.f_tx)
        else:
            assert layer.equivariance_error <= 1e-6, layer.name


@settings(max_examples=30, deadline=None)
@given(circular_networks(), st.sampled_from([2, 3]))
def test_through_a_stride_pool_exact_when_divisible_else_not_defined(case, stride):
    spec, seed, shifts = case
    side = spec.input_shape[1] * stride
    pool = LayerSpec("pool", "max_pool", {"kernel_size": stride})
    spec = net((spec.input_shape[0],) + (side,) * (len(spec.input_shape) - 1), *spec.layers, pool)
    x = np.random.default_rng(seed).normal(size=spec.input_shape).astype(np.float32)
    layer = S.measure(spec, init_weights(spec, seed=seed), x, S.Transform(shift=shifts)).layer(
        "pool"
    )
    if all(s % stride == 0 for s in shifts):
        assert layer.shift == tuple(s // stride for s in shifts)
        if layer.equivariance_error is None:
            assert "is 0" in layer.note and not np.any(layer.f_tx)
        else:
            assert layer.equivariance_error <= 1e-6
    else:
        assert layer.equivariance_error is None
        assert layer.note.startswith("shift ") and "position" in layer.note


@settings(max_examples=30, deadline=None)
@given(circular_networks())
def test_global_average_pool_after_circular_convs_is_invariant(case):
    spec, seed, shifts = case
    spec = net(spec.input_shape, *spec.layers, LayerSpec("gap", "global_avg_pool"))
    x = np.random.default_rng(seed).normal(size=spec.input_shape).astype(np.float32)
    layer = S.measure(spec, init_weights(spec, seed=seed), x, S.Transform(shift=shifts)).layer(
        "gap"
    )
    if layer.invariance_error is not None:
        assert layer.invariance_error <= 1e-6


@settings(max_examples=30, deadline=None)
@given(st.integers(6, 12), st.integers(1, 3), st.integers(0, 2**16))
def test_zero_padding_error_is_nonzero_and_only_at_the_borders(side, s, seed):
    spec = net((1, side, side), conv("c", 2, 3, padding=1))
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 1.5, size=spec.input_shape).astype(np.float32)
    w = {
        "c": {
            "weight": rng.uniform(0.5, 1.5, (2, 1, 3, 3)).astype(np.float32),
            "bias": np.zeros(2, np.float32),
        }
    }
    layer = S.measure(spec, w, x, S.shift(s, 0)).layer("c")
    assert layer.equivariance_error > 1e-3
    diff = np.abs(layer.f_tx - layer.t_fx)
    border = np.zeros(side, bool)
    border[[0, s - 1, s, side - 1]] = True  # the wrap seam (columns s-1, s) and the edges
    assert diff[:, :, ~border].max() <= 1e-5


# --------------------------------------------------------------------------- lessons


@pytest.mark.parametrize("shape", [(1, 32), (1, 16, 16)])
def test_the_lessons_show_what_their_captions_say(shape):
    x = np.random.default_rng(5).normal(size=shape).astype(np.float32)
    dims = len(shape) - 1

    def run(name, s):
        spec = S.lesson(name).spec(shape)
        t = S.Transform(shift=(0,) * (dims - 1) + (s,), fill=S.lesson(name).fill)
        return S.measure(spec, init_weights(spec, seed=1), x, t)

    assert all(
        layer.equivariance_error is None or layer.equivariance_error <= 1e-6
        for layer in run("circular-stack", 3).layers
    )
    zero = run("zero-padding", 2).layer("conv1")
    assert zero.equivariance_error > 1e-3
    inside = (zero.f_tx - zero.t_fx)[(slice(None),) + (slice(3, -3),) * dims]
    assert np.abs(inside).max() <= 1e-5
    pooled = [run("pooling-stack", s).layer("pool2").equivariance_error for s in (2, 4)]
    assert pooled[0] is None and pooled[1] <= 1e-6
    gap = run("gap-classifier", 3)
    assert gap.layer("scores").invariance_error <= 1e-5
    assert gap.probabilities.shape == (4,)
    with pytest.raises(DataError, match="no lesson"):
        S.lesson("nope")


@pytest.mark.parametrize("shape", [(1, 32), (1, 16, 16)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_blur_pool_lowers_the_invariance_error_of_a_one_position_shift(shape, seed):
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    spec = S.lesson("blur-pool").spec(shape)
    weights = init_weights(spec, seed=seed)
    t = S.Transform(shift=(0,) * (len(shape) - 2) + (1,), fill="wrap")
    report = S.measure(spec, weights, x, t)
    pooled, blurred = report.layer("maxpool"), report.layer("blur")
    assert pooled.shape == blurred.shape  # the same grid: stride 2 either way
    assert blurred.invariance_error < 0.8 * pooled.invariance_error
    # both grids have stride 2: a shift of 1 is half a position there (no equivariance number)
    assert pooled.equivariance_error is None and blurred.equivariance_error is None
    # a shift of 2 is one whole position: the blur pool's wrapped grid carries it
    t2 = S.Transform(shift=(0,) * (len(shape) - 2) + (2,), fill="wrap")
    assert S.measure(spec, weights, x, t2).layer("blur").shift[-1] == 1
