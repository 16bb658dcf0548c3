"""Layout at the laptop (1280x800) and lecture (1920x1080) sizes, normal and presentation
mode: the value readout is never clipped, the side panels never scroll sideways, the maps
keep most of the width. Also the wrapping row layout these rely on."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QSize
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QPushButton, QSizePolicy, QWidget

from gui.app import launch
from gui.app.theme import PRESENTATION_POINT_SIZE
from gui.lab.maps.layer_map import canvas_height
from gui.lab.maps.maps_view import MIN_FIT_TILE, MIN_READABLE_TILE, MIN_TILE, VISIBLE_LAYERS
from gui.state.document import Probe
from gui.widgets.flow_layout import FlowLayout

SIZES = [(1280, 800), (1920, 1080)]
# the longest readout of the reference network (cameraman 256x256, lab-2d: conv1 has 16
# channels) with one of the widest values "{:.3g}" writes
LONGEST = "conv1[15,255,255] = -0.000123"


def settle(qtbot=None, window=None) -> None:
    """Let the newest compute result arrive (its formula text changes the inspector), then
    run what is queued: posted layout requests, zero-time timers."""
    if window is not None:
        s = window.scheduler
        qtbot.waitUntil(
            lambda: s.idle and s.latest is not None and s.latest.generation == s.generation,
            timeout=20_000,
        )
    for _ in range(3):
        QCoreApplication.sendPostedEvents()
        QApplication.processEvents()


@pytest.fixture
def lab_window(themed, qtbot, tmp_path, monkeypatch):
    """The window app.py opens (the reference network), at a size, optionally presenting."""
    monkeypatch.setenv("CONVSCOPE_RECOVERY_DIR", str(tmp_path / "recovery"))
    made = []

    def make(size: tuple[int, int], presenting: bool):
        window = launch.create_window(launch.resolve_input(None), remember=False)
        qtbot.addWidget(window)
        window.workspace_actions.ask_on_close = False
        made.append(window)
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        settle(qtbot, window)
        if presenting:
            window.presentation_action.trigger()
            qtbot.waitUntil(lambda: window.inspector.font().pointSize() == PRESENTATION_POINT_SIZE)
            settle(qtbot, window)
        return window

    yield make
    for window in made:
        window.set_presentation(False)  # the application's fonts are shared
        window.close()
        window.trainer_panel.shutdown()


def modes():
    return [
        pytest.param(
            size, presenting, id=f"{size[0]}x{size[1]}-{'presenting' if presenting else 'normal'}"
        )
        for size in SIZES
        for presenting in (False, True)
    ]


@pytest.mark.parametrize(("size", "presenting"), modes())
def test_the_longest_readout_fits(lab_window, qtbot, size, presenting):
    window = lab_window(size, presenting)
    view, document = window.maps_view, window.document
    shape = document.layer_shape("conv1")
    assert shape == (16, 256, 256)
    with qtbot.waitSignal(document.probeChanged):
        document.set_probe(Probe("conv1", 15, (255, 255)))
    settle(qtbot, window)
    readout = view.readout
    assert readout.text().startswith("conv1[15,255,255] = ")
    metrics = readout.fontMetrics()
    assert readout.isVisible()
    assert readout.width() >= metrics.horizontalAdvance(LONGEST)
    assert readout.width() >= metrics.horizontalAdvance(readout.text())
    # and the whole label lies inside the maps view (a parent would clip it)
    left = readout.mapTo(view, readout.rect().topLeft()).x()
    assert left >= 0 and left + readout.width() <= view.width()


@pytest.mark.parametrize(("size", "presenting"), modes())
def test_side_panels_do_not_scroll_sideways(lab_window, size, presenting):
    window = lab_window(size, presenting)
    for index in (0, 2):
        area = window.splitter.widget(index)
        assert area.widget().minimumSizeHint().width() <= area.viewport().width()
        assert not area.horizontalScrollBar().isVisible()
        assert area.horizontalScrollBar().maximum() == 0
    # the maps keep a useful width: most of it, and more than either panel
    sizes = window.splitter.sizes()
    assert sizes[1] >= 0.45 * sum(sizes)
    assert sizes[1] > max(sizes[0], sizes[2])


@pytest.mark.parametrize("presenting", [False, True])
def test_every_layer_and_its_formula_fit_the_inspector_on_a_laptop(lab_window, qtbot, presenting):
    window = lab_window((1280, 800), presenting)
    area = window.splitter.widget(2)
    document = window.document
    for name in document.spec.names():
        # the selected layer's controls, and the arithmetic of its last value in the formula
        document.select_layer(name)
        shape = document.layer_shape(name)
        document.set_probe(Probe(name, shape[0] - 1, tuple(n - 1 for n in shape[1:])))
        settle(qtbot, window)
        assert window.inspector.formula_view.explanation is not None, name
        assert area.widget().minimumSizeHint().width() <= area.viewport().width(), name
        assert not area.horizontalScrollBar().isVisible(), name


@pytest.mark.parametrize("presenting", [False, True])
def test_the_lecture_size_keeps_the_readout_beside_the_controls(lab_window, presenting):
    window = lab_window((1920, 1080), presenting)
    bar = window.maps_view.bar
    assert len(bar.layout().rows(bar.width())) == 1
    assert window.maps_view.readout.y() == pytest.approx(window.maps_view.rf_box.y(), abs=12)


def test_a_narrow_view_puts_the_readout_on_a_row_of_its_own(lab_window):
    window = lab_window((1280, 800), False)
    view = window.maps_view
    rows = view.bar.layout().rows(view.bar.width())
    assert len(rows) == 2
    assert [item.widget() for item in rows[-1]] == [view.readout]
    assert view.readout.y() >= view.rf_box.y() + view.rf_box.height()


def test_the_input_panel_is_no_taller_than_its_rows_need(lab_window):
    """Wrapping rows must not make the drawing take its (large) preferred height."""
    window = lab_window((1280, 800), False)
    area = window.splitter.widget(0)
    panel = area.widget()
    least = panel.layout().totalMinimumHeightForWidth(panel.width())
    assert panel.height() <= max(area.viewport().height(), least)


def test_the_readout_reserves_room_for_the_network_it_shows(lab_window):
    window = lab_window((1280, 800), False)
    view = window.maps_view
    assert "conv1[15,255,255] = -0.000888" in view.longest_readouts()
    before = view.readout.minimumSizeHint().width()
    window.layer_stack.load_preset("lab-2d")  # same network: same room
    assert view.readout.minimumSizeHint().width() == before
    wide = window.document.input.repeat(3, axis=0)  # three channels: the input's index grows
    window.document.set_input(wide)
    assert "input[2,255,255] = -0.000888" in view.longest_readouts()


# --------------------------------------------------------------------------- fitting maps
def _tiles_in_view(view) -> dict[str, bool]:
    """For each layer map: does its tile area (the canvas) lie inside the scroll viewport?"""
    viewport = view.scroll.viewport()
    inside = {}
    for name, widget in view.maps.items():
        canvas = widget.canvas
        top_left = canvas.mapTo(viewport, canvas.rect().topLeft())
        bottom_right = canvas.mapTo(viewport, canvas.rect().bottomRight())
        inside[name] = viewport.rect().contains(top_left) and viewport.rect().contains(bottom_right)
    return inside


def test_the_whole_reference_network_fits_the_lecture_screen(lab_window):
    """Issue 3: "100 channel maps on screen at 1920x1080", without scrolling, in normal mode
    (the bottom docks shown), with tiles no smaller than the fitting minimum."""
    window = lab_window((1920, 1080), False)
    view = window.maps_view
    assert all(d.isVisible() for d in window.bottom_docks()[:1])
    shapes = [window.document.layer_shape(n) for n in window.document.spec.names()]
    assert sum(s[0] for s in shapes) == 100  # the reference workload's channel maps
    assert _tiles_in_view(view) == {name: True for name in view.maps}
    assert view.scroll.verticalScrollBar().maximum() == 0
    hint = window.scheduler.display_hint
    assert hint.max_columns == 16
    assert MIN_FIT_TILE <= hint.tile_px
    # every 16-channel layer in one row, its canvas as tall as the tiles it was asked for
    canvas = view.maps["conv1"].canvas
    assert canvas.height() == canvas_height((16, 256, 256), hint.tile_px, 16)


@pytest.mark.parametrize("presenting", [False, True])
def test_a_laptop_scrolls_rather_than_shrink_tiles_below_the_minimum(lab_window, presenting):
    window = lab_window((1280, 800), presenting)
    view = window.maps_view
    assert view.scroll.verticalScrollBar().maximum() > 0
    assert not all(_tiles_in_view(view).values())
    # the width decides the tiles, as before fitting existed: no smaller than MIN_TILE
    assert window.scheduler.display_hint.tile_px >= max(MIN_TILE, MIN_FIT_TILE)


def test_fitting_takes_the_largest_tile_that_fits_and_never_one_below_the_minimum(
    lab_2d, show_maps, qtbot
):
    document, scheduler = lab_2d
    view = show_maps(document, scheduler, size=(1400, 2400))
    qtbot.waitExposed(view)
    settle()
    roomy = view.display_hint()
    assert view.scroll.verticalScrollBar().maximum() == 0
    # shorter: the tiles shrink until the column fits exactly (one pixel more would not)
    chrome = sum(w.chrome_height() for w in view.maps.values())
    shapes = [document.layer_shape(n) for n in view.maps]
    spacing = view._column.spacing() * (len(view.maps) - 1)

    def needed(tile: int) -> int:
        margins = view._column.contentsMargins()
        body = sum(canvas_height(s, tile, roomy.max_columns) for s in shapes)
        return chrome + body + spacing + margins.top() + margins.bottom()

    tile = (MIN_FIT_TILE + roomy.tile_px) // 2
    height = needed(tile) + view.height() - view.scroll.viewport().height()
    view.resize(1400, height)
    settle()
    assert view.display_hint().tile_px == tile
    assert needed(tile + 1) > view.scroll.viewport().height()
    assert view.scroll.verticalScrollBar().maximum() == 0
    # too short for the minimum: the column scrolls, with tiles that show VISIBLE_LAYERS
    # layers at once (never below the readable minimum)
    view.resize(1400, height - needed(tile) + needed(MIN_FIT_TILE) - 1)
    settle()
    hint = view.display_hint()
    assert hint.tile_px >= MIN_READABLE_TILE
    tallest = max(canvas_height(s, hint.tile_px, hint.max_columns) for s in shapes)
    per_layer = max(w.chrome_height() for w in view.maps.values()) + tallest
    assert VISIBLE_LAYERS * per_layer <= view.scroll.viewport().height()
    assert view.scroll.verticalScrollBar().maximum() > 0


# --------------------------------------------------------------------------- FlowLayout
class Box(QWidget):
    """A widget that wants exactly ``width`` x 20 px."""

    def __init__(self, width: int):
        super().__init__()
        self._width = width
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self._width, 20)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self._width, 20)


def _flow(qtbot, widths, fill=False, spacing=6):
    host = QWidget()
    qtbot.addWidget(host)
    layout = FlowLayout(host, spacing=spacing, row_spacing=4, fill=fill)
    layout.setContentsMargins(0, 0, 0, 0)
    widgets = [Box(w) for w in widths]
    for widget in widgets:
        layout.addWidget(widget)
    return host, layout, widgets


def test_flow_keeps_one_row_when_it_fits_and_wraps_when_not(qtbot):
    host, layout, widgets = _flow(qtbot, [100, 80, 60])
    assert layout.sizeHint().width() == 100 + 80 + 60 + 2 * 6
    assert layout.minimumSize().width() == 100  # the widest item
    assert [len(r) for r in layout.rows(252)] == [3]
    assert [len(r) for r in layout.rows(251)] == [2, 1]
    assert [len(r) for r in layout.rows(146)] == [1, 2]
    assert [len(r) for r in layout.rows(145)] == [1, 1, 1]
    assert layout.heightForWidth(252) == 20
    assert layout.heightForWidth(200) == 20 + 4 + 20
    assert layout.heightForWidth(100) == 3 * 20 + 2 * 4
    host.resize(200, layout.heightForWidth(200))
    host.show()
    qtbot.waitExposed(host)
    settle()
    assert widgets[2].y() == 24 and widgets[2].x() == 0
    assert widgets[1].x() == 106 and widgets[1].y() == 0


def test_flow_skips_hidden_items(qtbot):
    host, layout, widgets = _flow(qtbot, [100, 80, 60])
    host.show()
    widgets[1].hide()
    assert [len(r) for r in layout.rows(170)] == [2]
    assert layout.sizeHint().width() == 100 + 60 + 6


def test_flow_fill_gives_spare_room_to_expanding_items_or_to_all(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    layout = FlowLayout(host, spacing=6, fill=True)
    layout.setContentsMargins(0, 0, 0, 0)
    label, combo = QLabel("Example"), QComboBox()
    combo.addItems(["one", "two"])
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    layout.addWidget(label)
    layout.addWidget(combo)
    width = layout.sizeHint().width() + 100
    host.resize(width, layout.heightForWidth(width))
    host.show()
    qtbot.waitExposed(host)
    settle()
    assert label.width() == label.sizeHint().width()  # the label keeps its width
    assert combo.x() + combo.width() == width  # the combo takes the rest

    buttons_host = QWidget()
    qtbot.addWidget(buttons_host)
    row = FlowLayout(buttons_host, spacing=6, fill=True)
    row.setContentsMargins(0, 0, 0, 0)
    buttons = [QPushButton("Open…"), QPushButton("Save…")]
    for button in buttons:
        row.addWidget(button)
    buttons_host.resize(400, row.heightForWidth(400))
    buttons_host.show()
    qtbot.waitExposed(buttons_host)
    settle()
    assert buttons[1].x() + buttons[1].width() == 400  # no buttons expand: all share
    assert abs(buttons[0].width() - buttons[1].width()) <= 1 + abs(
        buttons[0].sizeHint().width() - buttons[1].sizeHint().width()
    )


def _whole_and_in_sight(widget, window) -> bool:
    """``widget`` lies inside the window and inside every scroll area's viewport above it."""
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QAbstractScrollArea

    top_left = widget.mapTo(window, widget.rect().topLeft())
    rect = QRect(top_left, widget.size())
    if not window.rect().contains(rect):
        return False
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if isinstance(parent, QAbstractScrollArea):
            port = parent.viewport()
            view = QRect(port.mapTo(window, port.rect().topLeft()), port.size())
            if not view.contains(rect):
                return False
        parent = parent.parentWidget()
    return True


