"""``python app.py train``: JSON with the figures, reproducible, one clear line for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main as cli_main
from engine.serialize import save_network
from engine.spec import LayerSpec, NetworkSpec

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = ("train_accuracy", "test_accuracy", "train_loss", "test_loss", "parameters", "curves")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A small CSV of three classes of signals and a saved network made for it."""
    folder = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 40)
    rows = ["label," + ",".join(f"x{i}" for i in range(40))]
    for n in range(90):
        label = n % 3
        signal = np.sin(2 * np.pi * (label + 1) * t) + 0.3 * rng.standard_normal(40)
        rows.append(f"c{label}," + ",".join(f"{v:.4f}" for v in signal))
    csv = folder / "signals.csv"
    csv.write_text("\n".join(rows) + "\n")
    spec = NetworkSpec(
        [
            LayerSpec("conv1", "conv", {"out_channels": 4, "kernel_size": 3, "stride": 2}),
            LayerSpec("relu1", "activation", {}),
            LayerSpec("flatten", "flatten"),
            LayerSpec("fc", "linear", {"out_features": 3}),
        ],
        (1, 40),
        "tiny",
    )
    network = folder / "tiny.json"
    save_network(network, spec)
    return csv, network


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "train", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def without_timing(data: dict) -> dict:
    data = dict(data)
    data.pop("timing")
    data["compare"] = [{k: v for k, v in c.items() if k != "timing"} for c in data["compare"]]
    return data


def test_cli_writes_the_json_and_the_same_seed_reproduces_it(files, tmp_path):
    csv, network = files
    outs = []
    for name in ("a.json", "b.json"):
        out = tmp_path / name
        done = run_cli(
            "--network",
            str(network),
            "--dataset",
            str(csv),
            "--steps",
            "30",
            "--batch-size",
            "16",
            "--lr",
            "0.1",
            "--seed",
            "5",
            "--eval-every",
            "10",
            "--progress-every",
            "0.01",
            "--json",
            str(out),
        )
        assert done.returncode == 0, done.stderr
        outs.append(json.loads(out.read_text()))
    a, b = outs
    for key in REQUIRED:
        assert key in a
    assert a["parameters"] == 4 * 3 + 4 + 4 * 19 * 3 + 3
    assert [r["step"] for r in a["curves"]] == [0, 10, 20, 30]
    assert a["curves"][-1]["test_accuracy"] == a["test_accuracy"]
    assert a["network"] == "tiny" and a["steps"] == 30 and a["device"] == "CPU"
    assert without_timing(a) == without_timing(b)
    assert "step 30/30" in done.stderr  # progress on the terminal
    assert "test accuracy" in done.stdout  # the results; progress went to stderr


def test_cli_compare_trains_both_networks(files, tmp_path):
    csv, network = files
    out = tmp_path / "c.json"
    code = cli_main(
        [
            "train",
            "--network",
            str(network),
            "--compare",
            str(network),
            "--dataset",
            str(csv),
            "--steps",
            "5",
            "--batch-size",
            "10",
            "--seed",
            "1",
            "--progress-every",
            "0",
            "--json",
            str(out),
        ]
    )
    data = json.loads(out.read_text())
    assert code == 0
    assert data["network"] == "tiny" and data["compare"][0]["network"] == "tiny (2)"
    # same seed, same batches, same start: identical twins
    assert data["compare"][0]["curves"] == data["curves"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--network", "no-such-net"], "'no-such-net' is neither a preset"),
        (["--dataset", "nowhere/at/all.csv"], "all.csv: no such file"),
        (["--lr", "-1"], "learning rate must be a positive number, not -1.0"),
        (["--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
        (["--batch-size", "500"], "batch size 500 is larger than the 72 training samples"),
        (["--steps", "ten"], "invalid int value: 'ten'"),
    ],
)
def test_bad_input_gives_one_clear_line(files, tmp_path, capsys, args, message):
    csv, network = files
    base = {"--network": str(network), "--dataset": str(csv), "--steps": "3"}
    argv = ["train"]
    for key, value in base.items():
        if key not in args:
            argv += [key, value]
    argv += [*args, "--progress-every", "0", "--json", str(tmp_path / "x.json")]
    with pytest.raises(SystemExit) if message.startswith("invalid") else _no_exit() as caught:
        code = cli_main(argv)
    if caught is not None:
        code = caught.value.code
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert message in err
    assert len(err.splitlines()) == 1 and err.startswith("error:")
    assert not (tmp_path / "x.json").exists()


class _no_exit:  # noqa: N801 - used like pytest.raises
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
