"""A dropout layer's map in training mode: the dropped units drawn (magenta) exactly where a
fresh engine pass drops them, the switch and Resample in the inspector, undoable."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.network import forward
from engine.spec import LayerSpec, NetworkSpec
from gui.compute.display import tile
from gui.compute.scheduler import ComputeScheduler
from gui.lab.inspector.inspector import Inspector
from gui.lab.maps.layer_map import DROPPED_RGBA
from gui.state.document import Document

WAIT = 30_000


def _doc(shape, layers):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    return Document(x, NetworkSpec(layers, shape, "drop-lab"))


@pytest.fixture
def lab(qtbot, show_maps):
    layers = [
        LayerSpec("conv", "conv", {"out_channels": 3, "kernel_size": 3, "padding": 1}),
        LayerSpec("drop", "dropout", {"p": 0.5}),
    ]
    document = _doc((1, 12, 10), layers)
    scheduler = ComputeScheduler(document)
    view = show_maps(document, scheduler)
    inspector = Inspector(document, scheduler)
    qtbot.addWidget(inspector)
    document.select_layer("drop")
    yield document, scheduler, view, inspector
    scheduler.shutdown()


def _settled(scheduler, view):
    latest = scheduler.latest
    return (
        latest is not None
        and latest.generation == scheduler.generation
        and scheduler.idle
        and view.maps["drop"].display is latest.display.get("drop")
    )


def _fresh(document):
    return forward(document.spec, document.weights, document.input)


def test_training_mode_marks_the_dropped_units_of_a_fresh_pass(qtbot, lab):
    document, scheduler, view, inspector = lab
    controls = inspector.dropout_controls
    assert controls.isVisibleTo(inspector) and not controls.resample.isEnabled()
    qtbot.waitUntil(lambda: _settled(scheduler, view), timeout=WAIT)
    layer_map = view.maps["drop"]
    assert layer_map.display.dropped is None and not layer_map.dropped.isVisible()

    controls.train.setChecked(True)
    assert document.spec.layer("drop").params["train"] is True
    qtbot.waitUntil(lambda: _settled(scheduler, view), timeout=WAIT)
    fresh = _fresh(document)
    keep = fresh.indices["drop"]
    shown = scheduler.latest.trace
    np.testing.assert_array_equal(shown.outputs["drop"], fresh.outputs["drop"])
    np.testing.assert_array_equal(shown.outputs["drop"], fresh.outputs["conv"] * keep * 2.0)
    d = layer_map.display
    want = tile(torch.from_numpy((~keep).astype(np.uint8)), d.grid, d.pitch)
    if want.shape != d.image.shape:
        want = tile(torch.from_numpy((~keep).astype(np.uint8)), d.grid)
    np.testing.assert_array_equal(d.dropped, want)
    assert layer_map.dropped.isVisible()
    assert tuple(layer_map.dropped.lut[1]) == DROPPED_RGBA  # drawn in its own colour
    assert "magenta = dropped, survivors × 2" in layer_map.title.text()
    assert "seed 0" in controls.note.text() and controls.resample.isEnabled()

    controls.resample.click()
    assert document.spec.layer("drop").params["seed"] == 1
    qtbot.waitUntil(lambda: _settled(scheduler, view), timeout=WAIT)
    keep1 = _fresh(document).indices["drop"]
    assert not np.array_equal(keep1, keep)
    np.testing.assert_array_equal(scheduler.latest.trace.indices["drop"], keep1)

    document.undo_stack.undo()  # the last mask again, exactly
    qtbot.waitUntil(lambda: _settled(scheduler, view), timeout=WAIT)
    np.testing.assert_array_equal(scheduler.latest.trace.indices["drop"], keep)

    controls.train.setChecked(False)
    qtbot.waitUntil(lambda: _settled(scheduler, view), timeout=WAIT)
    assert layer_map.display.dropped is None and not layer_map.dropped.isVisible()
    np.testing.assert_array_equal(
        scheduler.latest.trace.outputs["drop"], scheduler.latest.trace.outputs["conv"]
    )


def test_a_vector_and_traces_mark_their_dropped_units(qtbot, show_maps):
    layers = [
        LayerSpec("conv", "conv", {"out_channels": 2, "kernel_size": 3, "padding": 1}),
        LayerSpec("drop1", "dropout", {"p": 0.3, "train": True, "seed": 5}),
        LayerSpec("flat", "flatten", {}),
        LayerSpec("drop2", "dropout", {"p": 0.5, "train": True, "seed": 9}),
    ]
    document = _doc((1, 40), layers)
    scheduler = ComputeScheduler(document)
    try:
        view = show_maps(document, scheduler)
        qtbot.waitUntil(
            lambda: (
                scheduler.latest is not None
                and scheduler.idle
                and view.maps["drop2"].display is scheduler.latest.display.get("drop2")
            ),
            timeout=WAIT,
        )
        fresh = _fresh(document)
        traces = view.maps["drop1"]
        np.testing.assert_array_equal(traces.display.dropped, ~fresh.indices["drop1"])
        xs, ys = traces.dropped_points.getData()
        channel, position = np.nonzero(~fresh.indices["drop1"])
        np.testing.assert_array_equal(xs, position)
        np.testing.assert_array_equal(ys, channel)
        vector = view.maps["drop2"]
        np.testing.assert_array_equal(vector.display.dropped[0], ~fresh.indices["drop2"])
    finally:
        scheduler.shutdown()


def test_the_box_is_hidden_for_other_layers(qtbot, lab):
    document, _, _, inspector = lab
    document.select_layer("conv")
    assert not inspector.dropout_controls.isVisibleTo(inspector)
