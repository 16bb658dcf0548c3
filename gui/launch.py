"""The GUI entry point: ``main(argv) -> int`` (called by app.py).

``app.py [EXAMPLE_OR_FILE]`` opens the lab; ``app.py --screenshot OUT.png [--size WxH]
[EXAMPLE_OR_FILE]`` renders the window offscreen once the first maps are drawn, saves it and
exits. A bad example, file or size ends with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import dataclass

import numpy as np

log = logging.getLogger("convscope")

DEFAULT_EXAMPLE = "cameraman"
SIDE_2D = 256  # the reference workload's input side
SCREENSHOT_TIMEOUT_MS = 60_000


class UsageError(Exception):
    """A bad command-line value; the message is the one line the user sees."""


@dataclass
class Start:
    array: np.ndarray
    preset: str
    notice: str | None
    label: str


def parse_size(text: str) -> tuple[int, int]:
    parts = text.lower().replace("×", "x").split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise UsageError(f"--size must be WIDTHxHEIGHT, e.g. 1920x1080; got {text!r}") from None
    if not (320 <= w <= 8192 and 240 <= h <= 8192):
        raise UsageError(f"--size {w}x{h} is outside 320x240 .. 8192x8192")
    return w, h


def resolve_input(target: str | None) -> Start:
    """An example name or a file -> the input array and the preset that suits it."""
    from engine.errors import EngineError
    from engine.examples import example_kind, make_example
    from engine.inputs import load_input

    name = target or DEFAULT_EXAMPLE
    try:
        kind = example_kind(name)
    except EngineError:
        kind = None
    try:
        if kind is not None:
            size = SIDE_2D if kind == "2d" else None
            array, notice = make_example(name, size), None
        elif os.path.exists(name):
            loaded = load_input(name)
            array, notice, kind = loaded.array, loaded.notice, loaded.kind
        else:
            raise UsageError(
                f"{name!r} is neither an example nor a file "
                "(examples: python -c \"from engine.examples import example_names; "
                "print(example_names('2d'))\")"
            )
    except EngineError as error:
        raise UsageError(str(error)) from None
    return Start(array, "lab-1d" if kind == "1d" else "lab-2d", notice, os.path.basename(name))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py", description="ConvScope: see inside a CNN")
    parser.add_argument("target", nargs="?", help="an example name or an image/signal file")
    parser.add_argument("--screenshot", metavar="OUT.png", help="render offscreen to a PNG")
    parser.add_argument("--size", default="1920x1080", help="window size WxH (default 1920x1080)")
    return parser


def _excepthook(kind, value, tb) -> None:
    # Never a traceback dialog (and never a silent death): log it, keep running.
    log.error("unexpected error", exc_info=(kind, value, tb))


def create_window(start: Start):
    """Document, scheduler and main window for ``start`` (a QApplication must exist)."""
    from engine.presets import get_preset

    from .document import Document
    from .main_window import MainWindow
    from .scheduler import ComputeScheduler

    document = Document(start.array, get_preset(start.preset))
    scheduler = ComputeScheduler(document)
    window = MainWindow(document, scheduler)
    window.setWindowTitle(f"ConvScope — {start.label}")
    from .compare_view import install_compare
    from .layer_stack import install_layer_stack
    from .workspace_actions import install_workspace

    install_layer_stack(window)
    install_compare(window)
    install_workspace(window)
    if start.notice:
        document.message.emit("info", start.notice)
    return window


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        size = parse_size(args.size)
        if args.screenshot and not args.screenshot.lower().endswith(".png"):
            raise UsageError(f"--screenshot needs a .png file name; got {args.screenshot!r}")
        start = resolve_input(args.target)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.screenshot and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    import PySide6.QtWidgets  # noqa: F401 - PySide6 before pyqtgraph
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)
    sys.excepthook = _excepthook
    window = create_window(start)
    window.resize(*size)
    if args.screenshot:
        return screenshot(app, window, args.screenshot)
    window.show()
    # After a crash: offer the autosaved work once the window is up.
    QTimer.singleShot(0, window.workspace_actions.offer_recovery)
    return app.exec()


def screenshot(app, window, path: str) -> int:
    """Show ``window``, wait for its first maps to be painted, save it as a PNG."""
    from PySide6.QtCore import QTimer

    outcome: dict[str, object] = {}

    def painted(generation: int) -> None:
        # Wait for the steady state: the newest request (e.g. after the first layout's
        # resize) computed and painted, nothing left in flight.
        if generation < window.scheduler.generation or not window.scheduler.idle:
            return
        if "done" not in outcome:
            outcome["done"] = True
            QTimer.singleShot(0, app.quit)

    def timed_out() -> None:
        outcome.setdefault("timeout", True)
        app.quit()

    window.maps_view.repainted.connect(painted)
    QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, timed_out)
    window.show()
    if window.scheduler.latest is not None:
        window.maps_view.repaint()
    app.exec()
    if "done" not in outcome:
        print("error: the maps were not drawn within 60 s", file=sys.stderr)
        window.close()
        return 1
    image = window.grab()
    tmp = path + ".tmp.png"
    ok = image.save(tmp, "PNG")
    window.close()
    if not ok:
        print(f"error: cannot write {path}", file=sys.stderr)
        return 2
    os.replace(tmp, path)
    return 0
