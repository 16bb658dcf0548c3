"""A pyqtgraph axis whose tick labels never run into each other.

pyqtgraph picks its tick count from the axis length alone (about log(length) ticks), so a
130 px wide training plot with steps up to 10,000 wrote "2000400060008000" in one run. This
axis picks the major spacing from the room a label needs in the axis' own font (the widest
label and a gap along a horizontal axis, two text lines along a vertical one), as a 1-2-5
step, and draws minor ticks without labels.

Along a horizontal axis pyqtgraph drops every label that sticks out of the axis' own
rectangle. On a steps axis of 0…N the major ticks were exactly the two ends, so a narrow
training plot showed no step numbers at all. Here a label may use the empty corner below
the vertical axis (and the plot's right margin), the spacing is made smaller until at least
two labels fit, and labels that would still touch are left out, explicit ticks included.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics

LABEL_GAP_PX = 14  # between two labels along a horizontal axis
MIN_GAP_PX = 6  # the least gap kept when a wider one would leave fewer than two labels
STEPS = (1, 2, 5)


def nice_spacing(span: float, count: float) -> float:
    """The smallest 1-2-5 step that cuts ``span`` into at most ``count`` pieces."""
    if span <= 0 or count <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(count, 1.0)
    power = 10.0 ** math.floor(math.log10(raw))  # a float: an int of 10**38 overflows numpy
    for m in (1, 2, 5, 10):
        if m * power >= raw * (1 - 1e-9):
            return m * power
    return 10 * power


def smaller_spacing(spacing: float) -> float:
    """The 1-2-5 step just below ``spacing`` (5 → 2 → 1 → 0.5 …)."""
    power = 10.0 ** math.floor(math.log10(spacing) + 1e-9)
    mantissa = round(spacing / power)
    if mantissa >= 5:
        return 2 * power
    if mantissa >= 2:
        return power
    return 0.5 * power


def multiples_in(lo: float, hi: float, spacing: float) -> int:
    """How many multiples of ``spacing`` lie in [lo, hi]."""
    if hi < lo or spacing <= 0:
        return 0
    return max(0, math.floor(hi / spacing + 1e-9) - math.ceil(lo / spacing - 1e-9) + 1)


class SpacedAxis(pg.AxisItem):
    """An AxisItem with as many labelled ticks as its length has room for."""

    def __init__(self, orientation: str, **kwargs):
        super().__init__(orientation, **kwargs)
        self.setStyle(maxTextLevel=0)  # labels on the major ticks only

    @property
    def horizontal(self) -> bool:
        return self.orientation in ("top", "bottom")

    def tick_metrics(self) -> QFontMetrics:
        return QFontMetrics(self.style.get("tickFont") or self.font())

    def label_room(self, lo: float, hi: float) -> float:
        """The length (px) one tick label needs along this axis."""
        return (
            self.widest_label(lo, hi) + LABEL_GAP_PX
            if self.horizontal
            else (2.0 * self.tick_metrics().height())
        )

    def widest_label(self, lo: float, hi: float) -> float:
        metrics = self.tick_metrics()
        strings = self.tickStrings([lo, hi], 1.0, max(abs(hi - lo) / 4, 1e-12))
        return max((metrics.horizontalAdvance(s) for s in strings), default=20)

    def overflow(self) -> tuple[float, float]:
        """How far (px) a label may reach past the axis' start and end: into the plot's
        corner beside it and its margin (0 outside a plot). Measured when the axis is laid
        out (asking the parent while Qt paints or deletes items is not safe)."""
        return getattr(self, "_overflow", (0.0, 0.0))

    def resizeEvent(self, ev=None):  # noqa: N802 - Qt's name
        super().resizeEvent(ev)
        parent = self.parentItem()
        if parent is not None and self.horizontal:
            geometry = self.geometry()
            right = parent.size().width() - geometry.right()
            self._overflow = (max(0.0, geometry.left()), max(0.0, right))
            self.prepareGeometryChange()

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803 - pyqtgraph's names
        if self._tickSpacing is not None:  # set by setTickSpacing: the caller decides
            return super().tickSpacing(minVal, maxVal, size)
        span = abs(maxVal - minVal)
        if span == 0 or size <= 0:
            return []
        count = size / self.label_room(minVal, maxVal)
        major = nice_spacing(span, max(count, 1.0))
        if self.horizontal:
            major = self._at_least_two(min(minVal, maxVal), max(minVal, maxVal), size, major)
        return [(major, 0), (major / 5, 0)]

    def _at_least_two(self, lo: float, hi: float, size: float, major: float) -> float:
        """A smaller 1-2-5 step while fewer than two labels fit whole, if neighbouring
        labels (measured) still keep MIN_GAP_PX between them."""
        per_px = (hi - lo) / size
        widest = self.widest_label(lo, hi)
        before, after = self.overflow()
        first = lo + (widest / 2 - before) * per_px  # the first centre a whole label allows
        last = hi - (widest / 2 - after) * per_px
        while multiples_in(first, last, major) < 2:
            finer = smaller_spacing(major)
            if not self._labels_apart(first, last, finer, per_px):
                break
            major = finer
        return major

    def _labels_apart(self, lo: float, hi: float, spacing: float, per_px: float) -> bool:
        """Whether labels every ``spacing`` with centres in [lo, hi] keep MIN_GAP_PX
        between them."""
        start = math.ceil(lo / spacing - 1e-9)
        count = math.floor(hi / spacing + 1e-9) - start + 1
        if count > 200:  # never that many labels along one axis: not worth measuring
            return False
        values = [(start + i) * spacing for i in range(max(count, 0))]
        metrics = self.tick_metrics()
        widths = [metrics.horizontalAdvance(s) for s in self.tickStrings(values, 1.0, spacing)]
        pairs = zip(widths, widths[1:], strict=False)
        need = max(((a + b) / 2 + MIN_GAP_PX for a, b in pairs), default=0.0)
        return spacing / per_px >= need

    def boundingRect(self):  # noqa: N802 - Qt's name
        rect = super().boundingRect()
        if self.horizontal and self.style["hideOverlappingLabels"] is True:
            before, after = self.overflow()
            rect = rect.adjusted(-before, 0, after, 0)
        return rect

    def generateDrawSpecs(self, p):  # noqa: N802 - pyqtgraph's name
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis, ticks, texts = specs
        return axis, ticks, apart(texts, self.horizontal)


def apart(texts: list, horizontal: bool, gap: float = 2.0) -> list:
    """``texts`` ((rect, flags, string) as pyqtgraph draws them) without those that would
    touch one kept before them along the axis."""
    kept, end = [], -math.inf
    key = (lambda t: t[0].left()) if horizontal else (lambda t: t[0].top())
    for text in sorted(texts, key=key):
        rect = text[0]
        start, stop = (rect.left(), rect.right()) if horizontal else (rect.top(), rect.bottom())
        if start >= end + gap:
            kept.append(text)
            end = stop
    return kept


def spaced_axes() -> dict[str, SpacedAxis]:
    """``axisItems`` for a PlotWidget: bottom and left axes that never crowd their labels."""
    return {"bottom": SpacedAxis("bottom"), "left": SpacedAxis("left")}
