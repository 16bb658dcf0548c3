"""Drawing on a 2D input image: a round brush with size and value, an eraser, clear, invert.

Between successive mouse events the brush is stamped along the whole segment (every pixel
whose centre lies within the brush radius of the segment), so a fast stroke is a continuous
line; a whole stroke is one undo step (one ``merge_key`` per stroke).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.rf_outline import attach_outline, mask_bounds
from gui.widgets.stroke import InputStroke, StrokePlot

ALL_CHANNELS = -1


def paint_capsule(
    plane: np.ndarray, x0: float, y0: float, x1: float, y1: float, radius: float, value: float
) -> bool:
    """Paint ``value`` into ``plane`` (H, W) along the segment (x0, y0)–(x1, y1).

    Coordinates are the image item's: pixel (row r, column c) covers x in [c, c+1) and
    y in [r, r+1). Painted: every pixel whose centre lies within ``radius`` of the segment,
    plus the pixels under both ends. Returns True when any pixel was inside the image.
    """
    h, w = plane.shape
    c_lo = int(np.floor(min(x0, x1) - radius))
    c_hi = int(np.ceil(max(x0, x1) + radius))
    r_lo = int(np.floor(min(y0, y1) - radius))
    r_hi = int(np.ceil(max(y0, y1) + radius))
    c_lo, c_hi = max(c_lo, 0), min(c_hi, w - 1)
    r_lo, r_hi = max(r_lo, 0), min(r_hi, h - 1)
    if c_lo > c_hi or r_lo > r_hi:
        return False
    cy, cx = np.mgrid[r_lo : r_hi + 1, c_lo : c_hi + 1].astype(np.float64) + 0.5
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    if length2 == 0.0:
        t = np.zeros_like(cx)
    else:
        t = np.clip(((cx - x0) * dx + (cy - y0) * dy) / length2, 0.0, 1.0)
    dist2 = (cx - (x0 + t * dx)) ** 2 + (cy - (y0 + t * dy)) ** 2
    mask = dist2 <= radius * radius
    for x, y in ((x0, y0), (x1, y1)):
        r, c = int(np.floor(y)), int(np.floor(x))
        if r_lo <= r <= r_hi and c_lo <= c <= c_hi:
            mask[r - r_lo, c - c_lo] = True
    plane[r_lo : r_hi + 1, c_lo : c_hi + 1][mask] = value
    return True


class DrawImage(QWidget):
    """The input image (C, H, W); left-button strokes paint with the brush."""

    def __init__(self, document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document

        self.plot = StrokePlot()
        self.plot.setMinimumHeight(200)
        self.plot.setAspectLocked(True)
        self.plot.invertY(True)
        self.plot.hideAxis("bottom")
        self.plot.hideAxis("left")
        self.plot.setToolTip("Drag with the left button to paint")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        # the probe's receptive field in the input (set_receptive_mask), visible at any zoom
        self.rf_outline = attach_outline(self.plot.getPlotItem().getViewBox())

        self.size_spin = QSpinBox()
        self.size_spin.setRange(1, 64)
        self.size_spin.setValue(3)
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Brush diameter in pixels")
        self.value_spin = QDoubleSpinBox()
        self.value_spin.setRange(-10.0, 10.0)
        self.value_spin.setDecimals(2)
        self.value_spin.setSingleStep(0.1)
        self.value_spin.setValue(1.0)
        self.value_spin.setToolTip("The value the brush paints")
        self.eraser = QPushButton()
        self.eraser.setText("Eraser")
        self.eraser.setCheckable(True)
        self.eraser.setToolTip("Paint zeros instead of the brush value")
        self.channel_combo = QComboBox()
        self.channel_combo.setToolTip("The channel(s) the brush paints")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Set every pixel to 0")
        self.invert_button = QPushButton("Invert")
        self.invert_button.setToolTip("Replace every value x by 1 − x")

        self.size_spin.setPrefix("brush ")
        self.value_spin.setPrefix("value ")
        brush = QHBoxLayout()
        brush.addWidget(self.size_spin, 1)
        brush.addWidget(self.value_spin, 1)
        buttons = QHBoxLayout()
        for button in (self.eraser, self.clear_button, self.invert_button):
            button.setMinimumWidth(56)  # below the style's 80 px: the panel is narrow
            buttons.addWidget(button, 1)
        for spin in (self.size_spin, self.value_spin):
            spin.setMinimumWidth(90)
        self.channel_label = QLabel("paint")
        channels = QHBoxLayout()
        channels.addWidget(self.channel_label)
        channels.addWidget(self.channel_combo, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addLayout(brush)
        layout.addLayout(buttons)
        layout.addLayout(channels)

        self.stroke = InputStroke(document, self.plot, 3, self._paint, "Paint", "paint")
        self.clear_button.clicked.connect(self.clear)
        self.invert_button.clicked.connect(self.invert)
        self.channel_combo.currentIndexChanged.connect(lambda _: self.refresh())
        document.inputChanged.connect(self.refresh)
        self._shape: tuple[int, ...] | None = None
        self.refresh()

    @property
    def brush_value(self) -> float:
        return 0.0 if self.eraser.isChecked() else float(self.value_spin.value())

    @property
    def channel(self) -> int:
        """The channel painted, or ALL_CHANNELS."""
        return self.channel_combo.currentData() if self.channel_combo.count() else ALL_CHANNELS

    def refresh(self) -> None:
        """Show the document's input (only when it is an image)."""
        x = self.document.input
        if x.ndim != 3:
            return
        if self.channel_combo.count() != x.shape[0] + (x.shape[0] > 1):
            self.channel_combo.blockSignals(True)
            self.channel_combo.clear()
            if x.shape[0] > 1:
                self.channel_combo.addItem("all channels", ALL_CHANNELS)
            for c in range(x.shape[0]):
                self.channel_combo.addItem(f"channel {c}", c)
            self.channel_combo.blockSignals(False)
        self.channel_combo.setVisible(x.shape[0] > 1)  # one channel: nothing to choose
        self.channel_label.setVisible(x.shape[0] > 1)
        shown = self._display(x)
        lo, hi = float(x.min()), float(x.max())
        levels = (min(lo, 0.0), max(hi, 1.0))
        self.image.setImage(shown, levels=levels, autoLevels=False)
        if x.shape != self._shape:
            self._shape = x.shape
            self.plot.getPlotItem().getViewBox().autoRange(padding=0.02)

    def set_receptive_mask(self, mask: np.ndarray | None) -> None:
        """Outline the receptive field ``mask`` (H, W) of the input, or hide it (None)."""
        bounds = mask_bounds(mask) if mask is not None else None
        x = self.document.input
        if bounds is None or x.ndim != 3 or mask.shape != x.shape[1:]:
            self.rf_outline.set_rects([])
            return
        from PySide6.QtCore import QRectF

        top, left, bottom, right = bounds
        self.rf_outline.refit_now()
        self.rf_outline.set_rects([QRectF(left, top, right - left, bottom - top)])

    def _display(self, x: np.ndarray) -> np.ndarray:
        channel = self.channel
        if x.shape[0] == 3 and channel == ALL_CHANNELS:
            return np.ascontiguousarray(x.transpose(1, 2, 0))
        return x[max(channel, 0)]

    # --------------------------------------------------------- whole-image edits
    def clear(self) -> None:
        self.document.set_input(np.zeros_like(self.document.input), text="Clear image")

    def invert(self) -> None:
        self.document.set_input(1.0 - self.document.input, text="Invert image")

    def _paint(self, work: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> bool:
        radius = self.size_spin.value() / 2.0
        channels = range(work.shape[0]) if self.channel == ALL_CHANNELS else [self.channel]
        touched = False
        for c in channels:
            touched |= paint_capsule(work[c], x0, y0, x1, y1, radius, self.brush_value)
        return touched
