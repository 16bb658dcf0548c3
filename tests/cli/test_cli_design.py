"""The summary and export commands, in a subprocess and in-process."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from engine.presets import get_preset
from engine.serialize import save_network

ROOT = Path(__file__).resolve().parents[2]


def app(*args):
    return subprocess.run(
        [sys.executable, "app.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_summary_json_subprocess():
    result = app("summary", "udl-mnist1d-cnn", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["total"]["parameters"] == 2050
    assert [layer["name"] for layer in data["layers"]][:2] == ["conv1", "relu1"]
    conv3 = data["layers"][4]
    assert conv3["output_shape"] == [15, 4] and conv3["receptive_field"] == [15]
    assert conv3["parameters"] == 690 and conv3["macs"] == 15 * 4 * 15 * 3


def test_summary_table_in_process(capsys, tmp_path):
    save_network(tmp_path / "fc.json", get_preset("udl-mnist1d-fc"))
    assert main(["summary", str(tmp_path / "fc.json")]) == 0
    out = capsys.readouterr().out
    assert "59,065" in out and "fc4" in out and "receptive field" in out


@pytest.mark.parametrize(
    "args, words",
    [
        (["summary", "no-such-net"], ["neither a preset", "lenet"]),
        (["summary", "lenet", "--input-shape", "1,x"], ["--input-shape", "'1,x'"]),
        (["summary", "lenet", "--input-shape", "0,28,28"], ["--input-shape"]),
    ],
)
def test_bad_arguments_give_one_line(args, words, capsys):
    assert main(args) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    for word in words:
        assert word in err


def test_summary_of_a_network_that_breaks_exits_nonzero(capsys):
    assert main(["summary", "lenet", "--input-shape", "1,8,8"]) == 2  # as every error
    captured = capsys.readouterr()
    assert "layer 4 'conv2'" in captured.err and "ERROR" in captured.out


def test_export_subprocess_writes_runnable_source_and_weights(tmp_path):
    out, weights = tmp_path / "net.py", tmp_path / "w.safetensors"
    result = app("export", "lab-1d", "--pytorch", str(out), "--weights", str(weights))
    assert result.returncode == 0, result.stderr
    assert weights.exists()
    run = subprocess.run(
        [sys.executable, str(out)], capture_output=True, text=True, timeout=120, cwd=tmp_path.parent
    )
    assert run.returncode == 0, run.stderr
    assert "(1, 4, 62)" in run.stdout and "76" in run.stdout


def test_export_refuses_a_bad_network(tmp_path, capsys):
    (tmp_path / "bad.json").write_text("{")
    assert main(["export", str(tmp_path / "bad.json"), "--pytorch", str(tmp_path / "o.py")]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert not (tmp_path / "o.py").exists()
