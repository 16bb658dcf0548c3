"""The colour bar beside a layer's maps: the colour strip and its value labels.

A plain widget rather than pyqtgraph's ColorBarItem: that item's axis centres the end labels
on the ends of the bar, so on a one-row layer (about 60 px tall) they were cut off or hidden,
and as part of the maps' graphics scene it was repainted (its axis re-laid-out) with every
image update. This one keeps every label inside its own height, and repaints only when the
levels or the colours change.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.compute.colormaps import background
from gui.compute.display import LEVELS
from gui.widgets.themes import colours

STRIP_WIDTH = 14
LABEL_GAP = 4


def tick_labels(levels: tuple[float, float]) -> list[tuple[float, str]]:
    """(value, text) for the bar: the low end, zero when it lies strictly inside, the top."""
    lo, hi = levels
    ticks = [(lo, f"{lo:.3g}"), (hi, f"{hi:.3g}")]
    if lo < 0 < hi:
        ticks.insert(1, (0.0, "0"))
    return ticks


def colour_bar_width(metrics: QFontMetrics) -> int:
    """The width a colour bar needs for its strip and the widest labels, in this font."""
    widest = max(metrics.horizontalAdvance(s) for s in ("-0.000123", "-1.23e+03"))
    return STRIP_WIDTH + LABEL_GAP + widest + 6


class ColourBar(QWidget):
    """A vertical colour strip (low values at the bottom) with its levels written beside it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._lut: np.ndarray | None = None
        self._strip: QImage | None = None
        self._levels: tuple[float, float] = (0.0, 1.0)
        self._ticks = tick_labels(self._levels)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)

    # ------------------------------------------------------------ content
    def set_table(self, lut: np.ndarray) -> None:
        """The (256, 3) lookup table whose first :data:`LEVELS` entries are the colours."""
        if self._lut is not None and np.array_equal(lut, self._lut):
            return
        self._lut = lut
        colours = np.ascontiguousarray(lut[:LEVELS][::-1, :3], dtype=np.uint8)  # top = high
        rgb = np.ascontiguousarray(colours.reshape(LEVELS, 1, 3))
        strip = QImage(rgb.data, 1, LEVELS, 3, QImage.Format.Format_RGB888)
        self._strip = strip.copy()  # own the pixels (rgb is a temporary)
        self.update()

    def set_levels(self, levels: tuple[float, float]) -> None:
        """The values of the bottom and the top of the strip."""
        ticks = tick_labels(levels)
        if [t for _, t in ticks] == [t for _, t in self._ticks] and self._same_zero(levels):
            self._levels = levels
            return  # what is drawn would not change: no repaint
        self._levels, self._ticks = levels, ticks
        self.update()

    def labels(self) -> list[str]:
        """The label texts, bottom to top (what a reader sees)."""
        return [text for _, text in self._ticks]

    def _same_zero(self, levels: tuple[float, float]) -> bool:
        # The zero label moves with the levels; a move under half a pixel is not redrawn.
        def zero_at(lv):
            lo, hi = lv
            return (-lo / (hi - lo)) if lo < 0 < hi else None

        old, new = zero_at(self._levels), zero_at(levels)
        if old is None or new is None:
            return old is new
        return abs(old - new) * max(self.height(), 1) < 0.5

    # ------------------------------------------------------------ drawing
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self.preferred_width(), 60)

    def preferred_width(self) -> int:
        return colour_bar_width(self.fontMetrics())

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # presentation mode: bigger labels
            self.setFixedWidth(self.preferred_width())

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(*background()))
        top, bottom = 3, self.height() - 3
        span = max(bottom - top, 1)
        strip = QRectF(2, top, STRIP_WIDTH, span)
        if self._strip is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(strip, self._strip)
        painter.setPen(QColor(colours().grid))
        painter.drawRect(strip)
        painter.setPen(QColor(colours().plot_text))
        metrics = self.fontMetrics()
        text_h = metrics.height()
        x = strip.right() + LABEL_GAP
        width = self.width() - x
        lo, hi = self._levels
        placed: list[tuple[float, float]] = []
        # The ends first (they always show), then zero if it has room between them.
        order = sorted(self._ticks, key=lambda t: t[0] == 0.0 and len(self._ticks) == 3)
        for value, text in order:
            fraction = (value - lo) / (hi - lo) if hi > lo else 0.0
            centre = bottom - fraction * span
            y = min(max(centre - text_h / 2, 0.0), self.height() - text_h)
            if any(abs(y - other) < text_h for other, _ in placed):
                continue
            placed.append((y, text_h))
            painter.drawText(
                QRectF(x, y, width, text_h),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                text,
            )
        painter.end()
