"""engine.consistency: the share of predictions a shift leaves unchanged, on hand-worked cases,
against a plain loop over samples, and the sweep along y."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from engine import consistency as C
from engine import symmetry as S
from engine.errors import DataError
from engine.network import forward, init_weights
from engine.spec import LayerSpec, NetworkSpec


def circ(name, out, k=3) -> LayerSpec:
    params = {"out_channels": out, "kernel_size": k, "padding": k // 2, "padding_mode": "circular"}
    return LayerSpec(name, "conv", params)


def relu(name) -> LayerSpec:
    return LayerSpec(name, "activation", {"function": "relu"})


def gap_classifier(shape) -> NetworkSpec:
    layers = (circ("c1", 4), relu("r1"), circ("c2", 4), relu("r2"))
    head = (LayerSpec("gap", "global_avg_pool"), LayerSpec("fc", "linear", {"out_features": 3}))
    return NetworkSpec(layers + head, shape)


def pick_net() -> tuple[NetworkSpec, dict]:
    """flatten, then linear scores (x0 + 0.1, x1): the class is 0 when x0 >= x1, else 1."""
    spec = NetworkSpec(
        (LayerSpec("flat", "flatten"), LayerSpec("fc", "linear", {"out_features": 2})), (1, 4)
    )
    weight = np.zeros((2, 4), np.float32)
    weight[0, 0] = weight[1, 1] = 1.0
    return spec, {"fc": {"weight": weight, "bias": np.array([0.1, 0.0], np.float32)}}


@pytest.mark.parametrize("shape", [(1, 24), (1, 12, 12)])
def test_a_gap_classifier_with_circular_convs_is_fully_consistent_under_wrapped_shifts(shape):
    spec = gap_classifier(shape)
    x = np.random.default_rng(1).normal(size=(40, *shape)).astype(np.float32)
    for direction in [(1,)] if len(shape) == 2 else [(0, 1), (1, 0), (1, 1)]:
        result = C.consistency(spec, init_weights(spec, seed=3), x, 13, direction=direction)
        assert result.consistency == [1.0] * 14
        assert result.changed == [0] * 14


def test_the_changed_predictions_counted_by_hand():
    spec, weights = pick_net()
    x = np.array(
        [
            [[3, 1, 0, 0]],  # class 0; wrap s1 [0,3,1,0] -> 1; s2 [0,0,3,1] -> 0
            [[1, 3, 0, 0]],  # class 1; s1 [0,1,3,0] -> 1; s2 [0,0,1,3] -> 0
            [[0, 0, 5, 2]],  # class 0; s1 [2,0,0,5] -> 0; s2 [5,2,0,0] -> 0
            [[2, 0, 0, 4]],  # class 0; s1 [4,2,0,0] -> 0; s2 [0,4,2,0] -> 1
        ],
        np.float32,
    )
    labels = np.array([0, 1, 0, 1])
    result = C.consistency(spec, weights, x, 2, labels=labels)
    # shift 1: only sample 0 changes; shift 2: samples 1 and 3 change
    assert result.changed == [0, 1, 2]
    assert result.consistency == [1.0, 0.75, 0.5]
    # predictions: s0 [0,1,0,0] s1 [1,1,0,0] s2 [0,0,0,1] against labels [0,1,0,1]
    assert result.accuracy == [0.75, 0.5, 0.75]
    zeros = C.consistency(spec, weights, x, 1, fill="zeros")
    # zero fill s1: [0,3,1,0] -> 1, [0,1,3,0] -> 1, [0,0,0,5] -> 0, [0,2,0,0] -> 1
    assert zeros.changed == [0, 2]
    assert [r["shift"] for r in result.rows()] == [0, 1, 2]


def test_the_engine_equals_a_plain_loop_over_samples():
    spec = NetworkSpec(
        (
            LayerSpec("c1", "conv", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
            relu("r1"),
            LayerSpec("p1", "max_pool", {"kernel_size": 2}),
            LayerSpec("c2", "conv", {"out_channels": 4, "kernel_size": 3, "stride": 2}),
            relu("r2"),
            LayerSpec("flat", "flatten"),
            LayerSpec("fc", "linear", {"out_features": 5}),
        ),
        (1, 10, 10),
    )
    weights = init_weights(spec, seed=7)
    x = np.random.default_rng(2).normal(size=(30, 1, 10, 10)).astype(np.float32)
    n = 5
    for fill in ("wrap", "zeros"):
        for direction in ((0, 1), (1, 0), (1, 1)):
            got = C.consistency(spec, weights, x, n, fill=fill, direction=direction, chunk=7)
            base = [int(np.argmax(forward(spec, weights, xi).outputs["fc"])) for xi in x]
            expected = []
            for s in range(n + 1):
                t = S.Transform(shift=tuple(s * d for d in direction), fill=fill)
                moved = [
                    int(np.argmax(forward(spec, weights, t.apply(xi)).outputs["fc"])) for xi in x
                ]
                expected.append(sum(a == b for a, b in zip(moved, base, strict=True)) / len(x))
            assert got.consistency == expected
            assert got.consistency[0] == 1.0 and min(got.consistency) < 1.0


def test_it_is_deterministic():
    spec = gap_classifier((1, 16))
    x = np.random.default_rng(5).normal(size=(64, 1, 16)).astype(np.float32)
    w = init_weights(spec, seed=1)
    a = C.consistency(spec, w, x, 6, fill="zeros", chunk=10)
    b = C.consistency(spec, w, x, 6, fill="zeros", chunk=64)
    assert a.consistency == b.consistency and a.to_dict() == b.to_dict()


@given(
    shift=st.tuples(st.integers(-9, 9), st.integers(-9, 9)),
    fill=st.sampled_from(["wrap", "zeros"]),
)
def test_shift_batch_equals_the_transform_sample_by_sample(shift, fill):
    x = np.random.default_rng(0).normal(size=(3, 2, 5, 7)).astype(np.float32)
    got = C.shift_batch(torch.tensor(x), shift, fill).numpy()
    t = S.Transform(shift=shift, fill=fill)
    np.testing.assert_array_equal(got, np.stack([t.apply(xi) for xi in x]))


def test_a_network_that_does_not_end_in_class_scores_is_refused_with_a_reason():
    spec = NetworkSpec((circ("c", 2),), (1, 8))
    with pytest.raises(DataError, match="not in class scores"):
        C.consistency(spec, init_weights(spec), np.zeros((2, 1, 8), np.float32), 2)


def test_data_that_does_not_fit_the_network_is_refused_with_a_reason():
    spec, weights = pick_net()
    with pytest.raises(DataError, match=r"samples are \(1, 8, 8\) but the network takes \(1, 4\)"):
        C.consistency(spec, weights, np.zeros((2, 1, 8, 8), np.float32), 2)
    with pytest.raises(DataError, match=r"samples are \(1, 6\) but the network takes \(1, 4\)"):
        C.consistency(spec, weights, np.zeros((2, 1, 6), np.float32), 2)
    with pytest.raises(DataError, match="whole number of shifts"):
        C.consistency(spec, weights, np.zeros((2, 1, 4), np.float32), -1)


def test_a_gap_network_takes_data_of_another_size():
    spec = gap_classifier((1, 24))
    x = np.random.default_rng(0).normal(size=(5, 1, 30)).astype(np.float32)
    assert C.consistency(spec, init_weights(spec), x, 3).consistency == [1.0] * 4


def test_cancelling_stops_between_batches():
    spec = gap_classifier((1, 16))
    x = np.zeros((20, 1, 16), np.float32)
    asked = []

    def cancelled():
        asked.append(1)
        return len(asked) > 3

    with pytest.raises(C.Cancelled):
        C.consistency(spec, init_weights(spec), x, 10, cancelled=cancelled)
    assert len(asked) == 4


def test_axis_directions():
    assert C.axis_direction("x", 2) == (0, 1)
    assert C.axis_direction("y", 2) == (1, 0)
    assert C.axis_direction("diagonal", 2) == (1, 1)
    assert C.axis_direction("x", 1) == (1,)
    with pytest.raises(DataError, match="only the x axis"):
        C.axis_direction("y", 1)
    with pytest.raises(DataError, match="axis"):
        C.axis_direction("z", 2)


def test_mnist1d_test_samples_come_from_the_standard_set():
    x, y, text = C.dataset_samples("mnist1d", samples=50)
    assert x.shape == (50, 1, 40) and y.shape == (50,) and "50 test samples" in text
    with pytest.raises(DataError):
        C.dataset_samples("mnist1d", samples=0)


# --------------------------------------------------------------------------- sweep along y


def test_a_sweep_along_y_is_the_sweep_along_x_of_the_transposed_image():
    spec = NetworkSpec(
        (
            LayerSpec("c", "conv", {"out_channels": 3, "kernel_size": 3, "padding": 1}),
            relu("r"),
            LayerSpec("p", "max_pool", {"kernel_size": 2}),
        ),
        (1, 12, 12),
    )
    w = init_weights(spec, seed=2)
    w_t = {
        "c": {
            "weight": np.ascontiguousarray(w["c"]["weight"].swapaxes(-1, -2)),
            "bias": w["c"]["bias"],
        }
    }
    x = np.random.default_rng(4).normal(size=(1, 12, 12)).astype(np.float32)
    along_y = S.sweep(spec, w, x, 5, fill="zeros", direction=C.axis_direction("y", 2))
    along_x = S.sweep(spec, w_t, np.ascontiguousarray(x.swapaxes(-1, -2)), 5, fill="zeros")
    for name in ("c", "r", "p"):
        np.testing.assert_allclose(
            np.array(along_y.invariance[name], float), np.array(along_x.invariance[name], float),
            rtol=1e-5,
        )  # fmt: skip
    assert along_y.equivariance["p"][1] is None and along_y.equivariance["p"][2] is not None
    assert along_y.direction == (1, 0)


def test_a_diagonal_sweep_of_a_circular_stack_is_exactly_equivariant():
    spec = S.lesson("circular-stack").spec((1, 16, 16))
    x = np.random.default_rng(0).normal(size=(1, 16, 16)).astype(np.float32)
    result = S.sweep(spec, init_weights(spec), x, 6, direction=C.axis_direction("diagonal", 2))
    for values in result.equivariance.values():
        assert max(values) <= 1e-6
    assert max(result.invariance["conv1"][1:]) > 0.01
