"""Transposed convolution: how many input positions wrote each output cell so far (the
overlaps the step-through tints) and the cells output_padding adds."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.network import forward, init_weights
from engine.spec import LayerSpec, NetworkSpec
from engine.stepthrough import build_plan


def _plan(params, shape):
    spec = NetworkSpec([LayerSpec("t", "conv_transpose", params)], shape)
    weights = init_weights(spec, seed=1)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    return build_plan(spec, weights, forward(spec, weights, x), "t", 0)


def test_overlaps_by_hand_1d():
    # K = 3, S = 2, P = 1 over 3 inputs: taps land on 2i + k − 1, i.e. cells 2i + k
    plan = _plan({"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1}, (1, 3))
    assert plan.scatter_extent() == ((-1, 6),)  # positions −1 … 5 (output 0 … 4)
    assert plan.overlaps(-1).tolist() == [0] * 7
    assert plan.overlaps(0).tolist() == [1, 1, 1, 0, 0, 0, 0]
    assert plan.overlaps(1).tolist() == [1, 1, 2, 1, 1, 0, 0]
    assert plan.overlaps(2).tolist() == [1, 1, 2, 1, 2, 1, 1]
    assert not plan.output_padding_cells().any()


def test_output_padding_cells_are_the_last_ones():
    params = {"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}
    plan = _plan(params, (1, 3))  # output (3 − 1)·2 − 2 + 2 + 1 + 1 = 6: positions 0 … 5
    assert plan.output.shape[1] == 6
    assert plan.scatter_extent() == ((-1, 6),)
    assert plan.output_padding_cells().tolist() == [False] * 6 + [True]


@st.composite
def cases(draw):
    dims = draw(st.sampled_from([1, 2]))
    k, s, d = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    p = draw(st.integers(0, (d * (k - 1)) // 1))
    op = draw(st.integers(0, max(s, d) - 1))
    params = dict(out_channels=1, kernel_size=k, stride=s, padding=p, dilation=d, output_padding=op)
    return params, (1, *[draw(st.integers(1, 4))] * dims)


@settings(max_examples=40, deadline=None)
@given(cases())
def test_overlaps_count_the_steps_that_wrote_each_cell(case):
    params, shape = case
    k, s, d, p = (params[n] for n in ("kernel_size", "stride", "dilation", "padding"))
    assume((shape[1] - 1) * s + d * (k - 1) + 1 + params["output_padding"] - 2 * p > 0)
    plan = _plan(params, shape)
    extent = plan.scatter_extent()
    first = tuple(f for f, _ in extent)
    counts = np.zeros(plan.overlaps(-1).shape, int)
    for i in range(plan.count):
        targets = plan.step(i).targets
        cells = {tuple(p - f for p, f in zip(t.position, first, strict=True)) for t in targets}
        for c in cells:
            counts[c] += 1
        np.testing.assert_array_equal(plan.overlaps(i), counts)
    # every output position lies in the extent
    for (f, stop), n in zip(extent, plan.output.shape[1:], strict=False):
        assert f <= 0 and stop >= n
