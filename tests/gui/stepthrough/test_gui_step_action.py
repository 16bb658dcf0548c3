""" "Step through" from the inspector and from a layer's maps: through the document
(select the layer, request the view), the window brings the Step through lab to the front."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication

from gui.state.document import STEP_THROUGH_VIEW
from gui.stepthrough.step_panel import StepPanel


def _current(window):
    return window.labs.tabText(window.labs.currentIndex())


def test_the_inspectors_button_opens_the_lab_on_the_selected_layer(open_window, qtbot):
    window = open_window("cameraman")
    window.show()
    inspector = window.inspector
    window.document.select_layer("relu1")  # an activation: nothing to step through
    assert not inspector.step_button.isVisibleTo(inspector)
    window.document.select_layer("conv2")
    assert inspector.step_button.isVisibleTo(inspector)
    assert _current(window) == "Maps"
    with qtbot.waitSignal(window.document.viewRequested) as signal:
        qtbot.mouseClick(inspector.step_button, Qt.MouseButton.LeftButton)
    assert signal.args == [STEP_THROUGH_VIEW]
    assert _current(window) == STEP_THROUGH_VIEW
    panel = window.lab(STEP_THROUGH_VIEW)
    assert isinstance(panel, StepPanel)
    qtbot.waitUntil(lambda: panel.plan is not None, timeout=20_000)
    assert panel.plan.layer == "conv2"


def test_a_maps_context_menu_opens_the_lab_on_that_layer(open_window, qtbot):
    window = open_window("cameraman")
    window.show()
    window.document.select_layer("conv1")
    menu = window.maps_view.layer_menu("conv2")
    (action,) = menu.actions()
    assert action.isEnabled() and "Step through" in action.text()
    assert not window.maps_view.layer_menu("relu1").actions()[0].isEnabled()
    action.trigger()
    assert window.document.selected_layer == "conv2"  # the map's layer, not the selected one
    assert _current(window) == STEP_THROUGH_VIEW
    panel = window.lab(STEP_THROUGH_VIEW)
    qtbot.waitUntil(lambda: panel.plan is not None, timeout=20_000)
    assert panel.plan.layer == "conv2"


def test_a_right_click_on_a_layers_maps_shows_that_menu(open_window, qtbot, monkeypatch):
    window = open_window("cameraman")
    window.show()
    shown = []
    # the popup's own loop is Qt's; here it records the menu it would show
    monkeypatch.setattr(window.maps_view, "popup", lambda menu, _at: shown.append(menu.actions()))
    layer_map = window.maps_view.maps["pool"]
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, QPoint(10, 10), layer_map.mapToGlobal(QPoint(10, 10))
    )
    QApplication.sendEvent(layer_map, event)
    (actions,) = shown
    assert "Step through" in actions[0].text()
    actions[0].trigger()
    assert window.document.selected_layer == "pool"
    assert _current(window) == STEP_THROUGH_VIEW


def test_request_view_of_a_missing_layer_says_so_and_opens_nothing(open_window, qtbot):
    window = open_window("cameraman")
    messages = []
    window.document.message.connect(lambda level, text: messages.append(text))
    window.document.request_view(STEP_THROUGH_VIEW, "nope")
    assert _current(window) == "Maps" and any("nope" in m for m in messages)
