"""The laptop layout (1280×800): at least three layers of the reference network in view, in
presentation mode too, with larger maps and kernel cells when presenting; side panels that
fold to a strip and come back; --screenshot --presentation pictures presentation mode."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication

from gui.app import launch
from gui.app.side_panels import STRIP_WIDTH, PanelHandle
from gui.app.theme import BASE_POINT_SIZE, PRESENTATION_POINT_SIZE


def _settle(qtbot, window) -> None:
    s = window.scheduler
    for _ in range(2):
        qtbot.waitUntil(
            lambda: (
                s.idle
                and s.latest is not None
                and s.latest.generation == s.generation
                and not window.maps_view.hint_pending
            ),
            timeout=20_000,
        )
        for _ in range(3):
            QCoreApplication.sendPostedEvents()
            QApplication.processEvents()


@pytest.fixture
def laptop(themed, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CONVSCOPE_RECOVERY_DIR", str(tmp_path / "recovery"))
    made = []

    def make(size=(1280, 800), presenting=False):
        window = launch.create_window(launch.resolve_input(None), remember=False)
        qtbot.addWidget(window)
        window.workspace_actions.ask_on_close = False
        made.append(window)
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        _settle(qtbot, window)
        if presenting:
            window.presentation_action.trigger()
            qtbot.waitUntil(lambda: window.inspector.font().pointSize() == PRESENTATION_POINT_SIZE)
            _settle(qtbot, window)
        return window

    yield make
    for window in made:
        window.set_presentation(False)
        window.close()
        window.trainer_panel.shutdown()


def layers_in_view(window) -> list[str]:
    """The layers whose maps (title and canvas) lie wholly inside the maps' viewport."""
    view = window.maps_view
    port = view.scroll.viewport()
    inside = []
    for name, widget in view.maps.items():
        top = widget.mapTo(port, widget.rect().topLeft()).y()
        if top >= 0 and top + widget.height() <= port.height() and widget.canvas.height() > 40:
            inside.append(name)
    return inside


@pytest.mark.parametrize("presenting", [False, True])
def test_three_layers_of_the_reference_network_show_on_a_laptop(laptop, presenting):
    window = laptop((1280, 800), presenting)
    shown = layers_in_view(window)
    assert len(shown) >= 3, shown
    # drawn as they are sized: every canvas as tall as its tiles (nothing cut off)
    hint = window.scheduler._hint
    assert hint == window.maps_view.display_hint()


def test_presentation_enlarges_the_maps_and_the_kernel_table(laptop, qtbot):
    window = laptop((1920, 1080), False)
    normal_tile = window.maps_view.display_hint().tile_px
    table = window.inspector.findChild(type(window.inspector.kernel_editor.table))
    row, font = table.verticalHeader().defaultSectionSize(), table.font().pointSizeF()
    window.presentation_action.trigger()
    qtbot.waitUntil(lambda: window.inspector.font().pointSize() == PRESENTATION_POINT_SIZE)
    _settle(qtbot, window)
    assert window.maps_view.display_hint().tile_px >= 1.5 * normal_tile
    assert table.font().pointSizeF() > font
    assert table.verticalHeader().defaultSectionSize() > row
    assert len(layers_in_view(window)) >= 3
    window.presentation_action.trigger()
    _settle(qtbot, window)
    assert window.maps_view.display_hint().tile_px == normal_tile
    assert table.verticalHeader().defaultSectionSize() == row


