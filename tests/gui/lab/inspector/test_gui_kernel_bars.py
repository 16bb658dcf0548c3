"""Dragging a 1D kernel's bars: the shared stroke machinery, one undo step, live maps."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

from engine import network
from engine.spec import LayerSpec, NetworkSpec
from gui.compute.scheduler import ComputeScheduler
from gui.lab.inspector.kernel_editor import KernelEditor
from gui.state.document import Document
from gui.widgets.stroke import ArrayStroke, StrokePlot

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture
def doc(qtbot):
    """A 2-channel signal into a 7-tap conv; the edited pair is (out 1, in 1)."""
    spec = NetworkSpec(
        [
            LayerSpec("conv1", "conv", {"out_channels": 3, "kernel_size": 7, "padding": 3}),
            LayerSpec("relu1", "activation", {"function": "relu"}),
        ],
        (2, 24),
    )
    rng = np.random.default_rng(7)
    document = Document(rng.standard_normal((2, 24)).astype(np.float32), spec)
    document.select_layer("conv1")
    document.set_kernel_index(1, 1)
    return document


@pytest.fixture
def editor(qtbot, doc):
    widget = KernelEditor(doc)
    qtbot.addWidget(widget)
    widget.resize(420, 560)
    widget.show()
    qtbot.waitExposed(widget)
    assert widget.bars_plot.isVisible() and widget.current_slice().shape == (7,)
    return widget


def _drag(editor, points) -> list[tuple[float, float]]:
    """Press at the first point, move through the rest, release at the last.

    Returns the points the plot reported in data coordinates (the mouse lands on whole
    pixels, so they are near, not at, the ones asked for).
    """
    plot = editor.bars_plot
    seen: list[tuple[float, float]] = []

    def record(x: float, y: float) -> None:
        seen.append((x, y))

    plot.strokeStarted.connect(record)
    plot.strokeMoved.connect(record)
    vb = plot.getPlotItem().getViewBox()
    first, *rest = [plot.mapFromScene(vb.mapViewToScene(QPointF(x, y))) for x, y in points]
    target = plot.viewport()
    QTest.mousePress(target, LEFT, NONE, first)
    for p in rest:
        QTest.mouseMove(target, p)
    QTest.mouseRelease(target, LEFT, NONE, rest[-1])
    plot.strokeStarted.disconnect(record)
    plot.strokeMoved.disconnect(record)
    return seen


def _line_through(n: int, points: list[tuple[float, float]]) -> np.ndarray:
    """The kernel a stroke through ``points`` must leave: straight lines between bar indices."""
    out = np.full(n, np.nan, np.float32)
    for (x0, y0), (x1, y1) in zip([points[0], *points[:-1]], points, strict=True):
        i0, i1 = round(x0), round(x1)
        for i in range(min(i0, i1), max(i0, i1) + 1):
            out[i] = y1 if i0 == i1 else y0 + (i - i0) / (i1 - i0) * (y1 - y0)
    return out


def test_a_fast_three_event_drag_sets_every_bar_between_exactly(qtbot, doc, editor):
    before = doc.weights["conv1"]["weight"].copy()
    seen = _drag(editor, [(0, 0.8), (4, -0.4), (6, 0.5)])
    # press, two moves, and the release's point: bars 1-3 and 5 get no event of their own
    assert [round(x) for x, _ in seen] == [0, 4, 6, 6]
    expected = _line_through(7, seen)
    assert not np.isnan(expected).any()
    after = doc.weights["conv1"]["weight"]
    np.testing.assert_array_equal(after[1, 1], expected)
    assert np.all(after[1, 1] != before[1, 1]), "a bar between mouse events was left alone"
    assert after[1, 1, 2] == pytest.approx(0.2, abs=0.03)  # halfway from 0.8 to −0.4
    # only the edited (out, in) pair changed
    mask = np.ones(before.shape[:2], bool)
    mask[1, 1] = False
    np.testing.assert_array_equal(after[mask], before[mask])


def test_the_whole_drag_is_one_undo_step_ctrl_z_restores_it(qtbot, doc, editor):
    undo = doc.undo_stack.createUndoAction(editor, "Undo")
    undo.setShortcut(QKeySequence("Ctrl+Z"))
    editor.addAction(undo)
    before = doc.weights["conv1"]["weight"].copy()
    steps = doc.undo_stack.count()
    _drag(editor, [(0, 0.8), (4, -0.4), (6, 0.5)])
    assert doc.undo_stack.count() == steps + 1, "one drag must be one undo step"
    assert not np.array_equal(doc.weights["conv1"]["weight"], before)
    editor.activateWindow()
    qtbot.waitActive(editor)
    QTest.keyClick(editor.bars_plot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(doc.weights["conv1"]["weight"], before)
    assert doc.undo_stack.count() == steps + 1 and doc.undo_stack.index() == steps
    # the bars show the restored kernel
    np.testing.assert_array_equal(editor.bars.opts["height"], before[1, 1])


def test_two_drags_are_two_undo_steps(qtbot, doc, editor):
    _drag(editor, [(0, 0.5), (6, 0.5)])
    after_first = doc.weights["conv1"]["weight"].copy()
    _drag(editor, [(1, -0.7), (3, -0.2)])
    assert not np.array_equal(doc.weights["conv1"]["weight"], after_first)
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.weights["conv1"]["weight"], after_first)


def test_the_maps_follow_a_drag(qtbot, doc, editor):
    scheduler = ComputeScheduler(doc)
    try:
        with qtbot.waitSignal(scheduler.traceReady, timeout=10000):
            pass
        before = scheduler.latest.trace.outputs["conv1"].copy()
        _drag(editor, [(0, 0.8), (4, -0.4), (6, 0.5)])
        qtbot.waitUntil(
            lambda: (
                scheduler.latest is not None and scheduler.latest.generation == scheduler.generation
            ),
            timeout=10000,
        )
        expected = network.forward(doc.spec, doc.weights, doc.input)
        got = scheduler.latest.trace.outputs["conv1"]
        np.testing.assert_array_equal(got, expected.outputs["conv1"])
        assert not np.array_equal(got[1], before[1]), "the edited channel's map did not change"
        np.testing.assert_array_equal(got[[0, 2]], before[[0, 2]])
    finally:
        scheduler.shutdown()


def test_a_2d_kernel_has_no_bars_to_drag(qtbot):
    """A press on the (hidden) bars of a 2D kernel edits nothing."""
    spec = NetworkSpec(
        [LayerSpec("conv1", "conv", {"out_channels": 1, "kernel_size": 3})], (1, 8, 8)
    )
    doc2d = Document(np.ones((1, 8, 8), np.float32), spec)
    doc2d.select_layer("conv1")
    editor = KernelEditor(doc2d)
    qtbot.addWidget(editor)
    assert editor.current_slice().ndim == 2 and editor.bars_plot.isHidden()
    weights, steps = doc2d.weights, doc2d.undo_stack.count()
    editor.bars_plot.strokeStarted.emit(1.0, 0.5)
    editor.bars_plot.strokeMoved.emit(2.0, 0.5)
    assert not editor.bars_stroke.active
    editor.bars_plot.strokeFinished.emit()
    assert doc2d.weights is weights and doc2d.undo_stack.count() == steps


def test_array_stroke_interpolates_and_keys_one_stroke(qtbot):
    """The shared class alone: a 1D target painted by lines, one merge key per stroke."""
    plot = StrokePlot()
    qtbot.addWidget(plot)
    target = np.zeros(10, np.float32)
    writes: list[tuple[np.ndarray, object]] = []
    ended: list[bool] = []
    stroke = ArrayStroke(
        plot, lambda: target, lambda a, k: writes.append((a, k)), finished=lambda: ended.append(1)
    )
    plot.strokeStarted.emit(2.0, 1.0)
    plot.strokeMoved.emit(8.0, 4.0)
    assert stroke.active
    plot.strokeFinished.emit()
    assert not stroke.active
    assert len(writes) == 2 and ended == [1]
    final, key = writes[-1]
    np.testing.assert_array_equal(final[2:9], np.float32([1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]))
    assert not final[:2].any() and not final[9:].any() and not final.flags.writeable
    assert writes[0][1] == key and key[0] == "stroke"
    assert not target.any(), "the target itself is never painted in place"
    plot.strokeStarted.emit(0.0, 1.0)
    plot.strokeFinished.emit()
    assert writes[-1][1] != key, "a new stroke is a new undo step"
