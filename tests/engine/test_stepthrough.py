"""engine.stepthrough: every step's numbers are the engine's forward outputs, in order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.explain import explain
from engine.network import forward, init_weights
from engine.spec import LayerSpec, NetworkSpec
from engine.stepthrough import StepError, build_plan, carry_step


def _run(layers, shape, seed=0):
    spec = NetworkSpec(layers, shape)
    weights = init_weights(spec, seed=seed)
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return spec, weights, forward(spec, weights, x)


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
    pad = (
        draw(st.sampled_from(["same", "valid", 0, 1, 2]))
        if stride == 1
        else draw(st.integers(0, 2))
    )
    size = draw(st.integers(max(d * (k - 1) + 1, 3), 7))
    params = dict(
        out_channels=c_out,
        kernel_size=k,
        stride=stride,
        padding=pad,
        dilation=d,
        groups=groups,
        padding_mode=mode,
        bias=draw(st.booleans()),
        flip=draw(st.booleans()),
    )
    layers = [LayerSpec("c", "conv", params)]
    if draw(st.booleans()):
        layers.append(LayerSpec("r", "activation", {"function": "relu"}))
    return (
        layers,
        (c_in, *([size] * dims)),
        draw(st.integers(0, c_out - 1)),
        draw(st.integers(0, 999)),
    )


@given(conv_cases())
def test_conv_steps_equal_the_forward_output(case):
    layers, shape, channel, seed = case
    spec, weights, trace = _run(layers, shape, seed)
    plan = build_plan(spec, weights, trace, "c", channel)
    out = trace.outputs["c"][channel]
    assert plan.count == out.size
    ls = spec.layers[0]
    stride, dil = ls.param("stride"), ls.param("dilation")
    k = ls.param("kernel_size")
    padded = {c: plan.padded_input(c) for c in plan.input_channels()}
    for i in range(plan.count):
        step = plan.step(i)
        # raster order over the output
        assert step.position == tuple(int(p) for p in np.unravel_index(i, out.shape))
        assert step.value == float(out[step.position])
        assert step.taps[-1].running == pytest.approx(step.value, rel=1e-5, abs=1e-5)
        # the arithmetic is the Formula panel's, word for word
        exp = explain(spec, weights, trace, "c", channel, step.position)
        assert step.text == exp.format()
        assert len(step.taps) == len(plan.input_channels()) * k ** len(out.shape)
        for tap in step.taps:
            assert tap.product == tap.weight * tap.value
            # the padded picture holds the tap's value at the tap's cell
            cell = tuple(p + b for p, (b, _) in zip(tap.position, plan.padding, strict=True))
            assert padded[tap.channel][cell] == pytest.approx(tap.value)
            inside = all(0 <= p < n for p, n in zip(tap.position, shape[1:], strict=True))
            assert tap.padded == (not inside)
        # the first tap of a window sits at S·i − P_left
        first = step.taps[0].position
        assert first == tuple(
            s * stride - b for s, (b, _) in zip(step.position, plan.padding, strict=True)
        )
    del dil


def test_stride_dilation_padding_frame_order_by_hand():
    layer = LayerSpec(
        "c",
        "conv",
        {
            "out_channels": 1,
            "kernel_size": 3,
            "stride": 2,
            "dilation": 2,
            "padding": 2,
            "bias": False,
        },
    )
    spec, weights, trace = _run([layer], (1, 9))
    plan = build_plan(spec, weights, trace, "c")
    # floor((9 + 4 − 2·2 − 1)/2) + 1 = 5 frames, windows at 2i − 2 + {0, 2, 4}
    assert plan.count == 5
    windows = [[t.position[0] for t in plan.step(i).taps] for i in range(plan.count)]
    assert windows == [[-2, 0, 2], [0, 2, 4], [2, 4, 6], [4, 6, 8], [6, 8, 10]]
    assert [t.padded for t in plan.step(0).taps] == [True, False, False]
    assert [t.padded for t in plan.step(4).taps] == [False, False, True]


def test_reflect_padding_cells_hold_the_mirror():
    layer = LayerSpec("c", "conv", {"out_channels": 1, "padding": 2, "padding_mode": "reflect"})
    spec, weights, trace = _run([layer], (1, 5))
    plan = build_plan(spec, weights, trace, "c")
    x = trace.outputs["input"][0]
    np.testing.assert_array_equal(
        plan.padded_input(0), x[[2, 1, 0, 1, 2, 3, 4, 3, 2]].astype(np.float64)
    )
    step = plan.step(0)
    assert [t.value for t in step.taps] == [float(x[2]), float(x[1]), float(x[0])]


POOLS = st.tuples(
    st.sampled_from(["max_pool", "avg_pool"]),
    st.sampled_from([1, 2]),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 1),
    st.integers(4, 7),
)


@given(POOLS)
def test_pool_steps_equal_the_forward_output(case):
    kind, dims, k, s, p, size = case
    p = min(p, k // 2)
    spec, weights, trace = _run(
        [LayerSpec("p", kind, {"kernel_size": k, "stride": s, "padding": p})], (2, *[size] * dims)
    )
    plan = build_plan(spec, weights, trace, "p", 1)
    out = trace.outputs["p"][1]
    assert plan.count == out.size
    for i in range(plan.count):
        step = plan.step(i)
        assert step.value == float(out[step.position])
        if kind == "max_pool":
            assert step.combine == "max"
            assert step.taps[step.winner].value == step.value
            assert step.taps[-1].running == step.value
        else:
            assert step.combine == "mean"
            assert step.taps[-1].running / len(step.taps) == pytest.approx(step.value, abs=1e-6)
    if p:
        fill = plan.padded_input(1)
        assert fill[(0,) * dims] == (-np.inf if kind == "max_pool" else 0.0)


def test_udl_max_pool_winners():
    x = np.array([[1, 3, 5, 3], [6, 2, 0, 8], [4, 6, 1, 4], [2, 8, 0, 3]], np.float32)[None]
    spec = NetworkSpec([LayerSpec("p", "max_pool", {"kernel_size": 2})], x.shape)
    trace = forward(spec, {}, x)
    plan = build_plan(spec, {}, trace, "p")
    assert [plan.step(i).value for i in range(4)] == [6, 8, 8, 4]
    assert [plan.step(i).taps[plan.step(i).winner].position for i in range(4)] == [
        (1, 0),
        (1, 3),
        (3, 1),
        (2, 3),
    ]


@given(st.sampled_from(["nearest", "linear"]), st.sampled_from([1, 2]), st.integers(1, 3))
def test_upsample_and_subsample_steps(mode, dims, f):
    mode = "bilinear" if mode == "linear" and dims == 2 else mode
    spec, weights, trace = _run(
        [
            LayerSpec("u", "upsample", {"scale_factor": f, "mode": mode}),
            LayerSpec("s", "subsample", {"factor": f}),
        ],
        (1, *[4] * dims),
    )
    for name in ("u", "s"):
        plan = build_plan(spec, weights, trace, name)
        out = trace.outputs[name][0]
        for i in range(plan.count):
            step = plan.step(i)
            assert step.taps[-1].running == pytest.approx(step.value, abs=1e-6)
            if mode != "nearest" and name == "u":
                assert sum(t.weight for t in step.taps) == pytest.approx(1.0)
        assert plan.count == out.size


def test_max_unpool_steps_follow_the_indices():
    layers = [
        LayerSpec("p", "max_pool", {"kernel_size": 2}),
        LayerSpec("u", "max_unpool", {"pool": "p"}),
    ]
    spec, weights, trace = _run(layers, (1, 4, 4))
    plan = build_plan(spec, weights, trace, "u")
    out = trace.outputs["u"][0]
    for i in range(plan.count):
        assert plan.step(i).value == float(out[plan.step(i).position])


@st.composite
def transposed_cases(draw):
    dims = draw(st.sampled_from([1, 2]))
    groups = draw(st.sampled_from([1, 2]))
    k, s, d = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    p = draw(st.integers(0, (d * (k - 1)) // 2))
    op = draw(st.integers(0, max(s, d) - 1))
    params = dict(
        out_channels=groups * draw(st.integers(1, 2)),
        kernel_size=k,
        stride=s,
        padding=p,
        output_padding=op,
        dilation=d,
        groups=groups,
        bias=draw(st.booleans()),
    )
    return params, (groups * draw(st.integers(1, 2)), *[draw(st.integers(2, 4))] * dims)


@given(transposed_cases(), st.integers(0, 99))
def test_transposed_steps_scatter_into_the_forward_output(case, seed):
    params, shape = case
    spec, weights, trace = _run([LayerSpec("t", "conv_transpose", params)], shape, seed)
    channel = seed % params["out_channels"]
    plan = build_plan(spec, weights, trace, "t", channel)
    out = trace.outputs["t"][channel]
    assert plan.kind == "scatter" and plan.count == int(np.prod(shape[1:]))
    bias = plan.accumulated(-1)
    b = weights["t"].get("bias")
    np.testing.assert_allclose(bias, float(b[channel]) if params["bias"] else 0.0, atol=1e-6)
    np.testing.assert_allclose(plan.accumulated(plan.count - 1), out, rtol=1e-5, atol=1e-5)
    # each step adds exactly its uncropped targets
    total = plan.accumulated(-1).astype(np.float64)
    for i in range(plan.count):
        step = plan.step(i)
        assert step.position == tuple(int(v) for v in np.unravel_index(i, shape[1:]))
        for t in step.targets:
            if not t.cropped:
                total[t.position] += t.contribution
        np.testing.assert_allclose(total, plan.accumulated(i), rtol=1e-4, atol=1e-5)


def test_carry_step_keeps_the_position_where_it_exists():
    a = _run([LayerSpec("c", "conv", {"out_channels": 1, "padding": 1})], (1, 6, 6))
    b = _run([LayerSpec("c", "conv", {"out_channels": 1, "padding": 0})], (1, 6, 6))
    old, new = build_plan(*a, "c"), build_plan(*b, "c")
    assert old.count == 36 and new.count == 16
    at = old.index_of((2, 3))
    assert new.position_of(carry_step(old, at, new)) == (2, 3)
    gone = old.index_of((5, 5))  # not in the smaller output: the nearest step number
    assert carry_step(old, gone, new) == 15


def test_unsteppable_layers_are_refused_with_a_message():
    spec, weights, trace = _run([LayerSpec("f", "flatten")], (1, 4))
    with pytest.raises(StepError, match="no step-through for layers of type 'flatten'"):
        build_plan(spec, weights, trace, "f")
    with pytest.raises(StepError, match="no layer named 'nope'"):
        build_plan(spec, weights, trace, "nope")


@given(
    st.sampled_from([1, 2]),
    st.integers(2, 7),
    st.integers(1, 3),
    st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
)
def test_blur_pool_steps_sum_binomial_weights_to_the_forward_output(dims, k, s, mode):
    spec, weights, trace = _run(
        [LayerSpec("b", "blur_pool", {"kernel_size": k, "stride": s, "padding_mode": mode})],
        (2, *[6] * dims),
    )
    plan = build_plan(spec, weights, trace, "b", 1)
    out = trace.outputs["b"][1]
    assert plan.count == out.size and plan.padding_fill == mode
    for i in range(plan.count):
        step = plan.step(i)
        assert step.combine == "sum" and len(step.taps) == k**dims
        assert sum(t.weight for t in step.taps) == pytest.approx(1.0)
        assert step.taps[-1].running == pytest.approx(step.value, abs=1e-5)
        assert step.value == float(out[step.position])


def test_blur_pool_padding_cells_hold_the_mirror():
    layer = LayerSpec("b", "blur_pool", {"kernel_size": 4})  # pads 1 before, 2 after
    spec, weights, trace = _run([layer], (1, 5))
    plan = build_plan(spec, weights, trace, "b")
    x = trace.outputs["input"][0]
    np.testing.assert_array_equal(plan.padded_input(0), x[[1, 0, 1, 2, 3, 4, 3, 2]])
    assert [t.weight for t in plan.step(0).taps] == [0.125, 0.375, 0.375, 0.125]
