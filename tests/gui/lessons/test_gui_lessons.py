"""The Lessons dock: a lesson of scenes is built, saved and opened again, and presented with
PageDown/PageUp, each scene restored exactly (document, view, step, presentation, theme)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine.network import forward
from gui.compute.display import DisplayHint, layer_display
from gui.lessons.scenes import STEP_TAB, capture, same_state
from gui.state.document import Probe

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture(autouse=True)
def _theme_put_back(qtbot):
    """Scenes switch the application's theme: the next test gets it as it was."""
    from PySide6.QtGui import QFont, QPalette
    from PySide6.QtWidgets import QApplication

    from gui.app.theme import set_theme

    app = QApplication.instance()
    saved = QFont(app.font()), QPalette(app.palette()), app.styleSheet()
    yield
    set_theme("dark")
    font, palette, sheet = saved
    app.setStyleSheet(sheet)
    app.setPalette(palette)
    app.setFont(font)


def settled(window) -> bool:
    s = window.scheduler
    latest = s.latest
    return (
        s.idle
        and latest is not None
        and latest.generation == s.generation
        and all(
            m.display is latest.display.get(name)
            for name, m in window.maps_view.maps.items()
            if name in latest.display
        )
    )


def assert_maps_are_a_fresh_pass(window) -> None:
    """The maps show the document's network now: the trace equals a new engine pass over
    the document's input, spec and weights, and every map drawn shows that pass."""
    doc = window.document
    fresh = forward(doc.spec, doc.weights, doc.input)
    latest = window.scheduler.latest
    for name in doc.spec.names():
        np.testing.assert_array_equal(latest.trace.outputs[name], fresh.outputs[name], name)
    drawn = [n for n in doc.spec.names() if n in latest.display]  # in view (the rest later)
    assert drawn
    for name in drawn:
        display = window.maps_view.maps[name].display
        assert display is latest.display[name]
        if display.kind == "traces":
            again = layer_display(name, fresh.outputs[name], DisplayHint(), doc.view.colormap)
            np.testing.assert_array_equal(display.traces, again.traces, err_msg=name)


def build_three_scenes(window, qtbot):
    """Scene 1: the start; 2: an edited kernel, step-through at step 4, light theme;
    3: another input, presentation mode, high-contrast, a probe and viridis."""
    doc, panel = window.document, window.lessons_panel
    qtbot.waitUntil(lambda: settled(window), timeout=30_000)
    panel.add()
    doc.select_layer("conv1")
    doc.set_kernel_value("conv1", (1, 0, 2), 0.625)
    window.set_theme("light", remember=False)
    step = window.show_lab(STEP_TAB)
    qtbot.waitUntil(lambda: step.plan is not None and settled(window), timeout=30_000)
    step.go(4)
    panel.add()
    window.show_lab("Maps")
    assert window.input_panel.load_example("chirp")
    doc.select_layer("conv2")
    doc.set_kernel_index(1, 2)
    doc.set_probe(Probe("conv2", 1, (5,)))
    doc.set_view(colormap="viridis")
    window.set_theme("high-contrast", remember=False)
    window.set_presentation(True)
    panel.add()
    assert panel.rename_to(0, "The start")
    assert panel.rename_to(2, "A chirp, for the hall")
    return doc.lesson


def test_three_scenes_save_open_and_present_exactly(open_window, qtbot, tmp_path):
    window = open_window("sine")
    window.resize(1280, 800)
    window.show()
    scenes = build_three_scenes(window, qtbot)
    assert [s.title for s in scenes] == ["The start", "", "A chirp, for the hall"]
    assert [s.tab for s in scenes] == ["Maps", STEP_TAB, "Maps"]
    assert scenes[1].step == 4 and scenes[2].presentation and scenes[2].theme == "high-contrast"
    path = tmp_path / "lesson.convscope"
    assert window.workspace_actions.save_to(path, wait=True)
    window.set_presentation(False)
    window.set_theme("dark", remember=False)

    opened = open_window(str(path))
    opened.resize(1280, 800)
    opened.show()
    back = opened.document.lesson
    assert len(back) == 3 and all(a.same_as(b) for a, b in zip(scenes, back, strict=True))

    panel = opened.lessons_panel
    panel.set_presenting(True)
    assert panel.current == 0
    order = [1, 2, 1, 0, 0, 1, 2, 2]  # PageDown x2, PageUp x3 (stops at 0), PageDown x3
    keys = [Qt.Key.Key_PageDown] * 2 + [Qt.Key.Key_PageUp] * 3 + [Qt.Key.Key_PageDown] * 3
    for key, want in zip(keys, order, strict=True):
        qtbot.keyClick(opened.focusWidget() or opened, key)
        assert panel.current == want
        qtbot.waitUntil(
            lambda w=want: settled(opened) and same_state(opened, back[w]), timeout=30_000
        )
        assert_maps_are_a_fresh_pass(opened)
        assert opened.presenting == back[want].presentation
        assert opened.theme == back[want].theme
    panel.set_presenting(False)
    opened.set_presentation(False)
    opened.set_theme("dark", remember=False)


