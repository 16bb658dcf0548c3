"""Zoomed maps are drawn at full resolution where they were; unseen maps wait until seen."""

import numpy as np
import pytest
from PySide6.QtCore import QRectF

from engine.examples import make_example
from engine.receptive import receptive_field
from gui.compute.display import quantize_numpy
from gui.state.document import Probe


def _settled(view):
    s = view.scheduler
    return s.latest is not None and s.latest.generation == s.generation and s.idle


@pytest.fixture
def shown(qtbot, show_maps):
    """``shown(document, scheduler, size)``: a shown maps view, once its maps are drawn."""

    def make(document, scheduler, size=(1400, 900)):
        view = show_maps(document, scheduler, size)
        qtbot.waitUntil(
            lambda: _settled(view) and view.maps["input"].display is not None, timeout=20_000
        )
        return view

    return make


@pytest.fixture
def view_2d(lab_2d, shown):
    document, scheduler = lab_2d
    document.set_input(make_example("cameraman", 160))  # big enough to be downsampled
    return document, scheduler, shown(document, scheduler)


def test_zooming_in_draws_the_layer_at_full_resolution_in_place(view_2d, qtbot):
    document, scheduler, view = view_2d
    layer_map = view.maps["conv1"]
    before = layer_map.display
    assert before.factor > 1
    c, h, w = before.shape
    py, px = before.pitch
    # Zoom onto channel 5's tile, around position (20, 30).
    _, cols = before.grid
    row, col = divmod(5, cols)
    x0, y0 = col * px + 10, row * py + 12
    zoom = QRectF(x0, y0, 40, 30)
    with qtbot.waitSignal(layer_map.zoomChanged, timeout=5_000) as zoomed:
        layer_map.view.setRange(zoom, padding=0)
    assert zoomed.args == [True]
    qtbot.waitUntil(lambda: _settled(view) and layer_map.display.factor == 1, timeout=20_000)
    full = layer_map.display
    assert full.pitch == before.pitch and full.grid == before.grid
    # The reader's view stayed where it was put.
    shown = layer_map.view.viewRect()
    assert shown.contains(zoom.center()) and shown.width() < 0.5 * (px * cols)
    # Every position is its own pixel, at the same place in the scene as before.
    output = scheduler.latest.trace.outputs["conv1"]
    exact = quantize_numpy(output, full.levels)
    image = layer_map.image.image
    for i, j in [(12, 10), (20, 30), (h - 1, w - 1)]:
        assert image[row * py + i, col * px + j] == exact[5, i, j]
        assert layer_map.locate(col * px + j + 0.5, row * py + i + 0.5) == (5, (i, j))
    # Edits keep the zoomed layer at full resolution.
    document.set_kernel_value("conv1", (5, 0, 1, 1), 2.5)
    qtbot.waitUntil(lambda: _settled(view) and layer_map.display is not full, timeout=20_000)
    assert layer_map.display.factor == 1
    np.testing.assert_array_equal(
        layer_map.image.image[row * py : row * py + h, col * px : col * px + w],
        quantize_numpy(scheduler.latest.trace.outputs["conv1"][5], layer_map.display.levels),
    )
    # Zooming back out returns to the downsampled drawing.
    with qtbot.waitSignal(layer_map.zoomChanged, timeout=5_000) as unzoomed:
        layer_map.view.setRange(layer_map.image.boundingRect(), padding=0)
    assert unzoomed.args == [False]
    qtbot.waitUntil(lambda: _settled(view) and layer_map.display.factor > 1, timeout=20_000)
    assert view.maps["relu1"].display.factor > 1  # other layers never changed resolution


