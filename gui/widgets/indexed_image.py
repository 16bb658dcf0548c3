"""An ImageItem for the maps' uint8 images indexed into a 256-entry lookup table.

pyqtgraph's ImageItem builds the QImage's colour table again on every update (256 ``qRgb``
calls in Python, and a levels-into-table merge); with several maps repainting per kernel
edit that is a good part of the GUI thread's time. Here the table of each lookup table is
made once and the QImage wraps the image's memory (Indexed8, no copy, no conversion).
Anything else (other dtypes, levels, tables) goes through pyqtgraph's own path.

The worker can also hand over the image already coloured (:meth:`setIndexed` with ``rgb``):
then the QImage is RGB32, which Qt paints several times faster than Indexed8 (Indexed8 is
converted on every paint).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QImage, qRgb, qRgba

_TABLES: dict[bytes, list[int]] = {}


def color_table(lut: np.ndarray) -> list[int]:
    """The QImage colour table of a (256, 3 or 4) uint8 lookup table (cached by content)."""
    key = lut.tobytes() + bytes([lut.shape[1]])
    table = _TABLES.get(key)
    if table is None:
        if lut.shape[1] == 4:
            table = [qRgba(*rgba) for rgba in lut.tolist()]
        else:
            table = [qRgb(*rgb) for rgb in lut.tolist()]
        if len(_TABLES) > 64:  # a handful of colormaps in practice; never grow unbounded
            _TABLES.clear()
        _TABLES[key] = table
    return table


class IndexedImageItem(pg.ImageItem):
    """``pg.ImageItem`` with a fast path for uint8 images, levels (0, 255) and a 256-entry LUT.

    With those levels the table is used as it is (pyqtgraph's merge of levels into the table
    is the identity then), so the colours are exactly pyqtgraph's.
    """

    _rgb: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # (image, lut, rgb)

    def setIndexed(self, image: np.ndarray, lut: np.ndarray, rgb: np.ndarray | None) -> None:  # noqa: N802 - pyqtgraph's naming
        """Show uint8 ``image`` through ``lut``; ``rgb`` is the same image coloured by it."""
        self.setImage(image, levels=(0, 255), lut=lut, autoLevels=False)
        # pyqtgraph keeps its own view of the arrays: remember those (a later setImage
        # replaces them, and the colours then no longer apply).
        self._rgb = (self.image, self.lut, rgb) if rgb is not None else None

    def render(self) -> None:
        image, lut, levels = self.image, self.lut, self.levels
        coloured = self._rgb
        if coloured is not None and coloured[0] is image and coloured[1] is lut:
            rgb = coloured[2]
            h, w = rgb.shape
            qimage = QImage(rgb, w, h, rgb.strides[0], QImage.Format.Format_RGB32)
            qimage.data = rgb  # keep the memory alive as long as the QImage
            self.qimage = qimage
            self._renderRequired = False
            self._unrenderable = False
            return
        fast = (
            image is not None
            and image.ndim == 2
            and image.dtype == np.uint8
            and image.size
            and image.flags.c_contiguous
            and self.axisOrder == "row-major"
            and not self.autoDownsample
            and isinstance(lut, np.ndarray)
            and lut.dtype == np.uint8
            and lut.ndim == 2
            and lut.shape[0] == 256
            and lut.shape[1] in (3, 4)
            and levels is not None
            and len(levels) == 2
            and float(levels[0]) == 0.0
            and float(levels[1]) == 255.0
        )
        if not fast:
            super().render()
            return
        h, w = image.shape
        qimage = QImage(image, w, h, image.strides[0], QImage.Format.Format_Indexed8)
        qimage.setColorTable(color_table(lut))
        qimage.data = image  # keep the memory alive as long as the QImage
        self.qimage = qimage
        self._renderRequired = False
        self._unrenderable = False
