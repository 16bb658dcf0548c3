"""Dropout's training mode in the lab: a mask from the layer's own seed, exact and repeatable.

The engine's pass, engine.ops (torch) and engine.reference (numpy) give the same numbers as
torch's formula x * m / (1 - p), the mask is the one ``dropout_mask(shape, p, seed)`` draws,
and the hovered value's arithmetic says kept (scaled) or dropped.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import ops, reference
from engine.codegen import pytorch_source
from engine.explain import explain
from engine.formulas import general_formula
from engine.network import forward
from engine.serialize import network_from_json, network_to_json
from engine.spec import LayerSpec, NetworkSpec


def _net(p, train=True, seed=0, shape=(3, 6, 5)):
    layers = [LayerSpec("drop", "dropout", {"p": p, "train": train, "seed": seed})]
    return NetworkSpec(layers, shape, "d")


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(st.integers(1, 4), st.integers(1, 9), st.integers(1, 9)),
    st.floats(0.0, 1.0),
    st.integers(0, 2**31 - 1),
    st.integers(0, 2**16),
)
def test_train_mode_equals_ops_reference_and_torchs_formula(shape, p, seed, data_seed):
    x = np.random.default_rng(data_seed).normal(size=shape).astype(np.float32)
    trace = forward(_net(p, True, seed, shape), {}, x)
    out, keep = trace.outputs["drop"], trace.indices["drop"]
    np.testing.assert_array_equal(keep, ops.dropout_mask(shape, p, seed))
    np.testing.assert_array_equal(keep, reference.dropout_mask(shape, p, seed))
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    want = (torch.from_numpy(x) * torch.from_numpy(keep) * scale).numpy()
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out, ops.dropout(x, p, seed=seed), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out, reference.dropout(x, p, seed=seed), rtol=1e-6, atol=1e-7)
    assert np.all(out[~keep] == 0)
    # a fresh pass with the same document gives the same map
    np.testing.assert_array_equal(forward(_net(p, True, seed, shape), {}, x).outputs["drop"], out)


def test_off_is_the_identity_and_another_seed_another_mask():
    x = np.random.default_rng(0).normal(size=(2, 20, 20)).astype(np.float32)
    off = forward(_net(0.5, False, 3, x.shape), {}, x)
    np.testing.assert_array_equal(off.outputs["drop"], x)
    assert "drop" not in off.indices
    a = forward(_net(0.5, True, 3, x.shape), {}, x).indices["drop"]
    b = forward(_net(0.5, True, 4, x.shape), {}, x).indices["drop"]
    assert not np.array_equal(a, b)
    assert 0.4 < a.mean() < 0.6  # about half kept


def test_hovered_value_says_kept_and_scaled_or_dropped():
    x = np.arange(1, 1 + 2 * 4 * 4, dtype=np.float32).reshape(2, 4, 4)
    spec = _net(0.25, True, 7, x.shape)
    trace = forward(spec, {}, x)
    keep = trace.indices["drop"]
    kept = tuple(int(i) for i in np.argwhere(keep)[0])
    dropped = tuple(int(i) for i in np.argwhere(~keep)[0])
    e = explain(spec, {}, trace, "drop", kept[0], kept[1:])
    assert e.result == pytest.approx(x[kept] / 0.75) and e.value == e.result
    assert "kept by the mask (seed 7)" in e.note and "1.333" in e.note
    assert e.terms[0].weight == pytest.approx(1 / 0.75)
    d = explain(spec, {}, trace, "drop", dropped[0], dropped[1:])
    assert d.result == 0.0 and d.value == 0.0 and "dropped by the mask" in d.note
    assert "training mode (seed 7)" in general_formula(spec, "drop", x.shape, x.shape)


def test_the_lab_switch_is_saved_but_not_exported():
    spec = _net(0.3, True, 12)
    back = network_from_json(network_to_json(spec))
    assert back.layers[0].params == {"p": 0.3, "train": True, "seed": 12}
    code = pytorch_source(spec)
    assert "nn.Dropout(0.3)" in code and "seed" not in code.split("nn.Dropout")[1][:20]
