"""The GUI entry point: ``main(argv) -> int`` (called by app.py).

``app.py [EXAMPLE_OR_FILE]`` opens the lab (a ``.convscope`` file opens that workspace);
``app.py --screenshot OUT.png [--size WxH] [--presentation] [--theme NAME] [EXAMPLE_OR_FILE]``
renders the window offscreen
once the first maps (and the probe's receptive field) are drawn, saves it and exits. A bad
example, file or size ends with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger("convscope")

SUFFIX = ".convscope"  # engine.workspace.SUFFIX (not imported: keeps start-up light)

DEFAULT_EXAMPLE = "cameraman"
SIDE_2D = 256  # the reference workload's input side
SCREENSHOT_TIMEOUT_MS = 60_000
SCREENSHOT_SIZE = "1920x1080"


class UsageError(Exception):
    """A bad command-line value; the message is the one line the user sees."""


@dataclass
class Start:
    """What the window starts with: an input and a preset, or an opened workspace."""

    array: np.ndarray
    preset: str
    notice: str | None
    label: str
    workspace: Any = None  # an engine.workspace.Workspace read from ``path``
    path: str | None = None


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
    if name.lower().endswith(SUFFIX):
        return _resolve_workspace(name)
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
            raise UsageError(f"{name!r} is neither an example nor a file ({example_list()})")
    except EngineError as error:
        raise UsageError(str(error)) from None
    return Start(array, "lab-1d" if kind == "1d" else "lab-2d", notice, os.path.basename(name))


def _resolve_workspace(path: str) -> Start:
    from engine.errors import EngineError
    from engine.workspace import load_workspace

    try:
        workspace = load_workspace(path)
    except EngineError as error:
        raise UsageError(f"cannot open {path}: {error}") from None
    except OSError as error:
        raise UsageError(f"cannot open {path}: {error.strerror or error}") from None
    dims = workspace.input.ndim - 1
    return Start(
        workspace.input,
        "lab-1d" if dims == 1 else "lab-2d",
        None,
        os.path.basename(path),
        workspace,
        path,
    )


def example_list() -> str:
    from engine.examples import example_names

    return f"images: {', '.join(example_names('2d'))}; signals: {', '.join(example_names('1d'))}"


def commands_epilog() -> str:
    """The headless commands and the example names, for ``app.py --help``."""
    from engine.cli import build_parser as cli_parser

    lines = ["headless commands (python app.py COMMAND --help for each):"]
    sub = next(a for a in cli_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for choice in sub._choices_actions:
        lines.append(f"  {choice.dest:<10} {choice.help or ''}")
    import textwrap

    lines += ["", "examples (EXAMPLE_OR_FILE):"]
    lines += textwrap.wrap(example_list(), 78, initial_indent="  ", subsequent_indent="    ")
    return "\n".join(lines)


def build_parser(with_commands: bool = False) -> argparse.ArgumentParser:
    """The GUI's parser; ``with_commands``: its help lists the headless commands and the
    examples (imports the engine: only for --help)."""
    parser = argparse.ArgumentParser(
        prog="app.py",
        usage="%(prog)s [options] [EXAMPLE_OR_FILE]  |  %(prog)s COMMAND ...",
        description="ConvScope: see inside a CNN. Opens the lab (or, with --screenshot, "
        "renders it to a PNG); COMMAND runs without a window.",
        epilog=commands_epilog() if with_commands else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "target",
        nargs="?",
        metavar="EXAMPLE_OR_FILE",
        help="an example name (listed below), an image/signal file or a .convscope workspace",
    )
    parser.add_argument("--screenshot", metavar="OUT.png", help="render offscreen to a PNG")
    parser.add_argument(
        "--size",
        default=None,
        help="window size WxH (default: the size it had last time, or most of the screen; "
        "a screenshot is 1920x1080)",
    )
    parser.add_argument(
        "--presentation", action="store_true", help="start in presentation mode (F5)"
    )
    parser.add_argument(
        "--theme",
        default=None,
        metavar="|".join(THEME_NAMES),
        help="the colours: dark, light or high-contrast for projectors (default: the one "
        "chosen last time in View ▸ Theme; a screenshot: dark)",
    )
    return parser


THEME_NAMES = ("dark", "light", "high-contrast")  # gui.app.theme.THEME_NAMES (kept light)


def check_theme(name: str | None) -> str | None:
    if name is not None and name not in THEME_NAMES:
        raise UsageError(f"--theme must be one of {', '.join(THEME_NAMES)}; got {name!r}")
    return name


def name_application(app) -> None:
    """ConvScope's names for Qt: its settings, its recovery folder
    (~/.local/share/ConvScope/ConvScope, not .../app.py), its windows."""
    app.setApplicationName("ConvScope")
    app.setOrganizationName("ConvScope")
    app.setApplicationVersion(app_version())


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("convscope")
    except PackageNotFoundError:
        return "unknown"


def _excepthook(kind, value, tb) -> None:
    # Never a traceback dialog (and never a silent death): log it, keep running.
    log.error("unexpected error", exc_info=(kind, value, tb))


def create_window(start: Start, remember: bool = True):
    """Document, scheduler and main window for ``start`` (a QApplication must exist).

    ``remember``: an opened workspace goes into File ▸ Open Recent.
    Raises :class:`UsageError` when the workspace of ``start`` does not fit the document.
    """
    from engine.memory import keep_freed_memory
    from engine.presets import get_preset
    from gui.app.main_window import MainWindow
    from gui.compute.scheduler import ComputeScheduler
    from gui.designer.layer_stack import install_layer_stack
    from gui.lab.compare_view import install_compare
    from gui.overlays import install_overlays as install_task_overlay
    from gui.sampling import install_sampling_lab
    from gui.state.document import Document
    from gui.stepthrough.step_panel import install_stepthrough
    from gui.symmetry.symmetry_panel import install_symmetry_lab
    from gui.training import trainer_panel
    from gui.widgets.field_input import install_field_input
    from gui.workspace.workspace_actions import install_workspace

    install_field_input()  # typing applies on Enter; the wheel changes focused fields only
    keep_freed_memory()  # every edit allocates megabytes of outputs: reuse, do not refault
    ws = start.workspace
    spec = ws.spec if ws is not None else get_preset(start.preset)
    document = Document(start.array, spec)
    scheduler = ComputeScheduler(document)
    window = MainWindow(document, scheduler)
    window.setWindowTitle(f"ConvScope — {start.label}")
    install_layer_stack(window)
    trainer_panel.install(window)  # a tab beside Layers
    window.arrange_bottom_docks()
    install_compare(window)
    # the labs beside the maps, each a tab built the first time it is shown
    install_symmetry_lab(window)
    install_sampling_lab(window)
    install_stepthrough(window)
    install_workspace(window)
    install_task_overlay(window)  # a segmenter's mask / a detector's boxes on the input
    from gui.lessons import install_lessons

    install_lessons(window)  # the Lessons dock: scenes, and presenting them (PageDown/PageUp)
    from gui.app.help_menu import install_help

    install_help(window, app_version())  # last: its keyboard list reads the others' actions
    if ws is not None:
        if not window.workspace_actions.adopt(ws, start.path, remember=remember):
            window.workspace_actions.ask_on_close = False
            window.close()
            raise UsageError(f"cannot open {start.path}: {window.message_text}")
    window.input_panel.show_source(start.label)
    select_first_weighted(document)
    if start.notice:
        document.notify("info", start.notice)
    polish_now()
    return window


def polish_now() -> None:
    """Polish (style) the widgets made so far now, not in the event loop's first pass.

    Each new widget posts itself a polish request; about a thousand of them (most in menus
    and tabs not on screen) were handled in the first pass after ``show()``, beside the
    window's first layout: a good part of that pass's stall.
    """
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.PolishRequest)


def freeze_start_up_objects() -> None:
    """Exclude everything made so far (imports, the window) from garbage collection.

    A full collection walks every tracked object: about 400,000 after start-up, 290 ms
    holding the GIL, a visible stall whenever allocation counts trigger one. Frozen objects
    are skipped by every later collection (still freed by reference counting).
    """
    import gc

    gc.freeze()


def select_first_weighted(document) -> str | None:
    """Select the first layer that has weights (its kernels and formula show at once)."""
    name = next((n for n in document.spec.names() if document.weights.get(n)), None)
    if name is not None:
        document.select_layer(name)
    return name


def probe_centre(document) -> None:
    """Probe channel 0 at the centre of the last layer that has an output (for pictures):
    the maps show its receptive field and the formula its arithmetic."""
    from gui.state.document import Probe

    for name in reversed(document.spec.names()):
        shape = document.layer_shape(name)
        if shape is not None and len(shape) >= 2:
            document.set_probe(Probe(name, 0, tuple(n // 2 for n in shape[1:])))
            return


def main(argv: list[str]) -> int:
    args = build_parser(with_commands="-h" in argv or "--help" in argv).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        size = parse_size(args.size or SCREENSHOT_SIZE) if (args.size or args.screenshot) else None
        if args.screenshot and not args.screenshot.lower().endswith(".png"):
            raise UsageError(f"--screenshot needs a .png file name; got {args.screenshot!r}")
        check_theme(args.theme)
        start = resolve_input(args.target)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.screenshot and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    import PySide6.QtWidgets  # noqa: F401 - PySide6 before pyqtgraph
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from gui.app.theme import apply_theme, saved_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    name_application(app)
    apply_theme(app, args.theme or ("dark" if args.screenshot else saved_theme()))
    sys.excepthook = _excepthook
    try:
        window = create_window(start, remember=not args.screenshot)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.screenshot:
        window.resize(*size)
        window.workspace_actions.ask_on_close = False  # nobody there to answer
        probe_centre(window.document)
        return screenshot(app, window, args.screenshot, presentation=args.presentation)
    from gui.app.window_geometry import fit_size, remember_geometry, show_placed

    remember_geometry(window)  # the last size and place, or most of the screen
    if size is not None:
        fit_size(window, *size)  # never larger than the screen
    show_placed(window)
    if args.presentation:
        window.set_presentation(True)
    freeze_start_up_objects()
    # After a crash: offer the autosaved work once the window is up.
    QTimer.singleShot(0, window.workspace_actions.offer_recovery)
    return app.exec()


def screenshot(app, window, path: str, presentation: bool = False) -> int:
    """Show ``window``, wait for its first maps (and the probe's receptive field) to be
    painted, save it as a PNG."""
    from PySide6.QtCore import QTimer

    outcome: dict[str, object] = {}
    scheduler, document = window.scheduler, window.document
    painted_generation = [-1]
    settle = [0]  # event-loop turns to wait before the steady state is checked again

    def receptive_ready() -> bool:
        if document.probe is None or not document.view.show_receptive_field:
            return True
        rf = scheduler.latest_receptive
        return scheduler.receptive_current and rf is not None and rf.probe == document.probe

    def check() -> None:
        # Wait for the steady state: the newest request (e.g. after the first layout's
        # resize) computed and painted, nothing left in flight.
        if window.maps_view.hint_pending or window.painting_in_pieces:
            QTimer.singleShot(0, check)  # the first passes after show() are still to run
            return
        if presentation and not window.presenting:
            window.presentation_action.trigger()  # as F5 would, once the window is up
            settle[0] = 10  # the new fonts' layouts and the maps' new sizes come in turns
        if settle[0] > 0:
            settle[0] -= 1
            QTimer.singleShot(30, check)
            return
        if painted_generation[0] < scheduler.generation or not scheduler.idle:
            return
        if not receptive_ready():
            return
        if "done" not in outcome:
            outcome["done"] = True
            QTimer.singleShot(0, app.quit)

    def painted(generation: int) -> None:
        painted_generation[0] = max(painted_generation[0], generation)
        check()

    def timed_out() -> None:
        outcome.setdefault("timeout", True)
        app.quit()

    window.maps_view.repainted.connect(painted)
    # after the maps view applied the overlays (it connected first)
    scheduler.receptiveReady.connect(lambda _r: check())
    QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, timed_out)
    window.show()
    if window.scheduler.latest is not None:
        window.maps_view.repaint()
    app.exec()
    if "done" not in outcome:
        print("error: the maps were not drawn within 60 s", file=sys.stderr)
        window.close()
        return 1
    if presentation:
        from PySide6.QtCore import QCoreApplication

        for _ in range(5):  # the new fonts' layouts (queued, not run once exec returned)
            QCoreApplication.sendPostedEvents()
            app.processEvents()
    image = window.grab()
    tmp = path + ".tmp.png"
    ok = image.save(tmp, "PNG")
    window.close()
    if not ok:
        print(f"error: cannot write {path}", file=sys.stderr)
        return 2
    os.replace(tmp, path)
    return 0
