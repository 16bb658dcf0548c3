"""Test configuration: offscreen Qt, bounded hypothesis runs."""

import os

# Qt must never need a display in tests; set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from hypothesis import HealthCheck, settings  # noqa: E402

# Deterministic, bounded property tests: CI has 2 cores and a time budget.
settings.register_profile(
    "convscope",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# On demand (HYPOTHESIS_PROFILE=nightly): the fuzz tests at 10,000 examples each.
settings.register_profile(
    "nightly",
    max_examples=10_000,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "convscope"))


# --------------------------------------------------------------------------- GUI fixtures
# (added by the GUI core: a document + scheduler for the lab networks, and a guard that
# fails a Qt test leaving visible windows or compute threads behind, napari-style)

import threading  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

# The offscreen platform warns whenever a window's size constraints change; it is harmless.
QT_LOG_IGNORE = ("This plugin does not support propagateSizeHints",)


def pytest_collection_modifyitems(items):
    for item in items:
        if "qtbot" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.qt_log_ignore(*QT_LOG_IGNORE))


def _compute_threads():
    return [t for t in threading.enumerate() if t.name.startswith("convscope-") and t.is_alive()]


@pytest.fixture(scope="session", autouse=True)
def _frozen_imports():
    """Exclude the imported modules' objects from garbage collection (see the fixture below:
    with them frozen, the collection after each Qt test walks only what tests made)."""
    import gc

    import pyqtgraph  # noqa: F401
    import PySide6.QtWidgets  # noqa: F401 - PySide6 before pyqtgraph
    import torch  # noqa: F401

    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def _no_leaked_windows_or_threads(request):
    """Fail a Qt test that leaves a visible top-level window or a compute thread running."""
    if "qtbot" not in request.fixturenames:
        yield
        return
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtGui import QGuiApplication

    # Windows are checked through their QWindow handles: wrapping every top-level QWidget
    # (QApplication.topLevelWidgets) can meet one that is half destroyed, and shiboken then
    # crashes the process instead of raising.
    app = QGuiApplication.instance()
    before = {id(w) for w in app.topLevelWindows()} if app is not None else set()
    yield
    app = QGuiApplication.instance()
    if app is None:
        return
    # A compute run in progress may finish (the worker never waits for the GUI thread);
    # anything still alive after that is a leak.
    for thread in _compute_threads():
        thread.join(10.0)
    if _compute_threads():
        pytest.fail(f"compute threads still running after the test: {_compute_threads()}")
    app.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    # Collect the test's cyclic garbage now, while no worker runs and nothing paints: left
    # to chance, a collection started inside a later test's event processing once crashed
    # the process (a segmentation fault "Garbage-collecting" beside a running compute pass).
    gc.collect()
    leaked = [
        w
        for w in app.topLevelWindows()
        if id(w) not in before
        and w.isVisible()
        and w.type() not in (w.type().Popup, w.type().ToolTip)
    ]
    if leaked:
        names = ", ".join(w.title() or w.objectName() or type(w).__name__ for w in leaked)
        for w in leaked:
            w.close()
        pytest.fail(f"the test left visible windows open: {names} (use qtbot.addWidget)")


def _lab(preset: str, shape: tuple[int, ...], seed: int = 0):
    from engine.presets import get_preset
    from gui.state.document import Document

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    return Document(x, get_preset(preset))


@pytest.fixture
def lab_2d(qtbot):
    """(document, scheduler) for lab-2d on a small (1, 48, 40) input; stopped afterwards."""
    from gui.compute.scheduler import ComputeScheduler

    document = _lab("lab-2d", (1, 48, 40))
    scheduler = ComputeScheduler(document)
    yield document, scheduler
    scheduler.shutdown()


@pytest.fixture
def lab_1d(qtbot):
    """(document, scheduler) for lab-1d on a (1, 64) input; stopped afterwards."""
    from gui.compute.scheduler import ComputeScheduler

    document = _lab("lab-1d", (1, 64))
    scheduler = ComputeScheduler(document)
    yield document, scheduler
    scheduler.shutdown()


@pytest.fixture
def show_maps(qtbot):
    """``show_maps(document, scheduler, size=(1400, 900))``: a shown MapsView of them."""
    from gui.lab.maps.maps_view import MapsView

    def make(document, scheduler, size=(1400, 900)):
        view = MapsView(document, scheduler)
        qtbot.addWidget(view)
        view.resize(*size)
        view.show()
        return view

    return make


@pytest.fixture
def forward_threads(monkeypatch):
    """The threads that ran each ``engine.network.forward`` call from now on, in order."""
    from engine import network

    threads: list[threading.Thread] = []
    real = network.forward

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(network, "forward", spy)
    return threads


@pytest.fixture
def open_window(qtbot, tmp_path, monkeypatch):
    """``open_window(target, **kwargs)``: the window app.py opens for ``target`` (an example
    name, a file or None), its recovery files in a temporary folder; closed afterwards."""
    from gui.app import launch

    monkeypatch.setenv("CONVSCOPE_RECOVERY_DIR", str(tmp_path / "recovery"))
    made = []

    def make(target: str | None, **kwargs):
        window = launch.create_window(launch.resolve_input(target), remember=False, **kwargs)
        qtbot.addWidget(window)
        window.workspace_actions.ask_on_close = False
        made.append(window)
        return window

    yield make
    for window in made:
        window.close()
        window.trainer_panel.shutdown()


@pytest.fixture
def themed(qtbot):
    """The application's theme as app.py applies it (fonts, style sheet), undone afterwards."""
    from PySide6.QtGui import QFont, QPalette
    from PySide6.QtWidgets import QApplication

    from gui.app.theme import apply_theme

    app = QApplication.instance()
    saved = app.style().name(), QFont(app.font()), QPalette(app.palette()), app.styleSheet()
    apply_theme(app)
    yield app
    style, font, palette, sheet = saved
    app.setStyleSheet(sheet)
    app.setStyle(style)
    app.setPalette(palette)
    app.setFont(font)
