"""Workspace files: save -> load is lossless; every damaged file raises FileFormatError."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine.errors import FileFormatError
from engine.network import init_weights
from engine.presets import get_preset
from engine.spec import LayerSpec, NetworkSpec
from engine.workspace import (
    ARRAYS_MEMBER,
    JSON_MEMBER,
    Workspace,
    load_workspace,
    save_workspace,
    workspace_from_bytes,
    workspace_to_bytes,
)


def small_spec(channels: int = 1, length: int = 16) -> NetworkSpec:
    return NetworkSpec(
        (
            LayerSpec("conv1", "conv", {"out_channels": 3, "kernel_size": 3, "padding": 1}),
            LayerSpec("relu1", "activation", {"function": "relu"}),
            LayerSpec("pool1", "max_pool", {"kernel_size": 2}),
            LayerSpec("conv2", "conv", {"out_channels": 2, "kernel_size": 3, "bias": False}),
        ),
        (channels, length),
        name="small",
    )


def make_workspace(seed: int = 0) -> Workspace:
    spec = small_spec()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(spec.input_shape).astype(np.float32)
    return Workspace(
        input=x,
        spec=spec,
        weights=init_weights(spec, spec.input_shape, seed=seed),
        view={"colormap": "viridis", "shared_levels": True, "show_receptive_field": False},
        extras={"training": {"loss": [1.5, 0.75, 0.5]}},
        extra_arrays={"history": np.arange(6, dtype=np.float64).reshape(2, 3)},
    )


def assert_same(a: Workspace, b: Workspace) -> None:
    assert a.input.dtype == b.input.dtype and a.input.shape == b.input.shape
    assert a.input.tobytes() == b.input.tobytes()  # bit-exact, -0.0 and subnormals included
    assert a.spec == b.spec
    assert a.weights.keys() == b.weights.keys()
    for layer in a.weights:
        assert a.weights[layer].keys() == b.weights[layer].keys()
        for key in a.weights[layer]:
            assert a.weights[layer][key].dtype == b.weights[layer][key].dtype
            assert a.weights[layer][key].tobytes() == b.weights[layer][key].tobytes()
    assert a.view == b.view
    assert a.extras == b.extras
    assert a.extra_arrays.keys() == b.extra_arrays.keys()
    for key in a.extra_arrays:
        np.testing.assert_array_equal(a.extra_arrays[key], b.extra_arrays[key])
        assert a.extra_arrays[key].dtype == b.extra_arrays[key].dtype


def test_save_load_round_trip_is_lossless(tmp_path):
    ws = make_workspace()
    path = tmp_path / "lab.convscope"
    save_workspace(path, ws)
    back = load_workspace(path)
    assert_same(ws, back)
    assert back.metadata["application"] == "ConvScope"
    # the file really is a zip with the two documented members and the format header
    with zipfile.ZipFile(path) as archive:
        assert set(archive.namelist()) == {JSON_MEMBER, ARRAYS_MEMBER}
        header = json.loads(archive.read(JSON_MEMBER))
    assert header["format"] == "convscope.workspace" and header["version"] == 1


@pytest.mark.parametrize("preset", ["udl-mnist1d-cnn", "lenet", "encoder-decoder"])
def test_presets_round_trip(preset, tmp_path):
    spec = get_preset(preset)
    x = np.linspace(-1, 1, int(np.prod(spec.input_shape)), dtype=np.float32)
    ws = Workspace(x.reshape(spec.input_shape), spec, init_weights(spec, spec.input_shape, seed=3))
    path = tmp_path / "p.convscope"
    save_workspace(path, ws)
    assert_same(ws, load_workspace(path))


finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@given(
    x=hnp.arrays(
        np.float32,
        st.tuples(st.integers(1, 3), st.integers(1, 9), st.integers(1, 9)),
        elements=finite32,
    ),
    view=st.dictionaries(
        st.text(max_size=8),
        st.one_of(
            st.integers(-(10**6), 10**6),
            st.booleans(),
            st.text(max_size=8),
            st.floats(allow_nan=False, allow_infinity=False),
        ),
        max_size=5,
    ),
)
def test_any_input_and_view_round_trip_bit_exact(x, view):
    spec = NetworkSpec((LayerSpec("relu", "activation", {}),), x.shape)
    ws = Workspace(x, spec, {}, view)
    assert_same(ws, workspace_from_bytes(workspace_to_bytes(ws)))


def test_save_is_atomic_and_failure_keeps_old_file(tmp_path):
    path = tmp_path / "lab.convscope"
    save_workspace(path, make_workspace(1))
    before = path.read_bytes()
    broken = make_workspace(2)
    broken.view = {"callback": object()}  # not JSON-able: saving must fail before writing
    with pytest.raises(FileFormatError):
        save_workspace(path, broken)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["lab.convscope"]  # no temp file left behind
    save_workspace(path, make_workspace(2))
    assert_same(load_workspace(path), make_workspace(2))


# ----------------------------------------------------------------------------- damaged files


def members_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, raw in members.items():
            archive.writestr(name, raw)
    return buffer.getvalue()


def with_json(edit) -> bytes:
    members = members_of(workspace_to_bytes(make_workspace()))
    document = json.loads(members[JSON_MEMBER])
    edit(document)
    members[JSON_MEMBER] = json.dumps(document).encode()
    return zip_of(members)


def with_tensors(edit) -> bytes:
    from safetensors.numpy import load, save

    members = members_of(workspace_to_bytes(make_workspace()))
    tensors = load(members[ARRAYS_MEMBER])
    edit(tensors)
    members[ARRAYS_MEMBER] = save(tensors)
    return zip_of(members)


def load_bad(tmp_path, data: bytes) -> str:
    path = tmp_path / "bad.convscope"
    path.write_bytes(data)
    with pytest.raises(FileFormatError) as info:
        load_workspace(path)
    message = str(info.value)
    assert "bad.convscope" in message  # the message names the file
    return message


def test_newer_version_says_so(tmp_path):
    message = load_bad(tmp_path, with_json(lambda d: d.update(version=3)))
    assert "newer ConvScope (version 3)" in message and "reads version 1" in message


def _set_nested(d, path, value):
    for key in path[:-1]:
        d = d[key]
    d[path[-1]] = value


DAMAGED = {
    "not a zip": (lambda: b"hello, this is text" * 20, "not a ConvScope workspace"),
    "json file": (lambda: b'{"format": "convscope.network"}', "not a ConvScope workspace"),
    "empty": (lambda: b"", "not a ConvScope workspace"),
    "truncated": (lambda: workspace_to_bytes(make_workspace())[:300], "truncated or corrupt"),
    "no workspace.json": (
        lambda: zip_of(
            {ARRAYS_MEMBER: members_of(workspace_to_bytes(make_workspace()))[ARRAYS_MEMBER]}
        ),
        "no workspace.json",
    ),
    "no arrays": (
        lambda: zip_of(
            {JSON_MEMBER: members_of(workspace_to_bytes(make_workspace()))[JSON_MEMBER]}
        ),
        "arrays.safetensors is missing",
    ),
    "bad json": (
        lambda: zip_of({JSON_MEMBER: b'{"format": "convscope.workspace", ', ARRAYS_MEMBER: b""}),
        "invalid JSON at line 1",
    ),
    "json not object": (lambda: zip_of({JSON_MEMBER: b"[1, 2]"}), "not a ConvScope"),
    "foreign format": (lambda: with_json(lambda d: d.update(format="other.app")), "other.app"),
    "bad version": (lambda: with_json(lambda d: d.update(version="one")), "'version'"),
    "bad network": (lambda: with_json(lambda d: d.update(network={"layers": "nope"})), "'network'"),
    "unknown layer type": (
        lambda: with_json(lambda d: d["network"]["network"]["layers"][0].update(type="teleport")),
        "'network'",
    ),
    "corrupt arrays": (
        lambda: zip_of(
            {
                **members_of(workspace_to_bytes(make_workspace())),
                ARRAYS_MEMBER: b"\x08\x00\x00\x00\x00\x00\x00\x00{bad json",
            }
        ),
        "arrays.safetensors",
    ),
    "missing input tensor": (lambda: with_tensors(lambda t: t.pop("input")), "the input"),
    "float64 input": (
        lambda: with_tensors(lambda t: t.update(input=t["input"].astype(np.float64))),
        "dtype float64",
    ),
    "nan input": (
        lambda: with_tensors(lambda t: t["input"].__setitem__((0, 3), np.nan)),
        "not finite",
    ),
    "1d input": (lambda: with_tensors(lambda t: t.update(input=t["input"][0])), "(C, L)"),
    "inf weight": (
        lambda: with_tensors(lambda t: t["weights/conv1/weight"].__setitem__((0, 0, 1), np.inf)),
        "not finite",
    ),
    "wrong weight shape": (
        lambda: with_tensors(
            lambda t: t.update({"weights/conv1/weight": np.zeros((3, 1, 5), np.float32)})
        ),
        "needs (3, 1, 3)",
    ),
    "int weight": (
        lambda: with_tensors(lambda t: t.update({"weights/conv1/bias": np.zeros(3, np.int32)})),
        "dtype int32",
    ),
    "weights for no layer": (
        lambda: with_json(lambda d: d["arrays"]["weights"].update(ghost={"weight": "input"})),
        "ghost",
    ),
    "arrays index missing": (lambda: with_json(lambda d: d.pop("arrays")), "'arrays'"),
    "view not object": (lambda: with_json(lambda d: d.update(view=[1])), "'view'"),
}


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_damaged_file_raises_file_format_error(case, tmp_path):
    make, expected = DAMAGED[case]
    message = load_bad(tmp_path, make())
    assert expected in message


@given(cut=st.integers(0, 10_000))
def test_any_truncation_raises_file_format_error(cut):
    data = _GOOD
    cut = cut % len(data)
    with pytest.raises(FileFormatError):
        workspace_from_bytes(data[:cut], "t.convscope")


@given(position=st.integers(0, 10**6), value=st.integers(1, 255))
def test_any_flipped_byte_loads_equal_or_raises_file_format_error(position, value):
    data = bytearray(_GOOD)
    position %= len(data)
    data[position] ^= value
    try:
        back = workspace_from_bytes(bytes(data), "f.convscope")
    except FileFormatError:
        return
    # a flip the zip format does not protect (e.g. a directory comment or timestamp) may load,
    # but then it must load the same workspace
    assert_same(make_workspace(), back)


_GOOD = workspace_to_bytes(make_workspace())
