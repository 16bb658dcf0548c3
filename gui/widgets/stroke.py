"""Mouse strokes on a plot, and one stroke's edit of an array the document holds.

:class:`StrokePlot` turns left-button drags on a pyqtgraph plot into ``strokeStarted`` /
``strokeMoved`` / ``strokeFinished`` signals in data coordinates (the right button keeps
pyqtgraph's menu). :class:`ArrayStroke` keeps the bookkeeping every drawing tool needs: a
working copy of the target array, the last point, and a stroke id, so that each mouse event
paints the whole segment from the previous one (no gaps; :func:`paint_segment` interpolates a
1D target linearly) and a whole stroke is one undo step. :class:`InputStroke` is an
ArrayStroke on the document's input (the signal and image drawing); the kernel editor's bars
are one on the selected 1D kernel.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QWidget

from gui.widgets.plot_style import style_axes
from gui.widgets.spaced_axis import spaced_axes

_strokes = itertools.count(1)  # stroke ids: each stroke's edits merge into one undo step

# paint(work, x0, y0, x1, y1) changes ``work`` along the segment; truthy when anything changed
PaintSegment = Callable[[np.ndarray, float, float, float, float], object]
# write(array, merge_key) hands the painted copy to the document; edits sharing a key merge
WriteArray = Callable[[np.ndarray, Hashable], object]


def new_stroke_id() -> int:
    return next(_strokes)


def paint_segment(
    values: np.ndarray, x0: float, y0: float, x1: float, y1: float
) -> tuple[int, int] | None:
    """Set ``values[i]`` on the line from (x0, y0) to (x1, y1) for every index i it crosses.

    Returns the (first, last) index changed, or None when the segment misses the array.
    Points beyond the ends are clipped to the array (a stroke may leave the plot).
    """
    n = values.shape[0]
    i0, i1 = int(round(x0)), int(round(x1))
    lo, hi = max(min(i0, i1), 0), min(max(i0, i1), n - 1)
    if lo > hi:
        return None
    idx = np.arange(lo, hi + 1)
    if i1 == i0:
        values[idx] = y1
    else:
        t = (idx - i0) / (i1 - i0)
        values[idx] = y0 + t * (y1 - y0)
    return lo, hi


class StrokePlot(pg.PlotWidget):
    """A plot whose left-button drags are strokes, reported in view (data) coordinates."""

    strokeStarted = Signal(float, float)
    strokeMoved = Signal(float, float)
    strokeFinished = Signal()

    def __init__(self, parent: QWidget | None = None, **kwargs):
        kwargs.setdefault("axisItems", spaced_axes())  # tick labels that never collide
        super().__init__(parent, **kwargs)
        self._stroking = False
        self.setMouseEnabled(x=False, y=False)  # left drags draw; nothing pans by accident
        self.hideButtons()
        style_axes(self)  # labels that never collide, presentation mode's size

    @property
    def stroking(self) -> bool:
        return self._stroking

    def view_point(self, event: QMouseEvent) -> QPointF:
        scene = self.mapToScene(event.position().toPoint())
        return self.getPlotItem().getViewBox().mapSceneToView(scene)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton:
            self._stroking = True
            p = self.view_point(event)
            self.strokeStarted.emit(p.x(), p.y())
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self._stroking:
            p = self.view_point(event)
            self.strokeMoved.emit(p.x(), p.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self._stroking and event.button() == Qt.MouseButton.LeftButton:
            p = self.view_point(event)
            self.strokeMoved.emit(p.x(), p.y())
            self._stroking = False
            self.strokeFinished.emit()
            event.accept()
            return
        super().mouseReleaseEvent(event)


class ArrayStroke:
    """Strokes on ``plot`` paint a working copy of an array and write it back, one undo step each.

    Parameters
    ----------
    plot : the plot whose strokes are followed.
    read : the target array when a stroke starts, or None when there is nothing to draw on.
    write : takes each painted copy (read-only) and the stroke's merge key (see ``WriteArray``).
    paint : paints one segment into the working copy; by default :func:`paint_segment`, a
        straight line through a 1D target (x = index, y = value).
    key : first part of the merge key (the second is the stroke id).
    finished : called after a stroke ends (e.g. to fit the plot's range again).
    """

    def __init__(
        self,
        plot: StrokePlot,
        read: Callable[[], np.ndarray | None],
        write: WriteArray,
        paint: PaintSegment = paint_segment,
        key: str = "stroke",
        finished: Callable[[], None] | None = None,
    ):
        self._read = read
        self._write = write
        self._paint_segment = paint
        self._key = key
        self._finished = finished
        self._stroke: int | None = None
        self._last: tuple[float, float] | None = None
        self._work: np.ndarray | None = None
        plot.strokeStarted.connect(self.start)
        plot.strokeMoved.connect(self.move)
        plot.strokeFinished.connect(self.finish)

    @property
    def active(self) -> bool:
        return self._stroke is not None

    def start(self, x: float, y: float) -> None:
        target = self._read()
        if target is None:
            return
        self._stroke = new_stroke_id()
        self._work = np.array(target, dtype=np.float32, copy=True)
        self._last = (x, y)
        self._paint(x, y)

    def move(self, x: float, y: float) -> None:
        if self._stroke is not None:
            self._paint(x, y)

    def finish(self) -> None:
        was_active = self.active
        self._stroke, self._last, self._work = None, None, None
        if was_active and self._finished is not None:
            self._finished()

    def _paint(self, x: float, y: float) -> None:
        assert self._work is not None and self._last is not None
        x0, y0 = self._last
        self._last = (x, y)
        if self._paint_segment(self._work, x0, y0, x, y):
            array = self._work.copy()
            array.flags.writeable = False  # the document may keep it without another copy
            self._write(array, (self._key, self._stroke))


class InputStroke(ArrayStroke):
    """Strokes on ``plot`` edit ``document.input`` through ``paint``, one undo step each.

    Parameters
    ----------
    document : the lab document; its input is edited with ``set_input``.
    plot : the plot whose strokes are followed.
    ndim : strokes start only while the input has this many dimensions (2 signal, 3 image).
    paint : paints one segment into the working copy (see ``PaintSegment``).
    text : the undo step's text.
    key : first part of the merge key (the second is the stroke id).
    finished : called after a stroke ends (e.g. to fit the plot's range again).
    """

    def __init__(
        self,
        document,
        plot: StrokePlot,
        ndim: int,
        paint: PaintSegment,
        text: str,
        key: str,
        finished: Callable[[], None] | None = None,
    ):
        self.document = document
        self._ndim = ndim
        self._text = text
        super().__init__(plot, self._read_input, self._write_input, paint, key, finished)

    def _read_input(self) -> np.ndarray | None:
        x = self.document.input
        return x if x.ndim == self._ndim else None

    def _write_input(self, array: np.ndarray, merge_key: Hashable) -> None:
        self.document.set_input(array, text=self._text, merge_key=merge_key)
