"""engine.explain: the arithmetic behind one value equals the value the forward pass computed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from engine.explain import ExplainError, explain, fmt_num, general_formula
from engine.spec import LayerSpec, NetworkSpec
from engine.trace import Trace

CONV = {1: F.conv1d, 2: F.conv2d}


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))[None].double()


def _np(t: torch.Tensor) -> np.ndarray:
    return t[0].float().numpy().copy()


def _conv_forward(x, w, b, params, dims):
    """torch.nn.functional's convolution with the layer's parameters (the ground truth)."""
    k = w.shape[2:]
    d = params["dilation"]
    pad = params["padding"]
    mode = params["padding_mode"]
    weight = torch.from_numpy(w).double()
    if params["flip"]:
        weight = weight.flip(list(range(2, 2 + dims)))
    xt = _t(x)
    if pad == "same":
        total = [d * (kk - 1) for kk in k]
        pads = []
        for t_ in reversed(total):
            pads += [t_ // 2, t_ - t_ // 2]
    else:
        pads = [pad] * (2 * dims)
    if any(pads):
        xt = F.pad(xt, pads, mode="constant" if mode == "zeros" else mode)
    bias = None if b is None else torch.from_numpy(b).double()
    out = CONV[dims](xt, weight, bias, stride=params["stride"], dilation=d, groups=params["groups"])
    return _np(out)


@st.composite
def conv_cases(draw):
    dims = draw(st.sampled_from([1, 2]))
    groups = draw(st.sampled_from([1, 2]))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    k = draw(st.integers(1, 4))
    d = draw(st.integers(1, 2))
    stride = draw(st.integers(1, 3))
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    pad = draw(st.sampled_from(["same", 0, 1, 2])) if stride == 1 else draw(st.integers(0, 2))
    size = draw(st.integers(max(d * (k - 1) + 1, 3), 9))
    flip = draw(st.booleans())
    bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((c_in, *([size] * dims))).astype(np.float32)
    w = rng.standard_normal((c_out, c_in // groups, *([k] * dims))).astype(np.float32)
    b = rng.standard_normal(c_out).astype(np.float32) if bias else None
    params = dict(
        out_channels=c_out,
        kernel_size=k,
        stride=stride,
        padding=pad,
        dilation=d,
        groups=groups,
        bias=bias,
        padding_mode=mode,
        flip=flip,
    )
    return dims, x, w, b, params, draw(st.randoms(use_true_random=False))


@given(conv_cases())
def test_explained_conv_value_equals_torch(case):
    dims, x, w, b, params, rnd = case
    out = _conv_forward(x, w, b, params, dims)
    spec = NetworkSpec([LayerSpec("conv1", "conv", params)], x.shape)
    trace = Trace(outputs={"input": x, "conv1": out})
    weights = {"conv1": {"weight": w, "bias": b}}
    where = tuple(rnd.randrange(s) for s in out.shape)
    exp = explain(spec, weights, trace, "conv1", where[0], where[1:])
    assert exp.pre_activation == pytest.approx(float(out[where]), rel=1e-5, abs=1e-5)
    assert exp.result == float(out[where])
    assert len(exp.terms) == (x.shape[0] // params["groups"]) * w[0, 0].size
    # every term's weight is the stored weight it names
    for term in exp.terms:
        assert term.weight == float(w[term.weight_index])


def test_zero_padded_positions_are_zero_terms():
    x = np.arange(1, 6, dtype=np.float32)[None]  # 1..5
    w = np.array([[[1.0, 10.0, 100.0]]], np.float32)
    spec = NetworkSpec(
        [LayerSpec("c", "conv", {"out_channels": 1, "padding": 1, "bias": False})], x.shape
    )
    out = _conv_forward(x, w, None, {**spec.layers[0].params, **_defaults(), "padding": 1}, 1)
    trace = Trace(outputs={"input": x, "c": out})
    exp = explain(spec, {"c": {"weight": w}}, trace, "c", 0, (0,))
    assert [t.position for t in exp.terms] == [(-1,), (0,), (1,)]
    assert [t.padded for t in exp.terms] == [True, False, False]
    assert [t.value for t in exp.terms] == [0.0, 1.0, 2.0]
    assert exp.result == pytest.approx(210.0)  # 1·0 + 10·1 + 100·2


def _defaults():
    return dict(stride=1, dilation=1, groups=1, padding_mode="zeros", flip=False)


def test_activation_after_conv_wraps_the_formula():
    x = np.array([[1.0, -2.0, 3.0, -4.0]], np.float32)
    w = np.array([[[1.0, 1.0]]], np.float32)
    b = np.array([0.5], np.float32)
    spec = NetworkSpec(
        [
            LayerSpec("c", "conv", {"out_channels": 1, "kernel_size": 2}),
            LayerSpec("r", "activation", {"function": "relu"}),
        ],
        x.shape,
    )
    z = np.array([[-0.5, 1.5, -0.5]], np.float32)
    trace = Trace(outputs={"input": x, "c": z, "r": np.maximum(z, 0)})
    weights = {"c": {"weight": w, "bias": b}}
    exp = explain(spec, weights, trace, "c", 0, (1,))
    assert exp.activation == "relu" and exp.activation_layer == "r"
    assert exp.pre_activation == pytest.approx(1.5) and exp.result == pytest.approx(1.5)
    # hovering the activation explains the same arithmetic
    exp_r = explain(spec, weights, trace, "r", 0, (0,))
    assert exp_r.kind == "sum" and exp_r.result == 0.0 and exp_r.pre_activation == -0.5
    text = exp_r.format()
    assert text.startswith("h[0, 0] = ReLU[0.5 + (1·1) + (1·−2)]") and text.endswith("= 0")


def test_format_abbreviates_long_sums_but_keeps_the_exact_result():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 8, 8)).astype(np.float32)
    w = rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    params = {"out_channels": 2, "padding": 1, **_defaults()}
    out = _conv_forward(x, w, None, params, 2)
    spec = NetworkSpec([LayerSpec("c", "conv", {**params, "bias": False})], x.shape)
    exp = explain(spec, {"c": {"weight": w}}, Trace(outputs={"input": x, "c": out}), "c", 1, (4, 5))
    text = exp.format(max_terms=3)
    assert "… (23 more)" in text  # 27 terms: 3 shown, 23 hidden, the last shown
    assert text.count("·") == 4
    assert text.endswith("= " + fmt_num(float(out[1, 4, 5])))


@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("kind", ["max_pool", "avg_pool"])
@pytest.mark.parametrize("padding", [0, 1])
def test_pools_equal_torch(dims, kind, padding):
    rng = np.random.default_rng(dims * 10 + padding)
    x = rng.standard_normal((2, *([7] * dims))).astype(np.float32)
    fn = {
        ("max_pool", 1): F.max_pool1d,
        ("max_pool", 2): F.max_pool2d,
        ("avg_pool", 1): F.avg_pool1d,
        ("avg_pool", 2): F.avg_pool2d,
    }[kind, dims]
    out = _np(fn(_t(x), 3, 2, padding))
    spec = NetworkSpec(
        [LayerSpec("p", kind, {"kernel_size": 3, "stride": 2, "padding": padding})], x.shape
    )
    trace = Trace(outputs={"input": x, "p": out})
    for where in np.ndindex(out.shape):
        exp = explain(spec, {}, trace, "p", where[0], where[1:])
        assert exp.pre_activation == pytest.approx(float(out[where]), abs=1e-6)
        if kind == "max_pool":
            won = exp.terms[exp.winner]
            assert won.value == float(out[where])
            assert float(x[(won.channel, *won.position)]) == won.value


@pytest.mark.parametrize(
    "dims,mode", [(1, "nearest"), (1, "linear"), (2, "nearest"), (2, "bilinear")]
)
def test_upsample_equals_torch(dims, mode):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, *([5] * dims))).astype(np.float32)
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    out = _np(F.interpolate(_t(x), scale_factor=3, mode=mode, **kwargs))
    spec = NetworkSpec([LayerSpec("u", "upsample", {"scale_factor": 3, "mode": mode})], x.shape)
    trace = Trace(outputs={"input": x, "u": out})
    for where in np.ndindex(out.shape):
        exp = explain(spec, {}, trace, "u", where[0], where[1:])
        assert exp.pre_activation == pytest.approx(float(out[where]), abs=1e-5)


def test_linear_and_transposed_conv_equal_torch():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 6)).astype(np.float32)
    # transposed conv, stride 2, padding 1, groups 2
    w = rng.standard_normal((2, 2, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    params = {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1, "groups": 2}
    out = _np(
        F.conv_transpose1d(
            _t(x), torch.from_numpy(w).double(), torch.from_numpy(b).double(), 2, 1, groups=2
        )
    )
    # linear on the flattened output
    flat = out.reshape(-1)
    lw = rng.standard_normal((3, flat.size)).astype(np.float32)
    lb = rng.standard_normal(3).astype(np.float32)
    lin = (lw.astype(np.float64) @ flat + lb).astype(np.float32)
    spec = NetworkSpec(
        [
            LayerSpec("t", "conv_transpose", params),
            LayerSpec("f", "flatten"),
            LayerSpec("fc", "linear", {"out_features": 3}),
        ],
        x.shape,
    )
    trace = Trace(outputs={"input": x, "t": out, "f": flat, "fc": lin})
    weights = {"t": {"weight": w, "bias": b}, "fc": {"weight": lw, "bias": lb}}
    for where in np.ndindex(out.shape):
        exp = explain(spec, weights, trace, "t", where[0], where[1:])
        assert exp.pre_activation == pytest.approx(float(out[where]), abs=1e-5)
    for unit in range(3):
        exp = explain(spec, weights, trace, "fc", unit, ())
        assert exp.pre_activation == pytest.approx(float(lin[unit]), abs=1e-5)
    assert out.shape == (4, 11)
    exp = explain(spec, weights, trace, "f", 13, ())  # flat 13 = channel 1, position 2
    assert exp.kind == "copy" and exp.terms[0].position == (2,) and exp.terms[0].channel == 1
    assert exp.result == float(out[1, 2])


def test_position_outside_the_output_is_a_clear_error():
    x = np.zeros((1, 4), np.float32)
    spec = NetworkSpec([LayerSpec("s", "subsample", {"factor": 2})], x.shape)
    trace = Trace(outputs={"input": x, "s": x[:, ::2].copy()})
    with pytest.raises(ExplainError, match="outside the output of shape"):
        explain(spec, {}, trace, "s", 0, (2,))


def test_general_formula_fills_in_the_numbers():
    spec = NetworkSpec(
        [LayerSpec("c", "conv", {"kernel_size": 3, "padding": 1, "stride": 2, "dilation": 2})],
        (1, 20),
    )
    text = general_formula(spec, "c", (1, 20), (4, 9))
    # 0-indexed like the readout: output i reads S·i + D·j − P = 2i + 2j − 1 (j = 0…2)
    assert "z_i = β + Σ_c Σ_j ω_cj · x_c,(2i+2j−1)   (j = 0…2)" in text
    assert "indices count from 0" in text
    assert "floor((20 + 2·1 − 2·(3−1) − 1)/2) + 1 = 9" in text


def test_fmt_num_uses_a_true_minus():
    assert fmt_num(-0.25) == "−0.25"
    assert fmt_num(0.0) == "0"
    assert fmt_num(1.2e-5) == "1.2e−05"


@st.composite
def networks(draw):
    """A small random conv → activation → pool/upsample network and an input."""
    dims = draw(st.sampled_from([1, 2]))
    c_in = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([g for g in (1, 2, 3) if c_in % g == 0]))
    c_out = groups * draw(st.integers(1, 2))
    k = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 2))
    padding = draw(st.sampled_from(["same", 0, 1])) if stride == 1 else draw(st.integers(0, 1))
    conv = LayerSpec(
        "conv",
        "conv",
        {
            "out_channels": c_out,
            "kernel_size": k,
            "stride": stride,
            "padding": padding,
            "dilation": draw(st.integers(1, 2)),
            "groups": groups,
            "bias": draw(st.booleans()),
            "padding_mode": draw(st.sampled_from(["zeros", "reflect", "circular"])),
            "flip": draw(st.booleans()),
        },
    )
    act = LayerSpec("act", "activation", {"function": draw(st.sampled_from(["relu", "tanh"]))})
    last = draw(st.sampled_from(["max_pool", "avg_pool", "upsample", "subsample", "blur_pool"]))
    params = {
        "upsample": {"scale_factor": 2, "mode": "nearest" if dims == 1 else "bilinear"},
        "subsample": {"factor": 2},
        "blur_pool": {
            "kernel_size": draw(st.integers(2, 7)),
            "stride": draw(st.integers(1, 3)),
            "padding_mode": draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"])),
        },
    }.get(last, {"kernel_size": 2, "padding": 1})
    spec = NetworkSpec([conv, act, LayerSpec("last", last, params)], (c_in, *([9] * dims)))
    seed = draw(st.integers(0, 1000))
    return spec, seed, draw(st.randoms(use_true_random=False))


@given(networks())
def test_explain_equals_the_engine_forward_pass(case):
    from engine import network

    spec, seed, rnd = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(spec.input_shape).astype(np.float32)
    weights = network.init_weights(spec, x.shape, seed=seed)
    trace = network.forward(spec, weights, x)
    assert trace.ok, trace.first_error()
    for layer in ("conv", "act", "last"):
        out = trace.outputs[layer]
        where = tuple(rnd.randrange(s) for s in out.shape)
        exp = explain(spec, weights, trace, layer, where[0], where[1:])
        # probing the activation explains the conv below it, wrapped in the activation
        assert exp.layer == ("conv" if layer == "act" else layer)
        own = float(trace.outputs[exp.layer][where])
        assert exp.value == own
        assert exp.pre_activation == pytest.approx(own, rel=1e-5, abs=1e-5)
        assert exp.result == float(trace.outputs["act" if exp.activation else layer][where])


def test_very_long_sums_keep_their_ends_and_the_exact_total():
    from engine import network
    from engine.explain import KEEP_TERMS

    spec = NetworkSpec(
        [LayerSpec("f", "flatten"), LayerSpec("fc", "linear", {"out_features": 2})], (4, 300)
    )
    x = np.random.default_rng(0).standard_normal((4, 300)).astype(np.float32)
    weights = network.init_weights(spec, x.shape, seed=1)
    trace = network.forward(spec, weights, x)
    exp = explain(spec, weights, trace, "fc", 1, ())
    assert exp.n_terms == 1200 and len(exp.terms) == KEEP_TERMS
    assert exp.terms[-1].position == (1199,)
    assert exp.pre_activation == pytest.approx(float(trace.outputs["fc"][1]), abs=1e-5)
    assert f"… ({1200 - 4 - 1} more)" in exp.format(max_terms=4)
    spec2 = NetworkSpec([LayerSpec("g", "global_avg_pool")], (2, 30, 30))
    x2 = np.random.default_rng(1).random((2, 30, 30)).astype(np.float32)
    trace2 = network.forward(spec2, {}, x2)
    exp2 = explain(spec2, {}, trace2, "g", 1, ())
    assert exp2.n_terms == 900 and exp2.count == 900
    assert exp2.pre_activation == pytest.approx(float(trace2.outputs["g"][1]), abs=1e-6)


def test_blur_pool_explains_as_binomial_weights_over_the_reflected_window():
    from engine import network

    spec = NetworkSpec([LayerSpec("b", "blur_pool", {"kernel_size": 3})], (1, 5))
    x = np.array([[0.0, 1.0, 2.0, 3.0, 4.0]], np.float32)
    trace = network.forward(spec, {}, x)
    exp = explain(spec, {}, trace, "b", 0, (0,))
    assert exp.kind == "sum" and exp.bias is None
    assert [t.weight for t in exp.terms] == [0.25, 0.5, 0.25]
    # position −1 is padding, reflected onto position 1 (value 1)
    assert [(t.position, t.value, t.padded) for t in exp.terms] == [
        ((-1,), 1.0, True),
        ((0,), 0.0, False),
        ((1,), 1.0, False),
    ]
    assert all(t.weight_index is None for t in exp.terms)
    assert exp.pre_activation == pytest.approx(0.5) == float(trace.outputs["b"][0, 0])
