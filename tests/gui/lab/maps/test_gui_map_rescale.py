"""A layer redrawn at another downsampling factor (new tile size) fills the same place:
pyqtgraph's setRect scales by the image's size at the time, so the image must be placed
again (the input was drawn in a quarter of its place after the tiles grew)."""

from __future__ import annotations

from gui.compute.display import DisplayHint


def test_a_new_factor_in_the_same_rect_is_placed_again(open_window, qtbot):
    window = open_window(None)  # cameraman 256x256
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    s = window.scheduler
    view_map = window.maps_view.maps["input"]
    factors = []
    for tile in (64, 128):  # factors 4 and 2: the same 256-unit rect, new image sizes
        s.set_display_hint(DisplayHint(max_columns=16, tile_px=tile))
        qtbot.waitUntil(
            lambda: s.idle and s.latest is not None and s.latest.generation == s.generation,
            timeout=20_000,
        )
        display = view_map.display
        factors.append(display.factor)
        h, w = display.image.shape
        placed = view_map.image.mapRectToParent(view_map.image.boundingRect())
        assert abs(placed.width() - w * display.factor) < 1e-6
        assert abs(placed.height() - h * display.factor) < 1e-6
    assert factors[0] != factors[1]
