"""A pyqtgraph axis whose tick labels never run into each other.

pyqtgraph picks its tick count from the axis length alone (about log(length) ticks), so a
130 px wide training plot with steps up to 10,000 wrote "2000400060008000" in one run. This
axis picks the major spacing from the room a label needs in the axis' own font (the widest
label and a gap along a horizontal axis, two text lines along a vertical one), as a 1-2-5
step, and draws minor ticks without labels.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics

LABEL_GAP_PX = 14  # between two labels along a horizontal axis


def nice_spacing(span: float, count: float) -> float:
    """The smallest 1-2-5 step that cuts ``span`` into at most ``count`` pieces."""
    if span <= 0 or count <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(count, 1.0)
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw * (1 - 1e-9):
            return m * power
    return 10 * power


class SpacedAxis(pg.AxisItem):
    """An AxisItem with as many labelled ticks as its length has room for."""

    def __init__(self, orientation: str, **kwargs):
        super().__init__(orientation, **kwargs)
        self.setStyle(maxTextLevel=0)  # labels on the major ticks only

    def label_room(self, lo: float, hi: float) -> float:
        """The length (px) one tick label needs along this axis."""
        font = self.style.get("tickFont") or self.font()
        metrics = QFontMetrics(font)
        if self.orientation in ("top", "bottom"):
            strings = self.tickStrings([lo, hi], 1.0, max(abs(hi - lo) / 4, 1e-12))
            widest = max((metrics.horizontalAdvance(s) for s in strings), default=20)
            return widest + LABEL_GAP_PX
        return 2.0 * metrics.height()

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803 - pyqtgraph's names
        if self._tickSpacing is not None:  # set by setTickSpacing: the caller decides
            return super().tickSpacing(minVal, maxVal, size)
        span = abs(maxVal - minVal)
        if span == 0 or size <= 0:
            return []
        count = size / self.label_room(minVal, maxVal)
        major = nice_spacing(span, max(count, 1.0))
        return [(major, 0), (major / 5, 0)]


def spaced_axes() -> dict[str, SpacedAxis]:
    """``axisItems`` for a PlotWidget: bottom and left axes that never crowd their labels."""
    return {"bottom": SpacedAxis("bottom"), "left": SpacedAxis("left")}
