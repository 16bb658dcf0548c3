"""A receptive-field outline that stays visible at any zoom.

The receptive field's tinted overlay is a few pixels of a 256×256 map drawn 60 px wide: a
1–3 px dot. This item draws the field's bounding box (one per channel tile) as a two-tone
outline — a dark edge under a bright line, cosmetic pens, so its width is in screen pixels
— never smaller on screen than :data:`MIN_SCREEN_PX` (a smaller field is drawn as a box of
that size around its centre). It follows the view: call :meth:`RFOutline.refit` when the
view's range changes (:func:`attach_outline` connects it for a pyqtgraph ViewBox).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

MIN_SCREEN_PX = 10  # the smallest outline on screen, in device pixels
EDGE = QColor(0, 0, 0, 230)
LINE = QColor(0, 255, 200)


def mask_bounds(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right), exclusive ends, of a 2D mask's True cells; None if none."""
    if mask is None or mask.ndim != 2 or not mask.any():
        return None
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def grown(rect: QRectF, least_w: float, least_h: float) -> QRectF:
    """``rect`` widened and heightened about its centre to at least ``least_w`` × ``least_h``."""
    w, h = max(rect.width(), least_w), max(rect.height(), least_h)
    centre = rect.center()
    return QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)


class RFOutline(QGraphicsPathItem):
    """Outlines of rectangles (scene units of the view), at least MIN_SCREEN_PX on screen."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setZValue(30)
        self._rects: list[QRectF] = []
        self._pixel = (1.0, 1.0)  # scene units per screen pixel (x, y)
        self._edge = QPen(EDGE, 4)
        self._edge.setCosmetic(True)
        self._line = QPen(LINE, 2)
        self._line.setCosmetic(True)
        self._edge.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        self._line.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        self.setPen(self._line)
        self.hide()

    @property
    def rects(self) -> list[QRectF]:
        return list(self._rects)

    def set_rects(self, rects: list[QRectF]) -> None:
        """Outline these rectangles (empty: hide)."""
        self._rects = list(rects)
        self._rebuild()
        self.setVisible(bool(self._rects))

    def refit(self, pixel_w: float, pixel_h: float) -> None:
        """The view's scale changed: ``pixel_w`` × ``pixel_h`` scene units are one pixel."""
        pixel = (abs(pixel_w) or 1.0, abs(pixel_h) or 1.0)
        if pixel != self._pixel:
            self._pixel = pixel
            self._rebuild()

    def drawn_rects(self) -> list[QRectF]:
        """The rectangles as drawn (grown to the minimum on-screen size), scene units."""
        pw, ph = self._pixel
        return [grown(r, MIN_SCREEN_PX * pw, MIN_SCREEN_PX * ph) for r in self._rects]

    def screen_size(self) -> tuple[float, float] | None:
        """The smallest drawn outline's (width, height) in screen pixels (None: none)."""
        rects = self.drawn_rects()
        if not rects:
            return None
        pw, ph = self._pixel
        return min(r.width() / pw for r in rects), min(r.height() / ph for r in rects)

    def _rebuild(self) -> None:
        path = QPainterPath()
        for rect in self.drawn_rects():
            path.addRect(rect)
        self.prepareGeometryChange()
        self.setPath(path)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        pw, ph = self._pixel
        return self.path().boundingRect().adjusted(-4 * pw, -4 * ph, 4 * pw, 4 * ph)

    def shape(self):
        path = QPainterPath()
        path.addRect(self.boundingRect())
        return path

    def paint(self, painter, option, widget=None) -> None:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for pen in (self._edge, self._line):  # a dark edge under a bright line: any map
            painter.setPen(pen)
            painter.drawPath(self.path())


def attach_outline(view_box) -> RFOutline:
    """An outline in a pyqtgraph ViewBox, refitted whenever the view's range or size
    changes."""
    outline = RFOutline()
    view_box.addItem(outline, ignoreBounds=True)

    def refit(*_args) -> None:
        try:
            pw, ph = view_box.viewPixelSize()
        except Exception:  # noqa: BLE001 - a view not laid out yet has no pixel size
            return
        if np.isfinite(pw) and np.isfinite(ph) and pw > 0 and ph > 0:
            outline.refit(pw, ph)

    view_box.sigRangeChanged.connect(refit)
    view_box.sigResized.connect(refit)
    view_box.sigTransformChanged.connect(refit)
    outline.refit_now = refit  # for callers that changed the view themselves
    return outline