@pytest.mark.parametrize("presenting", [False, True])
def test_side_panels_fold_to_a_strip_and_come_back(laptop, qtbot, presenting):
    window = laptop((1280, 800), presenting)
    splitter = window.splitter
    before = splitter.sizes()
    maps_width = window.maps_view.width()
    tile = window.maps_view.display_hint().tile_px
    window.panel_actions[0].trigger()  # View ▸ Input panel (Ctrl+[)
    assert splitter.sizes()[0] == 0 and splitter.is_collapsed(0)
    assert not window.panel_actions[0].isChecked()
    handle = splitter.handle(2)
    assert isinstance(handle, PanelHandle) and handle.width() >= STRIP_WIDTH - 1
    handle.button.click()  # the strip's button folds the inspector
    assert splitter.is_collapsed(2) and not window.panel_actions[2].isChecked()
    _settle(qtbot, window)
    assert window.maps_view.width() > maps_width + 400  # the maps take the room
    assert window.maps_view.display_hint().tile_px >= tile
    # the strips stay on screen to bring them back
    for i in (1, 2):
        assert splitter.handle(i).isVisible()
        assert splitter.handle(i).button.arrowType() in (
            Qt.ArrowType.LeftArrow,
            Qt.ArrowType.RightArrow,
        )
    splitter.handle(1).button.click()
    window.panel_actions[2].trigger()
    _settle(qtbot, window)
    after = splitter.sizes()
    assert after[0] == before[0] and after[2] == before[2]
    assert window.panel_actions[0].isChecked() and window.panel_actions[2].isChecked()


def test_the_presentation_screenshot_is_of_presentation_mode(themed, qtbot, tmp_path, monkeypatch):
    """`--screenshot --presentation` grabbed a window app.quit() had already closed: a stale
    layout, its presentation undone. The picture is now of the shown, presenting window."""
    monkeypatch.setenv("CONVSCOPE_RECOVERY_DIR", str(tmp_path / "recovery"))
    seen = {}
    for presenting in (False, True):
        window = launch.create_window(launch.resolve_input(None), remember=False)
        qtbot.addWidget(window)
        window.workspace_actions.ask_on_close = False
        window.resize(1920, 1080)
        launch.probe_centre(window.document)
        real_grab = window.grab

        def grab(*args, window=window, presenting=presenting, real_grab=real_grab):
            conv1 = window.maps_view.maps["conv1"]
            seen[presenting] = {
                "visible": window.isVisible(),
                "presenting": window.presenting,
                "point_size": window.inspector.font().pointSize(),
                "title_px": conv1.title.fontMetrics().height(),
                "map_height": conv1.height(),
                "needed": conv1.chrome_height() + conv1.canvas.height(),
            }
            return real_grab(*args)

        monkeypatch.setattr(window, "grab", grab)
        out = tmp_path / f"shot-{presenting}.png"
        assert launch.screenshot(QApplication.instance(), window, str(out), presenting) == 0
        assert out.stat().st_size > 20_000
        window.trainer_panel.shutdown()
    normal, shown = seen[False], seen[True]
    assert shown["visible"] and shown["presenting"]
    assert shown["point_size"] == PRESENTATION_POINT_SIZE
    assert normal["point_size"] == BASE_POINT_SIZE
    assert shown["title_px"] > normal["title_px"]
    assert shown["map_height"] > normal["map_height"]  # larger maps, not only text
    for picture in (normal, shown):  # laid out: each map as tall as its title and tiles
        assert picture["map_height"] >= picture["needed"]


def test_the_training_tab_gets_the_height_its_plots_need(laptop, qtbot):
    window = laptop((1280, 800), False)
    layers, training = window.bottom_docks()[:2]
    usual = layers.height()
    plot = window.trainer_panel.curves.loss_plot
    training.raise_()
    qtbot.waitUntil(lambda: training.height() > usual + 60, timeout=5_000)
    assert training.height() <= 0.45 * window.height() + 30
    qtbot.waitUntil(lambda: plot.height() >= 200, timeout=5_000)
    assert len(layers_in_view(window)) >= 1  # the maps keep room
    layers.raise_()
    qtbot.waitUntil(lambda: abs(layers.height() - usual) <= 2, timeout=5_000)


def test_axis_labels_have_room_at_any_plot_width():
    from gui.widgets.spaced_axis import SpacedAxis, nice_spacing

    assert nice_spacing(12000, 2.5) == 5000
    assert nice_spacing(1.0, 5) == 0.2
    axis = SpacedAxis("bottom")
    for width in (120, 164, 400, 1200):
        (major, _), _minor = axis.tickSpacing(0, 12000, width)
        labels = 12000 // major + 1
        assert labels * axis.label_room(0, 12000) <= width + axis.label_room(0, 12000)
