"""The picture of one step: the input (padding cells drawn apart, the window's taps and their
products) and the output (cells written so far, the cell being written), drawn from a
:class:`engine.stepthrough.StepPlan`. For a transposed convolution the current input cell
scatters into the output, whose cropped border is drawn outside it.

Grids too large for readable cells show a window around the current step, with a small
overview of the whole grid and where the window lies.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.explain import fmt_num
from gui.widgets.themes import colours
from gui.widgets.themes import rgb as rgb_of

MIN_CELL = 26  # px: below this a grid is shown zoomed around the step, at ZOOM_CELL
ZOOM_CELL = 60  # px: big enough for the values and the products
MAX_CELL = 96
TEXT_CELL = 40  # px: cells at least this big show their numbers
TILE = 4  # cells per side of one cached tile of a static grid
MAX_TILES = 160  # tiles kept per grid (~ 4 MB each at 60 px cells: ~ 35 MB at most)

BACKGROUND = QColor(30, 30, 35)
EMPTY = QColor(48, 48, 55)
PADDING_EDGE = QColor(240, 180, 41)  # amber: the padding cells' dashed border
TAP_EDGE = QColor(80, 220, 255)  # cyan: the window's taps
WINNER_EDGE = QColor(255, 215, 94)
CURRENT_EDGE = QColor(255, 120, 60)  # the output cell being written
OUTPUT_PADDING_EDGE = QColor(235, 90, 235)  # magenta: cells output_padding adds
# overlaps of a transposed convolution: written by 2, 3, 4 or more input positions
OVERLAP_TINTS = (
    QColor(190, 120, 255, 70),
    QColor(190, 120, 255, 125),
    QColor(190, 120, 255, 180),
)
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


class _Tiles:
    """Cached pictures of a static grid (cell colours, padding hatch, values), TILE×TILE
    cells each, made when first shown and kept (least recently used dropped). A step only
    draws these and its own marks over them."""

    def __init__(self, key, render):
        self.key, self.render = key, render
        self.images: OrderedDict[tuple[int, int], QImage] = OrderedDict()
        self._lock = threading.Lock()  # the worker renders the tiles around the shown ones

    def has(self, tile: tuple[int, int]) -> bool:
        with self._lock:
            return tile in self.images

    def get(self, tile: tuple[int, int]) -> QImage:
        with self._lock:
            image = self.images.get(tile)
            if image is not None:
                self.images.move_to_end(tile)
                return image
        image = self.render(tile)  # QPainter on a QImage: safe on any thread
        with self._lock:
            self.images[tile] = image
            if len(self.images) > MAX_TILES:
                self.images.popitem(last=False)
        return image


class StepCanvas(QWidget):
    """Draws ``plan.step(index)``; emits ``cellClicked(position)`` for a click on the grid
    the steps run over (the output, or the input of a transposed convolution).

    The grids that do not change from step to step (the padded input, the whole output of a
    window plan, the input of a transposed convolution) are drawn once into cached tiles
    (``cached``; False draws every cell each time, the same picture); a step paints those,
    then the cells not written yet, the window's taps, the products and the current cell.
    ``painted`` follows every paint (the panel prepares the next steps after it).
    """

    cellClicked = Signal(tuple)
    painted = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(420, 220)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.plan = None
        self.index = 0
        self.shown_channel = 0
        self.cached = True
        self.geometry_of: dict[str, GridGeometry] = {}
        self.titles: dict[str, str] = {}  # the grids' whole titles (the tooltip)
        self.tinted: dict[tuple[int, int], int] = {}  # overlap cell (full grid) -> count
        self.output_padding_marked: set[tuple[int, int]] = set()  # (full grid) at the end
        self.title_lines: dict[str, list[str]] = {}  # each grid's title as drawn
        self._padded = None
        self._output = None
        self._limits = (1.0, 1.0)
        self._tiles: dict[str, _Tiles] = {}
        self._around: list[tuple[_Tiles, tuple[int, int]]] = []  # tiles next to the shown
        self._empty_cell = None
        self._title_rows = 1
        self._legend_rows = 1  # lines under a transposed convolution's output

    # ---------------------------------------------------------------- model
    def set_plan(self, plan, shown_channel: int) -> None:
        self.plan, self.shown_channel = plan, shown_channel
        self._padded = self._output = None
        self._tiles = {}
        if plan is not None:
            self._padded = _as_2d(plan.padded_input(shown_channel))
            finite = self._padded[np.isfinite(self._padded)]
            lim_in = float(np.abs(finite).max()) if finite.size else 1.0
            lim_out = float(np.abs(plan.output[plan.channel]).max()) if plan.output.size else 1.0
            lim_in = lim_in or 1.0
            if finite.size and finite.min() >= 0:
                lim_in = -lim_in  # a non-negative input (an image): shades of grey
            self._limits = (lim_in, lim_out or 1.0)
            if plan.kind == "window":
                self._output = _as_2d(plan.output[plan.channel].astype(np.float64))
            else:
                self._output = _as_2d(plan.input[shown_channel].astype(np.float64))
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

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        changes = (QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.PaletteChange)
        if event.type() in changes:
            self._tiles = {}  # a new font (presentation mode) or style: new tiles

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.fillRect(self.rect(), BACKGROUND)
        self._around = []
        if self.plan is None or self.plan.count == 0:
            painter.end()
            return
        step = self.plan.step(min(self.index, self.plan.count - 1))
        left, right = self._areas()
        # both grids start under the same number of title lines (the longer title's)
        painter.setFont(self.font())
        line_h = painter.fontMetrics().height() + 6
        self._title_rows = max(
            len(self._title_lines(painter, title, area.width() - 3 * line_h))
            for title, area in zip(self._titles(step), (left, right), strict=True)
        )
        if self.plan.kind == "window":
            self._draw_window_input(painter, left, step)
            self._draw_window_output(painter, right, step)
        else:
            self._draw_scatter_input(painter, left, step)
            self._draw_scatter_output(painter, right, step)
        painter.end()
        tip = "\n".join(self.titles.values())
        if tip != self.toolTip():
            self.setToolTip(tip)
        self.painted.emit()

    def _titles(self, step) -> tuple[str, str]:
        """The input's and the output's titles at ``step``."""
        plan = self.plan
        counter = f"step {step.index + 1} of {plan.count}"
        if plan.kind == "window":
            fill = plan.padding_fill if any(b or a for b, a in plan.padding) else "none"
            return (
                f"input: {plan.source}[{self.shown_channel}]   padding: {fill}",
                f"output: {plan.layer}[{plan.channel}]   {counter}",
            )
        pad = _transposed_pad(plan)
        out = f"output: {plan.layer}[{plan.channel}] accumulating"
        if any(pad):
            out += f"   (cropped by P = {', '.join(map(str, pad))})"
        return f"input: {plan.source}[{self.shown_channel}]   {counter}", out

    def tile_work(self):
        """A callable for a worker: renders the missing tiles around the shown ones (those a
        next step scrolls into view), or None when none is missing."""
        missing = [(tiles, t) for tiles, t in self._around if not tiles.has(t)]
        if not missing:
            return None

        def work():
            for tiles, tile in missing:
                tiles.get(tile)

        return work

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
        title = self._titles(step)[0]
        geometry = self._draw_grid(
            painter, area, "input", title, self._padded, before, focus, self._limits[0], padded=True
        )
        labels = {}
        winner = step.taps[step.winner] if step.winner is not None else None
        for t in taps:
            cell = _cell(t.position, plan.dims, before)
            if step.combine == "sum":
                labels[cell] = fmt_num(t.product, 2)  # ω·x, the product this tap adds
            self._outline(painter, geometry, cell, WINNER_EDGE if t is winner else TAP_EDGE, 3)
        self._label_cells(painter, geometry, labels, TAP_EDGE)

    def _draw_window_output(self, painter: QPainter, area: QRectF, step) -> None:
        plan = self.plan
        cell = _cell(step.position, plan.dims, (0,) * plan.dims)
        title = self._titles(step)[1]
        geometry = self._draw_grid(
            painter, area, "output", title, self._output, (0, 0), cell, self._limits[1]
        )
        self._blank_unwritten(painter, geometry, cell)
        self._outline(painter, geometry, cell, CURRENT_EDGE, 4)

    def _blank_unwritten(self, painter, geometry: GridGeometry, current) -> None:
        """The cells after the current one (raster order) are not written yet: empty."""
        (fr, fc), (nr, nc), size = geometry.first, geometry.shown, geometry.cell
        ox, oy = geometry.origin.x(), geometry.origin.y()
        r0, c0 = current[0] - fr, current[1] - fc
        empty = self._empty(size, nr, nc)
        dpr = empty.devicePixelRatio()

        def blank(r, c, n_r, n_c):  # cells r … r + n_r, c … c + n_c of the shown block
            source = QRectF(0, 0, n_c * size * dpr, n_r * size * dpr)
            painter.drawPixmap(
                QRectF(ox + c * size, oy + r * size, n_c * size, n_r * size), empty, source
            )

        if 0 <= r0 < nr and c0 + 1 < nc:  # the rest of the current row
            start = max(c0 + 1, 0)
            blank(r0, start, 1, nc - start)
        below = max(r0 + 1, 0)
        if below < nr:
            blank(below, 0, nr - below, nc)

    def _empty(self, size: int, rows: int, cols: int):
        """A block of empty cells (their gaps and fills), to cover the cells not written yet."""
        dpr = self.devicePixelRatioF()
        have = self._empty_cell
        if have is None or have[0] != (size, dpr) or have[1] < rows or have[2] < cols:
            from PySide6.QtGui import QPixmap

            pixmap = QPixmap(round(cols * size * dpr), round(rows * size * dpr))
            pixmap.setDevicePixelRatio(dpr)
            pixmap.fill(BACKGROUND)
            p = QPainter(pixmap)
            for r in range(rows):
                for c in range(cols):
                    p.fillRect(QRectF(c * size + 1, r * size + 1, size - 2, size - 2), EMPTY)
            p.end()
            self._empty_cell = have = ((size, dpr), rows, cols, pixmap)
        return have[3]

    # ---------------------------------------------------------------- scatter steps
    def _draw_scatter_input(self, painter: QPainter, area: QRectF, step) -> None:
        plan = self.plan
        cell = _cell(step.position, plan.dims, (0,) * plan.dims)
        title = self._titles(step)[0]
        geometry = self._draw_grid(
            painter, area, "input", title, self._output, (0, 0), cell, self._limits[0]
        )
        self._outline(painter, geometry, cell, CURRENT_EDGE, 4)

    def _draw_scatter_output(self, painter: QPainter, area: QRectF, step) -> None:
        plan = self.plan
        extent = plan.scatter_extent()
        acc = plan.accumulated(step.index).astype(np.float64)
        # the drawn grid: positions −P … the farthest tap; outside the output: cropped
        full = np.full(tuple(stop - first for first, stop in extent), -np.inf)
        inside = zip(extent, acc.shape, strict=True)
        full[tuple(slice(-first, -first + n) for (first, _), n in inside)] = acc
        before = tuple(-first for first, _ in extent)
        # cells after the output on each axis: the cropped (or not reached) end
        after = tuple(
            stop - first - n - b
            for (first, stop), n, b in zip(extent, acc.shape, before, strict=True)
        )
        mine = [t for t in step.targets if t.channel == self.shown_channel]
        focus = _centre([_cell(t.position, plan.dims, before) for t in mine])
        title = self._titles(step)[1]
        counts = _as_2d(plan.overlaps(step.index))
        extra = _as_2d(plan.output_padding_cells())
        self._legend_rows = 2 if extra.any() else 1
        geometry = self._draw_grid(
            painter,
            area,
            "accumulated",
            title,
            _as_2d(full),
            _two(before),
            focus,
            self._limits[1],
            padded=any(before) or any(after),
            after=_two(after),
            tints=counts,
        )
        self.geometry_of["output"] = geometry
        rows, cols = np.nonzero(counts > 1)
        self.tinted = {(int(r), int(c)): int(counts[r, c]) for r, c in zip(rows, cols, strict=True)}
        last = step.index == plan.count - 1
        self.output_padding_marked = set()
        if last and extra.any():
            for r, c in zip(*np.nonzero(extra), strict=False):
                self.output_padding_marked.add((int(r), int(c)))
                self._outline(painter, geometry, _less(geometry, (r, c)), OUTPUT_PADDING_EDGE, 3)
        labels = {}
        for t in mine:
            c = _cell(t.position, plan.dims, before)
            sign = "+" if t.contribution >= 0 else ""
            labels[c] = sign + fmt_num(t.contribution, 2)
            self._outline(painter, geometry, c, PADDING_EDGE if t.cropped else TAP_EDGE, 3)
        self._label_cells(painter, geometry, labels, TAP_EDGE)
        self._legend(painter, area, extra.any())

    def _legend(self, painter, area: QRectF, output_padding: bool) -> None:
        """The key under the output: the overlap tints, and on a line of its own the
        output_padding mark (shown at the last step)."""
        metrics = painter.fontMetrics()
        h = metrics.height() + 6
        y = area.bottom() - h * (2 if output_padding else 1)
        x = area.x()
        base = metrics.ascent() + 3
        painter.setPen(TITLE)
        painter.drawText(QPointF(x, y + base), "written by")
        x += metrics.horizontalAdvance("written by ") + 2
        for n, tint in enumerate(OVERLAP_TINTS, start=2):
            box = QRectF(x, y + 4, h - 8, h - 8)
            painter.fillRect(box, EMPTY)
            painter.fillRect(box, tint)
            x += h - 4
            text = f"{n}+" if n == 4 else str(n)
            painter.setPen(TITLE)
            painter.drawText(QPointF(x, y + base), text)
            x += metrics.horizontalAdvance(text + "  ")
        painter.drawText(QPointF(x, y + base), "input positions")
        if output_padding:
            y += h
            box = QRectF(area.x(), y + 4, h - 8, h - 8)
            painter.setPen(QPen(OUTPUT_PADDING_EDGE, 2))
            painter.drawRect(box)
            painter.setPen(TITLE)
            text = "output_padding (at the last step)"
            room = int(area.width() - h)
            painter.drawText(
                QPointF(area.x() + h - 4, y + base),
                metrics.elidedText(text, Qt.TextElideMode.ElideRight, room),
            )

    # ---------------------------------------------------------------- drawing pieces
    def _draw_grid(
        self,
        painter,
        area,
        name,
        title,
        values,
        before,
        focus,
        limit,
        padded=False,
        after=None,
        tints=None,
    ) -> GridGeometry:
        """Cells of ``values`` (2D; −inf cells empty) with ``before`` padding rows/columns,
        zoomed around ``focus`` (a grid cell) when the whole grid does not fit. Static grids
        (every name but "accumulated") are painted from cached tiles."""
        before = tuple(before) if len(before) == 2 else (0, *before)
        font = QFont(self.font())
        painter.setFont(font)
        line_h = painter.fontMetrics().height() + 6
        rows, cols = values.shape
        lines = self._title_lines(painter, title, area.width() - 3 * line_h)
        self.titles[name] = title
        self.title_lines[name] = lines
        title_h = line_h * max(len(lines), self._title_rows)
        legend = line_h * self._legend_rows if name == "accumulated" else 0
        body = area.adjusted(0, title_h, 0, -legend)
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
        cell = max(int(cell), 4)  # whole pixels: tiles meet without seams
        painter.setPen(TITLE)
        for i, text in enumerate(lines):
            painter.drawText(
                QRectF(area.x(), area.y() + i * line_h, area.width(), line_h),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                text,
            )
        origin = QPointF(round(body.x() + (body.width() - shown[1] * cell) / 2), round(body.y()))
        geometry = GridGeometry(origin, cell, first, shown, before)
        self.geometry_of[name] = geometry
        small = QFont(font)
        # "−0.00" (five characters, about 4 points wide per point of size) fits the cell
        small.setPointSizeF(max(6.5, min(font.pointSizeF(), cell / 3.6, (cell - 6) / 4.2)))
        if after is None:
            after = _after(self.plan, name)
        pad = _padding_mask(values.shape, before, after) if padded else None
        if self.cached and name != "accumulated":
            self._paint_tiles(painter, name, geometry, values, pad, limit, small)
        else:
            self._paint_cells(painter, values, pad, limit, small, first, shown, origin, cell, tints)
        if zoomed:
            line = QRectF(area.x(), area.y(), area.width(), line_h)
            self._overview(painter, line, (rows, cols), first, shown)
        painter.setFont(font)
        return geometry

    @staticmethod
    def _title_lines(painter, title: str, room: float) -> list[str]:
        """The title on one line when it fits beside the overview, else wrapped at its
        parts (``"   "``); a part still too long for a line is shortened with …"""
        metrics = painter.fontMetrics()
        if metrics.horizontalAdvance(title) <= room:
            return [title]
        lines: list[str] = []
        for part in title.split("   "):
            joined = f"{lines[-1]}   {part}" if lines else part
            if lines and metrics.horizontalAdvance(joined) <= room:
                lines[-1] = joined
            else:
                lines.append(part)
        return [metrics.elidedText(t, Qt.TextElideMode.ElideRight, int(room)) for t in lines]

    def _paint_tiles(self, painter, name, geometry, values, pad, limit, font) -> None:
        """The shown cells from cached tiles (made on first sight)."""
        cell, first, shown = geometry.cell, geometry.first, geometry.shown
        dpr = self.devicePixelRatioF()
        key = (cell, font.key(), limit, dpr, pad is not None, values.shape, geometry.offset)
        tiles = self._tiles.get(name)
        if tiles is None or tiles.key != key:
            tiles = self._tiles[name] = _Tiles(
                key,
                _tile_renderer(
                    values, pad, limit, font, cell, dpr, round(self.logicalDpiX() / 0.0254)
                ),
            )
        ox, oy = geometry.origin.x(), geometry.origin.y()
        painter.save()
        painter.setClipRect(QRectF(ox, oy, shown[1] * cell, shown[0] * cell))
        rows = range(first[0] // TILE, (first[0] + shown[0] - 1) // TILE + 1)
        cols = range(first[1] // TILE, (first[1] + shown[1] - 1) // TILE + 1)
        for tr in rows:
            for tc in cols:
                x = ox + (tc * TILE - first[1]) * cell
                y = oy + (tr * TILE - first[0]) * cell
                painter.drawImage(QPointF(x, y), tiles.get((tr, tc)))
        painter.restore()
        n_r, n_c = -(-values.shape[0] // TILE), -(-values.shape[1] // TILE)
        for tr in range(max(rows.start - 1, 0), min(rows.stop + 1, n_r)):
            for tc in range(max(cols.start - 1, 0), min(cols.stop + 1, n_c)):
                if tr not in rows or tc not in cols:
                    self._around.append((tiles, (tr, tc)))

    @staticmethod
    def _paint_cells(
        painter, values, pad, limit, font, first, shown, origin, cell, tints=None
    ) -> None:
        """Cells ``first`` … ``first + shown`` of ``values``: colour, padding hatch, the
        overlap tint of a count above 1 in ``tints`` (under the value), value."""
        painter.setFont(font)
        # the hatch follows the grid (the same in a tile and drawn in place)
        painter.setBrushOrigin(QPointF(origin.x() - first[1] * cell, origin.y() - first[0] * cell))
        rows = slice(first[0], first[0] + shown[0])
        cols = slice(first[1], first[1] + shown[1])
        block = values[rows, cols]
        # every cell's fill in one image: a Qt call per cell held the GIL long enough (on
        # the worker making tiles) to stall the GUI thread's paint by ~150 ms
        fills = _cell_image(colours_of(block, limit), cell, colours().plot)
        painter.drawImage(QRectF(origin.x(), origin.y(), shown[1] * cell, shown[0] * cell), fills)
        hatch = QBrush(QColor(240, 180, 41, 60), Qt.BrushStyle.BDiagPattern)
        dashed = QPen(PADDING_EDGE, 1, Qt.PenStyle.DashLine)

        def rect_of(r, c):
            return QRectF(origin.x() + c * cell, origin.y() + r * cell, cell, cell)

        if pad is not None:
            painter.setPen(dashed)
            for r, c in zip(*np.nonzero(pad[rows, cols]), strict=True):
                rect = rect_of(r, c)
                painter.fillRect(rect.adjusted(1, 1, -1, -1), hatch)
                painter.drawRect(rect.adjusted(2, 2, -2, -2))
        if tints is not None:
            counts = tints[rows, cols]
            for r, c in zip(*np.nonzero(counts > 1), strict=True):
                tint = OVERLAP_TINTS[min(int(counts[r, c]), 4) - 2]
                painter.fillRect(rect_of(r, c).adjusted(1, 1, -1, -1), tint)
        if cell >= TEXT_CELL:
            painter.setPen(QColor(245, 245, 245))  # on the data colours, in every theme
            for r, c in zip(*np.nonzero(np.isfinite(block)), strict=True):
                text = fmt_num(float(block[r, c]), 2)
                painter.drawText(rect_of(r, c), Qt.AlignmentFlag.AlignCenter, text)

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


def _tile_renderer(values, pad, limit, font, cell: int, dpr: float, dpm: int):
    """``render(tile)``: the QImage of one tile of a static grid (any thread may call it)."""

    def render(tile):
        r0, c0 = tile[0] * TILE, tile[1] * TILE
        n_r, n_c = min(TILE, values.shape[0] - r0), min(TILE, values.shape[1] - c0)
        size = (round(n_c * cell * dpr), round(n_r * cell * dpr))
        image = QImage(*size, QImage.Format.Format_RGB32)
        image.setDevicePixelRatio(dpr)
        image.setDotsPerMeterX(dpm)
        image.setDotsPerMeterY(dpm)
        image.fill(BACKGROUND)
        p = QPainter(image)
        StepCanvas._paint_cells(
            p, values, pad, limit, font, (r0, c0), (n_r, n_c), QPointF(0, 0), cell
        )
        p.end()
        return image

    return render


def _cell_image(rgb: np.ndarray, cell: int, gap: str) -> QImage:
    """Cells of colours ``rgb`` (rows, cols, 3) as an image of ``cell`` px each, a 1 px
    ``gap`` coloured edge round every cell (what one fillRect per inner cell drew)."""
    n_r, n_c = rgb.shape[:2]
    image = np.empty((n_r * cell, n_c * cell, 4), np.uint8)
    image[..., :3] = np.repeat(np.repeat(rgb[..., ::-1], cell, axis=0), cell, axis=1)
    image[..., 3] = 255
    edge = np.zeros(cell, bool)
    edge[[0, -1]] = True
    image[np.tile(edge, n_r), :, :3] = rgb_of(gap)[::-1]
    image[:, np.tile(edge, n_c), :3] = rgb_of(gap)[::-1]
    height, width = image.shape[:2]
    return QImage(image.data, width, height, width * 4, QImage.Format.Format_RGB32).copy()


def _as_2d(array: np.ndarray) -> np.ndarray:
    return array[None] if array.ndim == 1 else array


def _pad_before(plan) -> tuple[int, ...]:
    return tuple(b for b, _ in plan.padding)


def _pad_tuple(pad) -> tuple[int, ...]:
    return tuple(pad)


def _two(cells) -> tuple[int, int]:
    cells = tuple(cells)
    return cells if len(cells) == 2 else (0, *cells)


def _less(geometry: GridGeometry, cell) -> tuple[int, int]:
    """A cell of the full grid (padding first) as the grid cell ``_cell`` would give."""
    return int(cell[0]) - geometry.offset[0], int(cell[1]) - geometry.offset[1]


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
