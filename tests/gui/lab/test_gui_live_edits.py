"""A weight edit is cheap on the GUI thread: it changes no analysis, and the views of shapes
and counts (layer stack, totals, inspector, maps titles) do not refresh on it; the kernel
editor repaints only the edited cell. A spec edit still refreshes all of them."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject

from engine.presets import get_preset
from gui.compute.scheduler import ComputeScheduler
from gui.designer.layer_stack import LayerStack
from gui.lab.inspector.inspector import Inspector
from gui.lab.inspector.kernel_model import KernelModel
from gui.lab.maps.maps_view import MapsView
from gui.state.document import Document

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture
def doc(qtbot):
    x = np.random.default_rng(0).standard_normal((1, 24, 20)).astype(np.float32)
    document = Document(x, get_preset("lab-2d"))
    document.select_layer("conv1")
    return document


def settle(qtbot, scheduler):
    """Let the last result arrive while the widgets that listen to it still live."""
    qtbot.waitUntil(
        lambda: (
            scheduler.latest is not None
            and scheduler.idle
            and scheduler.latest.generation == scheduler.generation
        ),
        timeout=10_000,
    )


class Recorder:
    def __init__(self, doc):
        self.events: list[tuple] = []
        doc.specChanged.connect(lambda: self.events.append(("spec",)))
        doc.weightsChanged.connect(lambda name: self.events.append(("weights", name)))
        doc.networkChanged.connect(lambda i: self.events.append(("network", i)))
        doc.inputChanged.connect(lambda: self.events.append(("input",)))


def test_kernel_edit_announces_weights_of_that_layer_only(doc):
    seen = Recorder(doc)
    analysis = doc.analysis
    assert doc.set_kernel_value("conv2", (1, 2, 0, 1), 0.5)
    assert seen.events == [("network", doc.spec.index("conv2")), ("weights", "conv2")]
    assert doc.analysis is analysis  # nothing about shapes or counts was recomputed
    seen.events.clear()
    doc.undo_stack.undo()
    assert seen.events == [("network", doc.spec.index("conv2")), ("weights", "conv2")]
    assert doc.weights["conv2"]["weight"][1, 2, 0, 1] != np.float32(0.5)


def test_spec_and_input_shape_edits_announce_the_spec_not_weights(doc):
    seen = Recorder(doc)
    doc.set_layer_params(3, {"out_channels": 8})
    assert seen.events == [("network", 3), ("spec",)]
    assert doc.analysis.layer("conv2").out_shape[0] == 8
    seen.events.clear()
    doc.set_input(np.zeros((1, 30, 30), np.float32))
    assert seen.events == [("input",), ("network", 0), ("spec",)]
    seen.events.clear()
    doc.set_input(np.ones((1, 30, 30), np.float32))  # same shape: values only
    assert seen.events == [("input",)]


def test_layer_stack_totals_and_inspector_do_not_refresh_on_a_weight_edit(qtbot, doc):
    stack = LayerStack(doc)
    qtbot.addWidget(stack)
    scheduler = ComputeScheduler(doc, threads=1)
    try:
        inspector = Inspector(doc, scheduler)
        qtbot.addWidget(inspector)
        resets, texts = [], []
        stack.model.modelAboutToBeReset.connect(lambda: resets.append(1))
        stack.totals.setText("stale")  # a refresh would rewrite it
        inspector.figures["parameters"].setText("stale")
        doc.set_kernel_value("conv1", (0, 0, 1, 1), 2.0)
        assert resets == [] and stack.totals.text() == "stale"
        assert inspector.figures["parameters"].text() == "stale"
        doc.set_layer_params(0, {"out_channels": 4})  # a spec edit refreshes them all
        assert resets == [1] and "parameters" in stack.totals.text()
        assert inspector.figures["parameters"].text() == "40"  # 1*4*3*3 + 4
        texts.append(stack.model.text(0, 5))
        assert texts == ["40"]
        settle(qtbot, scheduler)
    finally:
        scheduler.shutdown()


def test_maps_titles_follow_the_spec_not_weights(qtbot, doc):
    scheduler = ComputeScheduler(doc, threads=1)
    try:
        view = MapsView(doc, scheduler)
        qtbot.addWidget(view)
        view.maps["conv1"].set_title("stale")
        doc.set_kernel_value("conv1", (0, 0, 1, 1), 2.0)
        assert view.maps["conv1"].title.text() == "stale"
        doc.set_layer_params(0, {"out_channels": 4})
        assert "4 × 24 × 20" in view.maps["conv1"].title.text()
        settle(qtbot, scheduler)
    finally:
        scheduler.shutdown()


def test_kernel_editor_repaints_only_the_edited_cell(qtbot, doc):
    from gui.lab.inspector.kernel_editor import KernelEditor

    editor = KernelEditor(doc)
    qtbot.addWidget(editor)
    doc.set_kernel_index(3, 0)
    weight = doc.weights["conv1"]["weight"]
    # a value inside the current magnitude keeps every other cell's colour
    value = float(np.abs(weight[3, 0]).max()) / 2
    changes = []
    editor.model.dataChanged.connect(
        lambda a, b: changes.append((a.row(), a.column(), b.row(), b.column()))
    )
    resets = []
    editor.model.modelAboutToBeReset.connect(lambda: resets.append(1))
    doc.set_kernel_value("conv1", (3, 0, 2, 1), value)
    assert changes == [(2, 1, 2, 1)] and resets == []
    assert editor.model.values[2, 1] == np.float32(value)
    np.testing.assert_array_equal(editor.model.values, doc.weights["conv1"]["weight"][3, 0])
    # an edit of another pair or layer changes nothing shown
    changes.clear()
    doc.set_kernel_value("conv1", (5, 0, 0, 0), 0.1)
    doc.set_kernel_value("conv2", (0, 0, 0, 0), 0.1)
    assert changes == []


def test_kernel_model_repaints_every_cell_when_the_magnitude_changes(qtbot):
    model = KernelModel()
    model.set_values(np.array([[0.5, -1.0], [0.25, 0.0]], np.float32))
    changes = []
    model.dataChanged.connect(
        lambda a, b: changes.append((a.row(), a.column(), b.row(), b.column()))
    )
    model.set_values(np.array([[0.5, -1.0], [0.25, 0.75]], np.float32))
    model.set_values(np.array([[0.5, -1.0], [0.25, 3.0]], np.float32))  # new largest value
    model.set_values(np.array([[0.5, -1.0], [0.25, 3.0]], np.float32))  # no change at all
    assert changes == [(1, 1, 1, 1), (0, 0, 1, 1)]


def test_colour_bar_labels_follow_the_levels(qtbot):
    from gui.compute.display import DisplayHint, layer_display
    from gui.lab.maps.layer_map import LayerMap

    layer_map = LayerMap("conv1")
    qtbot.addWidget(layer_map)
    rng = np.random.default_rng(1)
    for scale in (1.0, 1.00001, 3.0, 0.02):
        output = (rng.standard_normal((4, 9, 7)) * scale).astype(np.float32)
        render = layer_display("conv1", output, DisplayHint(), "auto")
        layer_map.apply(render, "auto")
        lo, hi = render.levels
        labels = layer_map.colorbar.labels()
        assert labels == [f"{lo:.3g}", "0", f"{hi:.3g}"]


def test_recomputed_layers_arrive_early_and_equal_the_final_result(qtbot, lab_2d, monkeypatch):
    import gui.compute.scheduler

    # as if passes were slow
    monkeypatch.setattr(gui.compute.scheduler, "EARLY_LAYERS_AFTER_S", 0.0)
    document, scheduler = lab_2d
    settle(qtbot, scheduler)
    early = []
    scheduler.layerReady.connect(early.append)
    document.set_kernel_value("conv2", (0, 0, 1, 1), 1.5)
    settle(qtbot, scheduler)
    result = scheduler.latest
    assert [e.name for e in early] == ["conv2", "relu2", "up", "conv3"]  # not the reused
    for e in early:
        assert e.generation == result.generation
        assert result.display[e.name] is e.display  # the final result uses the same drawing
    # with one shared colour scale nothing can be drawn before the pass ends
    early.clear()
    document.set_view(shared_levels=True)
    document.set_kernel_value("conv2", (0, 0, 1, 1), 0.5)
    settle(qtbot, scheduler)
    assert early == []


def test_a_quick_pass_is_delivered_whole(qtbot, lab_2d, monkeypatch):
    import gui.compute.scheduler

    monkeypatch.setattr(gui.compute.scheduler, "EARLY_LAYERS_AFTER_S", 10.0)  # every pass is quick
    document, scheduler = lab_2d
    settle(qtbot, scheduler)
    document.set_kernel_value("conv2", (0, 0, 1, 1), 1.0)  # a pass measured against it
    settle(qtbot, scheduler)
    early, whole = [], []
    scheduler.layerReady.connect(early.append)
    scheduler.traceReady.connect(whole.append)
    document.set_kernel_value("conv2", (0, 0, 1, 1), 1.5)
    settle(qtbot, scheduler)
    assert early == [] and whole[-1].generation == scheduler.generation
    assert set(whole[-1].display) >= {"conv2", "relu2", "up", "conv3"}


def test_one_worker_thread_serves_consecutive_edits(qtbot, lab_2d, request):
    document, scheduler = lab_2d
    settle(qtbot, scheduler)
    threads = request.getfixturevalue("forward_threads")  # spying from here on
    for i in range(3):
        document.set_kernel_value("conv1", (i, 0, 1, 1), 0.25 * i)
        settle(qtbot, scheduler)
    assert len(threads) == 3 and len(set(threads)) == 1  # no thread start per edit
    scheduler.shutdown()
    assert not threads[0].is_alive()  # shutdown ends a lingering worker at once


class _PaintSpy(QObject):
    """Calls a function when a watched widget gets a paint event (before it paints)."""

    def __init__(self):
        super().__init__()
        self._calls: dict[QObject, object] = {}

    def watch(self, widget, call) -> None:
        self._calls[widget] = call
        widget.installEventFilter(self)

    def eventFilter(self, watched, event):  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint and watched in self._calls:
            self._calls[watched]()
        return False


def test_maps_show_early_layers_and_report_the_repaint_once_all_painted(qtbot, lab_2d, show_maps):
    document, scheduler = lab_2d
    view = show_maps(document, scheduler, (1200, 1400))  # every layer in view
    settle(qtbot, scheduler)
    qtbot.waitUntil(lambda: not view._unpainted, timeout=10_000)
    painted = []
    canvases_painted: set[str] = set()
    seen_when_reported: list[set[str]] = []
    paints = _PaintSpy()  # sees each paint event before the view's own handler
    for name, layer_map in view.maps.items():
        paints.watch(layer_map.canvas.viewport(), lambda n=name: canvases_painted.add(n))
    view.repainted.connect(painted.append)
    view.repainted.connect(lambda _g: seen_when_reported.append(set(canvases_painted)))
    document.set_kernel_value("conv1", (0, 0, 0, 0), 3.0)
    generation = scheduler.generation
    qtbot.waitUntil(lambda: generation in painted, timeout=10_000)
    result = scheduler.latest
    for name in document.spec.names():
        assert view.maps[name].display is result.display[name]
    # Reported only once every map the edit changed has really painted (the first layer
    # on, all shown at this size): a report before the paint measured nothing.
    assert seen_when_reported[-1] >= set(document.spec.names())


def test_a_replaced_result_is_freed_by_the_worker_not_the_gui_thread(qtbot, lab_2d):
    import threading
    import weakref

    document, scheduler = lab_2d
    settle(qtbot, scheduler)
    freed_on = []
    weakref.finalize(scheduler.latest, lambda: freed_on.append(threading.current_thread()))
    document.set_kernel_value("conv1", (0, 0, 1, 1), 1.25)
    settle(qtbot, scheduler)
    qtbot.waitUntil(lambda: bool(freed_on), timeout=10_000)
    assert freed_on[0] is not threading.main_thread()
