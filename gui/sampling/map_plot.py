"""One map of the sampling lab: a title (wraps), a 1D or 2D picture, a highlight overlay.

A 2D map is an ImageItem (pixel (y, x) covers [x, x + 1] × [y, y + 1], row 0 at the top)
coloured through the lab's lookup table with explicit levels; a 1D map is its values as
points joined by steps. ``highlight`` marks a boolean mask of positions (the source window
of a hovered output); ``hovered`` says which position is under the pointer.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from gui.compute.colormaps import lookup_table
from gui.widgets.themes import colours

HIGHLIGHT = (255, 215, 0)  # the receptive-field yellow of the maps
PAIRED = (80, 220, 255)  # a second highlight (max unpool: where the maxima go)


class MapPlot(QWidget):
    """A titled map. ``hovered(position)``: the spatial index tuple under the pointer,
    or None when it leaves the map."""

    hovered = Signal(object)

    def __init__(self, title: str = "", side: int = 200, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel(title)
        self.title.setWordWrap(True)
        self.title.setObjectName("samplingTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground(colours().plot)
        self.canvas.ci.setContentsMargins(2, 2, 2, 2)
        self.view = self.canvas.addViewBox()
        self.view.setMouseEnabled(False, False)
        self.view.setMenuEnabled(False)
        self.view.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.overlay = pg.ImageItem(axisOrder="row-major")
        self.overlay.setZValue(10)
        self.curve = pg.PlotDataItem(
            stepMode=None, symbol="o", symbolSize=6, pen=pg.mkPen((170, 190, 230), width=2)
        )
        self.marks = pg.ScatterPlotItem(
            size=13, brush=pg.mkBrush(*HIGHLIGHT, 200), pen=pg.mkPen(None)
        )
        self.marks.setZValue(10)
        self.paired_marks = pg.ScatterPlotItem(
            size=9, brush=pg.mkBrush(*PAIRED, 220), pen=pg.mkPen(None)
        )
        self.paired_marks.setZValue(11)
        self.zero_line = pg.InfiniteLine(angle=0, pen=pg.mkPen(colours().grid))
        for item in (self.image, self.overlay, self.curve, self.marks, self.paired_marks):
            self.view.addItem(item)
        self.view.addItem(self.zero_line)
        self.data: np.ndarray | None = None  # the channel shown, (L,) or (H, W)
        self.levels = (0.0, 1.0)
        self._side = side
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.canvas, 1, Qt.AlignmentFlag.AlignHCenter)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.set_side(side)
        self.canvas.scene().sigMouseMoved.connect(self._mouse_moved)
        self.canvas.installEventFilter(self)

    def set_side(self, side: int) -> None:
        """The picture's size in px (square for 2D, wide for 1D)."""
        self._side = side
        width = side if self.data is None or self.data.ndim == 2 else int(side * 1.6)
        self.setFixedWidth(width)
        self.canvas.setFixedHeight(side if self.data is None or self.data.ndim == 2 else side // 2)

    def fit_box(self, shape: tuple[int, int], max_width: int, max_height: int) -> None:
        """Size the picture to a (rows, columns) grid's aspect within a box (a matrix)."""
        rows, cols = shape
        scale = min(max_width / max(cols, 1), max_height / max(rows, 1))
        width = max(int(cols * scale), 60)
        self.setFixedWidth(max(width, self._side))
        self.canvas.setFixedSize(width, max(int(rows * scale), 40))

    def set_title(self, text: str) -> None:
        self.title.setText(text)

    def set_map(self, values: np.ndarray, levels: tuple[float, float], colormap: str = "auto"):
        """Show ``values`` (L,) or (H, W) with the shared colour range ``levels``."""
        data = np.ascontiguousarray(values, dtype=np.float32)
        was = None if self.data is None else self.data.ndim
        self.data, self.levels = data, levels
        lo, hi = levels
        if hi <= lo:
            hi = lo + 1.0
        if data.ndim == 2:
            symmetric = lo < 0 < hi
            if symmetric:  # a diverging map: white exactly at zero
                lo, hi = -max(-lo, hi), max(-lo, hi)
            self.image.setImage(
                data,
                levels=(lo, hi),
                lut=lookup_table(colormap, symmetric)[:255],
                autoLevels=False,
            )
            self.image.setRect(QRectF(0, 0, data.shape[1], data.shape[0]))
            self.image.show()
            self.curve.hide()
            self.zero_line.hide()
            self.view.invertY(True)
            self.view.setAspectLocked(True)
            self.view.setRange(QRectF(0, 0, data.shape[1], data.shape[0]), padding=0.02)
        else:
            self.image.hide()
            self.overlay.hide()
            self.curve.setData(np.arange(data.size), data)
            self.curve.show()
            self.zero_line.show()
            self.view.invertY(False)
            self.view.setAspectLocked(False)
            pad = 0.05 * (hi - lo)
            self.view.setRange(
                QRectF(-0.5, lo - pad, max(data.size, 1), hi - lo + 2 * pad), padding=0
            )
        if was != data.ndim:
            self.set_side(self._side)
        self.highlight(None)

    def highlight(self, mask: np.ndarray | None, paired: np.ndarray | None = None) -> None:
        """Mark the positions where ``mask`` is True (yellow) and ``paired`` (blue)."""
        for item in (self.marks, self.paired_marks):
            if len(item.data):  # clearing an empty scatter still costs a rebuild
                item.setData([], [])
        self.overlay.hide()
        if self.data is None:
            return
        if self.data.ndim == 2:
            if mask is None and paired is None:
                return
            rgba = np.zeros((*self.data.shape, 4), dtype=np.uint8)
            if paired is not None:
                rgba[paired] = (*PAIRED, 110)
            if mask is not None:
                rgba[mask] = (*HIGHLIGHT, 150)
            self.overlay.setImage(rgba, autoLevels=False, levels=(0, 255))
            self.overlay.setRect(QRectF(0, 0, self.data.shape[1], self.data.shape[0]))
            self.overlay.show()
            return
        for m, item in ((mask, self.marks), (paired, self.paired_marks)):
            if m is not None:
                where = np.flatnonzero(m)
                item.setData(where.astype(float), self.data[where])

    def locate(self, x: float, y: float) -> tuple[int, ...] | None:
        """The spatial position at view coordinates (x, y), or None outside the map."""
        if self.data is None:
            return None
        if self.data.ndim == 2:
            h, w = self.data.shape
            if 0 <= x < w and 0 <= y < h:
                return (int(y), int(x))
            return None
        i = int(round(x))
        return (i,) if 0 <= i < self.data.size else None

    def _mouse_moved(self, pos) -> None:
        if not self.view.sceneBoundingRect().contains(pos):
            self.hovered.emit(None)
            return
        p = self.view.mapSceneToView(pos)
        self.hovered.emit(self.locate(p.x(), p.y()))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == event.Type.Leave:
            self.hovered.emit(None)
        return False