def test_arrow_keys_change_scenes_only_while_presenting(open_window, qtbot):
    window = open_window("sine")
    window.show()
    doc, panel = window.document, window.lessons_panel
    qtbot.waitUntil(lambda: settled(window), timeout=30_000)
    panel.add()
    doc.select_layer("conv2")
    panel.add()
    qtbot.keyClick(window, Qt.Key.Key_Right)  # not presenting: the lab's keys
    assert panel.current == 1 and doc.selected_layer == "conv2"
    panel.set_presenting(True)
    assert panel.current == 1  # starts at the selected scene
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert panel.current == 0 and doc.selected_layer == scene_selected(doc, 0)
    qtbot.keyClick(window, Qt.Key.Key_Down)
    assert panel.current == 1 and doc.selected_layer == "conv2"
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not panel.presenting
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    assert panel.current == 1


def scene_selected(doc, i):
    return doc.lesson[i].selected


def test_rename_reorder_delete_are_undoable(open_window, qtbot):
    window = open_window("sine")
    doc, panel = window.document, window.lessons_panel
    for layer in ("conv1", "pool", "conv2"):
        doc.select_layer(layer)
        panel.add()
    assert [s.selected for s in doc.lesson] == ["conv1", "pool", "conv2"]
    assert panel.list.count() == 3 and panel.list.item(1).text() == "2. Scene 2"
    # rename through the list's editor text, as typing F2 + a title would
    panel.list.item(1).setText("2. Max pooling")
    assert doc.lesson[1].title == "Max pooling"
    assert panel.list.item(1).text() == "2. Max pooling"
    panel.list.setCurrentRow(1)
    panel.up_button.click()
    assert [s.selected for s in doc.lesson] == ["pool", "conv1", "conv2"]
    assert panel.list.currentRow() == 0
    panel.down_button.click()
    panel.down_button.click()
    assert [s.selected for s in doc.lesson] == ["conv1", "conv2", "pool"]
    panel.list.setCurrentRow(0)
    first = doc.lesson[0]
    panel.delete_button.click()
    assert [s.selected for s in doc.lesson] == ["conv2", "pool"]
    doc.undo_stack.undo()  # the deleted scene comes back, the very same
    assert doc.lesson[0] is first and panel.list.count() == 3
    for _ in range(4):  # three moves and the rename
        doc.undo_stack.undo()
    assert [s.selected for s in doc.lesson] == ["conv1", "pool", "conv2"]
    assert [s.title for s in doc.lesson] == ["", "", ""]
    assert not panel.rename_to(0, "x" * 500)  # one message, nothing changed
    assert "at most 200" in window.message_text
    assert doc.lesson[0].title == ""


def test_update_replaces_a_scene_with_the_current_state(open_window, qtbot):
    window = open_window("sine")
    doc, panel = window.document, window.lessons_panel
    panel.add()
    panel.rename_to(0, "Kernel")
    doc.select_layer("conv1")
    doc.set_kernel_value("conv1", (0, 0, 0), -2.0)
    panel.list.setCurrentRow(0)
    panel.update_button.click()
    scene = doc.lesson[0]
    assert scene.title == "Kernel" and scene.selected == "conv1"
    assert scene.weights["conv1"]["weight"][0, 0, 0] == -2.0
    assert capture(window, "Kernel").same_as(scene)


def test_dragging_a_scene_in_the_list_moves_it(open_window, qtbot):
    from PySide6.QtCore import QModelIndex

    window = open_window("sine")
    doc, panel = window.document, window.lessons_panel
    for layer in ("conv1", "pool", "conv2"):
        doc.select_layer(layer)
        panel.add()
    model = panel.list.model()
    assert model.moveRow(QModelIndex(), 0, QModelIndex(), 3)  # the first after the last
    qtbot.waitUntil(lambda: [s.selected for s in doc.lesson] == ["pool", "conv2", "conv1"])
    assert [panel.list.item(i).text() for i in range(3)] == [
        "1. Scene 1",
        "2. Scene 2",
        "3. Scene 3",
    ]
    assert model.moveRow(QModelIndex(), 2, QModelIndex(), 0)
    qtbot.waitUntil(lambda: [s.selected for s in doc.lesson] == ["conv1", "pool", "conv2"])
    doc.undo_stack.undo()
    assert [s.selected for s in doc.lesson] == ["pool", "conv2", "conv1"]
