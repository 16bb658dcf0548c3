"""`app.py --screenshot --theme`: the slide figure in the hall's colours (subprocesses)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

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


def _lightness(path: Path) -> float:
    """The mean lightness (0..255) of a strip along the bottom (the status bar)."""
    image = QImage(str(path))
    assert not image.isNull()
    y = image.height() - 4
    values = [image.pixelColor(x, y).lightness() for x in range(0, image.width(), 7)]
    return sum(values) / len(values)


@pytest.mark.parametrize(
    "theme,presentation,dark",
    [("light", False, False), ("high-contrast", True, True), ("dark", False, True)],
)
def test_the_theme_colours_the_screenshot(tmp_path, theme, presentation, dark):
    out = tmp_path / f"{theme}.png"
    extra = ["--presentation"] if presentation else []
    result = _run("--screenshot", str(out), "--size", "1280x800", "--theme", theme, *extra, "sine")
    assert result.returncode == 0, result.stderr
    light = _lightness(out)
    assert (light < 60) if dark else (light > 200), light


def test_a_bad_theme_is_one_error_line(tmp_path):
    out = tmp_path / "x.png"
    result = _run("--screenshot", str(out), "--theme", "neon", "sine")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "--theme" in lines[0] and "high-contrast" in lines[0] and "neon" in lines[0]
    assert not out.exists()
