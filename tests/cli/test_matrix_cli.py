"""``python app.py matrix``: the layer's matrix as JSON; one ``error:`` line for bad input."""

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.network import forward, init_weights
from engine.presets import get_preset
from engine.serialize import save_network, save_weights

ROOT = Path(__file__).resolve().parents[2]


def _check(data, spec, weights, layer, source):
    """matrix @ (the layer's input) == the layer's output minus its bias, on a real pass."""
    x = np.random.default_rng(0).standard_normal(spec.input_shape).astype(np.float32)
    trace = forward(spec, weights, x)
    assert set(data) == {"layer", "input_shape", "output_shape", "matrix"}
    assert data["layer"] == layer
    assert data["input_shape"] == list(trace.outputs[source].shape)
    assert data["output_shape"] == list(trace.outputs[layer].shape)
    m = np.array(data["matrix"])
    assert m.shape == (trace.outputs[layer].size, trace.outputs[source].size)
    expected = trace.outputs[layer].astype(np.float64)
    if "bias" in weights.get(layer, {}):
        expected = expected - weights[layer]["bias"].reshape((-1,) + (1,) * (expected.ndim - 1))
    np.testing.assert_allclose(m @ trace.outputs[source].ravel(), expected.ravel(), atol=1e-5)


def test_subprocess_writes_the_matrix_of_a_seeded_network(tmp_path):
    out = tmp_path / "m.json"
    args = ["matrix", "lab-1d", "--layer", "conv2", "--input-shape", "1,16", "--seed", "3"]
    result = subprocess.run(
        [sys.executable, "app.py", *args, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "matrix of layer 'conv2'" in result.stdout
    spec = get_preset("lab-1d").with_input_shape((1, 16))
    _check(json.loads(out.read_text()), spec, init_weights(spec, seed=3), "conv2", "pool")


def test_given_weights_are_the_ones_written(tmp_path, capsys):
    spec = get_preset("lab-2d").with_input_shape((1, 6, 6))
    save_network(tmp_path / "net.json", spec)
    weights = init_weights(spec, seed=11)
    save_weights(tmp_path / "w.npz", weights)
    args = ["matrix", str(tmp_path / "net.json"), "--layer", "conv1", "--weights"]
    assert main([*args, str(tmp_path / "w.npz"), "--json", str(tmp_path / "a.json")]) == 0
    data = json.loads((tmp_path / "a.json").read_text())
    _check(data, spec, weights, "conv1", "input")
    assert (
        main(
            [
                "matrix",
                str(tmp_path / "net.json"),
                "--layer",
                "conv1",
                "--json",
                str(tmp_path / "b.json"),
            ]
        )
        == 0
    )
    assert json.loads((tmp_path / "b.json").read_text())["matrix"] != data["matrix"]


def test_a_layer_without_weights(tmp_path):
    spec = get_preset("lab-2d").with_input_shape((1, 4, 4))
    out = tmp_path / "up.json"
    args = ["matrix", "lab-2d", "--layer", "up", "--input-shape", "1,4,4", "--json", str(out)]
    assert main(args) == 0
    data = json.loads(out.read_text())
    _check(data, spec, init_weights(spec), "up", "relu2")
    assert data["output_shape"] == [16, 4, 4] and data["input_shape"] == [16, 2, 2]


@pytest.mark.parametrize(
    "args, words",
    [
        (["lab-1d", "--layer", "nope"], "there is no layer named 'nope'"),
        (["lab-1d", "--layer", "relu1"], "layer 2 'relu1': an activation is not linear"),
        (["lab-1d", "--layer", "pool"], "max pool is not linear"),
        (["lab-2d", "--layer", "conv1"], "1,048,576 × 65,536 = 68,719,476,736 entries"),
        (["lab-1d", "--layer", "conv1", "--input-shape", "1,x"], "--input-shape"),
        (["no-such-net", "--layer", "conv1"], "neither a preset"),
        (["lab-1d", "--layer", "conv1", "--weights", "missing.npz"], "missing.npz"),
        (["lab-1d", "--layer", "conv1", "--seed", "ten"], "invalid int value: 'ten'"),
        (["lab-1d"], "the following arguments are required: --layer"),
    ],
)
def test_bad_arguments_give_one_error_line_and_exit_2(args, words, tmp_path, capsys):
    out = tmp_path / "m.json"
    try:
        code = main(["matrix", *args, "--json", str(out)])
    except SystemExit as caught:  # argparse's own errors
        code = caught.code
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("error:"), err
    assert words in err
    assert not out.exists()


def test_weights_for_another_input_shape_are_refused(tmp_path, capsys):
    spec = get_preset("udl-mnist1d-cnn")  # its linear layer's size follows the input length
    save_weights(tmp_path / "w.npz", init_weights(spec))
    args = ["matrix", "udl-mnist1d-cnn", "--layer", "fc", "--input-shape", "1,60"]
    assert main([*args, "--weights", str(tmp_path / "w.npz"), "--json", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err.strip()
    assert "layer 'fc' weight is shape (10, 60); the network needs (10, 90)" in err


def test_a_too_large_matrix_is_refused_before_weights_or_matrix_take_memory(tmp_path, capsys):
    spec = get_preset("lenet").with_input_shape((1, 512, 512))  # conv1: 6·508² × 512² entries
    save_network(tmp_path / "big.json", spec)
    tracemalloc.start()
    try:
        code = main(
            [
                "matrix",
                str(tmp_path / "big.json"),
                "--layer",
                "fc1",
                "--json",
                str(tmp_path / "m.json"),
            ]
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 2 and "the limit is 4,096 × 4,096" in capsys.readouterr().err
    assert peak < 4 << 20  # fc1's weights alone would be 120 × 16 · 125² floats = 115 MiB


def test_weights_that_are_nan_are_refused_not_written_as_invalid_json(tmp_path, capsys):
    spec = get_preset("lab-1d").with_input_shape((1, 8))
    weights = init_weights(spec)
    weights["conv1"]["weight"][0, 0, 0] = np.nan
    save_weights(tmp_path / "w.npz", weights)
    args = ["matrix", "lab-1d", "--layer", "conv1", "--input-shape", "1,8", "--weights"]
    assert main([*args, str(tmp_path / "w.npz"), "--json", str(tmp_path / "m.json")]) == 2
    assert "NaN or infinite" in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()
