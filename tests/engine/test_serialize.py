"""engine.serialize: network JSON, weights files, atomic writes."""

import json
import os

import numpy as np
import pytest

from engine.errors import FileFormatError
from engine.network import init_weights
from engine.presets import get_preset, preset_names
from engine.serialize import (
    atomic_write_bytes,
    load_network,
    load_weights,
    network_from_json,
    network_to_json,
    save_network,
    save_weights,
)
from engine.spec import LayerSpec, NetworkSpec


@pytest.mark.parametrize("name", preset_names())
def test_presets_round_trip(name, tmp_path):
    spec = get_preset(name)
    assert network_from_json(network_to_json(spec)) == spec
    save_network(tmp_path / "n.json", spec)
    assert load_network(tmp_path / "n.json") == spec


def test_per_axis_tuples_round_trip():
    spec = NetworkSpec(
        (LayerSpec("c", "conv", {"kernel_size": (3, 5), "padding": "same"}),), (1, 9, 9)
    )
    assert network_from_json(network_to_json(spec)) == spec


def doc(**network):
    base = {
        "input_shape": [1, 8],
        "layers": [{"name": "c", "type": "conv", "params": {"kernel_size": 3}}],
    }
    base.update(network)
    return {"format": "convscope.network", "version": 1, "network": base}


@pytest.mark.parametrize(
    "mutate, where",
    [
        (
            lambda d: d["network"]["layers"][0]["params"].update(kernel_size="three"),
            "network.layers[0].params.kernel_size: expected an integer",
        ),
        (
            lambda d: d["network"]["layers"][0]["params"].update(bias=1),
            "network.layers[0].params.bias: expected true or false",
        ),
        (
            lambda d: d["network"]["layers"][0]["params"].update(size=3),
            "network.layers[0].params: a conv layer has no parameter 'size'",
        ),
        (lambda d: d["network"]["layers"][0].update(type="blur"), "network.layers[0].type"),
        (lambda d: d["network"]["layers"][0].pop("name"), "network.layers[0]: missing key 'name'"),
        (lambda d: d["network"].update(colour=1), "network: unknown key 'colour'"),
        (lambda d: d["network"].update(input_shape=[1, -4]), "network.input_shape"),
        (lambda d: d.update(version=2), "newer ConvScope"),
        (lambda d: d.update(format="keras"), "not a ConvScope network file"),
        (lambda d: d["network"]["layers"][0].update(inputs="c"), "network.layers[0].inputs"),
    ],
)
def test_bad_documents_name_the_place(mutate, where):
    d = doc()
    mutate(d)
    with pytest.raises(FileFormatError) as info:
        network_from_json(json.dumps(d), source="net.json")
    assert where in str(info.value) and str(info.value).startswith("net.json: ")


def test_not_json_and_nan():
    with pytest.raises(FileFormatError, match="not valid JSON"):
        network_from_json("{", "x")
    text = json.dumps(doc()).replace(
        '"kernel_size": 3', '"kernel_size": 3}, "type": "dropout", "params": {"p": NaN'
    )
    with pytest.raises(FileFormatError):
        network_from_json(text)


@pytest.mark.parametrize("ext", ["npz", "safetensors"])
def test_weights_round_trip(ext, tmp_path):
    spec = get_preset("lenet")
    weights = init_weights(spec)
    weights["odd.name.with.dots"] = {"weight": np.ones((2, 2), np.float32)}
    save_weights(tmp_path / f"w.{ext}", weights)
    back = load_weights(tmp_path / f"w.{ext}")
    assert back.keys() == weights.keys()
    for name in weights:
        for key in weights[name]:
            np.testing.assert_array_equal(back[name][key], weights[name][key])


def test_bad_weights_files(tmp_path):
    (tmp_path / "w.npz").write_bytes(b"not a zip")
    with pytest.raises(FileFormatError, match="w.npz"):
        load_weights(tmp_path / "w.npz")
    np.savez(tmp_path / "p.npz", **{"a.weight": np.array([{"x": 1}], dtype=object)})
    with pytest.raises(FileFormatError):  # object arrays need pickle: refused
        load_weights(tmp_path / "p.npz")
    np.savez(tmp_path / "k.npz", **{"noweight": np.zeros(2, np.float32)})
    with pytest.raises(FileFormatError, match="noweight"):
        load_weights(tmp_path / "k.npz")
    with pytest.raises(FileFormatError, match=".npz or .safetensors"):
        save_weights(tmp_path / "w.pt", {})


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "f.txt"
    atomic_write_bytes(path, b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_bytes(path, b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.txt"]  # no temp file left behind
