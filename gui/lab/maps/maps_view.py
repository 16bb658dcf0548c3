"""The layer maps in the middle of the window: every layer's channels, top to bottom.

Binds to the document (titles, errors, probe, view settings) and to the scheduler's
results (images, traces, receptive-field overlays). Hovering a map sets the document's
probe; clicking pins it (hovering elsewhere no longer moves it) until the next click.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from engine.spec import INPUT
from engine.stepthrough import STEPPABLE
from gui.compute.display import DisplayHint
from gui.compute.scheduler import ComputeResult, ComputeScheduler, LayerResult, ReceptiveResult
from gui.lab.maps.colour_bar import colour_bar_width
from gui.lab.maps.layer_map import LayerMap, canvas_height
from gui.lab.maps.map_visibility import MapVisibility
from gui.state.document import COLORMAPS, STEP_THROUGH_VIEW, Document, Probe
from gui.widgets.flow_layout import FlowLayout
from gui.widgets.themes import colours, signals

MIN_TILE, MAX_TILE = 40, 200
# The smallest tile the view shrinks to so that every layer fits its height without
# scrolling (a lecture screen shows the whole network); below it the column scrolls.
MIN_FIT_TILE = 48
# --- laptop15: readable tiles on small screens and in presentation mode -------------------
# When the whole network cannot fit, the tiles are sized so that at least this many layers
# show at once (a laptop, a projector), never below the smallest readable tile; presentation
# mode scales the tile bounds (set_tile_scale).
VISIBLE_LAYERS = 3
MIN_READABLE_TILE = 40
PRESENTATION_TILE_SCALE = 1.5
HOVER_HINT = "Hover a map to read a value"
# the widest values "{:.3g}" writes for a float32 (the exponent has two digits)
WIDEST_VALUES = ("-0.000888", "-8.88e-08", "-8.88e+08")


def largest_fitting(smallest: int, widest: int, fits) -> int | None:
    """The largest tile in [smallest, widest] for which ``fits(tile)`` holds, or None.

    ``fits`` must be monotone (a canvas never shrinks as its tiles grow: canvas_height is
    non-decreasing in the tile), so a bisection finds it in O(log(widest - smallest)) calls
    instead of one call per tile size (the linear search took ~40 ms on the GUI thread
    after a big load).
    """
    if widest < smallest or not fits(smallest):
        return None
    low, high = smallest, widest  # fits(low) holds; the answer is in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _shape_text(shape) -> str:
    return " × ".join(str(s) for s in shape) if shape else "?"


def readout_text(layer: str, index, value: float | None = None) -> str:
    """The readout: compact index notation, channel first (as the formula box writes it)."""
    text = f"{layer}[{','.join(str(i) for i in index)}]"
    return text if value is None else f"{text} = {value:.3g}"


class Readout(QLabel):
    """The hovered value. It asks for the width of the longest text the network can give
    (:meth:`reserve`), in its current font, so a value never loses digits and the bar does
    not jump while the pointer moves."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(HOVER_HINT, parent)
        self.setObjectName("readout")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._longest: tuple[str, ...] = (HOVER_HINT,)

    def reserve(self, texts) -> None:
        """Make room for each of ``texts`` (the longest readouts there can be)."""
        self._longest = (HOVER_HINT, *texts)
        self.updateGeometry()

    def reserved_width(self) -> int:
        metrics = self.fontMetrics()
        margins = self.contentsMargins()
        text = max(metrics.horizontalAdvance(t) for t in self._longest)
        return text + 2 * self.margin() + margins.left() + margins.right() + 2

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().sizeHint()
        return QSize(max(hint.width(), self.reserved_width()), hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        return QSize(max(hint.width(), self.reserved_width()), hint.height())


class MapsView(QWidget):
    """All layer maps, scrolling vertically.

    Signals
    -------
    applied(int)
        A result's generation, after its images were handed to the layer maps.
    repainted(int)
        A result's generation, after every visible layer map painted it.
    """

    applied = Signal(int)
    repainted = Signal(int)

    def __init__(
        self, document: Document, scheduler: ComputeScheduler, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.document = document
        self.scheduler = scheduler
        self.maps: dict[str, LayerMap] = {}
        self._pinned = False
        self._unpainted: set[str] = set()  # layers given new images not painted yet
        self._paint_generation = -1  # the result whose repaint is awaited (-1: none)
        self._last_hover: Probe | None = None
        self.tile_scale = 1.0  # laptop15: presentation mode's larger tiles

        self.colormap_box = QComboBox()
        self.colormap_box.addItems(COLORMAPS)
        self.colormap_box.setToolTip(
            "Colours: 'auto' is blue-white-red around zero for "
            "signed layers, viridis for non-negative ones"
        )
        self.shared_box = QCheckBox("Shared levels")
        self.shared_box.setToolTip("One colour scale for all layers instead of one per layer")
        self.rf_box = QCheckBox("Receptive field")
        self.rf_box.setToolTip("Highlight what the hovered output depends on, in every layer")
        self.readout = Readout()
        colours = QWidget()  # the label stays beside its combo when the bar wraps
        pair = QHBoxLayout(colours)
        pair.setContentsMargins(0, 0, 0, 0)
        pair.addWidget(QLabel("Colours"))
        pair.addWidget(self.colormap_box)
        # The controls, then the readout; a narrow view (laptop, presentation fonts) moves
        # the readout (then the check boxes) onto a row of its own instead of clipping it.
        self.bar = QWidget()
        bar = FlowLayout(self.bar, spacing=14, row_spacing=2)
        bar.setContentsMargins(8, 4, 8, 4)
        for widget in (colours, self.shared_box, self.rf_box, self.readout):
            bar.addWidget(widget)

        self._inner = QWidget()
        self._column = QVBoxLayout(self._inner)
        self._column.setContentsMargins(8, 0, 8, 4)
        self._column.setSpacing(4)
        self._column.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self._inner)
        # the tiles follow the viewport's size (the bar above it may change its height)
        self.scroll.viewport().installEventFilter(self)
        self.visibility = MapVisibility(self.scroll, scheduler, self)
        self._hint_timer = QTimer(self, singleShot=True, interval=0)
        self._hint_timer.timeout.connect(self._send_hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.bar)
        layout.addWidget(self.scroll, 1)

        self.colormap_box.currentTextChanged.connect(lambda name: document.set_view(colormap=name))
        self.shared_box.toggled.connect(lambda on: document.set_view(shared_levels=on))
        self.rf_box.toggled.connect(lambda on: document.set_view(show_receptive_field=on))
        # Titles, errors and sizes follow the analysis; weight edits leave them alone.
        document.specChanged.connect(self._sync_layers)
        signals.changed.connect(self._follow_theme)  # the titles' tones
        document.specChanged.connect(self._reserve_readout)
        document.viewChanged.connect(self._sync_view)
        document.probeChanged.connect(self._sync_probe)
        scheduler.traceReady.connect(self._apply_result)
        scheduler.layerReady.connect(self._apply_layer)
        scheduler.receptiveReady.connect(self._apply_receptive)

        self._sync_view()
        self._sync_layers()
        self._reserve_readout()
        if scheduler.latest is not None:
            self._apply_result(scheduler.latest)

    # ------------------------------------------------------------ layers
    def layer_names(self) -> list[str]:
        return [INPUT, *self.document.spec.names()]

    def _follow_theme(self, _name: str) -> None:
        self._sync_layers()

    def _sync_layers(self) -> None:
        """Rebuild the column when layers change; refresh titles, errors and sizes."""
        names = self.layer_names()
        if list(self.maps) != names:
            for widget in self.maps.values():
                self._column.removeWidget(widget)
                # Hidden now: until Qt deletes it (the event loop's next pass, later when
                # it is busy) it would paint at its old place, its title over the new maps.
                widget.hide()
                widget.deleteLater()
            self.maps = {}
            for i, name in enumerate(names):
                widget = LayerMap(name)
                widget.hovered.connect(lambda hit, n=name: self._hovered(n, hit))
                widget.clicked.connect(lambda hit, n=name: self._clicked(n, hit))
                widget.canvas.painted.connect(lambda n=name: self._painted(n))
                widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
                widget.customContextMenuRequested.connect(
                    lambda pos, n=name, w=widget: self.popup(self.layer_menu(n), w.mapToGlobal(pos))
                )
                self._column.insertWidget(i, widget)
                self.maps[name] = widget
            self._unpainted.clear()  # those maps are gone; the new ones paint a fresh result
            self.visibility.set_maps(self.maps)
        analysis = self.document.analysis
        muted = colours().muted
        self.maps[INPUT].set_title(
            f"<b>input</b> &nbsp;<span style='color:{muted}'>"
            f"{_shape_text(self.document.input.shape)}"
            "</span>"
        )
        self.maps[INPUT].set_error(None)
        spec = self.document.spec
        for info in analysis.layers:
            widget = self.maps.get(info.name)
            if widget is None:
                continue
            layer = spec.layers[info.index]
            details = self._layer_details(layer)
            shape = _shape_text(info.out_shape) if info.out_shape is not None else "—"
            params = f" · {info.parameters:,} parameters" if info.parameters else ""
            widget.set_title(
                f"<b>{escape(info.name)}</b> &nbsp;<span style='color:{muted}'>{escape(details)}"
                f" &nbsp;→ {shape}{params}</span>"
            )
            widget.set_error(str(info.error) if info.error is not None else None)
        self._resize_maps()

    @staticmethod
    def popup(menu: QMenu, where) -> None:
        """Show ``menu`` at the global point ``where`` (its own event loop until it closes)."""
        menu.exec(where)

    def layer_menu(self, name: str) -> QMenu:
        """The context menu of a layer's maps: "Step through" for a layer that steps."""
        menu = QMenu(self)
        action = menu.addAction("Step through ▶")
        spec = self.document.spec
        steps = name != INPUT and name in spec.names() and spec.layer(name).type in STEPPABLE
        action.setEnabled(steps)
        action.setToolTip("Watch this layer's kernel slide over its input, step by step")
        action.triggered.connect(lambda: self.document.request_view(STEP_THROUGH_VIEW, name))
        return menu

    @staticmethod
    def _layer_details(layer) -> str:
        p = layer.params
        if layer.type == "conv":
            k = layer.param("kernel_size")
            extras = [f"{key} {p[key]}" for key in ("stride", "padding", "dilation") if key in p]
            return ", ".join([f"conv {k}", *extras])
        if layer.type == "activation":
            return layer.param("function")
        if layer.type == "upsample":
            return f"upsample ×{layer.param('scale_factor')} {layer.param('mode')}"
        if layer.type in ("max_pool", "avg_pool"):
            return f"{layer.type.replace('_', ' ')} {layer.param('kernel_size')}"
        if layer.type == "dropout":
            q = float(layer.param("p"))
            if not layer.param("train"):
                return f"dropout p {q:g} (off: values pass unchanged)"
            scale = "0" if q >= 1 else f"{1 / (1 - q):.3g}"
            return (
                f"dropout p {q:g}, training mode (seed {layer.param('seed')}): "
                f"magenta = dropped, survivors × {scale}"
            )
        return layer.type.replace("_", " ")

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._resize_maps()
        self.visibility.schedule()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Resize and watched is self.scroll.viewport():
            if event.size().height() != event.oldSize().height():
                self._resize_maps()
        return super().eventFilter(watched, event)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.visibility.schedule()

    def _resize_maps(self) -> None:
        hint = self.display_hint()
        # The worker hears the size once the layout has settled: a window's first layout
        # resizes the view several times (each size would be drawn, beside that layout).
        self._hint_timer.start()
        self._size_maps(hint)

    def _size_maps(self, hint: DisplayHint) -> None:
        self._sized_for = hint
        width = self.scroll.viewport().width() - 16
        for name, widget in self.maps.items():
            widget.set_height_for(
                self.document.layer_shape(name), hint.tile_px, hint.max_columns, width
            )

    def _send_hint(self) -> None:
        hint = self.display_hint()
        # laptop15: what the maps were sized for may be outdated (new fonts, a new tile
        # scale laid out after the resize): the maps' heights follow the hint sent
        if hint != getattr(self, "_sized_for", None):
            self._size_maps(hint)
        self.scheduler.set_display_hint(hint)

    @property
    def hint_pending(self) -> bool:
        """The view changed size and the worker has not been told yet (it will be in the
        event loop's next pass)."""
        return self._hint_timer.isActive()

    def display_hint(self) -> DisplayHint:
        """Tile size and columns that fit the current width, and the height too when every
        layer can fit with tiles of at least MIN_FIT_TILE (the worker downsamples to it);
        otherwise tiles with which VISIBLE_LAYERS layers show at once (_tile_for_rows)."""
        width = self.scroll.viewport().width() - 16 - colour_bar_width(self.fontMetrics())
        shapes = [self.document.layer_shape(n) for n in self.layer_names()]
        channels = max([s[0] for s in shapes if s and len(s) == 3] or [1])
        scale = self.tile_scale
        columns = 16
        while columns > 4 and width / columns < 56 * scale:
            columns //= 2
        across = min(columns, channels)
        tile = int(max(MIN_TILE, min(MAX_TILE * scale, (width - 2 * across) // max(across, 1))))
        fit = self._tile_to_fit(columns, tile, round(MIN_FIT_TILE * scale))
        # Traces (1D layers) are drawn across the width; other networks keep one hint
        # whatever the width (a scroll bar coming and going redraws nothing).
        traces = any(s and len(s) == 2 for s in shapes)
        trace_px = max(64, width) if traces else DisplayHint.trace_px
        if fit is not None:
            return DisplayHint(max_columns=columns, tile_px=fit, trace_px=trace_px)
        hint = self._tile_for_rows(width, channels) or DisplayHint(columns, tile)
        return replace(hint, trace_px=trace_px)

    # --- laptop15 block: tile scale and VISIBLE_LAYERS ------------------------------------
    def set_tile_scale(self, scale: float) -> None:
        """Tiles ``scale`` times the usual bounds (presentation mode: larger maps)."""
        if scale != self.tile_scale:
            self.tile_scale = scale
            self._resize_maps()

    def _tile_for_rows(self, width: int, channels: int) -> DisplayHint | None:
        """The largest tile (and its columns) with which the VISIBLE_LAYERS tallest layers
        fit the viewport's height together, tiles at least MIN_READABLE_TILE;
        None when no column count allows that."""
        margins = self._column.contentsMargins()
        room = self.scroll.viewport().height() - margins.top() - margins.bottom()
        chrome = max((w.chrome_height() for w in self.maps.values()), default=0)
        per_layer = room // VISIBLE_LAYERS - chrome - self._column.spacing()
        shapes = [
            self.document.layer_shape(name)
            for name, widget in self.maps.items()
            if not widget.shows_error
        ]
        smallest = MIN_READABLE_TILE  # at any scale: more layers beat bigger tiles
        best: DisplayHint | None = None
        for columns in (16, 8, 4):
            across = min(columns, channels)
            widest = int(min(MAX_TILE * self.tile_scale, (width - 2 * across) // max(across, 1)))
            tile = largest_fitting(
                smallest,
                widest,
                lambda t, c=columns: all(canvas_height(s, t, c) <= per_layer for s in shapes),
            )
            if tile is not None and (best is None or tile > best.tile_px):
                best = DisplayHint(max_columns=columns, tile_px=tile)
        return best

    # --- end laptop15 block ----------------------------------------------------------------
    def _tile_to_fit(self, columns: int, widest: int, smallest: int = MIN_FIT_TILE) -> int | None:
        """The largest tile, at most ``widest``, with which every layer fits the viewport's
        height; None when that would take tiles smaller than MIN_FIT_TILE."""
        margins = self._column.contentsMargins()
        room = self.scroll.viewport().height() - margins.top() - margins.bottom()
        room -= self._column.spacing() * (len(self.maps) - 1)
        room -= sum(widget.chrome_height() for widget in self.maps.values())
        shapes = [
            self.document.layer_shape(name)
            for name, widget in self.maps.items()
            if not widget.shows_error
        ]
        return largest_fitting(
            smallest,
            widest,
            lambda tile: sum(canvas_height(shape, tile, columns) for shape in shapes) <= room,
        )

    # ------------------------------------------------------------ results
    def _apply_result(self, result: ComputeResult) -> None:
        colormap = self.document.view.colormap
        errors = {name: str(err) for name, err in result.trace.errors.items()}
        changed = set()
        for name, widget in self.maps.items():
            render = result.display.get(name)
            if render is None:
                continue
            if render is not widget.display or colormap != widget.colormap_name:
                widget.apply(render, colormap)
                changed.add(name)
            if name in errors and not widget.error_text:
                widget.set_error(errors[name])
        self._sync_probe()
        # Layers drawn early (layerReady) may still be waiting for their paint, too.
        self._unpainted = {n for n in self._unpainted | changed if self._shows(n)}
        self._paint_generation = result.generation
        self.applied.emit(result.generation)
        self._maybe_repainted()

    def _apply_layer(self, result: LayerResult) -> None:
        """One layer of a pass still running: draw it now (the full result follows)."""
        widget = self.maps.get(result.name)
        if widget is None or result.display is widget.display:
            return
        widget.apply(result.display, self.document.view.colormap)
        if self._shows(result.name):
            self._unpainted.add(result.name)

    def _shows(self, name: str) -> bool:
        canvas = self.maps[name].canvas if name in self.maps else None
        # The viewport covers the whole graphics view, so the view's own visible region is
        # empty: ask the viewport, where the paint happens.
        return (
            canvas is not None
            and canvas.isVisible()
            and not canvas.viewport().visibleRegion().isEmpty()
        )

    def _painted(self, name: str) -> None:
        self._unpainted.discard(name)
        self._maybe_repainted()

    def _maybe_repainted(self) -> None:
        if self._paint_generation >= 0 and not self._unpainted:
            generation, self._paint_generation = self._paint_generation, -1
            self.repainted.emit(generation)

    def _apply_receptive(self, result: ReceptiveResult) -> None:
        show = self.document.view.show_receptive_field and result.probe == self.document.probe
        for name, widget in self.maps.items():
            widget.set_overlay(result.overlays.get(name) if show else None)
            if show:  # laptop15: an outline that a 1-3 px field cannot hide
                widget.set_rf_outline(result.masks.get(name))

    # ------------------------------------------------------------ probe
    def _probe_at(self, layer: str, hit) -> Probe | None:
        """The probe a hover or click at ``hit`` means, or None: a gap, outside the map, or a
        position the map shows but the document's layer no longer has (the map is from the
        pass before an edit). Pointing there is simply no probe, never an error message."""
        if hit is None:
            return None
        channel, position = hit
        probe = Probe(layer, int(channel), tuple(int(p) for p in position))
        return probe if self.document.probe_fits(probe) else None

    def _hovered(self, layer: str, hit) -> None:
        probe = self._probe_at(layer, hit)
        if probe is None:
            if self._last_hover is not None and self._last_hover.layer == layer:
                self._last_hover = None
                if not self._pinned:
                    self.document.set_probe(None)
            return
        self._last_hover = probe
        self._show_value(probe)
        if not self._pinned:
            self.document.set_probe(probe)

    def _clicked(self, layer: str, hit) -> None:
        probe = self._probe_at(layer, hit)
        if probe is None:
            return
        if self._pinned and probe == self.document.probe:
            self._pinned = False
        else:
            self._pinned = True
            self.document.set_probe(probe)

    def _show_value(self, probe: Probe) -> None:
        result = self.scheduler.latest
        output = None if result is None else result.trace.outputs.get(probe.layer)
        where = ", ".join(str(p) for p in probe.position)
        index = (probe.channel, *probe.position)
        self.readout.setToolTip(f"layer {probe.layer}, channel {probe.channel}, position ({where})")
        if output is None:
            self.readout.setText(escape(readout_text(probe.layer, index)))
            return
        value = (
            output[(probe.channel, *probe.position)]
            if output.ndim > 1
            else output[probe.position[0]]
        )
        self.readout.setText(escape(readout_text(probe.layer, index, float(value))))

    def longest_readouts(self) -> list[str]:
        """For each layer, its readout with the largest indices and the widest values."""
        texts = []
        for name in self.layer_names():
            shape = self.document.layer_shape(name)
            if shape:
                index = [n - 1 for n in shape]
                texts += [f"{readout_text(name, index)} = {v}" for v in WIDEST_VALUES]
        return texts

    def _reserve_readout(self) -> None:
        self.readout.reserve(self.longest_readouts())

    def _sync_probe(self) -> None:
        probe = self.document.probe
        for name, widget in self.maps.items():
            if probe is not None and probe.layer == name:
                widget.set_marker(probe.channel, probe.position)
            else:
                widget.set_marker(None, None)
        if probe is None:
            for widget in self.maps.values():
                widget.set_overlay(None)
            # laptop15: no probe, no value (a 2D readout left over a 1D network)
            self.readout.setText(HOVER_HINT)
            self.readout.setToolTip("")
        else:
            self._show_value(probe)
            rf = self.scheduler.latest_receptive
            if rf is not None and rf.probe == probe:
                self._apply_receptive(rf)

    def _sync_view(self) -> None:
        view = self.document.view
        for box, value in (
            (self.shared_box, view.shared_levels),
            (self.rf_box, view.show_receptive_field),
        ):
            box.blockSignals(True)
            box.setChecked(value)
            box.blockSignals(False)
        self.colormap_box.blockSignals(True)
        self.colormap_box.setCurrentText(view.colormap)
        self.colormap_box.blockSignals(False)
        if not view.show_receptive_field:
            for widget in self.maps.values():
                widget.set_overlay(None)
