"""The maps' image item draws exactly what pyqtgraph's ImageItem draws, by its fast path."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage

from gui.compute.colormaps import lookup_table, overlay_table
from gui.widgets.indexed_image import IndexedImageItem


def _items(qtbot):
    """Our item and pyqtgraph's, in a view the test owns (a QGraphicsObject left without a
    scene is destroyed by Python's garbage collector at some later moment, which PySide6
    does not survive)."""
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    view = widget.addViewBox()
    ours, theirs = IndexedImageItem(axisOrder="row-major"), pg.ImageItem(axisOrder="row-major")
    view.addItem(ours)
    view.addItem(theirs)
    return widget, ours, theirs


@pytest.mark.parametrize(
    "lut", [lookup_table("auto", True), lookup_table("viridis", False), overlay_table()]
)
def test_colours_equal_pyqtgraph_and_the_image_is_not_copied(qtbot, lut):
    image = np.random.default_rng(0).integers(0, 256, (37, 53)).astype(np.uint8)
    _widget, ours, theirs = _items(qtbot)  # the widget must live as long as its items
    for item in (ours, theirs):
        item.setImage(image, levels=(0, 255), lut=lut, autoLevels=False)
        item.render()
    assert ours.qimage.format() == QImage.Format.Format_Indexed8
    assert np.shares_memory(ours.qimage.data, image)  # wraps the worker's array, no copy
    argb = QImage.Format.Format_ARGB32
    assert ours.qimage.convertToFormat(argb) == theirs.qimage.convertToFormat(argb)


def test_other_images_take_pyqtgraphs_path(qtbot):
    image = np.linspace(0, 1, 60, dtype=np.float32).reshape(6, 10)
    _widget, ours, theirs = _items(qtbot)  # the widget must live as long as its items
    for item in (ours, theirs):
        item.setImage(image, levels=(0.0, 1.0))
        item.render()
    assert ours.qimage == theirs.qimage


def test_a_coloured_image_is_painted_as_rgb32_with_the_same_colours(qtbot):
    from gui.compute.display import argb_table

    image = np.random.default_rng(1).integers(0, 256, (21, 34)).astype(np.uint8)
    lut = lookup_table("auto", True)
    _widget, ours, theirs = _items(qtbot)
    ours.setIndexed(image, lut, argb_table(lut)[image])
    theirs.setImage(image, levels=(0, 255), lut=lut, autoLevels=False)
    for item in (ours, theirs):
        item.render()
    assert ours.qimage.format() == QImage.Format.Format_RGB32
    rgb32 = QImage.Format.Format_RGB32
    assert ours.qimage == theirs.qimage.convertToFormat(rgb32)
    # A later plain setImage must not keep showing the old colours.
    other = np.zeros((5, 6), dtype=np.uint8)
    ours.setImage(other, levels=(0, 255), lut=lut, autoLevels=False)
    ours.render()
    assert ours.qimage.format() == QImage.Format.Format_Indexed8
