"""``app.py symmetry``: per-layer errors as JSON; bad arguments as one error line, exit 2."""

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.serialize import save_network
from engine.spec import LayerSpec, NetworkSpec

ROOT = Path(__file__).resolve().parents[2]


def circular_net(path: Path) -> Path:
    conv = {"out_channels": 2, "kernel_size": 3, "padding": 1, "padding_mode": "circular"}
    spec = NetworkSpec(
        (LayerSpec("c", "conv", conv), LayerSpec("p", "max_pool", {"kernel_size": 2})), (1, 16)
    )
    save_network(path, spec)
    return path


def test_symmetry_json_subprocess(tmp_path):
    out = tmp_path / "out.json"
    args = ["symmetry", "lab-2d", "--shift", "1", "--sweep", "2", "--json", str(out)]
    result = subprocess.run(
        [sys.executable, "app.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert [layer["name"] for layer in data["layers"]][:3] == ["conv1", "relu1", "pool"]
    pool = data["layers"][2]
    assert pool["shift"] is None and pool["equivariance_error"] is None
    assert "half a position" in pool["note"]
    assert data["layers"][0]["shift"] == [0, 1]
    assert data["transform"]["shift"] == [0, 1]
    assert len(data["sweep"]["layers"][0]["equivariance_error"]) == 3


def test_circular_network_from_a_file_with_an_npy_input(tmp_path, capsys):
    net = circular_net(tmp_path / "net.json")
    x = np.random.default_rng(0).normal(size=(1, 16)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "o.json"
    code = main(
        [
            "symmetry",
            str(net),
            "--input",
            str(tmp_path / "x.npy"),
            "--shift",
            "4",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    layers = json.loads(out.read_text())["layers"]
    assert layers[0]["equivariance_error"] <= 1e-6 and layers[1]["shift"] == [2]
    assert layers[1]["equivariance_error"] <= 1e-6


@pytest.mark.parametrize(
    "args, message",
    [
        (["lab-2d", "--shift", "1,x"], "--shift must be DX or DX,DY"),
        (["lab-2d", "--input", "no-such-thing"], "neither an example nor a file"),
        (["lab-1d", "--transform", "rot90"], "needs an image"),
        (["lab-2d", "--transform", "spin"], "invalid choice"),
        (["lab-1d", "--input", "cameraman"], "but the network takes"),
    ],
)
def test_bad_arguments_are_one_error_line(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) if "spin" in args else contextlib.nullcontext():
        code = main(["symmetry", *args, "--json", str(tmp_path / "x.json")])
        assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0]
    assert not (tmp_path / "x.json").exists()
