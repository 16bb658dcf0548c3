"""The receptive field is outlined, visible at any zoom: in every layer's tiles and on the
input drawing, never smaller on screen than MIN_SCREEN_PX, hidden without a probe."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF

from gui.state.document import Probe
from gui.widgets.rf_outline import MIN_SCREEN_PX, RFOutline, grown, mask_bounds


def _probed(open_window, qtbot, probe: Probe):
    window = open_window(None)  # cameraman 256x256, lab-2d: the reference workload
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    window.document.set_view(show_receptive_field=True)
    window.document.set_probe(probe)
    s = window.scheduler
    qtbot.waitUntil(
        lambda: (
            s.latest_receptive is not None
            and s.latest_receptive.probe == probe
            and s.receptive_current
            and window.maps_view.maps["input"].rf_outline.isVisible()
        ),
        timeout=30_000,
    )
    return window


def test_mask_bounds_and_growth():
    mask = np.zeros((6, 8), bool)
    mask[2:4, 3:6] = True
    assert mask_bounds(mask) == (2, 3, 4, 6)
    assert mask_bounds(np.zeros((3, 3), bool)) is None
    rect = grown(QRectF(10, 10, 2, 2), 6, 1)
    assert (rect.width(), rect.height()) == (6, 2) and rect.center() == QRectF(
        10, 10, 2, 2
    ).center()


def test_a_tiny_field_is_drawn_at_least_the_minimum_on_screen():
    outline = RFOutline()
    outline.set_rects([QRectF(5, 5, 3, 3)])
    outline.refit(4.0, 4.0)  # 4 layer positions per screen pixel: the field is < 1 px
    w, h = outline.screen_size()
    assert w >= MIN_SCREEN_PX and h >= MIN_SCREEN_PX
    outline.refit(0.01, 0.01)  # zoomed far in: its true size (300 px), not the minimum
    assert outline.screen_size() == (300.0, 300.0)


def test_the_outline_shows_in_every_tile_and_on_the_drawing(open_window, qtbot):
    window = _probed(open_window, qtbot, Probe("conv1", 2, (128, 128)))
    rf = window.scheduler.latest_receptive
    conv1 = window.maps_view.maps["conv1"]
    outline = conv1.rf_outline
    assert outline.isVisible()
    assert len(outline.rects) == 16  # one per channel tile
    # in conv1 itself the probed position, in each tile (scene units are layer positions)
    first = outline.rects[0]
    assert (first.x(), first.y(), first.width(), first.height()) == (128, 128, 1, 1)
    w, h = outline.screen_size()
    assert min(w, h) >= MIN_SCREEN_PX
    pw, _ = conv1.view.viewPixelSize()
    assert 1 / pw < MIN_SCREEN_PX  # without the minimum it would be a sub-pixel dot
    # in the input map: the 3x3 field of a conv1 output
    assert mask_bounds(rf.masks["input"]) == (127, 127, 130, 130)
    (field,) = window.maps_view.maps["input"].rf_outline.rects
    assert (field.x(), field.y(), field.width(), field.height()) == (127, 127, 3, 3)
    assert min(window.maps_view.maps["input"].rf_outline.screen_size()) >= MIN_SCREEN_PX
    drawing = window.input_panel.draw_image.rf_outline
    assert drawing.isVisible()
    assert [(r.x(), r.y(), r.width()) for r in drawing.rects] == [(127, 127, 3)]
    assert min(drawing.screen_size()) >= MIN_SCREEN_PX
    window.document.set_probe(None)
    assert not outline.isVisible() and not drawing.isVisible()


def test_no_outline_when_the_field_is_switched_off(open_window, qtbot):
    window = _probed(open_window, qtbot, Probe("pool", 0, (64, 64)))
    window.document.set_view(show_receptive_field=False)
    assert not window.maps_view.maps["conv1"].rf_outline.isVisible()
    assert not window.input_panel.draw_image.rf_outline.isVisible()
