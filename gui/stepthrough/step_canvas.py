"""The picture of one step: the input (padding cells drawn apart, the window's taps and their
products) and the output (cells written so far, the cell being written), drawn from a
:class:`engine.stepthrough.StepPlan`. For a transposed convolution the current input cell
scatters into the output, whose cropped border is drawn outside it.

Grids too large for readable cells show a window around the current step, with a small
overview of the whole grid and where the window lies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.explain import fmt_num

MIN_CELL = 26  # px: below this a grid is shown zoomed around the step, at ZOOM_CELL
ZOOM_CELL = 60  # px: big enough for the values and the products
MAX_CELL = 96
TEXT_CELL = 40  # px: cells at least this big show their numbers

BACKGROUND = QColor(30, 30, 35)
EMPTY = QColor(48, 48, 55)
PADDING_EDGE = QColor(240, 180, 41)  # amber: the padding cells' dashed border
TAP_EDGE = QColor(80, 220, 255)  # cyan: the window's taps
WINNER_EDGE = QColor(255, 215, 94)
CURRENT_EDGE = QColor(255, 120, 60)  # the output cell being written
TITLE = QColor(230, 230, 230)
NEG, POS = np.array([70, 130, 235]), np.array([235, 110, 60])
MID = np.array([52, 52, 60])


def cell_colour(value: float, limit: float) -> QColor:
    """A diverging colour: blue below 0, orange above, dark at 0 (−∞: the empty colour).
    A negative ``limit`` means values from 0 to −limit: a grey ramp (an image)."""
    if not math.isfinite(value):
        return EMPTY
    if limit < 0:
        g = int(40 + 150 * max(0.0, min(1.0, value / -limit)))
        return QColor(g, g, g + 6)
    t = max(-1.0, min(1.0, value / limit)) if limit > 0 else 0.0
    end = POS if t >= 0 else NEG
    rgb = MID + (end - MID) * abs(t)
    return QColor(*(int(c) for c in rgb))


def colours_of(values: np.ndarray, limit: float) -> np.ndarray:
    """:func:`cell_colour` of every value at once, as (…, 3) uint8."""
    v = np.asarray(values, np.float64)
    finite = np.isfinite(v)
    safe = np.where(finite, v, 0.0)
    if limit < 0:
        g = 40 + 150 * np.clip(safe / -limit, 0.0, 1.0)
        rgb = np.stack([g, g, g + 6], axis=-1)
    else:
        t = np.clip(safe / limit, -1.0, 1.0) if limit > 0 else np.zeros_like(safe)
        end = np.where((t >= 0)[..., None], POS, NEG)
        rgb = MID + (end - MID) * np.abs(t)[..., None]
    rgb = rgb.astype(np.int64)
    rgb[~finite] = (EMPTY.red(), EMPTY.green(), EMPTY.blue())
    return rgb.astype(np.uint8)


@dataclass
class GridGeometry:
    """Where a grid was drawn: its cell size, the first cell shown (grid coordinates, the
    padding offset already applied) and how many rows and columns are shown."""

    origin: QPointF
    cell: float
    first: tuple[int, int]
    shown: tuple[int, int]
    offset: tuple[int, int]  # grid cell (0, 0) is position (-offset)

    def cell_at(self, point: QPointF) -> tuple[int, int] | None:
        c = int((point.x() - self.origin.x()) // self.cell)
        r = int((point.y() - self.origin.y()) // self.cell)
        if not (0 <= r < self.shown[0] and 0 <= c < self.shown[1]):
            return None
        return r + self.first[0] - self.offset[0], c + self.first[1] - self.offset[1]


class StepCanvas(QWidget):
    """Draws ``plan.step(index)``; emits ``cellClicked(position)`` for a click on the grid
    the steps run over (the output, or the input of a transposed convolution)."""

    cellClicked = Signal(tuple)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(420, 220)
        self.plan = None
        self.index = 0
        self.shown_channel = 0
        self.geometry_of: dict[str, GridGeometry] = {}
        self._padded = None
        self._limits = (1.0, 1.0)

    # ---------------------------------------------------------------- model
    def set_plan(self, plan, shown_channel: int) -> None:
        self.plan, self.shown_channel = plan, shown_channel
        self._padded = None
        if plan is not None:
            self._padded = _as_2d(plan.padded_input(shown_channel))
            finite = self._padded[np.isfinite(self._padded)]
            lim_in = float(np.abs(finite).max()) if finite.size else 1.0
            lim_out = float(np.abs(plan.output[plan.channel]).max()) if plan.output.size else 1.0
            lim_in = lim_in or 1.0
            if finite.size and finite.min() >= 0:
                lim_in = -lim_in  # a non-negative input (an image): shades of grey
            self._limits = (lim_in, lim_out or 1.0)
        self.update()

    def set_index(self, index: int) -> None:
        self.index = index
        self.update()

    # ---------------------------------------------------------------- events
    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.plan is None:
            return
        name = "output" if self.plan.kind == "window" else "input"
        geometry = self.geometry_of.get(name)
        cell = geometry.cell_at(event.position()) if geometry else None
        if cell is not None:
            position = cell[1:] if self.plan.dims == 1 else cell
            if self.plan.index_of(position) is not None:
                self.cellClicked.emit(tuple(int(p) for p in position))

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.fillRect(self.rect(), BACKGROUND)
        if self.plan is None or self.plan.count == 0:
            painter.end()
            return
        step = self.plan.step(min(self.index, self.plan.count - 1))
        left, right = self._areas()
        if self.plan.kind == "window":
            self._draw_window_input(painter, left, step)
            self._draw_window_output(painter, right, step)
        else:
            self._draw_scatter_input(painter, left, step)
            self._draw_scatter_output(painter, right, step)
        painter.end()

    def _areas(self) -> tuple[QRectF, QRectF]:
        r = QRectF(self.rect()).adjusted(8, 4, -8, -4)
        if self.plan.dims == 1:  # one row each: input above output, full width
            h = r.height() / 2
            return QRectF(r.x(), r.y(), r.width(), h), QRectF(r.x(), r.y() + h, r.width(), h)
        w = r.width() / 2
        return QRectF(r.x(), r.y(), w - 8, r.height()), QRectF(
            r.x() + w + 8, r.y(), w - 8, r.height()
        )

    # ---------------------------------------------------------------- window steps
    def _draw_window_input(self, painter: QPainter, area: QRectF, step) -> None:
        plan = self.plan
        before = _pad_before(plan)
        taps = [t for t in step.taps if t.channel == self.shown_channel]
        focus = _centre([_cell(t.position, plan.dims, before) for t in taps])
        if not taps:  # nothing read from the shown channel: follow the output position
            focus = _cell(step.position, plan.dims, before)
        fill = plan.padding_fill if any(b or a for b, a in plan.padding) else "none"
        title = f"input: {plan.source}[{self.shown_channel}]   padding: {fill}"
        geometry = self._draw_grid(
            painter, area, "input", title, self._padded, before, focus, self._limits[0], padded=True
        )
        labels = {}
        for i, t in enumerate(taps):
            cell = _cell(t.position, plan.dims, before)
            edge = (
                WINNER_EDGE if step.winner is not None and step.taps[step.winner] is t else TAP_EDGE
            )
            if step.combine == "sum":
                labels[cell] = fmt_num(t.product, 2)  # ω·x, the product this tap adds
            self._outline(painter, geometry, cell, edge, 3)
            del i
        self._label_cells(painter, geometry, labels, TAP_EDGE)

    def _draw_window_output(self, painter: QPainter, area: QRectF, step) -> None:
        plan = self.plan
        out = _as_2d(plan.output[plan.channel].astype(np.float64))
        written = _as_2d(plan.written(step.index))
        shown = np.where(written, out, -np.inf)
        cell = _cell(step.position, plan.dims, (0,) * plan.dims)
        title = f"output: {plan.layer}[{plan.channel}]   step {step.index + 1} of {plan.count}"
        geometry = self._draw_grid(
            painter, area, "output", title, shown, (0, 0), cell, self._limits[1]
        )
        self._outline(painter, geometry, cell, CURRENT_EDGE, 4)

    # ---------------------------------------------------------------- scatter steps
    def _draw_scatter_input(self, painter: QPainter, area: QRectF, step) -> None:
        plan = self.plan
        plane = _as_2d(plan.input[self.shown_channel].astype(np.float64))
        cell = _cell(step.position, plan.dims, (0,) * plan.dims)
        title = (
            f"input: {plan.source}[{self.shown_channel}]   step {step.index + 1} of {plan.count}"
        )
        geometry = self._draw_grid(
            painter, area, "input", title, plane, (0, 0), cell, self._limits[0]
        )
        self._outline(painter, geometry, cell, CURRENT_EDGE, 4)

    def _draw_scatter_output(self, painter: QPainter, area: QRectF, step) -> None:
        plan = self.plan
        pad = _transposed_pad(plan)
        acc = plan.accumulated(step.index).astype(np.float64)
        # the uncropped output: the padding P cropped on each side, drawn as padding cells
        full_shape = tuple(n + 2 * p for n, p in zip(acc.shape, pad, strict=True))
        full = np.full(full_shape, -np.inf)
        full[tuple(slice(p, p + n) for p, n in zip(pad, acc.shape, strict=True))] = acc
        before = pad if plan.dims == 2 else (0, *pad)
        mine = [t for t in step.targets if t.channel == self.shown_channel]
        focus = _centre([_cell(t.position, plan.dims, _pad_tuple(pad)) for t in mine])
        title = f"output: {plan.layer}[{plan.channel}] accumulating"
        if any(pad):
            title += f"   (cropped by P = {', '.join(map(str, pad))})"
        geometry = self._draw_grid(
            painter,
            area,
            "output",
            title,
            _as_2d(full),
            before,
            focus,
            self._limits[1],
            padded=any(pad),
        )
        labels = {}
        for t in mine:
            c = _cell(t.position, plan.dims, _pad_tuple(pad))
            sign = "+" if t.contribution >= 0 else ""
            labels[c] = sign + fmt_num(t.contribution, 2)
            self._outline(painter, geometry, c, PADDING_EDGE if t.cropped else TAP_EDGE, 3)
        self._label_cells(painter, geometry, labels, TAP_EDGE)

    # ---------------------------------------------------------------- drawing pieces
    def _draw_grid(
        self, painter, area, name, title, values, before, focus, limit, padded=False
    ) -> GridGeometry:
        """Cells of ``values`` (2D; −inf cells empty) with ``before`` padding rows/columns,
        zoomed around ``focus`` (a grid cell) when the whole grid does not fit."""
        before = tuple(before) if len(before) == 2 else (0, *before)
        font = QFont(self.font())
        painter.setFont(font)
        metrics_h = painter.fontMetrics().height() + 6
        body = area.adjusted(0, metrics_h, 0, 0)
        rows, cols = values.shape
        cell = min(body.width() / cols, body.height() / rows, MAX_CELL)
        first, shown = (0, 0), (rows, cols)
        zoomed = cell < MIN_CELL
        if zoomed:
            # big enough for the numbers, small enough for 5 cells each way when it can
            tall = body.height() / (5 if rows > 1 else 1)  # a 1D row may use the height
            cell = max(MIN_CELL, min(ZOOM_CELL, tall, body.width() / 5))
            n_r = max(1, min(rows, int(body.height() // cell)))
            n_c = max(1, min(cols, int(body.width() // cell)))
            fr = _window_start(focus[0] + before[0], n_r, rows)
            fc = _window_start(focus[1] + before[1], n_c, cols)
            first, shown = (fr, fc), (n_r, n_c)
        # the title, shortened with … when it does not fit (beside the overview when zoomed)
        room = area.width() - (3 * metrics_h if zoomed else 0)
        painter.setPen(TITLE)
        painter.drawText(
            QRectF(area.x(), area.y(), room, metrics_h),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            painter.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, int(room)),
        )
        origin = QPointF(body.x() + (body.width() - shown[1] * cell) / 2, body.y())
        geometry = GridGeometry(origin, cell, first, shown, before)
        self.geometry_of[name] = geometry
        small = QFont(font)
        # "−0.00" (five characters, about 4 points wide per point of size) fits the cell
        small.setPointSizeF(max(6.5, min(font.pointSizeF(), cell / 3.6, (cell - 6) / 4.2)))
        painter.setFont(small)
        block = values[first[0] : first[0] + shown[0], first[1] : first[1] + shown[1]]
        rgb = colours_of(block, limit)
        pad = padded and _padding_mask(values.shape, before, _after(self.plan, name))
        hatch = QBrush(QColor(240, 180, 41, 60), Qt.BrushStyle.BDiagPattern)
        dashed = QPen(PADDING_EDGE, 1, Qt.PenStyle.DashLine)
        white = QColor(245, 245, 245)
        texts = cell >= TEXT_CELL
        for r in range(shown[0]):
            for c in range(shown[1]):
                rect = QRectF(origin.x() + c * cell, origin.y() + r * cell, cell, cell)
                inner = rect.adjusted(1, 1, -1, -1)
                painter.fillRect(inner, QColor(*rgb[r, c].tolist()))
                if pad is not False and pad[first[0] + r, first[1] + c]:
                    painter.fillRect(inner, hatch)
                    painter.setPen(dashed)
                    painter.drawRect(rect.adjusted(2, 2, -2, -2))
                v = float(block[r, c])
                if texts and math.isfinite(v):
                    painter.setPen(white)
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, fmt_num(v, 2))
        if zoomed:
            line = QRectF(area.x(), area.y(), area.width(), metrics_h)
            self._overview(painter, line, (rows, cols), first, shown)
        painter.setFont(font)
        return geometry

    def _overview(self, painter, line: QRectF, size, first, shown) -> None:
        """A small map of the whole grid with the shown window in it, at the right end of
        the title line (it covers no cell)."""
        rows, cols = size
        h = line.height() - 4
        scale = min(3 * h / cols, h / rows)
        w, h = max(cols * scale, 8), max(rows * scale, 4)
        box = QRectF(line.right() - w - 2, line.y() + (line.height() - h) / 2, w, h)
        painter.fillRect(box, QColor(20, 20, 24))
        painter.setPen(QPen(TITLE, 1))
        painter.drawRect(box)
        view = QRectF(
            box.x() + first[1] * w / cols,
            box.y() + first[0] * h / rows,
            max(shown[1] * w / cols, 2),
            max(shown[0] * h / rows, 2),
        )
        painter.fillRect(view, CURRENT_EDGE)

    def _outline(self, painter, geometry: GridGeometry, cell, colour, width) -> None:
        rect = self._cell_rect(geometry, cell)
        if rect is not None:
            painter.setPen(QPen(colour, width))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect.adjusted(width / 2, width / 2, -width / 2, -width / 2))

    def _label_cells(self, painter, geometry: GridGeometry, labels: dict, colour) -> None:
        """Products (or contributions) in the lower part of their cells, when cells are big."""
        if geometry.cell < TEXT_CELL * 1.4:
            return
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, geometry.cell / 6.5))
        painter.setFont(small)
        for cell, text in labels.items():
            rect = self._cell_rect(geometry, cell)
            if rect is not None:
                low = QRectF(
                    rect.x(), rect.y() + rect.height() * 0.62, rect.width(), rect.height() * 0.36
                )
                painter.fillRect(low.adjusted(3, 0, -3, -3), QColor(0, 0, 0, 150))
                painter.setPen(colour)
                painter.drawText(low, Qt.AlignmentFlag.AlignCenter, text)
        painter.setFont(self.font())

    def _cell_rect(self, geometry: GridGeometry, cell) -> QRectF | None:
        r = cell[0] + geometry.offset[0] - geometry.first[0]
        c = cell[1] + geometry.offset[1] - geometry.first[1]
        if not (0 <= r < geometry.shown[0] and 0 <= c < geometry.shown[1]):
            return None
        return QRectF(
            geometry.origin.x() + c * geometry.cell,
            geometry.origin.y() + r * geometry.cell,
            geometry.cell,
            geometry.cell,
        )


def _as_2d(array: np.ndarray) -> np.ndarray:
    return array[None] if array.ndim == 1 else array


def _pad_before(plan) -> tuple[int, ...]:
    return tuple(b for b, _ in plan.padding)


def _pad_tuple(pad) -> tuple[int, ...]:
    return tuple(pad)


def _transposed_pad(plan) -> tuple[int, ...]:
    from engine.explain import per_axis

    return per_axis(plan.layer_spec.param("padding"), plan.dims, "padding")


def _cell(position, dims: int, before) -> tuple[int, int]:
    """A position as a (row, column) in grid coordinates of the 2D picture (padding first)."""
    if dims == 1:
        return (0, position[0])
    return (position[0], position[1])


def _centre(cells) -> tuple[int, int]:
    if not cells:
        return (0, 0)
    return (
        round(sum(c[0] for c in cells) / len(cells)),
        round(sum(c[1] for c in cells) / len(cells)),
    )


def _window_start(focus: int, shown: int, total: int) -> int:
    """The first row (or column) of a window of ``shown`` around ``focus`` inside the grid."""
    return max(0, min(total - shown, focus - shown // 2))


def _padding_mask(shape, before, after) -> np.ndarray:
    """True on the padding cells of a grid (outside the input, or the cropped output)."""
    rows, cols = shape
    r = np.arange(rows)[:, None]
    c = np.arange(cols)[None, :]
    return (r < before[0]) | (c < before[1]) | (r >= rows - after[0]) | (c >= cols - after[1])


def _after(plan, name: str) -> tuple[int, int]:
    if plan.kind == "window":
        after = tuple(a for _, a in plan.padding)
    else:
        after = _transposed_pad(plan)
    return after if len(after) == 2 else (0, *after)
