"""The maps view: exact tile pixels, probe and receptive-field highlight, errors in place."""

import numpy as np
import pytest
import torch
from PySide6.QtGui import QImage

from engine.receptive import receptive_field
from gui.compute.colormaps import colour_tables
from gui.compute.display import downsample, quantize_numpy
from gui.state.document import Probe


@pytest.fixture
def view_2d(lab_2d, qtbot, show_maps):
    document, scheduler = lab_2d
    view = show_maps(document, scheduler)
    qtbot.waitUntil(lambda: _current(view), timeout=20_000)
    return document, scheduler, view


def _current(view):
    s = view.scheduler
    latest = s.latest
    return (
        latest is not None
        and latest.generation == s.generation
        and s.idle
        and all(
            m.display is not None and m.display is latest.display.get(n)
            for n, m in view.maps.items()
        )
    )


def test_one_map_per_layer_with_name_and_shape(view_2d):
    document, _, view = view_2d
    assert list(view.maps) == ["input", *document.spec.names()]
    title = view.maps["conv1"].title.text()
    assert "conv1" in title and "16 × 48 × 40" in title
    assert "160 parameters" in title


def test_a_layer_map_still_renders_itself_with_qwidget_render(view_2d):
    # Its display data is ``display``: an attribute named ``render`` would shadow
    # QWidget.render, which SVG/PNG export of a single map calls.
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QPainter

    _, _, view = view_2d
    layer_map = view.maps["conv1"]
    image = QImage(layer_map.size(), QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    try:
        layer_map.render(painter, QPoint(0, 0))
    finally:
        painter.end()
    assert len(set(image.bits().tobytes())) > 2  # something was painted, not a blank


def test_tile_image_is_the_quantised_engine_output(view_2d):
    _, scheduler, view = view_2d
    result = scheduler.latest
    for name in ("input", "relu1", "conv3"):
        layer_map = view.maps[name]
        render = result.display[name]
        image = layer_map.image.image
        assert image.dtype == np.uint8 and image.flags.c_contiguous
        # ImageItem gets pyqtgraph's fast path: uint8, explicit levels, a 256-entry table.
        assert list(layer_map.image.levels) == [0, 255] and len(layer_map.image.lut) == 256
        output = result.trace.outputs[name]
        c, h, w = output.shape
        # The tile is the block means (gui.compute.display.downsample, checked against avg_pool2d in
        # test_gui_display) quantised with the layer's levels, and its colours are the table's.
        means = downsample(torch.from_numpy(output), render.factor).numpy()
        expected = quantize_numpy(means, render.levels)
        table = colour_tables("auto")
        np.testing.assert_array_equal(
            render.rgb, (table.symmetric if render.symmetric else table.sequential)[image]
        )
        # What is painted is the worker's coloured image (RGB32, no conversion per paint).
        layer_map.image.render()
        assert layer_map.image.qimage.format() == QImage.Format.Format_RGB32
        th, tw = render.tile
        rows, cols = render.grid
        for ch in range(c):
            r, k = divmod(ch, cols)
            tile = image[r * (th + 1) : r * (th + 1) + th, k * (tw + 1) : k * (tw + 1) + tw]
            np.testing.assert_array_equal(tile, expected[ch], err_msg=f"{name}[{ch}]")


def test_locate_maps_scene_positions_to_channel_and_position(view_2d):
    _, scheduler, view = view_2d
    layer_map = view.maps["conv1"]
    render = layer_map.display
    th, tw = render.tile
    f = render.factor
    _, cols = render.grid
    # Channel 5, output position (row 30, col 17).
    r, k = divmod(5, cols)
    x = k * (tw + 1) * f + 17 + 0.5
    y = r * (th + 1) * f + 30 + 0.5
    assert layer_map.locate(x, y) == (5, (30, 17))
    assert layer_map.locate(tw * f + 0.5, 0.5) is None  # the gap between tiles
    assert layer_map.locate(-1, 5) is None


def test_hover_sets_the_probe_and_shows_the_value(view_2d, qtbot):
    document, scheduler, view = view_2d
    layer_map = view.maps["conv2"]
    with qtbot.waitSignal(document.probeChanged):
        layer_map.hovered.emit((2, (3, 4)))
    assert document.probe == Probe("conv2", 2, (3, 4))
    value = scheduler.latest.trace.outputs["conv2"][2, 3, 4]
    assert f"{value:.3g}" in view.readout.text()
    layer_map.hovered.emit(None)
    assert document.probe is None
    layer_map.clicked.emit((1, (0, 0)))  # a click pins the probe
    layer_map.hovered.emit(None)
    assert document.probe == Probe("conv2", 1, (0, 0))


def test_receptive_field_highlight_covers_exactly_the_engine_positions(view_2d, qtbot):
    document, scheduler, view = view_2d
    document.set_view(show_receptive_field=True)
    probe = Probe("conv2", 0, (7, 9))
    with qtbot.waitSignal(scheduler.receptiveReady, timeout=20_000):
        document.set_probe(probe)
    qtbot.waitUntil(lambda: view.maps["input"].overlay.isVisible())
    masks = receptive_field(document.spec, document.input.shape, "conv2", (7, 9))
    for name, mask in masks.items():
        layer_map = view.maps[name]
        render = layer_map.display
        overlay = layer_map.overlay.image
        assert overlay.shape == render.image.shape
        th, tw = render.tile
        f = render.factor
        _, cols = render.grid
        for ch in (0, render.shape[0] - 1):  # every channel's tile shows the same field
            r, k = divmod(ch, cols)
            shown = overlay[r * (th + 1) : r * (th + 1) + th, k * (tw + 1) : k * (tw + 1) + tw]
            # A displayed pixel is highlighted exactly when its block holds a field position.
            h, w = mask.shape
            padded = np.zeros((th * f, tw * f), bool)
            padded[:h, :w] = mask
            blocks = padded.reshape(th, f, tw, f).any(axis=(1, 3))
            np.testing.assert_array_equal(shown == 1, blocks, err_msg=f"{name}[{ch}]")
    # Layers after the probed one are not part of its field.
    assert not view.maps["conv3"].overlay.isVisible()
    assert view.maps["conv2"].marker.isVisible()
    document.set_view(show_receptive_field=False)
    assert not view.maps["input"].overlay.isVisible()


def test_impossible_layer_shows_its_message_while_earlier_layers_keep_maps(view_2d, qtbot):
    document, scheduler, view = view_2d
    document.set_layer_params(document.spec.index("conv2"), {"kernel_size": 31})
    qtbot.waitUntil(lambda: _current(view), timeout=20_000)
    error = view.maps["conv2"].error_text
    assert "conv2" in error and "31" in error
    assert not view.maps["conv2"].canvas.isVisible()
    assert view.maps["conv3"].error_text  # depends on conv2
    for name in ("input", "conv1", "relu1", "pool"):
        assert view.maps[name].error_text == ""
        assert view.maps[name].canvas.isVisible()
        assert view.maps[name].image.image is not None
    document.undo_stack.undo()
    qtbot.waitUntil(lambda: _current(view), timeout=20_000)
    assert view.maps["conv2"].error_text == "" and view.maps["conv2"].canvas.isVisible()


def test_layers_follow_the_network(view_2d, qtbot):
    document, scheduler, view = view_2d
    spec = document.spec
    document.set_network(spec.with_layers(spec.layers[:3]))
    assert list(view.maps) == ["input", "conv1", "relu1", "pool"]
    qtbot.waitUntil(lambda: _current(view), timeout=20_000)


def test_one_d_layers_draw_one_trace_per_channel(lab_1d, qtbot, show_maps):
    document, scheduler = lab_1d
    view = show_maps(document, scheduler, (1000, 800))
    qtbot.waitUntil(lambda: _current(view), timeout=20_000)
    layer_map = view.maps["conv1"]
    output = scheduler.latest.trace.outputs["conv1"]
    assert len(layer_map._curves) == output.shape[0]
    x, y = layer_map._curves[2].getData()
    m = float(np.abs(output).max())
    np.testing.assert_allclose(2 - y, output[2] * (0.5 / m), atol=1e-6)
    assert layer_map.locate(10.2, 2.1) == (2, (10,))


def test_view_settings_controls_edit_the_document(view_2d):
    document, _, view = view_2d
    view.colormap_box.setCurrentText("magma")
    view.shared_box.setChecked(True)
    assert document.view.colormap == "magma" and document.view.shared_levels
    document.set_view(colormap="gray")
    assert view.colormap_box.currentText() == "gray"


def test_another_network_shows_only_its_own_titles_at_once(view_2d, qtbot):
    # A bug seen on main: after loading another network the old maps (deleted later)
    # still painted at their places, their titles over the new network's.
    from dataclasses import replace

    from gui.lab.maps.layer_map import LayerMap

    document, _, view = view_2d
    spec = document.spec
    assert not any(layer.inputs for layer in spec.layers)  # a plain chain: names are free
    renamed = spec.with_layers([replace(layer, name=f"new_{layer.name}") for layer in spec.layers])
    document.set_network(renamed)
    assert list(view.maps) == ["input", *renamed.names()]
    old = [m for m in view.findChildren(LayerMap) if m not in view.maps.values()]
    assert old  # not deleted yet (Qt deletes them later) ...
    assert not any(m.isVisibleTo(view) for m in old)  # ... but no longer painted
    qtbot.waitUntil(lambda: all(m.isVisibleTo(view) for m in view.maps.values()))
    titles = [m.title.text() for m in view.findChildren(LayerMap) if m.isVisibleTo(view)]
    assert len(titles) == len(view.maps) and not any("<b>conv1</b>" in t for t in titles)
    qtbot.waitUntil(lambda: _current(view), timeout=20_000)
