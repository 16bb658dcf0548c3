"""A layer's matrix (engine.linear_map): M @ x equals the layer's output minus its bias,
the transposed convolution's matrix is the convolution's transposed, non-linear layers
and too-large matrices are refused."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import layers as L
from engine import linear_map, ops, receptive
from engine.errors import EngineError
from engine.linear_map import MatrixError, layer_matrix, layer_spec_matrix
from engine.network import forward, init_weights
from engine.presets import get_preset
from engine.sampling import transpose_pair
from engine.spec import LayerSpec, NetworkSpec

FEW = settings(max_examples=30)


def _conv_case(data, transposed: bool):
    """A random (transposed) convolution layer, its input shape and weights (or None)."""
    n = data.draw(st.sampled_from([1, 2]), "dims")
    groups = data.draw(st.sampled_from([1, 2]), "groups")
    c_in = groups * data.draw(st.integers(1, 2), "c_in per group")
    c_out = groups * data.draw(st.integers(1, 2), "c_out per group")
    k = tuple(data.draw(st.integers(1, 3), "K") for _ in range(n))
    s = tuple(data.draw(st.integers(1, 3), "S") for _ in range(n))
    d = tuple(data.draw(st.integers(1, 2), "D") for _ in range(n))
    spatial = tuple(data.draw(st.integers(3, 7 if n == 1 else 5), "size") for _ in range(n))
    params = {
        "out_channels": c_out,
        "kernel_size": k,
        "stride": s,
        "dilation": d,
        "groups": groups,
        "bias": False,
    }
    if transposed:
        params["padding"] = tuple(data.draw(st.integers(0, 2), "P") for _ in range(n))
        params["output_padding"] = tuple(
            data.draw(st.integers(0, max(ss, dd) - 1), "OP") for ss, dd in zip(s, d, strict=True)
        )
        layer = LayerSpec("t", "conv_transpose", params)
    else:
        params["padding"] = data.draw(st.sampled_from([0, 1, 2, "same", "valid"]), "P")
        params["padding_mode"] = data.draw(
            st.sampled_from(["zeros", "reflect", "replicate", "circular"]), "mode"
        )
        params["flip"] = data.draw(st.booleans(), "flip")
        layer = LayerSpec("c", "conv", params)
    shape = (c_in, *spatial)
    try:
        validated = L.validate_params(layer)
        L.output_shape(layer, validated, [shape])
    except EngineError:
        assume(False)
    return layer, validated, shape


def _weights(layer, params, shape, seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(s) for k, s in L.weight_shapes(layer, params, [shape]).items()}


@FEW
@given(st.data())
def test_the_convolution_matrix_times_x_is_engine_ops(data):
    layer, p, shape = _conv_case(data, transposed=False)
    w = _weights(layer, p, shape)
    m = layer_spec_matrix(layer, shape, w)
    x = np.random.default_rng(1).standard_normal(shape)
    conv = ops.conv1d if len(shape) == 2 else ops.conv2d
    y = conv(
        x,
        w["weight"],
        None,
        p["stride"],
        p["padding"],
        p["dilation"],
        p["groups"],
        p["padding_mode"],
        p["flip"],
    )
    assert m.output_shape == y.shape and m.matrix.shape == (y.size, x.size)
    np.testing.assert_allclose(m.matrix @ x.ravel(), y.ravel(), rtol=1e-10, atol=1e-10)


@FEW
@given(st.data())
def test_the_transposed_convolution_matrix_times_x_is_engine_ops(data):
    layer, p, shape = _conv_case(data, transposed=True)
    w = _weights(layer, p, shape)
    m = layer_spec_matrix(layer, shape, w)
    x = np.random.default_rng(2).standard_normal(shape)
    conv_t = ops.conv_transpose1d if len(shape) == 2 else ops.conv_transpose2d
    y = conv_t(
        x,
        w["weight"],
        None,
        p["stride"],
        p["padding"],
        p["output_padding"],
        p["groups"],
        p["dilation"],
    )
    assert m.output_shape == y.shape
    np.testing.assert_allclose(m.matrix @ x.ravel(), y.ravel(), rtol=1e-10, atol=1e-10)


@FEW
@given(st.data())
def test_the_transposed_matrix_is_the_convolutions_transposed(data):
    """Dumoulin & Visin §4: conv from I to O is C; conv_transpose with the same weights
    from O back to I (output_padding = what the floor dropped) is C^T, entry for entry."""
    n = data.draw(st.sampled_from([1, 2]))
    groups = data.draw(st.sampled_from([1, 2, 3]))
    c_in, c_out = groups * data.draw(st.integers(1, 2)), groups * data.draw(st.integers(1, 2))
    k = tuple(data.draw(st.integers(1, 4)) for _ in range(n))
    stride = tuple(data.draw(st.integers(1, 3)) for _ in range(n))
    padding = tuple(data.draw(st.integers(0, 2)) for _ in range(n))
    dilation = tuple(data.draw(st.integers(1, 2)) for _ in range(n))
    spatial = tuple(data.draw(st.integers(4, 9 if n == 1 else 6)) for _ in range(n))
    shape = (c_in, *spatial)
    assume(
        all(
            i + 2 * p >= d * (kk - 1) + 1
            for i, p, d, kk in zip(spatial, padding, dilation, k, strict=True)
        )
    )
    w = np.random.default_rng(3).standard_normal((c_out, c_in // groups, *k))
    pair = transpose_pair(shape, w, stride, padding, dilation, groups)
    assert pair.transposed.input_shape == pair.conv.output_shape
    assert pair.transposed.output_shape == shape
    np.testing.assert_array_equal(pair.transposed.matrix, pair.conv.matrix.T)
    # and the transposed matrix is the real transposed convolution
    y = np.random.default_rng(4).standard_normal(pair.conv.output_shape)
    conv_t = ops.conv_transpose1d if n == 1 else ops.conv_transpose2d
    z = conv_t(y, w, None, stride, padding, pair.output_padding, groups, dilation)
    np.testing.assert_allclose(pair.transposed.matrix @ y.ravel(), z.ravel(), atol=1e-10)


OTHER_LAYERS = [
    (LayerSpec("p", "avg_pool", {"kernel_size": 3, "stride": 2, "padding": 1}), (2, 7)),
    (LayerSpec("p", "avg_pool", {"kernel_size": (2, 3), "stride": (2, 1)}), (2, 5, 6)),
    (LayerSpec("s", "subsample", {"factor": 3}), (2, 7, 5)),
    (LayerSpec("s", "subsample", {"factor": 2}), (3, 9)),
    (LayerSpec("u", "upsample", {"scale_factor": 3}), (2, 3, 4)),
    (LayerSpec("u", "upsample", {"scale_factor": 2}), (2, 5)),
    (LayerSpec("u", "upsample", {"scale_factor": 3, "mode": "bilinear"}), (2, 3, 4)),
    (LayerSpec("u", "upsample", {"scale_factor": 4, "mode": "linear"}), (1, 5)),
    (LayerSpec("c", "conv", {"out_channels": 5, "kernel_size": 1, "bias": False}), (3, 4, 4)),
    (LayerSpec("l", "linear", {"out_features": 3, "bias": False}), (7,)),
    (LayerSpec("g", "global_avg_pool"), (3, 4, 5)),
    (LayerSpec("f", "flatten"), (2, 3, 4)),
    (LayerSpec("d", "dropout", {"p": 0.5}), (2, 6)),
]


@pytest.mark.parametrize("layer, shape", OTHER_LAYERS, ids=lambda v: getattr(v, "type", ""))
def test_every_linear_layer_matrix_times_x_is_its_forward(layer, shape):
    p = L.validate_params(layer)
    w = _weights(layer, p, shape) or None
    m = layer_spec_matrix(layer, shape, w)
    x = np.random.default_rng(5).standard_normal(shape)
    y, _ = L.forward(layer, p, [x], w)
    assert m.method == "construction" and m.matrix.shape == (y.size, x.size)
    np.testing.assert_allclose(m.matrix @ x.ravel(), y.ravel(), rtol=1e-12, atol=1e-12)


def test_a_networks_layer_matrix_leaves_out_the_bias():
    spec = get_preset("lab-1d").with_input_shape((1, 16))
    weights = init_weights(spec, seed=3)
    x = np.random.default_rng(6).standard_normal((1, 16)).astype(np.float32)
    trace = forward(spec, weights, x)
    for name, source in (("conv1", "input"), ("conv2", "pool")):
        m = layer_matrix(spec, weights, name)
        bias = weights[name]["bias"][:, None]
        assert m.input_shape == trace.outputs[source].shape
        got = m.matrix @ trace.outputs[source].ravel().astype(np.float64)
        np.testing.assert_allclose(got, (trace.outputs[name] - bias).ravel(), atol=1e-5)
        assert m.to_dict()["output_shape"] == list(trace.outputs[name].shape)


def test_a_1x1_convolution_is_the_mixing_matrix_at_every_position():
    layer = LayerSpec("mix", "conv", {"out_channels": 2, "kernel_size": 1, "bias": False})
    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])[:, :, None, None]
    m = layer_spec_matrix(layer, (3, 2, 2), {"weight": w}).matrix
    np.testing.assert_array_equal(m, np.kron(w[:, :, 0, 0], np.eye(4)))


def test_hovering_a_row_gives_the_window_the_receptive_field_module_finds():
    layer = LayerSpec(
        "c",
        "conv",
        {
            "out_channels": 4,
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
            "groups": 2,
            "bias": False,
        },
    )
    shape = (2, 5, 6)
    p = L.validate_params(layer)
    m = layer_spec_matrix(layer, shape, _weights(layer, p, shape))
    spec = NetworkSpec((layer,), shape)
    for row in (0, 7, m.matrix.shape[0] - 1):
        reads = m.row_reads(row)
        channel, *position = reads.output
        field = receptive.receptive_field(spec, shape, "c", tuple(position))["input"]
        assert sorted({tuple(i[1:]) for i in reads.inputs}) == [
            tuple(q) for q in np.argwhere(field)
        ]
        assert {i[0] for i in reads.inputs} == ({0} if channel < 2 else {1})  # its group
        np.testing.assert_array_equal(reads.weights, m.matrix[row, reads.columns])
    # a column of the convolution is a row of the transposed convolution
    pair = transpose_pair(shape, _weights(layer, p, shape)["weight"], 2, 1, 1, 2)
    feeds = pair.conv.column_feeds(9)
    assert feeds.input == (0, 1, 3)
    back = pair.transposed.row_reads(9)
    assert back.output == feeds.input and back.inputs == feeds.outputs


@pytest.mark.parametrize(
    "preset, layer, words",
    [
        ("lab-1d", "pool", "max pool is not linear"),
        ("lab-1d", "relu1", "activation is not linear"),
        ("encoder-decoder", "unpool2", "max unpool is not linear"),
        ("encoder-decoder", "skip2", "reads two inputs"),
    ],
)
def test_non_linear_layers_are_refused_by_name(preset, layer, words):
    spec = get_preset(preset)
    shape = spec.input_shape[:1] + (16,) * (len(spec.input_shape) - 1)
    with pytest.raises(MatrixError) as caught:
        layer_matrix(spec, init_weights(spec, shape), layer, shape)
    message = str(caught.value)
    assert words in message and f"'{layer}'" in message and "\n" not in message


def test_a_too_large_matrix_is_refused_before_any_memory_is_taken():
    spec = get_preset("lab-2d")  # conv1 on 1×256×256: 1,048,576 × 65,536 entries
    tracemalloc.start()
    try:
        with pytest.raises(MatrixError) as caught:
            layer_matrix(spec, {}, "conv1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # the matrix would be 512 GiB; a few small arrays at most
    message = str(caught.value)
    assert "1,048,576 × 65,536" in message and "4,096 × 4,096" in message
    assert "\n" not in message


def test_the_limit_is_4096_by_4096_entries():
    linear_map.check_matrix_size(4096, 4096)
    linear_map.check_matrix_size(1, 4096 * 4096)
    with pytest.raises(MatrixError):
        linear_map.check_matrix_size(4097, 4096)


def test_an_unknown_linear_layer_type_is_probed_to_the_same_matrix(monkeypatch):
    layer = LayerSpec(
        "c",
        "conv",
        {
            "out_channels": 2,
            "kernel_size": 3,
            "padding": 2,
            "padding_mode": "reflect",
            "bias": True,
        },
    )
    shape = (2, 6)
    p = L.validate_params(layer)
    w = _weights(layer, p, shape)
    built = layer_spec_matrix(layer, shape, w)
    monkeypatch.delitem(linear_map._BUILDERS, "conv")  # as a type the builder does not know
    probed = layer_spec_matrix(layer, shape, w)
    assert (built.method, probed.method) == ("construction", "probing")
    np.testing.assert_allclose(probed.matrix, built.matrix, atol=1e-12)  # bias left out too


def test_probing_refuses_a_layer_that_turns_out_not_linear(monkeypatch):
    monkeypatch.delitem(linear_map.NOT_LINEAR, "activation")
    with pytest.raises(MatrixError, match="activation layer is not linear"):
        layer_spec_matrix(LayerSpec("a", "activation", {"function": "tanh"}), (1, 5))
