"""Render the README pictures offscreen (run from the repository root).

    python resources/screenshots/make_screenshots.py

lab-2d.png: the 'shapes' example at 64×64 with the lab-2d network, conv1 selected and the
centre of conv3 probed (its receptive field highlighted in every layer).
lab-1d.png: the MNIST-1D digit 3 with the lab-1d network, relu2's centre probed.
designer.png: the same digit with the book's udl-mnist1d-cnn preset (2,050 parameters).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CONVSCOPE_RECOVERY_DIR", str(Path("/tmp/convscope-shots-recovery")))

SIZE = (1600, 900)
PICTURES = [  # file, example, example size (None: its own), preset to load (None: lab)
    ("lab-2d.png", "shapes", 64, None),
    ("lab-1d.png", "mnist1d-3", None, None),
    ("designer.png", "mnist1d-3", None, "udl-mnist1d-cnn"),
]


def render(app, name: str, example: str, side: int | None, preset: str | None) -> int:
    from engine.examples import make_example
    from gui.app import launch

    x = make_example(example, side)
    start = launch.Start(x, "lab-1d" if x.ndim == 2 else "lab-2d", None, example)
    window = launch.create_window(start, remember=False)
    window.resize(*SIZE)
    window.workspace_actions.ask_on_close = False
    if preset:
        window.layer_stack.load_preset(preset)
        window.document.undo_stack.clear()
        launch.select_first_weighted(window.document)
    else:
        launch.probe_centre(window.document)
    return launch.screenshot(app, window, str(HERE / name))


def main() -> int:
    import PySide6.QtWidgets  # noqa: F401 - PySide6 before pyqtgraph
    from PySide6.QtWidgets import QApplication

    from gui.app.theme import apply_theme

    app = QApplication.instance() or QApplication([])
    apply_theme(app)
    for picture in PICTURES:
        status = render(app, *picture)
        if status:
            return status
        print("wrote", HERE / picture[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
