"""engine.layers: parameter validation, output shapes and counts against torch."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from engine import layers as L
from engine.errors import ShapeError, SpecError
from engine.spec import LayerSpec


def conv(**params):
    return LayerSpec("c", "conv", params)


def shape_of(layer, *in_shapes, pool=None):
    params = L.validate_params(layer)
    return L.output_shape(layer, params, list(in_shapes), pool)


@pytest.mark.parametrize(
    "params, words",
    [
        ({"kernel_size": True}, ["kernel_size", "True"]),
        ({"kernel_size": 0}, ["kernel_size", "at least 1", "0"]),
        ({"kernel_size": -3}, ["kernel_size", "-3"]),
        ({"kernel_size": 5000}, ["kernel_size", "at most 4096", "5000"]),
        ({"kernel_size": 2.5}, ["kernel_size", "2.5"]),
        ({"kernel_size": "three"}, ["kernel_size", "'three'"]),
        ({"kernel_size": None}, ["kernel_size", "None"]),
        ({"kernel_size": [1, 2, 3]}, ["kernel_size", "[1, 2, 3]"]),
        ({"out_channels": 3.0}, ["out_channels", "3.0"]),
        ({"bias": 1}, ["bias", "1"]),
        ({"padding": "full"}, ["padding", "'full'"]),
        ({"padding_mode": "wrap"}, ["padding_mode", "'wrap'"]),
        ({"colour": 3}, ["colour", "out_channels"]),
    ],
)
def test_bad_conv_params_name_parameter_and_value(params, words):
    with pytest.raises(SpecError) as info:
        L.validate_params(conv(**params))
    for word in words:
        assert word in str(info.value)


def test_bad_float_params():
    for p in (float("nan"), float("inf"), -0.1, 1.5, True, "half"):
        with pytest.raises(SpecError, match=r"^p "):
            L.validate_params(LayerSpec("d", "dropout", {"p": p}))
    assert L.validate_params(LayerSpec("d", "dropout", {"p": 0}))["p"] == 0.0


def test_unknown_type_and_missing_pool():
    with pytest.raises(SpecError, match="unknown layer type 'convolution'"):
        L.validate_params(LayerSpec("x", "convolution"))
    with pytest.raises(SpecError, match="pool"):
        L.validate_params(LayerSpec("u", "max_unpool"))


def test_defaults_filled_and_lists_become_tuples():
    p = L.validate_params(conv(kernel_size=[3, 5]))
    assert p["kernel_size"] == (3, 5) and p["stride"] == 1 and p["bias"] is True


def test_kernel_too_large_message_has_the_numbers():
    layer = conv(kernel_size=7, dilation=2, padding=1)
    with pytest.raises(
        ShapeError, match="kernel 7 with dilation 2 spans 13 positions but the padded input has 9"
    ):
        shape_of(layer, (1, 7))


def test_linear_needs_a_vector():
    with pytest.raises(
        ShapeError,
        match=r"linear layer needs a vector; got a \(15, 4\) map .* "
        r"add a flatten layer first",
    ):
        shape_of(LayerSpec("fc", "linear", {"out_features": 3}), (15, 4))


def test_per_axis_size_must_match_the_axes():
    with pytest.raises(ShapeError, match="kernel_size"):
        shape_of(conv(kernel_size=(3, 3)), (1, 10))


def test_shape_errors_for_mismatched_joins_and_modes():
    with pytest.raises(ShapeError, match=r"\(2, 4\) and \(3, 4\)"):
        shape_of(LayerSpec("a", "add", {}, ("x", "y")), (2, 4), (3, 4))
    assert shape_of(LayerSpec("c", "concat", {}, ("x", "y")), (2, 4), (3, 4)) == (5, 4)
    with pytest.raises(ShapeError, match="bilinear"):
        shape_of(LayerSpec("u", "upsample", {"mode": "bilinear"}), (1, 8))
    with pytest.raises(ShapeError, match="groups 2"):
        shape_of(conv(out_channels=4, groups=2), (3, 8))
    with pytest.raises(ShapeError, match="vector"):
        shape_of(conv(), (10,))
    with pytest.raises(SpecError, match="half the window"):
        shape_of(LayerSpec("p", "max_pool", {"kernel_size": 2, "padding": 2}), (1, 8))
    with pytest.raises(SpecError, match="'same' needs stride 1"):
        shape_of(conv(padding="same", stride=2), (1, 8))
    with pytest.raises(ShapeError, match="reflect padding 3"):
        shape_of(conv(padding=3, padding_mode="reflect"), (1, 3))


def test_book_output_length_formula():
    # floor((L + 2P - D(K-1) - 1) / S) + 1
    assert shape_of(conv(out_channels=15, kernel_size=3, stride=2), (1, 40)) == (15, 19)
    assert shape_of(conv(kernel_size=4, padding="same"), (1, 9)) == (4, 9)
    assert shape_of(LayerSpec("s", "subsample", {"factor": 3}), (2, 7, 9)) == (2, 3, 3)
    assert shape_of(LayerSpec("b", "blur_pool", {}), (2, 7, 9)) == (2, 4, 5)
    assert shape_of(LayerSpec("b", "blur_pool", {"kernel_size": 4, "stride": 3}), (2, 10)) == (
        2,
        4,
    )


def test_fc_parameters_and_macs_documented_meaning():
    layer = conv(out_channels=15, kernel_size=3, stride=2)
    params = L.validate_params(layer)
    assert L.fc_parameter_count([(1, 40)], (15, 19)) == 40 * 285 + 285
    assert L.mac_count(layer, params, [(1, 40)], (15, 19)) == 15 * 19 * 3
    relu = LayerSpec("r", "activation")
    assert L.mac_count(relu, L.validate_params(relu), [(3, 4)], (3, 4)) == 0


sizes = st.integers(1, 4)


@st.composite
def conv_cases(draw):
    n = draw(st.sampled_from([1, 2]))
    c_in = draw(st.integers(1, 4))
    groups = draw(st.sampled_from([1, 2])) if c_in % 2 == 0 else 1
    c_out = groups * draw(st.integers(1, 3))
    k = draw(st.integers(1, 4))
    d = draw(sizes)
    s = draw(sizes)
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    padding = draw(
        st.one_of(st.integers(0, 3), st.just("valid"), st.just("same") if s == 1 else st.just(0))
    )
    params = dict(
        out_channels=c_out,
        kernel_size=k,
        stride=s,
        dilation=d,
        groups=groups,
        padding=padding,
        padding_mode=mode,
        bias=draw(st.booleans()),
    )
    spatial = tuple(draw(st.integers(1, 12)) for _ in range(n))
    return params, (c_in, *spatial)


@given(conv_cases())
def test_conv_shape_and_count_equal_torch(case):
    params, in_shape = case
    layer = conv(**params)
    n = len(in_shape) - 1
    module_cls = torch.nn.Conv1d if n == 1 else torch.nn.Conv2d
    try:
        module = module_cls(
            in_shape[0],
            params["out_channels"],
            params["kernel_size"],
            stride=params["stride"],
            padding=params["padding"],
            dilation=params["dilation"],
            groups=params["groups"],
            bias=params["bias"],
            padding_mode=params["padding_mode"],
        )
        expected = tuple(module(torch.zeros(1, *in_shape)).shape[1:])
    except (RuntimeError, ValueError):
        expected = None
    try:
        got = shape_of(layer, in_shape)
    except (ShapeError, SpecError):
        got = None
    assert got == expected
    if got is not None:
        p = L.validate_params(layer)
        assert L.parameter_count(layer, p, [in_shape]) == sum(
            q.numel() for q in module.parameters()
        )
        assert {k: tuple(v.shape) for k, v in module.named_parameters()} == L.weight_shapes(
            layer, p, [in_shape]
        )
        assert L.mac_count(layer, p, [in_shape], got) == math.prod(got) * math.prod(
            module.weight.shape[1:]
        )


@given(
    st.sampled_from(["max_pool", "avg_pool"]),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(0, 2),
    st.integers(1, 12),
    st.integers(1, 12),
)
def test_pool_shapes_equal_torch(kind, k, s, p, h, w):
    layer = LayerSpec("p", kind, {"kernel_size": k, "stride": s, "padding": p})
    fn = torch.nn.functional.max_pool2d if kind == "max_pool" else torch.nn.functional.avg_pool2d
    try:
        expected = tuple(fn(torch.zeros(1, 2, h, w), k, s, p).shape[1:])
    except (RuntimeError, ValueError):
        expected = None
    try:
        got = shape_of(layer, (2, h, w))
    except (ShapeError, SpecError):
        got = None
    assert got == expected


@given(
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(0, 2),
    st.integers(0, 2),
    st.integers(1, 3),
    st.integers(1, 8),
)
def test_conv_transpose_shape_and_count_equal_torch(k, s, p, op, d, length):
    layer = LayerSpec(
        "t",
        "conv_transpose",
        {
            "out_channels": 3,
            "kernel_size": k,
            "stride": s,
            "padding": p,
            "output_padding": op,
            "dilation": d,
        },
    )
    try:
        module = torch.nn.ConvTranspose1d(2, 3, k, s, p, op, dilation=d)
        expected = tuple(module(torch.zeros(1, 2, length)).shape[1:])
    except (RuntimeError, ValueError):
        expected = None
    try:
        got = shape_of(layer, (2, length))
    except (ShapeError, SpecError):
        got = None
    assert got == expected
    if got is not None:
        params = L.validate_params(layer)
        assert L.parameter_count(layer, params, [(2, length)]) == sum(
            q.numel() for q in module.parameters()
        )


def test_connectivity_dense_layers_and_reflect_padding():
    fc = LayerSpec("fc", "linear", {"out_features": 3})
    m = L.connectivity(fc, L.validate_params(fc), [(5,)], (3,))
    assert m.shape == (3, 5) and m.all()
    c = conv(kernel_size=3, padding=1, padding_mode="reflect")
    m = L.connectivity(c, L.validate_params(c), [(1, 5)], (4, 5))
    # output 0 reads padded positions -1, 0, 1; reflect makes -1 the input position 1
    assert m[0].tolist() == [True, True, False, False, False]
    assert m[4].tolist() == [False, False, False, True, True]


def test_forward_refuses_missing_or_misshapen_weights():
    layer = conv(out_channels=2, kernel_size=3)
    params = L.validate_params(layer)
    x = np.zeros((1, 8), np.float32)
    with pytest.raises(ShapeError, match="no weights"):
        L.forward(layer, params, [x], None)
    with pytest.raises(ShapeError, match=r"weight has shape \(2, 1, 2\)"):
        L.forward(
            layer,
            params,
            [x],
            {"weight": np.zeros((2, 1, 2), np.float32), "bias": np.zeros(2, np.float32)},
        )


def test_blur_pool_has_no_parameters_and_names_what_does_not_fit():
    layer = LayerSpec("b", "blur_pool", {"kernel_size": 5})
    params = L.validate_params(layer)
    assert params == {"kernel_size": 5, "stride": 2, "padding_mode": "reflect"}
    assert L.parameter_count(layer, params, [(3, 8)]) == 0
    assert L.mac_count(layer, params, [(3, 8)], (3, 4)) == 0
    with pytest.raises(
        ShapeError, match="reflect padding 2 must be smaller than the input length 2"
    ):
        shape_of(layer, (3, 2))
    with pytest.raises(SpecError, match="kernel_size must be at most 7"):
        L.validate_params(LayerSpec("b", "blur_pool", {"kernel_size": 8}))
    with pytest.raises(ShapeError, match="blur pool"):
        shape_of(layer, (12,))


def test_blur_pool_connectivity_is_its_padded_window():
    layer = LayerSpec("b", "blur_pool", {"kernel_size": 3, "padding_mode": "zeros"})
    params = L.validate_params(layer)
    m = L.connectivity(layer, params, [(1, 5)], (1, 3))
    # output i reads 2i−1 … 2i+1 (−1 and 5 are zero padding)
    assert m.astype(int).tolist() == [[1, 1, 0, 0, 0], [0, 1, 1, 1, 0], [0, 0, 0, 1, 1]]
    reflect = L.validate_params(LayerSpec("b", "blur_pool", {"kernel_size": 3}))
    m = L.connectivity(layer, reflect, [(1, 5)], (1, 3))
    assert m[0].astype(int).tolist() == [1, 1, 0, 0, 0]  # −1 reflects onto 1
