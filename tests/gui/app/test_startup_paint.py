"""The window's first layout and paint come in pieces, not one long stall.

benchmarks/startup_stall.py measures the longest event-loop gap after ``show()``; these
tests guard the structure that keeps it short: widgets are polished before the window
shows, the trainer's panel behind the Layers tab is neither shown nor laid out, the maps
view tells the worker its size once (not once per resize of the first layout), and the
first paint leaves the side panels and the bottom docks to later passes.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QWidget

from gui.compute.display import DisplayHint
from tests.gui.app.test_gui_layout import settle
from tests.gui.app.test_gui_window import front_tab


@pytest.fixture
def new_window(open_window):
    """``new_window()``: the window app.py opens (reference network), made but not shown
    (made in the test: nothing may run the event loop between making and showing it)."""

    def make():
        window = open_window(None)
        window.resize(1280, 800)
        return window

    return make


class PaintPasses(QObject):
    """Counts the window's paint passes (its expose, then each update request) and notes
    in which pass each watched part first painted."""

    def __init__(self, window, parts: dict[str, QWidget]):
        super().__init__()
        self.window, self.parts = window, parts
        self.passes = 0
        self.first: dict[str, int] = {}
        self.held_at_first_paint: dict[str, bool] = {}

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.Expose or (obj is self.window and kind == QEvent.Type.UpdateRequest):
            self.passes += 1
        elif kind == QEvent.Type.Paint and isinstance(obj, QWidget):
            if obj is self.window and not self.held_at_first_paint:
                self.held_at_first_paint = {
                    name: not part.updatesEnabled() for name, part in self.parts.items()
                }
            for name, part in self.parts.items():
                if obj is part or part.isAncestorOf(obj):
                    self.first.setdefault(name, self.passes)
        return False


class PolishRequests(QObject):
    def __init__(self):
        super().__init__()
        self.count = 0

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.PolishRequest:
            self.count += 1
        return False


def test_widgets_are_polished_before_the_window_shows(new_window, qtbot):
    """Not in the first event-loop pass after show(): about a thousand widgets (most in
    pyqtgraph's context menus, parentless) asked to be polished there."""
    from PySide6.QtWidgets import QApplication

    window = new_window()
    spy = PolishRequests()
    QApplication.instance().installEventFilter(spy)
    try:
        window.show()
        qtbot.waitExposed(window)
        settle(qtbot, window)
    finally:
        QApplication.instance().removeEventFilter(spy)
    assert spy.count < 20  # the few widgets made by the first layout itself (tab bars)
    widgets = window.findChildren(QWidget)
    assert all(w.testAttribute(Qt.WidgetAttribute.WA_WState_Polished) for w in widgets)


def test_the_trainer_behind_its_tab_is_not_laid_out_until_brought_to_front(new_window, qtbot):
    window = new_window()
    panel = window.trainer_panel
    window.show()
    qtbot.waitExposed(window)
    settle(qtbot, window)
    assert front_tab(window) == "Layers"
    assert panel.isHidden()
    # never shown, so never laid out: its plots have no size from a layout yet
    assert not panel.curves.testAttribute(Qt.WidgetAttribute.WA_WState_Visible)
    training = next(d for d in window.docks if d.windowTitle() == "Training")
    training.raise_()
    qtbot.waitUntil(lambda: panel.isVisible() and panel.curves.isVisible())
    assert front_tab(window) == "Training"
    assert panel.curves.height() > 50


def test_the_worker_hears_the_size_of_the_maps_once_after_the_first_layout(
    new_window, qtbot, monkeypatch
):
    window = new_window()
    scheduler = window.scheduler
    hints: list[DisplayHint] = []
    monkeypatch.setattr(scheduler, "set_display_hint", hints.append)
    window.show()
    # the first layout resized the maps view; the worker is told in the next pass
    assert hints == []
    assert window.maps_view.hint_pending
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: not window.maps_view.hint_pending)
    assert hints == [window.maps_view.display_hint()]
    assert hints[0].max_columns == 8  # the laptop width


def test_the_first_paint_is_the_maps_then_the_side_panels_then_the_docks(new_window, qtbot):
    from PySide6.QtWidgets import QApplication

    window = new_window()
    parts = {
        "maps": window.maps_view,
        "input": window.input_panel,
        "inspector": window.inspector,
        "layers": window.layer_stack,
    }
    spy = PaintPasses(window, parts)
    QApplication.instance().installEventFilter(spy)
    try:
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: not window.painting_in_pieces and len(spy.first) == len(parts))
        settle(qtbot, window)
    finally:
        QApplication.instance().removeEventFilter(spy)
    assert spy.held_at_first_paint == {
        "maps": False,
        "input": True,
        "inspector": True,
        "layers": True,
    }
    first = spy.first
    assert first["maps"] < first["input"] == first["inspector"] < first["layers"]
    # and everything paints normally afterwards
    for part in parts.values():
        assert part.updatesEnabled()
    docks = window.bottom_docks()
    assert all(d.updatesEnabled() for d in docks)