def test_a_zoomed_receptive_field_is_exact(view_2d, qtbot):
    document, scheduler, view = view_2d
    document.set_view(show_receptive_field=True)
    layer_map = view.maps["input"]
    layer_map.view.setRange(QRectF(100, 100, 30, 30), padding=0)
    qtbot.waitUntil(lambda: _settled(view) and layer_map.display.factor == 1, timeout=20_000)
    with qtbot.waitSignal(scheduler.receptiveReady, timeout=20_000):
        document.set_probe(Probe("conv2", 0, (60, 60)))
    qtbot.waitUntil(lambda: layer_map.overlay.isVisible(), timeout=20_000)
    mask = receptive_field(document.spec, document.input.shape, "conv2", (60, 60))["input"]
    h, w = mask.shape
    np.testing.assert_array_equal(layer_map.overlay.image[:h, :w] == 1, mask)


def test_maps_out_of_view_are_drawn_when_they_come_into_view(lab_2d, qtbot, shown):
    document, scheduler = lab_2d
    view = shown(document, scheduler, (1400, 260))  # room for about two layers
    qtbot.waitUntil(lambda: scheduler._visible is not None, timeout=5_000)
    assert "input" in scheduler._visible and "conv3" not in scheduler._visible
    document.set_kernel_value("conv1", (0, 0, 1, 1), -3.0)
    qtbot.waitUntil(lambda: _settled(view), timeout=20_000)
    latest = scheduler.latest
    assert "conv3" not in latest.display  # computed, not drawn
    assert "conv3" in latest.trace.outputs
    assert view.maps["conv1"].display is latest.display["conv1"]
    bar = view.scroll.verticalScrollBar()
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: _settled(view) and "conv3" in scheduler.latest.display, timeout=20_000)
    qtbot.waitUntil(lambda: view.maps["conv3"].display is scheduler.latest.display["conv3"])
    output = scheduler.latest.trace.outputs["conv3"]
    assert output is latest.trace.outputs["conv3"]  # drawn from the same trace, not recomputed
    render = view.maps["conv3"].display
    assert render.levels[1] == pytest.approx(float(np.abs(output).max()), rel=1e-6)


def test_a_1d_receptive_field_overlay_lies_over_its_positions(lab_1d, qtbot, shown):
    document, scheduler = lab_1d
    view = shown(document, scheduler)
    document.set_view(show_receptive_field=True)
    with qtbot.waitSignal(scheduler.receptiveReady, timeout=20_000):
        document.set_probe(Probe("conv1", 0, (30,)))
    layer_map = view.maps["input"]
    qtbot.waitUntil(lambda: layer_map.overlay.isVisible(), timeout=10_000)
    # Overlay pixel i spans data x in [i - 0.5, i + 0.5): the highlighted pixels sit over
    # exactly the input positions of the field (trace point i is drawn at x = i).
    placed = layer_map.overlay.mapRectToParent(layer_map.overlay.boundingRect())
    length = document.input.shape[1]
    assert placed.left() == pytest.approx(-0.5) and placed.width() == pytest.approx(length)
    mask = receptive_field(document.spec, document.input.shape, "conv1", (30,))["input"]
    np.testing.assert_array_equal(layer_map.overlay.image[0] == 1, mask)


def test_a_new_display_layout_brings_a_new_receptive_field_overlay(view_2d, qtbot):
    document, scheduler, view = view_2d
    document.set_view(show_receptive_field=True)
    with qtbot.waitSignal(scheduler.receptiveReady, timeout=20_000):
        document.set_probe(Probe("conv2", 0, (30, 30)))
    layer_map = view.maps["conv1"]
    qtbot.waitUntil(lambda: layer_map.overlay.isVisible(), timeout=10_000)
    before = layer_map.image.image.shape
    view.resize(2400, 1800)  # wider and taller (tiles fit both): bigger tiles, a new layout
    qtbot.waitUntil(
        lambda: (
            _settled(view)
            and layer_map.image.image.shape != before
            and scheduler.receptive_current
            and layer_map.overlay.isVisible()
            and layer_map.overlay.image.shape == layer_map.image.image.shape
        ),
        timeout=20_000,
    )
