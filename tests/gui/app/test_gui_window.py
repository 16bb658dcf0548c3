"""The main window: panels, menus, undo/redo, status messages, docks."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel

from gui.app.main_window import MainWindow
from gui.lab.input.input_panel import InputPanel
from gui.lab.inspector.inspector import Inspector
from gui.lab.maps.maps_view import MapsView


@pytest.fixture
def window(lab_2d, qtbot):
    document, scheduler = lab_2d
    w = MainWindow(document, scheduler)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    return w


def test_panels_in_order(window):
    widgets = [window.splitter.widget(i) for i in range(window.splitter.count())]
    widgets[1] = widgets[1].currentWidget()  # the maps are the labs' first tab
    widgets = [getattr(w, "widget", lambda w=w: w)() for w in widgets]  # side panels scroll
    assert [type(w) for w in widgets] == [InputPanel, MapsView, Inspector]
    sizes = window.splitter.sizes()
    assert sizes[1] > sizes[0] and sizes[1] > sizes[2]  # the maps get the most room


def test_undo_redo_actions_follow_the_stack(window):
    document = window.document
    assert window.undo_action.shortcut() == QKeySequence("Ctrl+Z")
    assert QKeySequence("Ctrl+Shift+Z") in window.redo_action.shortcuts()
    assert not window.undo_action.isEnabled()
    document.set_kernel_value("conv1", (0, 0, 1, 1), 1.25)
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()
    assert document.weights["conv1"]["weight"][0, 0, 1, 1] != 1.25
    window.redo_action.trigger()
    assert document.weights["conv1"]["weight"][0, 0, 1, 1] == 1.25


def test_file_menu_has_open_save_quit(window):
    texts = [a.text() for a in window.file_menu.actions() if a.text()]
    assert texts == ["&Open input…", "&Save input…", "&Quit"]
    assert set(window.menus) >= {"File", "Edit", "View"}


def test_document_messages_reach_the_status_bar(window):
    window.document.set_kernel_value("conv1", (0, 0, 1, 1), float("nan"))
    assert "finite" in window.message_text
    window.document.notify("info", "loaded")
    assert window.message_text == "loaded"


def test_add_dock_and_file_actions(window):
    label = QLabel("trainer")
    dock = window.add_dock(label, Qt.DockWidgetArea.RightDockWidgetArea, "Trainer")
    assert dock.widget() is label and dock.windowTitle() == "Trainer"
    assert dock.toggleViewAction() in window.view_menu.actions()
    from PySide6.QtGui import QAction

    action = QAction("Export network…", window)
    window.add_file_action(action)
    texts = [a.text() for a in window.file_menu.actions() if a.text()]
    assert texts.index("Export network…") < texts.index("&Quit")


def test_closing_stops_the_scheduler(window, qtbot):
    window.close()
    generation = window.scheduler.generation
    window.document.set_kernel_value("conv1", (0, 0, 0, 0), 0.5)
    assert window.scheduler.idle
    assert window.scheduler.latest is None or window.scheduler.latest.generation <= generation + 1


def test_presentation_mode_enlarges_fonts_hides_bottom_docks_and_restores(window, qtbot):
    from PySide6.QtWidgets import QApplication

    from gui.app.theme import PRESENTATION_POINT_SIZE

    app = QApplication.instance()
    before = app.font().pointSize()
    dock = window.add_dock(QLabel("layers"), Qt.DockWidgetArea.BottomDockWidgetArea, "Layers")
    side = window.add_dock(QLabel("side"), Qt.DockWidgetArea.RightDockWidgetArea, "Side")
    qtbot.waitUntil(dock.isVisible)
    assert window.presentation_action.shortcut() == QKeySequence("F5")
    window.presentation_action.trigger()
    assert window.presenting and window.presentation_action.isChecked()
    assert app.font().pointSize() == PRESENTATION_POINT_SIZE > before
    qtbot.waitUntil(lambda: window.input_panel.font().pointSize() == PRESENTATION_POINT_SIZE)
    assert not dock.isVisible() and side.isVisible()  # only the bottom docks make room
    window.presentation_action.trigger()
    assert not window.presenting
    assert app.font().pointSize() == before
    qtbot.waitUntil(dock.isVisible)


def test_presentation_mode_ends_when_the_window_closes(window):
    from PySide6.QtWidgets import QApplication

    before = QApplication.instance().font().pointSize()
    window.set_presentation(True)
    window.close()
    assert QApplication.instance().font().pointSize() == before


def test_full_screen_toggle(window):
    assert window.full_screen_action.shortcut() == QKeySequence("F11")
    window.full_screen_action.trigger()
    assert window.isFullScreen()
    window.full_screen_action.trigger()
    assert not window.isFullScreen()


def test_bottom_docks_become_tabs_with_the_first_in_front(window, qtbot):
    layers = window.add_dock(QLabel("layers"), Qt.DockWidgetArea.BottomDockWidgetArea, "Layers")
    training = window.add_dock(
        QLabel("training"), Qt.DockWidgetArea.BottomDockWidgetArea, "Training"
    )
    training.raise_()
    window.arrange_bottom_docks()
    qtbot.waitUntil(lambda: window.tabifiedDockWidgets(layers) == [training])
    qtbot.waitUntil(lambda: front_tab(window) == "Layers")
    # a sensible share of the height: the maps keep most of it
    assert 150 <= layers.height() <= 0.4 * window.height()


def front_tab(window) -> str | None:
    """The title of the dock tab in front (the bottom docks' tab bar)."""
    from PySide6.QtWidgets import QTabBar

    for bar in window.findChildren(QTabBar):
        if bar.parent() is window and bar.count() and bar.isVisible():
            return bar.tabText(bar.currentIndex())
    return None


def test_labs_are_tabs_beside_the_maps_built_when_first_shown(window):
    from PySide6.QtWidgets import QLabel

    assert window.labs.tabBar().isHidden()  # one tab: no tab bar
    built = []

    def build():
        built.append(1)
        return QLabel("a lab")

    window.add_lab("Demo", build, tip="what it shows")
    assert not window.labs.tabBar().isHidden()
    assert built == [] and window.lab("Demo") is None
    lab = window.show_lab("Demo")
    assert built == [1] and isinstance(lab, QLabel) and window.lab("Demo") is lab
    assert window.labs.currentWidget() is lab
    assert window.labs.tabToolTip(window.labs.currentIndex()) == "what it shows"
    window.show_lab("Maps")
    window.show_lab("Demo")
    assert built == [1]  # built once
