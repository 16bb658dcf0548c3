"""Random, hostile specs, inputs and files: only EngineError or a valid result."""

import json

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import EngineError, FileFormatError
from engine.network import analyze, forward, init_weights
from engine.serialize import network_from_json, network_to_json
from engine.spec import LAYER_TYPES, LayerSpec, NetworkSpec
from engine.torch_build import build_module

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10),
    st.integers(10**6, 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.lists(st.integers(-2, 5), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
names = st.sampled_from(["a", "b", "c", "input", "", "pool"])


@st.composite
def hostile_layers(draw):
    kind = draw(st.one_of(st.sampled_from(sorted(LAYER_TYPES)), st.text(max_size=5)))
    declared = list(LAYER_TYPES[kind].params) if kind in LAYER_TYPES else []
    keys = draw(
        st.lists(st.one_of(st.sampled_from(declared or ["x"]), st.text(max_size=3)), max_size=3)
    )
    params = {
        k: draw(st.one_of(junk, st.integers(1, 4), st.sampled_from(["same", "relu", "pool", "a"])))
        for k in keys
    }
    inputs = tuple(draw(st.lists(names, max_size=3)))
    return LayerSpec(draw(names), kind, params, inputs)


shapes = st.one_of(
    st.tuples(st.integers(1, 3), st.integers(1, 12)),
    st.tuples(st.integers(1, 2), st.integers(1, 8), st.integers(1, 8)),
    st.lists(st.integers(-3, 5), max_size=4).map(tuple),
    st.tuples(st.integers(1, 2), st.just(10**7), st.just(10**7)),
)


@given(st.lists(hostile_layers(), max_size=5), shapes)
def test_hostile_specs_give_engine_errors_only(layers, shape):
    spec = NetworkSpec(tuple(layers), shape)
    try:
        analysis = analyze(spec)
    except EngineError:
        return
    for info in analysis.layers:
        assert info.error is None or isinstance(info.error, EngineError)
    try:
        weights = init_weights(spec)
    except EngineError:
        return
    x = np.ones(spec.input_shape, np.float32)
    trace = forward(spec, weights, x)
    assert all(isinstance(e, EngineError) for e in trace.errors.values())
    try:
        build_module(spec, weights)
    except EngineError:
        pass


@given(st.lists(st.integers(-5, 10**6), max_size=4))
def test_hostile_inputs_raise_engine_errors(shape):
    spec = NetworkSpec((LayerSpec("r", "activation"),), (1, 4))
    try:
        x = (
            np.zeros([max(s, 0) for s in shape][:4], np.float32)
            if np.prod([max(s, 0) for s in shape], dtype=float) < 1e6
            else np.zeros((1, 2, 2, 2, 2))
        )
    except (ValueError, MemoryError):
        return
    try:
        trace = forward(spec, {}, x)
    except EngineError:
        return
    assert trace.outputs["r"].shape == x.shape


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 5), st.floats(), st.text(max_size=4)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(
    json_values,
    st.sampled_from(
        [
            "format",
            "version",
            "network",
            "layers",
            "params",
            "input_shape",
            "name",
            "type",
            "inputs",
        ]
    ),
)
def test_json_fuzz_gives_file_format_errors_only(value, where):
    base = json.loads(
        network_to_json(
            NetworkSpec(
                (LayerSpec("c", "conv", {"kernel_size": 3}), LayerSpec("r", "activation")), (1, 9)
            )
        )
    )
    target = {
        "format": base,
        "version": base,
        "network": base,
        "layers": base["network"],
        "input_shape": base["network"],
        "name": base["network"]["layers"][0],
        "type": base["network"]["layers"][0],
        "params": base["network"]["layers"][0],
        "inputs": base["network"]["layers"][1],
    }[where]
    target[where] = value
    for text in (json.dumps(base), json.dumps(value)):
        try:
            spec = network_from_json(text)
        except FileFormatError:
            continue
        analyze(spec) if spec.layers else None
