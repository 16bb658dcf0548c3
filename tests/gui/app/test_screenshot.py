"""`python app.py --screenshot` renders the real window offscreen (subprocesses)."""

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _run(*args, timeout=120):
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("example,size", [("sine", (1000, 700)), ("checkerboard", (1280, 800))])
def test_screenshot_writes_a_png_of_the_requested_size(tmp_path, example, size):
    out = tmp_path / f"{example}.png"
    result = _run("--screenshot", str(out), "--size", f"{size[0]}x{size[1]}", example)
    assert result.returncode == 0, result.stderr
    assert _png_size(out) == size
    assert out.stat().st_size > 20_000  # maps drawn, not an empty window


@pytest.mark.parametrize(
    "args,words",
    [
        (["no-such-example"], "neither an example nor a file"),
        (["--size", "12by7", "sine"], "WIDTHxHEIGHT"),
    ],
)
def test_bad_arguments_fail_with_one_line(tmp_path, args, words):
    out = tmp_path / "x.png"
    result = _run("--screenshot", str(out), *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0]
    assert not out.exists()


def test_a_workspace_file_opens_from_the_command_line(tmp_path):
    import numpy as np

    from engine.examples import make_example
    from engine.network import init_weights
    from engine.presets import get_preset
    from engine.workspace import Workspace, save_workspace

    x = np.asarray(make_example("sine"), dtype=np.float32)
    spec = get_preset("lab-1d").with_input_shape(x.shape)
    weights = init_weights(spec, x.shape, seed=3)
    path = tmp_path / "lab.convscope"
    save_workspace(path, Workspace(input=x, spec=spec, weights=weights, view={}))
    out = tmp_path / "ws.png"
    result = _run("--screenshot", str(out), "--size", "1000x700", str(path))
    assert result.returncode == 0, result.stderr
    assert _png_size(out) == (1000, 700)


def test_a_damaged_workspace_file_exits_2_with_one_line(tmp_path):
    path = tmp_path / "broken.convscope"
    path.write_bytes(b"not a zip at all")
    out = tmp_path / "x.png"
    result = _run("--screenshot", str(out), str(path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "broken.convscope" in lines[0]
    assert not out.exists()