@pytest.mark.parametrize(("size", "presenting"), modes())
def test_the_hovered_values_arithmetic_is_whole_and_in_sight_at_once(
    lab_window, qtbot, size, presenting
):
    """Hovering a convolution followed by ReLU: the whole ``h[…] = ReLU[…] = value`` is on
    screen without scrolling, in the box that says it is the hovered value."""
    window = lab_window(size, presenting)
    document, view = window.document, window.inspector.formula_view
    document.select_layer("conv1")  # the selected layer's general formula is elsewhere
    with qtbot.waitSignal(document.probeChanged):
        document.set_probe(Probe("conv1", 3, (128, 128)))
    settle(qtbot, window)
    exp = view.explanation
    assert exp is not None and exp.activation  # conv1 is followed by relu1
    text = view.arithmetic.text()
    assert text == exp.format() and "ReLU[" in text
    assert text.endswith(f"= {exp.format().rsplit('= ', 1)[1]}")
    box = window.inspector.hovered_box
    assert box.title() == "Hovered value"
    assert box.isVisible()
    for widget in (box, view.where, view.arithmetic, view.details):
        assert _whole_and_in_sight(widget, window), (widget, size, presenting)
    # the label is given the whole height its wrapped text needs (nothing cut off)
    label = view.arithmetic.label
    assert label.height() >= label.heightForWidth(label.width())
    assert view.arithmetic.height() >= label.heightForWidth(view.arithmetic.width())
    # and it is not mixed with the selected layer's general formula
    assert not window.inspector.hovered_box.isAncestorOf(view.general)
    assert "selected layer" in window.inspector.formula_box.title()
