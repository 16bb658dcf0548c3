"""One layer's maps: a title, then its channels (a tiled image or stacked traces) with a
colour bar, or the engine's error message in red where the maps would be.

The widget only draws what a :class:`gui.compute.display.LayerDisplay` holds (its ``display``;
not ``render``, which would shadow ``QWidget.render``); it maps the cursor back to (channel,
position) with the same layout numbers and reports it, and it never computes shapes or
receptive fields itself.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import (
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gui.compute.colormaps import background, lookup_table, overlay_table
from gui.compute.display import LayerDisplay, grid_for
from gui.lab.maps.colour_bar import ColourBar
from gui.widgets.indexed_image import IndexedImageItem
from gui.widgets.rf_outline import attach_outline
from gui.widgets.themes import colours, set_tone, signals

TRACE_WIDTH = 1.5
ERROR_STYLE = "font-size: 15px; padding: 6px 10px;"  # the colour: the theme's error tone


def canvas_height(shape: tuple[int, ...] | None, tile_px: int, max_columns: int) -> int:
    """The canvas height for a layer output of ``shape``: tiles ``tile_px`` big for 2D maps
    (at most ``max_columns`` in a row), a height by channel count for traces."""
    if not shape:
        return 40
    if len(shape) == 3:
        c, h, w = shape
        rows, _ = grid_for(c, max_columns)
        tile_h = max(8, round(tile_px * h / max(h, w)))
        return rows * tile_h + (rows - 1) * 2 + 8
    if len(shape) == 1:
        return 56
    c = shape[0]
    return int(min(420, max(60, c * max(18, min(36, 360 // max(c, 1))) + 30)))


DROPPED_RGBA = (230, 0, 180, 235)  # a dropout mask's dropped units: in no colormap

_DROPPED_TABLE: list = []


def _dropped_table() -> np.ndarray:
    """(256, 4): index 1 (a dropped unit) opaque magenta, everything else transparent."""
    if not _DROPPED_TABLE:
        _DROPPED_TABLE.append(overlay_table(DROPPED_RGBA))
    return _DROPPED_TABLE[0]


class MapViewBox(pg.ViewBox):
    """A ViewBox where the plain wheel scrolls the page and Ctrl+wheel zooms."""

    def wheelEvent(self, ev, axis=None):  # noqa: N802 - Qt's name
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().wheelEvent(ev, axis)
        else:
            ev.ignore()


class MapCanvas(pg.GraphicsLayoutWidget):
    """The graphics view of one layer; says when it has painted (for latency measurement)."""

    painted = Signal()

    def paintEvent(self, ev):  # noqa: N802 - Qt's name
        super().paintEvent(ev)
        self.painted.emit()


class LayerMap(QWidget):
    """The maps of one layer (or of the network input).

    Signals
    -------
    hovered(object)
        ``(channel, position)`` under the cursor, or None when it leaves the maps.
    clicked(object)
        ``(channel, position)`` clicked.
    zoomChanged(bool)
        The reader zoomed into the 2D maps (True: less than 90% of the layer in view, when
        the maps deserve full resolution) or back out (False).
    """

    hovered = Signal(object)
    clicked = Signal(object)
    zoomChanged = Signal(bool)

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = name
        self.display: LayerDisplay | None = None
        self._colormap = "auto"
        self._cmap_key: tuple | None = None
        self._layout_key: tuple | None = None
        self._curves: list[pg.PlotDataItem] = []
        self._curve_width = TRACE_WIDTH
        self._overlay_source: np.ndarray | None = None  # the overlay array shown now
        self._bar_wanted = True
        self._image_rect = QRectF()
        self._overlay_rect = QRectF()  # where a receptive-field overlay goes (scene units)
        self._full_rect = QRectF()  # the whole layer, in scene units
        self.zoomed = False

        layout = QVBoxLayout(self)
        # tight: the whole reference network fits a lecture screen (MapsView._tile_to_fit)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(1)
        self.title = QLabel(name)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setObjectName("layerTitle")
        self.error_label = QLabel()
        self.error_label.setStyleSheet(ERROR_STYLE)
        set_tone(self.error_label, "error")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        self.canvas = MapCanvas()
        self.canvas.setBackground(QColor(*background()))
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.canvas.ci.setContentsMargins(2, 2, 2, 2)
        self.canvas.ci.setSpacing(6)
        self.view = MapViewBox(invertY=True, lockAspect=True, enableMenu=False)
        self.view.setDefaultPadding(0.0)
        self.canvas.addItem(self.view, 0, 0)
        self._build_items()
        # laptop15: the receptive field's outline, visible at any zoom (set_rf_outline)
        self.rf_outline = attach_outline(self.view)
        self._rf_mask = None
        # The colour bar is a widget of its own: inside the maps' canvas every image update
        # repainted it too (a few ms per edit over all layers).
        self.colorbar = ColourBar()
        self.colorbar.setFixedWidth(self.colorbar.preferred_width())
        self.view.sigRangeChanged.connect(self._range_changed)
        self.canvas.scene().sigMouseMoved.connect(self._mouse_moved)
        self.canvas.scene().sigMouseClicked.connect(self._mouse_clicked)
        self.canvas.viewport().installEventFilter(self)
        signals.changed.connect(self._follow_theme)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.canvas)
        row.addWidget(self.colorbar)
        row.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.error_label)
        layout.addLayout(row)

    def _build_items(self) -> None:
        """The items in the view: the maps' image, the receptive field's overlay, the probe's
        marker and a dropout layer's dropped units."""
        self.image = IndexedImageItem(axisOrder="row-major")
        self.overlay = IndexedImageItem(axisOrder="row-major")
        self.overlay.setZValue(10)
        self.overlay.hide()
        self.marker = QGraphicsRectItem()
        pen = QPen(QColor(255, 215, 0))
        pen.setCosmetic(True)
        pen.setWidth(2)
        self.marker.setPen(pen)
        self.marker.setZValue(20)
        self.marker.hide()
        # A dropout layer in training mode: its dropped units on top of the maps.
        self.dropped = IndexedImageItem(axisOrder="row-major")
        self.dropped.setZValue(5)
        self.dropped.hide()
        self.dropped_points = pg.ScatterPlotItem(
            size=6, pen=None, brush=pg.mkBrush(*DROPPED_RGBA), symbol="x"
        )
        self.dropped_points.setZValue(5)
        self.dropped_points.hide()
        for item in (self.image, self.overlay, self.marker, self.dropped, self.dropped_points):
            self.view.addItem(item)

    # ------------------------------------------------------------ content
    @property
    def colormap_name(self) -> str:
        return self._colormap

    def set_title(self, html: str) -> None:
        self.title.setText(html)

    def set_error(self, text: str | None) -> None:
        """Show the engine's message in place of the maps (None: show the maps)."""
        self.error_label.setText(text or "")
        self.error_label.setVisible(bool(text))
        self.canvas.setVisible(not text)
        self.colorbar.setVisible(not text and self._bar_wanted)

    @property
    def shows_error(self) -> bool:
        """The engine's message stands in for the maps (also before the map is shown)."""
        return self.error_label.isVisibleTo(self)

    @property
    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisible() else ""

    def set_height_for(
        self, shape: tuple[int, ...] | None, tile_px: int, max_columns: int, width: int
    ):
        """Size the canvas for a layer output of ``shape`` shown with tiles ``tile_px`` big.

        2D maps get exactly the width their tiles need (left-aligned, colour bar beside);
        traces and vectors use the full ``width``.
        """
        self._bar_wanted = not shape or len(shape) != 2  # traces have no colour scale
        self.colorbar.setVisible(self._bar_wanted and self.canvas.isVisibleTo(self))
        if self._bar_wanted:
            width -= self.colorbar.width()
        if not shape:
            self.canvas.setMinimumWidth(0)
            self.canvas.setMaximumWidth(width)
            self._set_heights(canvas_height(shape, tile_px, max_columns))
            return
        if len(shape) == 3:
            c, h, w = shape
            _, cols = grid_for(c, max_columns)
            tile_w = max(8, round(tile_px * w / max(h, w)))
            self.canvas.setFixedWidth(min(width, cols * tile_w + (cols - 1) * 2 + 8))
        else:
            self.canvas.setFixedWidth(width)
        self._set_heights(canvas_height(shape, tile_px, max_columns))

    def chrome_height(self) -> int:
        """This map's height besides its canvas (title, margins; an error message in its
        place): set_height_for's canvas plus this is the whole map."""
        layout = self.layout()
        margins = layout.contentsMargins()
        height = margins.top() + self.title.sizeHint().height() + layout.spacing()
        if self.shows_error:
            height += self.error_label.heightForWidth(max(self.width(), 200))
        return height + margins.bottom()

    def _set_heights(self, height: int) -> None:
        self.canvas.setFixedHeight(height)
        self.colorbar.setFixedHeight(height)

    def apply(self, render: LayerDisplay, colormap_name: str) -> None:
        """Draw ``render`` (the layer's display data from the compute worker)."""
        self.display = render
        self._colormap = colormap_name
        if render.kind in ("map2d", "vector"):
            self._apply_image(render)
        elif render.kind == "traces":
            self._apply_traces(render)
        else:
            self.image.clear()
            self._set_curves(0)
        self._apply_dropped(render)
        self._place_rf_outline()  # laptop15: the layout may have changed
        cmap_key = (colormap_name, render.symmetric)
        if cmap_key != self._cmap_key:
            self._cmap_key = cmap_key
            self.colorbar.set_table(lookup_table(colormap_name, render.symmetric))
        self.colorbar.set_levels(render.levels)

    def _apply_image(self, r: LayerDisplay) -> None:
        self._set_curves(0)
        lut = lookup_table(self._colormap, r.symmetric)
        # The worker's colours count only if made with the colormap shown now.
        self.image.setIndexed(r.image, lut, r.rgb if r.colormap == self._colormap else None)
        h, w = r.image.shape
        f = r.factor
        # Scene units are the layer's own positions: one displayed pixel spans f of them.
        rect = QRectF(0, 0, w * f, h * f)
        # laptop15: pyqtgraph's setRect scales by the image's size at the time: a new image
        # size in the same rect (another factor, e.g. tiles resized) needs it again, or the
        # layer is drawn at the old scale (the input shown in a quarter of its place)
        if rect != self._image_rect or (h, w) != getattr(self, "_image_hw", None):
            self._image_rect = rect
            self._image_hw = (h, w)
            self.image.setRect(rect)
            self._place_overlay(rect)
        # A new layout shows the whole layer; the same layout at another resolution (zooming
        # in asks for full resolution) keeps the view where the reader put it.
        key = (r.kind, r.shape, r.grid, r.pitch)
        if key != self._layout_key:
            self._layout_key = key
            self.view.setAspectLocked(r.kind == "map2d")
            self.view.invertY(True)
            self._full_rect = rect
            self.view.setRange(rect, padding=0)

    def _apply_traces(self, r: LayerDisplay) -> None:
        self.image.clear()
        traces = r.traces
        c, length = traces.shape
        # A peak envelope (a long trace) is drawn with a 1 px pen: Qt strokes a wider pen
        # through its slow path (about 6x the time for a few thousand points).
        self._set_curves(c, 1.0 if r.trace_x is not None else TRACE_WIDTH)
        x = r.trace_x if r.trace_x is not None else np.arange(length, dtype=np.float32)
        length = r.shape[1]  # the layer's own length (traces may be its peak envelope)
        for i, curve in enumerate(self._curves):
            curve.setData(x, traces[i] * -1.0 + i)  # inverted y: channel 0 on top, up is up
        key = (r.kind, r.shape)
        if key != self._layout_key:
            self._layout_key = key
            self.view.setAspectLocked(False)
            self.view.invertY(True)
            self._place_overlay(QRectF(-0.5, -0.5, length, c))
            self.view.setRange(QRectF(-0.5, -0.55, length, c + 0.1), padding=0)

    def _follow_theme(self, _name: str = "") -> None:
        self.canvas.setBackground(QColor(*background()))
        for curve in self._curves:
            curve.setPen(pg.mkPen(colours().text, width=self._curve_width))

    def _set_curves(self, n: int, width: float = TRACE_WIDTH) -> None:
        while len(self._curves) > n:
            self.view.removeItem(self._curves.pop())
        if n and width != self._curve_width:
            for curve in self._curves:
                curve.setPen(pg.mkPen(colours().text, width=width))
        self._curve_width = width
        while len(self._curves) < n:
            curve = pg.PlotDataItem(pen=pg.mkPen(colours().text, width=width))
            self.view.addItem(curve)
            self._curves.append(curve)

    # --- laptop15 block: the receptive field's outline ----------------------------------
    def set_rf_outline(self, mask: np.ndarray | None) -> None:
        """Outline the receptive field ``mask`` (this layer's spatial grid, the engine's) in
        every channel's tile, at least a few screen pixels big; None hides it."""
        self._rf_mask = mask
        self._place_rf_outline()

    def _place_rf_outline(self) -> None:
        from gui.widgets.rf_outline import mask_bounds

        r, mask = self.display, self._rf_mask
        bounds = mask_bounds(mask) if mask is not None else None
        if bounds is None or r is None or r.kind != "map2d" or mask.shape != r.shape[1:]:
            self.rf_outline.set_rects([])
            return
        top, left, bottom, right = bounds
        rows, cols = r.grid
        py, px = r.pitch
        rects = [
            QRectF((i % cols) * px + left, (i // cols) * py + top, right - left, bottom - top)
            for i in range(r.shape[0])
        ]
        self.rf_outline.refit_now()
        self.rf_outline.set_rects(rects)

    # --- end laptop15 block ------------------------------------------------------------
    def set_overlay(self, overlay: np.ndarray | None) -> None:
        """Highlight a receptive field (display-layout uint8 from the worker), or hide it."""
        if overlay is None or self.display is None or self.display.kind == "missing":
            self.overlay.hide()
            self.set_rf_outline(None)  # laptop15
            self._overlay_source = None
            return
        expected = self._overlay_shape()
        if expected is not None and overlay.shape != expected:
            self.overlay.hide()  # made for another layout; a fresh one is on its way
            self._overlay_source = None
            return
        if overlay is self._overlay_source and self.overlay.isVisible():
            return  # the same receptive field (a weight edit): nothing to draw again
        self._overlay_source = overlay
        self.overlay.setImage(overlay, levels=(0, 255), lut=overlay_table(), autoLevels=False)
        self._place_overlay(self._overlay_rect)

    def _place_overlay(self, rect: QRectF) -> None:
        # pyqtgraph's setRect scales by the image's size at the time: place the overlay
        # again after each new overlay image (set before the first one, the 1D highlight
        # was never placed at all) and each new layout.
        self._overlay_rect = rect
        if self.overlay.image is not None:
            self.overlay.setRect(rect)
        self.overlay.show()

    def _overlay_shape(self) -> tuple[int, ...] | None:
        r = self.display
        if r is None:
            return None
        if r.kind in ("map2d", "vector"):
            return r.image.shape
        if r.kind == "traces":
            return (1, r.shape[1])
        return None

    def _apply_dropped(self, r: LayerDisplay) -> None:
        """Mark a dropout mask's dropped units (magenta), or hide the marks."""
        marks = r.dropped
        if marks is None:
            self.dropped.hide()
            self.dropped_points.hide()
            return
        if r.kind == "traces":
            self.dropped.hide()
            channel, position = np.nonzero(marks)
            self.dropped_points.setData(position.astype(np.float32), channel.astype(np.float32))
            self.dropped_points.show()
            return
        self.dropped_points.hide()
        self.dropped.setImage(marks, levels=(0, 255), lut=_dropped_table(), autoLevels=False)
        self.dropped.setRect(self._image_rect)
        self.dropped.show()

    def set_marker(self, channel: int | None, position: tuple[int, ...] | None) -> None:
        """Outline the probed position (in its channel's tile), or hide the outline."""
        r = self.display
        if channel is None or r is None or r.kind == "missing":
            self.marker.hide()
            return
        if r.kind == "map2d":
            _, cols = r.grid
            f = r.factor
            py, px = r.pitch
            row, col = divmod(channel, cols)
            y = row * py + (position[0] // f) * f
            x = col * px + (position[1] // f) * f
            self.marker.setRect(QRectF(x, y, f, f))
        elif r.kind == "traces":
            self.marker.setRect(QRectF(position[0] - 0.5, channel - 0.5, 1, 1))
        else:
            self.marker.setRect(QRectF(position[0], 0, 1, 1))
        self.marker.show()

    def _range_changed(self, *_args) -> None:
        full = self._full_rect
        shown = self.view.viewRect()
        zoomed = (
            self.display is not None
            and self.display.kind == "map2d"
            and full.width() > 0
            and (shown.width() < 0.9 * full.width() or shown.height() < 0.9 * full.height())
        )
        if zoomed != self.zoomed:
            self.zoomed = zoomed
            self.zoomChanged.emit(zoomed)

    # ------------------------------------------------------------ pointer
    def locate(self, x: float, y: float) -> tuple[int, tuple[int, ...]] | None:
        """(channel, position) under scene-view coordinates (x, y), or None (gap, outside)."""
        r = self.display
        if r is None or r.kind == "missing":
            return None
        if r.kind == "map2d":
            c, h, w = r.shape
            rows, cols = r.grid
            th, tw = r.tile
            f = r.factor
            py, px = r.pitch
            if x < 0 or y < 0:
                return None
            col, ox = divmod(x, px)
            row, oy = divmod(y, py)
            col, row = int(col), int(row)
            if col >= cols or row >= rows or ox >= tw * f or oy >= th * f:
                return None
            channel = row * cols + col
            if channel >= c:
                return None
            # The last displayed block may be narrower than f: it is still that block.
            return channel, (min(int(oy), h - 1), min(int(ox), w - 1))
        if r.kind == "traces":
            c, length = r.shape
            i, ch = int(round(x)), int(round(y))
            if 0 <= i < length and 0 <= ch < c:
                return ch, (i,)
            return None
        d = r.shape[0]
        i = int(x)
        return (0, (i,)) if 0 <= x and i < d and 0 <= y < 1 else None

    def _mouse_moved(self, pos: QPointF) -> None:
        if not self.view.sceneBoundingRect().contains(pos):
            self.hovered.emit(None)
            return
        p = self.view.mapSceneToView(pos)
        self.hovered.emit(self.locate(p.x(), p.y()))

    def _mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        p = self.view.mapSceneToView(event.scenePos())
        hit = self.locate(p.x(), p.y())
        if hit is not None:
            self.clicked.emit(hit)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == event.Type.Leave:
            self.hovered.emit(None)
        return False
