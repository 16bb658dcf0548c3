"""The trainer's "Confusion" tab: the test set's confusion matrix of a finished run, as a heat map.

Rows are the true classes, columns the predicted ones; each cell shows its count (samples for
classification, pixels for segmentation) or, switched to *normalised*, the share of its true
class (the diagonal is each class's recall). The numbers are the engine's
(``Trainer.test_confusion``, ``engine.metrics.normalise_rows``); this view only draws them.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg  # noqa: I001 - PySide6 is imported first by the gui package
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QTransform
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.metrics import normalise_rows
from gui.compute.colormaps import lookup_table
from gui.compute.display import LEVELS
from gui.widgets.plot_style import style_axes
from gui.widgets.spaced_axis import spaced_axes

NO_RUN = "The test set's confusion matrix appears here when a run ends."


class ConfusionView(QWidget):
    """A heat map of ``[true, predicted]`` with the value written in every cell."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.counts: np.ndarray | None = None  # the engine's matrix
        self.names: list[str] = []
        self.shown: np.ndarray | None = None  # what the cells show (counts or shares)
        self.cell_texts: list[list[str]] = []
        self.short_ticks = False  # numbers under the columns, names only on the left
        self.normalised = QCheckBox("normalised (share of each true class)")
        self.normalised.setToolTip(
            "Divide each row by its total: the diagonal becomes each class's recall"
        )
        self.normalised.toggled.connect(lambda _: self._draw())
        self.plot = pg.PlotWidget(axisItems=spaced_axes())
        self.plot.setMouseEnabled(False, False)
        self.plot.setMenuEnabled(False)
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        self.plot.setLabel("left", "true class")
        self.plot.setLabel("bottom", "predicted class")
        self.plot.setMinimumHeight(120)
        style_axes(self.plot)  # labels that never collide, presentation mode's size
        self.plot.getViewBox().sigResized.connect(lambda *_: self._set_ticks())
        self.item = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.item)
        # one item writes every cell's number (100 TextItems took ~40 ms to make on the GUI
        # thread when the first run ended, while the curves still moved)
        self._cells = _CellTexts()
        self.plot.addItem(self._cells)
        self.label = QLabel(NO_RUN)
        self.label.setWordWrap(True)

        tools = QHBoxLayout()
        tools.addWidget(self.normalised)
        tools.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(tools)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.label)

    def show_matrix(self, counts: np.ndarray, names: list[str], what: str) -> None:
        """Draw the engine's ``counts`` (rows true, columns predicted) of ``what`` (e.g.
        "pixels")."""
        self.counts = np.asarray(counts, dtype=np.int64)
        self.names = list(names)
        self._what = what
        self._draw()

    def show_message(self, text: str) -> None:
        self.counts = self.shown = None
        self.cell_texts = []
        self.item.clear()
        self._cells.set_cells([])
        self.label.setText(text)

    def _draw(self) -> None:
        if self.counts is None:
            return
        c = self.counts
        n = len(c)
        shares = normalise_rows(c)
        self.shown = shares if self.normalised.isChecked() else c.astype(np.float64)
        # The colour is always the row share, so a big class does not wash the others out.
        levels = np.clip(np.round(shares * (LEVELS - 1)), 0, LEVELS - 1).astype(np.uint8)
        self.item.setImage(levels, levels=(0, 255), lut=lookup_table("viridis", False))
        self.item.setRect(-0.5, -0.5, n, n)
        self._set_ticks()
        self.plot.setXRange(-0.5, n - 0.5, padding=0.02)
        self.plot.setYRange(-0.5, n - 0.5, padding=0.02)
        self._write_cells(shares)
        total = int(c.sum())
        right = int(np.trace(c))
        self.label.setText(
            f"{total:,} test {self._what}: {right:,} on the diagonal ({right / max(total, 1):.1%}"
            f" right). Rows: true class; columns: what the network said."
        )

    def _set_ticks(self) -> None:
        """Class names on both axes; where the columns are too narrow for them, numbers
        below and "name (number)" on the left."""
        n = len(self.names)
        if not n:
            return
        metrics = QFontMetrics(self.plot.getAxis("bottom").style["tickFont"] or QFont())
        widest = max(metrics.horizontalAdvance(name) for name in self.names)
        column = self.plot.getViewBox().width() / max(n, 1)
        self.short_ticks = widest + 8 > column
        if self.short_ticks:
            bottom = [(i, str(i)) for i in range(n)]
            left = [(i, f"{name} ({i})") for i, name in enumerate(self.names)]
        else:
            bottom = left = list(enumerate(self.names))
        self.plot.getAxis("bottom").setTicks([bottom])
        self.plot.getAxis("left").setTicks([left])

    def _write_cells(self, shares: np.ndarray) -> None:
        n = len(shares)
        self.cell_texts = []
        cells = []
        for i in range(n):
            row = []
            for j in range(n):
                v = self.shown[i, j]
                s = f"{v:.2f}" if self.normalised.isChecked() else f"{int(v):,}"
                row.append(s)
                cells.append((j, i, s, DARK_TEXT if shares[i, j] > 0.6 else LIGHT_TEXT))
            self.cell_texts.append(row)
        self._cells.set_cells(cells)


DARK_TEXT, LIGHT_TEXT = QColor("#101010"), QColor("#f0f0f0")


class _CellTexts(pg.GraphicsObject):
    """The cells' numbers, centred on their cells at a fixed 9 pt whatever the zoom (as a
    TextItem per cell would draw them), painted by one item."""

    def __init__(self):
        super().__init__()
        self.cells: list[tuple[float, float, str, QColor]] = []
        self.font = QFont()
        self.font.setPointSize(9)
        self._rect = QRectF()

    def set_cells(self, cells: list[tuple[float, float, str, QColor]]) -> None:
        self.prepareGeometryChange()
        self.cells = cells
        if cells:
            xs = [c[0] for c in cells]
            ys = [c[1] for c in cells]
            self._rect = QRectF(
                min(xs) - 0.5, min(ys) - 0.5, max(xs) - min(xs) + 1, max(ys) - min(ys) + 1
            )
        else:
            self._rect = QRectF()
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self._rect

    def paint(self, painter, *_args) -> None:
        if not self.cells:
            return
        to_device = painter.transform()
        painter.save()
        painter.setTransform(QTransform())
        painter.setFont(self.font)
        box = QRectF(-100.0, -50.0, 200.0, 100.0)
        align = Qt.AlignmentFlag.AlignCenter
        for x, y, text, colour in self.cells:
            centre = to_device.map(QPointF(x, y))
            painter.setPen(colour)
            painter.drawText(box.translated(centre), align, text)
        painter.restore()
