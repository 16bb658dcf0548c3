"""Every plot in the window shows its x axis' tick labels: at least two, none touching
another, in the application's font (larger in presentation mode), at 1280×800 and
1920×1080. The labels are the ones the axis draws (its tick values and strings); their
rectangles are measured here with the tick font's metrics.

The training curves' step axis of 0…10,000 at 1280×800 once drew no number at all: the
major ticks fell on the axis' two ends and pyqtgraph drops a label that sticks out."""

from __future__ import annotations

import pyqtgraph as pg  # noqa: I001 - PySide6 first (the gui package)
import pytest
from PySide6.QtCore import QCoreApplication, QRectF
from PySide6.QtGui import QFontMetricsF, QImage, QPainter
from PySide6.QtWidgets import QApplication

from gui.app import launch
from gui.app.theme import PRESENTATION_POINT_SIZE
from gui.symmetry.symmetry_panel import TITLE as SYMMETRY
from gui.widgets.plot_style import style_axes
from gui.widgets.spaced_axis import apart


def settle(qtbot, window) -> None:
    s = window.scheduler
    qtbot.waitUntil(lambda: s.idle and s.latest is not None, timeout=30_000)
    for _ in range(4):
        QCoreApplication.sendPostedEvents()
        QApplication.processEvents()


@pytest.fixture
def window_at(themed, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CONVSCOPE_RECOVERY_DIR", str(tmp_path / "recovery"))
    made = []

    def make(size):
        window = launch.create_window(launch.resolve_input(None), remember=False)
        qtbot.addWidget(window)
        window.workspace_actions.ask_on_close = False
        made.append(window)
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        settle(qtbot, window)
        return window

    yield make
    for window in made:
        window.set_presentation(False)
        lab = window.lab(SYMMETRY)
        if lab is not None:
            lab.shutdown()
        window.close()
        window.trainer_panel.shutdown()


def drawn_labels(axis: pg.AxisItem) -> list[tuple[str, QRectF]]:
    """The tick labels ``axis`` draws, each with its rectangle in the axis' coordinates:
    centred on its tick, as wide as the tick font says."""
    font = axis.style["tickFont"] or axis.font()
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    painter.setFont(font)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    metrics = QFontMetricsF(font)
    labels = []
    for rect, _flags, text in specs[2] if specs else []:
        width = metrics.horizontalAdvance(text)
        centre = rect.center().x()
        labels.append((text, QRectF(centre - width / 2, rect.top(), width, metrics.height())))
    return labels


def visible_plots(window) -> list[pg.PlotItem]:
    plots = []
    for view in window.findChildren(pg.GraphicsView):
        if not view.isVisible() or view.width() <= 0 or view.height() <= 0:
            continue
        for item in view.scene().items():
            if isinstance(item, pg.PlotItem) and item.isVisible():
                if item.getAxis("bottom").isVisible():
                    plots.append(item)
    return plots


def check_plot(plot: pg.PlotItem) -> float:
    """Assert the bottom axis' labels; return its tick font's size in points."""
    axis = plot.getAxis("bottom")
    labels = drawn_labels(axis)
    texts = [text for text, _ in labels]
    assert len(labels) >= 2, (axis.range, texts, axis.geometry().width())
    rects = sorted((rect for _, rect in labels), key=lambda r: r.left())
    for left, right in zip(rects, rects[1:], strict=False):
        assert left.right() <= right.left(), (texts, left, right)
    view = plot.scene().views()[0]
    for text, rect in labels:  # wholly inside the widget: not clipped by its edges
        scene = axis.mapRectToScene(rect)
        shown = view.mapFromScene(scene).boundingRect()
        inside = shown.left() >= -1 and shown.right() <= view.width() + 1
        assert inside, (text, shown, axis.range, view.size(), plot.size())
    font = axis.style["tickFont"] or axis.font()
    return font.pointSizeF()


def show_everything(qtbot, window, training: bool) -> None:
    """The symmetry lab in front, with its sweep; the training curves over 10,000 steps."""
    window.show_lab(SYMMETRY)
    lab = window.lab(SYMMETRY)
    if lab.sweep_plots.points == {}:
        qtbot.waitUntil(lambda: bool(lab.sweep_plots.points), timeout=60_000)
    if training:
        dock = next(d for d in window.docks if d.windowTitle() == "Training")
        dock.show()
        dock.raise_()
        window.trainer_panel.curves.set_step_range(10_000, 2.3)
    settle(qtbot, window)


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_every_plot_shows_two_labels_apart_and_presentation_enlarges_them(qtbot, window_at, size):
    window = window_at(size)
    show_everything(qtbot, window, training=True)
    plots = visible_plots(window)
    curves = window.trainer_panel.curves
    assert curves.loss_plot.getPlotItem() in plots  # the step axis of the bug report
    assert window.lab(SYMMETRY).sweep_plots.plots["equivariance"].getPlotItem() in plots
    normal = {check_plot(plot) for plot in plots}

    window.set_presentation(True)  # the bottom docks go: the labs' plots are what is shown
    qtbot.waitUntil(lambda: window.inspector.font().pointSize() == PRESENTATION_POINT_SIZE)
    show_everything(qtbot, window, training=False)
    shown = visible_plots(window)
    assert window.lab(SYMMETRY).sweep_plots.plots["equivariance"].getPlotItem() in shown
    presenting = {check_plot(plot) for plot in shown}
    assert min(presenting) > max(normal), (normal, presenting)


def test_labels_that_would_touch_are_left_out(qtbot):
    """Explicit ticks (class names) too wide for their places: every other one is drawn."""
    plot = pg.PlotWidget(axisItems={"bottom": pg.AxisItem("bottom")})
    qtbot.addWidget(plot)
    from gui.widgets.spaced_axis import SpacedAxis

    axis = SpacedAxis("bottom")
    plot.getPlotItem().setAxisItems({"bottom": axis})
    style_axes(plot)
    plot.resize(300, 200)
    plot.show()
    qtbot.waitExposed(plot)
    axis.setTicks([[(i, f"a long name {i}") for i in range(10)]])
    plot.setXRange(-0.5, 9.5, padding=0)
    QApplication.processEvents()
    labels = drawn_labels(axis)
    assert 2 <= len(labels) < 10
    rects = sorted((r for _, r in labels), key=lambda r: r.left())
    assert all(a.right() <= b.left() for a, b in zip(rects, rects[1:], strict=False))
    assert len(apart([(r, 0, "x") for r in rects], True)) == len(rects)


def test_a_narrow_step_axis_of_ten_thousand_gets_two_labels(qtbot):
    """The bug report's case alone: 0…10,000 on a ~100 px axis drew no number at all."""
    from gui.training.curves_view import CurvesView

    curves = CurvesView()
    qtbot.addWidget(curves)
    curves.resize(300, 220)
    curves.show()
    qtbot.waitExposed(curves)
    curves.set_step_range(10_000, 2.3)
    QApplication.processEvents()
    axis = curves.loss_plot.getAxis("bottom")
    assert axis.geometry().width() < 130  # as narrow as in the report
    texts = [text for text, _ in drawn_labels(axis)]
    assert len(texts) >= 2 and texts[0] == "0", texts
    # a finer step with a single label in range is measured without raising
    assert axis._labels_apart(0.0, 0.4, 1.0, 0.01)
