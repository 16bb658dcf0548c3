"""The engine never imports Qt, pyqtgraph or the GUI."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import importlib, pkgutil, sys

BLOCKED = ("PySide6", "shiboken6", "pyqtgraph", "gui")

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"the engine imported {name}")
        return None

sys.meta_path.insert(0, Block())
import engine
for info in pkgutil.walk_packages(engine.__path__, "engine."):
    importlib.import_module(info.name)

import numpy as np
from engine.network import forward, init_weights
from engine.presets import get_preset
spec = get_preset("encoder-decoder")
trace = forward(spec, init_weights(spec), np.zeros(spec.input_shape, np.float32))
assert trace.ok
assert not [m for m in sys.modules if m.split(".")[0] in BLOCKED]
print("isolated", len([m for m in sys.modules if m.startswith("engine.")]))
"""


def test_engine_imports_without_qt():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("isolated")
