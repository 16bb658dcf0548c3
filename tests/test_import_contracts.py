"""House rule 2: the import-linter contracts in pyproject.toml hold; nothing imports in a circle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

from tests.engine.test_engine_no_cycles import _cycles, _describe

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "broken" not in done.stdout.lower().replace("0 broken", "")


def test_gui_has_no_import_cycle():
    graph = grimp.build_graph("gui", include_external_packages=False)
    cycles = _cycles(graph)
    assert not cycles, "import cycles in gui:\n" + "\n\n".join(_describe(graph, c) for c in cycles)
