"""Drawing a 1D signal with the mouse.

:class:`DrawSignal` sets signal values along strokes on a :class:`~gui.widgets.stroke.StrokePlot`:
between successive mouse events the values are interpolated linearly
(:func:`~gui.widgets.stroke.paint_segment`), so a fast stroke leaves no gaps, and a whole stroke is
one undo step (:class:`~gui.widgets.stroke.InputStroke`).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.widgets.stroke import InputStroke, StrokePlot, paint_segment

__all__ = ["CHANNEL_COLOURS", "DrawSignal", "paint_segment"]

CHANNEL_COLOURS = ("#4cc9f0", "#f72585", "#b5e48c", "#ffb703", "#c77dff", "#90e0ef")


class DrawSignal(QWidget):
    """The input signal (C, L), one curve per channel; dragging draws into the chosen channel."""

    def __init__(self, document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document

        self.channel_combo = QComboBox()
        self.channel_combo.setToolTip("The channel the mouse draws into")
        top = QHBoxLayout()
        top.addWidget(QLabel("Draw into"))
        top.addWidget(self.channel_combo, 1)
        self.plot = StrokePlot()
        self.plot.setMinimumHeight(160)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "position i")
        self.plot.setLabel("left", "x_i")
        self.plot.setToolTip("Drag with the left button to draw the signal")
        self._curves: list[pg.PlotDataItem] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)

        self.stroke = InputStroke(
            document,
            self.plot,
            2,
            self._paint,
            "Draw signal",
            "draw",
            finished=lambda: self._fit_range(self.document.input),
        )
        self.channel_combo.currentIndexChanged.connect(lambda _: self._restyle())
        document.inputChanged.connect(self.refresh)
        self.refresh()

    @property
    def channel(self) -> int:
        return max(self.channel_combo.currentIndex(), 0)

    def refresh(self) -> None:
        """Show the document's input (only when it is a signal)."""
        x = self.document.input
        if x.ndim != 2:
            return
        channels = x.shape[0]
        if self.channel_combo.count() != channels:
            keep = min(self.channel, channels - 1)
            self.channel_combo.blockSignals(True)
            self.channel_combo.clear()
            self.channel_combo.addItems([f"channel {c}" for c in range(channels)])
            self.channel_combo.setCurrentIndex(keep)
            self.channel_combo.blockSignals(False)
        self.channel_combo.setEnabled(channels > 1)
        while len(self._curves) < channels:
            self._curves.append(self.plot.plot())
        while len(self._curves) > channels:
            self.plot.removeItem(self._curves.pop())
        positions = np.arange(x.shape[1])
        for c, curve in enumerate(self._curves):
            curve.setData(positions, x[c])
        self._restyle()
        if not self.plot.stroking:  # the range stays put while drawing
            self._fit_range(x)

    def _restyle(self) -> None:
        for c, curve in enumerate(self._curves):
            colour = CHANNEL_COLOURS[c % len(CHANNEL_COLOURS)]
            active = c == self.channel
            curve.setPen(pg.mkPen(colour, width=2.5 if active else 1.2))
            few = curve.xData is not None and len(curve.xData) <= 64
            curve.setSymbol("o" if active and few else None)
            curve.setSymbolSize(5)
            curve.setSymbolBrush(colour)
            curve.setZValue(1 if active else 0)

    def _fit_range(self, x: np.ndarray) -> None:
        lo, hi = float(x.min()), float(x.max())
        lo, hi = min(lo, 0.0), max(hi, 1.0)
        margin = 0.1 * (hi - lo)
        self.plot.setXRange(-0.5, x.shape[1] - 0.5, padding=0)
        self.plot.setYRange(lo - margin, hi + margin, padding=0)

    def _paint(self, work: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> bool:
        return paint_segment(work[self.channel], x0, y0, x1, y1) is not None
