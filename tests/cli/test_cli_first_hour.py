"""The command line a new user meets: --help lists the commands and the examples, errors
name what is wrong (the unknown example with the names, the missing folder), every error
exits 2, train prints its results without --json."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.cli import COMMANDS
from engine.cli import main as cli_main
from engine.examples import example_names
from engine.serialize import save_network
from engine.spec import LayerSpec, NetworkSpec
from gui.app import launch

ROOT = Path(__file__).resolve().parents[2]


def test_app_help_lists_the_subcommands_and_the_example_names():
    run = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 0
    text = " ".join(run.stdout.split())
    for command in COMMANDS:
        assert f" {command} " in text, command
    for name in (*example_names("2d"), *example_names("1d")):
        assert name in text, name


def test_an_unknown_example_is_refused_with_the_names():
    with pytest.raises(launch.UsageError) as caught:
        launch.resolve_input("camraman")
    message = str(caught.value)
    assert "'camraman'" in message
    assert "cameraman" in message and "sine" in message


def test_a_summary_of_a_network_that_breaks_exits_2(capsys):
    assert cli_main(["summary", "lenet", "--input-shape", "1,8,8"]) == 2


def test_an_export_to_a_missing_folder_names_the_folder(tmp_path, capsys):
    missing = tmp_path / "no-such-folder"
    code = cli_main(["export", "lab-1d", "--pytorch", str(missing / "net.py")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and str(missing) in err
    assert ".tmp" not in err and "net.py." not in err  # not a temporary file's name
    assert not missing.exists()


def test_train_without_json_prints_its_results(tmp_path, capsys):
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 40)
    rows = ["label," + ",".join(f"x{i}" for i in range(40))]
    for n in range(90):
        label = n % 3
        signal = np.sin(2 * np.pi * (label + 1) * t) + 0.3 * rng.standard_normal(40)
        rows.append(f"c{label}," + ",".join(f"{v:.4f}" for v in signal))
    csv = tmp_path / "signals.csv"
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
    save_network(tmp_path / "tiny.json", spec)
    code = cli_main(
        [
            "train",
            "--network",
            str(tmp_path / "tiny.json"),
            "--dataset",
            str(csv),
            "--steps",
            "3",
            "--progress-every",
            "0",
            "--batch-size",
            "16",
        ]
    )
    captured = capsys.readouterr()
    out = captured.out
    assert code == 0, captured.err
    assert "test accuracy" in out and "parameters" in out
    assert not list(tmp_path.glob("*.json.tmp"))
