"""Fuzz: random workspace files, workspace JSON, weights files and specs with absurd integers.

Only the engine's error family or a valid result comes out. A few hundred examples per
property in the default run; ``HYPOTHESIS_PROFILE=nightly`` runs 10,000 each.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import EngineError
from engine.network import analyze, forward, init_weights
from engine.presets import get_preset
from engine.serialize import (
    network_from_json,
    network_to_json,
    weights_from_bytes,
    weights_to_bytes,
)
from engine.workspace import Workspace, workspace_from_bytes, workspace_to_bytes

FUZZ = settings(max_examples=max(200, settings.default.max_examples))

SPEC = get_preset("lab-1d")
WEIGHTS = init_weights(SPEC)
VALID_WORKSPACE = workspace_to_bytes(
    Workspace(np.zeros(SPEC.input_shape, np.float32), SPEC, WEIGHTS)
)
VALID_WEIGHTS = {kind: weights_to_bytes(WEIGHTS, kind) for kind in ("npz", "safetensors")}


def mutate(data: bytes, draw) -> bytes:
    """Flip, overwrite, cut or extend a few bytes of ``data``."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        how = draw(st.sampled_from(["flip", "cut", "extend", "write"]))
        at = draw(st.integers(0, max(0, len(out) - 1)))
        if how == "flip" and out:
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif how == "cut":
            del out[at:]
        elif how == "extend":
            out += draw(st.binary(max_size=64))
        elif out:
            value = draw(st.sampled_from([b"\xff" * 8, b"\x00" * 8, b"\x7f\xff\xff\xff"]))
            out[at : at + len(value)] = value
    return bytes(out)


def only_engine_errors(call):
    try:
        return call()
    except EngineError as error:
        assert len(str(error)) <= 450
        return error


@FUZZ
@given(st.data())
def test_damaged_workspace_files_give_only_the_engines_error(data):
    only_engine_errors(lambda: workspace_from_bytes(mutate(VALID_WORKSPACE, data.draw)))


JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=6),
        st.sampled_from([10**30, 2**63, -(2**63), "convscope.workspace", "input"]),
    ),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(
    st.fixed_dictionaries(
        {"format": st.sampled_from(["convscope.workspace", "x"]), "version": JSON},
        optional={"network": JSON, "arrays": JSON, "view": JSON, "extras": JSON},
    )
)
def test_random_workspace_json_gives_only_the_engines_error(document):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("workspace.json", json.dumps(document))
        with zipfile.ZipFile(io.BytesIO(VALID_WORKSPACE)) as valid:
            archive.writestr("arrays.safetensors", valid.read("arrays.safetensors"))
    only_engine_errors(lambda: workspace_from_bytes(buffer.getvalue()))


@FUZZ
@given(st.sampled_from(["npz", "safetensors"]), st.data())
def test_damaged_weights_files_give_only_the_engines_error(kind, data):
    only_engine_errors(lambda: weights_from_bytes(mutate(VALID_WEIGHTS[kind], data.draw), kind))


ABSURD = st.sampled_from([10**30, 2**63, -(2**63), 2**31, 1 << 20, 0, -1, 3])


@FUZZ
@given(
    st.integers(0, len(SPEC.layers) - 1),
    st.sampled_from(
        [
            "kernel_size",
            "stride",
            "padding",
            "dilation",
            "out_channels",
            "factor",
            "scale_factor",
            "groups",
        ]
    ),
    ABSURD,
)
def test_specs_with_absurd_integers_give_only_the_engines_error(index, key, value):
    doc = json.loads(network_to_json(SPEC))
    doc["network"]["layers"][index].setdefault("params", {})[key] = value

    def run():
        spec = network_from_json(json.dumps(doc))
        analysis = analyze(spec)
        if analysis.ok:
            forward(spec, init_weights(spec), np.ones(spec.input_shape, np.float32))
        return analysis

    only_engine_errors(run)
