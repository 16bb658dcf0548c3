"""Max pool indices in a trace: computed in the pass only where a max unpool reads them,
otherwise on first access, and always equal to torch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.network import forward, init_weights
from engine.presets import get_preset
from engine.spec import LayerSpec, NetworkSpec
from engine.trace import Indices


def torch_indices(x: np.ndarray, kernel, stride=None, padding=0) -> np.ndarray:
    pool = F.max_pool1d if x.ndim == 2 else F.max_pool2d
    _, idx = pool(torch.from_numpy(x)[None], kernel, stride, padding, return_indices=True)
    return idx[0].numpy()


@pytest.fixture
def lab():
    spec = get_preset("lab-2d").with_input_shape((1, 36, 30))
    x = np.random.default_rng(0).standard_normal((1, 36, 30)).astype(np.float32)
    return spec, init_weights(spec, x.shape), x


def test_pool_indices_are_deferred_and_equal_torch_when_read(lab):
    spec, w, x = lab
    trace = forward(spec, w, x)
    assert "pool" in trace.indices and len(trace.indices) == 1
    assert not trace.indices.computed("pool")
    idx = trace.indices["pool"]
    assert trace.indices.computed("pool") and trace.indices["pool"] is idx  # computed once
    np.testing.assert_array_equal(idx, torch_indices(trace.outputs["relu1"], 2))
    assert trace.indices.get("nothing") is None and "nothing" not in trace.indices


def test_incremental_forward_carries_deferred_indices_without_computing(lab):
    spec, w, x = lab
    first = forward(spec, w, x)
    w = {**w, "conv2": {**w["conv2"], "weight": w["conv2"]["weight"] * -1}}
    again = forward(spec, w, x, start_from="conv2", previous=first)
    assert again.outputs["pool"] is first.outputs["pool"]
    assert not first.indices.computed("pool") and not again.indices.computed("pool")
    np.testing.assert_array_equal(again.indices["pool"], torch_indices(first.outputs["relu1"], 2))
    # from the first layer on, the pool reruns and its new indices follow the new input
    w = {**w, "conv1": {**w["conv1"], "weight": w["conv1"]["weight"] * -1}}
    third = forward(spec, w, x, start_from="conv1", previous=again)
    np.testing.assert_array_equal(third.indices["pool"], torch_indices(third.outputs["relu1"], 2))
    assert not np.array_equal(third.indices["pool"], again.indices["pool"])


def test_a_max_unpool_gets_its_pools_indices_in_the_pass():
    spec = get_preset("encoder-decoder")
    w = init_weights(spec)
    x = np.random.default_rng(2).random((1, 64, 64)).astype(np.float32)
    trace = forward(spec, w, x)
    assert trace.ok
    for pool in ("pool1", "pool2"):  # both read by an unpool: computed in the pass
        assert trace.indices.computed(pool)
    src = trace.outputs[
        spec.layer("pool1").inputs[0]
        if spec.layer("pool1").inputs
        else spec.names()[spec.index("pool1") - 1]
    ]
    np.testing.assert_array_equal(trace.indices["pool1"], torch_indices(src, 2))


@pytest.mark.parametrize("kernel,stride,padding", [(3, 1, 1), (2, None, 0), (3, 2, 1)])
def test_pool_outputs_without_indices_equal_torch(kernel, stride, padding):
    spec = NetworkSpec(
        (
            LayerSpec(
                "p", "max_pool", {"kernel_size": kernel, "stride": stride, "padding": padding}
            ),
        ),
        (2, 11, 13),
    )
    x = np.random.default_rng(3).standard_normal((2, 11, 13)).astype(np.float32)
    trace = forward(spec, {}, x)
    want, idx = F.max_pool2d(
        torch.from_numpy(x)[None], kernel, stride, padding, return_indices=True
    )
    np.testing.assert_array_equal(trace.outputs["p"], want[0].numpy())
    np.testing.assert_array_equal(trace.indices["p"], idx[0].numpy())


def test_indices_mapping_behaves_like_a_dict():
    calls = []
    ind = Indices({"a": np.zeros(2)})
    ind.defer("b", lambda: calls.append(1) or np.ones(3))
    assert sorted(ind) == ["a", "b"] and len(ind) == 2 and calls == []
    np.testing.assert_array_equal(ind["b"], np.ones(3))
    ind["b"]
    assert calls == [1]
    ind["b"] = np.full(1, 7.0)  # an explicit value replaces a deferred one
    assert ind["b"][0] == 7.0
    del ind["a"]
    assert list(ind) == ["b"]
    with pytest.raises(KeyError):
        ind["a"]
    with pytest.raises(KeyError):
        del ind["a"]
    other = Indices()
    other.defer("c", lambda: np.arange(4))
    ind.carry(other, "c")
    assert not ind.computed("c") and ind["c"].tolist() == [0, 1, 2, 3]
