"""The colour bar beside each layer: labels that say the levels and stay inside the bar."""

import pytest
from PySide6.QtGui import QImage

from gui.compute.colormaps import lookup_table
from gui.lab.maps.colour_bar import ColourBar, tick_labels


def test_labels_are_the_ends_and_zero_when_inside():
    assert [t for _, t in tick_labels((-1.53, 1.53))] == ["-1.53", "0", "1.53"]
    assert [t for _, t in tick_labels((0.0, 0.888))] == ["0", "0.888"]
    assert [t for _, t in tick_labels((2.0, 3.5))] == ["2", "3.5"]


@pytest.mark.parametrize("height", [40, 62, 200])
def test_every_label_is_drawn_inside_a_short_bar(qtbot, height):
    bar = ColourBar()
    qtbot.addWidget(bar)
    bar.set_table(lookup_table("auto", True))
    bar.set_levels((-0.25, 12.5))
    bar.resize(bar.preferred_width(), height)
    image = QImage(bar.size(), QImage.Format.Format_RGB32)
    bar.render(image)
    # The top and bottom rows of pixels right of the strip hold label ink only when a
    # label sticks out; the ends' labels must be fully inside: some ink in the upper and
    # the lower third, none in the outermost row.
    x0 = 14 + 4 + 2

    def ink(y):
        return sum(1 for x in range(x0, image.width()) if image.pixelColor(x, y).lightness() > 120)

    assert ink(0) == 0 and ink(height - 1) == 0
    assert any(ink(y) for y in range(1, height // 3))
    assert any(ink(y) for y in range(height - height // 3, height - 1))
    assert bar.labels() == ["-0.25", "0", "12.5"]


def test_only_a_visible_change_asks_for_a_repaint(qtbot, monkeypatch):
    bar = ColourBar()
    qtbot.addWidget(bar)
    bar.resize(80, 60)
    bar.set_levels((-1.0, 1.0))
    updates = []
    monkeypatch.setattr(bar, "update", lambda: updates.append(bar.labels()))
    bar.set_levels((-1.0000001, 1.0000001))  # the same labels, zero where it was
    assert updates == []
    bar.set_levels((-1.0, 3.0))  # a new top label
    bar.set_levels((-2.0, 3.0))
    assert updates == [["-1", "0", "3"], ["-2", "0", "3"]]
    bar.set_table(lookup_table("viridis", False))
    bar.set_table(lookup_table("viridis", False))  # the same colours again
    assert len(updates) == 3
