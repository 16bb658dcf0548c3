"""Drawing on the input with the mouse: 1D strokes, 2D brush strokes, undo, live maps."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from engine import network
from engine.spec import LayerSpec, NetworkSpec
from gui.compute.scheduler import ComputeScheduler
from gui.lab.input.draw_image import DrawImage, paint_capsule
from gui.lab.input.draw_signal import DrawSignal, paint_segment
from gui.state.document import Document

LEFT = Qt.MouseButton.LeftButton
# Showing a widget on the offscreen platform logs this harmless warning.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _spec():
    return NetworkSpec(
        [
            LayerSpec("conv1", "conv", {"out_channels": 2, "padding": "same"}),
            LayerSpec("relu1", "activation", {"function": "relu"}),
        ],
        (1, 64),
    )


@pytest.fixture
def doc1d(qtbot):
    return Document(np.zeros((1, 64), np.float32), _spec())


@pytest.fixture
def doc2d(qtbot):
    return Document(np.zeros((1, 32, 32), np.float32), _spec())


def _widget_point(plot, x: float, y: float) -> QPoint:
    scene = plot.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
    return plot.mapFromScene(scene)


def _stroke(qtbot, plot, points):
    """Press at the first point, move through the rest, release at the last."""
    target = plot.viewport()
    first, *rest = [_widget_point(plot, x, y) for x, y in points]
    QTest.mousePress(target, LEFT, Qt.KeyboardModifier.NoModifier, first)
    for p in rest:
        QTest.mouseMove(target, p)
    QTest.mouseRelease(target, LEFT, Qt.KeyboardModifier.NoModifier, rest[-1] if rest else first)


def _shown(qtbot, widget):
    widget.resize(640, 480)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_paint_segment_interpolates_every_index_between():
    values = np.zeros(60)
    assert paint_segment(values, 5, 1.0, 55, 2.0) == (5, 55)
    np.testing.assert_allclose(values[5:56], np.linspace(1.0, 2.0, 51))
    assert not values[:5].any() and not values[56:].any()
    # a segment leaving the array is clipped to it, one beyond misses it
    assert paint_segment(values, -10, 0.0, 2, 1.2) == (0, 2)
    assert paint_segment(values, 70, 0.0, 80, 1.0) is None


def test_fast_1d_stroke_with_three_events_sets_every_position(qtbot, doc1d):
    view = _shown(qtbot, DrawSignal(doc1d))
    qtbot.addWidget(view)
    steps = doc1d.undo_stack.count()
    _stroke(qtbot, view.plot, [(5, 0.5), (30, 0.9), (55, 0.3)])
    x = doc1d.input[0]
    assert np.all(x[5:56] > 0.2), "a position between mouse events was left undrawn"
    assert not x[:4].any() and not x[57:].any()
    # the values follow the straight lines between the three events
    assert x[5] == pytest.approx(0.5, abs=0.03) and x[55] == pytest.approx(0.3, abs=0.03)
    assert x[17] == pytest.approx(0.5 + (17 - 5) / 25 * 0.4, abs=0.05)
    assert doc1d.undo_stack.count() == steps + 1, "one stroke must be one undo step"
    doc1d.undo_stack.undo()
    assert not doc1d.input.any()


def test_two_strokes_are_two_undo_steps(qtbot, doc1d):
    view = _shown(qtbot, DrawSignal(doc1d))
    qtbot.addWidget(view)
    _stroke(qtbot, view.plot, [(10, 0.5), (20, 0.5)])
    after_first = doc1d.input.copy()
    _stroke(qtbot, view.plot, [(30, 0.7), (40, 0.7)])
    doc1d.undo_stack.undo()
    np.testing.assert_array_equal(doc1d.input, after_first)


def test_drawing_updates_the_maps(qtbot, doc1d):
    view = _shown(qtbot, DrawSignal(doc1d))
    qtbot.addWidget(view)
    scheduler = ComputeScheduler(doc1d)
    try:
        with qtbot.waitSignal(scheduler.traceReady, timeout=10000):
            pass
        _stroke(qtbot, view.plot, [(20, 0.8), (40, 0.8)])
        qtbot.waitUntil(
            lambda: (
                scheduler.latest is not None
                and np.array_equal(scheduler.latest.trace.outputs["input"], doc1d.input)
            ),
            timeout=10000,
        )
        expected = network.forward(doc1d.spec, doc1d.weights, doc1d.input)
        np.testing.assert_array_equal(
            scheduler.latest.trace.outputs["relu1"], expected.outputs["relu1"]
        )
        assert scheduler.latest.trace.outputs["relu1"].any()
    finally:
        scheduler.shutdown()


def test_drawing_goes_into_the_chosen_channel(qtbot):
    doc = Document(np.zeros((2, 40), np.float32), _spec())
    view = _shown(qtbot, DrawSignal(doc))
    qtbot.addWidget(view)
    view.channel_combo.setCurrentIndex(1)
    _stroke(qtbot, view.plot, [(10, 0.6), (20, 0.6)])
    assert not doc.input[0].any() and doc.input[1, 10:21].min() > 0.5


def test_paint_capsule_leaves_no_gaps_between_far_events():
    plane = np.zeros((32, 32))
    paint_capsule(plane, 2.5, 5.5, 28.5, 20.5, 0.5, 1.0)
    for col in range(2, 29):  # a shallow line: every column it crosses is painted
        assert plane[:, col].any(), f"column {col} left unpainted"
    assert plane[5, 2] == 1.0 and plane[20, 28] == 1.0
    assert plane.sum() < 60  # a thin line, not a filled box


def test_2d_brush_stroke_is_one_step_and_continuous(qtbot, doc2d):
    view = _shown(qtbot, DrawImage(doc2d))
    qtbot.addWidget(view)
    view.size_spin.setValue(1)
    view.value_spin.setValue(0.75)
    steps = doc2d.undo_stack.count()
    _stroke(qtbot, view.plot, [(2.5, 4.5), (16.5, 10.5), (29.5, 27.5)])
    img = doc2d.input[0]
    assert set(np.unique(img)) == {0.0, 0.75}
    for col in range(3, 29):
        assert img[:, col].any(), f"column {col} left unpainted"
    assert doc2d.undo_stack.count() == steps + 1
    doc2d.undo_stack.undo()
    assert not doc2d.input.any()


def test_eraser_clear_and_invert(qtbot, doc2d):
    view = _shown(qtbot, DrawImage(doc2d))
    qtbot.addWidget(view)
    view.invert_button.click()
    assert np.all(doc2d.input == 1.0)
    view.eraser.setChecked(True)
    view.size_spin.setValue(5)
    _stroke(qtbot, view.plot, [(16.5, 16.5)])  # a click in the middle of pixel (16, 16)
    img = doc2d.input[0]
    assert not img[16, 14:19].any() and not img[14:19, 16].any()  # 5 pixels across
    assert img[16, 13] == 1.0 and img[16, 19] == 1.0
    assert img[14, 14] == 1.0  # round, not square
    view.clear_button.click()
    assert not doc2d.input.any()
    doc2d.undo_stack.undo()
    assert doc2d.input[0, 0, 0] == 1.0
