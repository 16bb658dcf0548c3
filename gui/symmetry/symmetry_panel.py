"""The symmetry lab panel: transform controls, three maps per layer, the numbers, the sweep.

Everything shown is computed by :mod:`engine.symmetry` on a :class:`gui.compute.jobs.Jobs`
worker thread; this module only snapshots the document, asks, and draws. The lab's transform is
its own (the live lab's input transform is not touched).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine import consistency as C
from engine import symmetry as S
from gui.compute.colormaps import colormap
from gui.compute.jobs import Jobs
from gui.state.document import Document
from gui.symmetry.consistency_view import ConsistencySection
from gui.symmetry.priority import yield_to_gui
from gui.widgets.flow_layout import FlowLayout
from gui.widgets.plot_style import style_axes
from gui.widgets.spaced_axis import spaced_axes
from gui.widgets.themes import colours

TITLE = "Symmetry"
TIP = "Invariance and equivariance per layer: f(t(x)) against t(f(x)) and f(x), measured"
DEFAULT_SWEEP = 16
LINE_COLOURS = [
    (86, 180, 233), (230, 159, 0), (0, 158, 115), (240, 228, 66), (0, 114, 178),
    (213, 94, 0), (204, 121, 167), (200, 200, 200), (140, 220, 120), (255, 120, 120),
]  # fmt: skip


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0:
        return "0"
    return f"{value:.3g}" if value >= 1e-3 else f"{value:.2e}"


# --------------------------------------------------------------------------- jobs (worker)


@dataclass(frozen=True)
class Snapshot:
    spec: Any
    weights: dict
    x: np.ndarray


def measure_job(snap: Snapshot, transform: S.Transform, layer: str | None, channel: int):
    """The rows of every layer and the chosen layer's channel maps (runs on the worker)."""
    yield_to_gui()
    report = S.measure(snap.spec, snap.weights, snap.x, transform)
    names = [row.name for row in report.layers]
    chosen = layer if layer in names else (names[0] if names else None)
    maps = S.channel_maps(report.layer(chosen), channel) if chosen else None
    if maps is not None and maps["f_tx"] is not None and maps["f_tx"].ndim == 2:
        maps["display"] = [  # uint8 for pyqtgraph's fast path: no float rescale on paint
            None if a is None else to_uint8(a, map_levels(maps, i))
            for i, a in enumerate((maps["f_tx"], maps["t_fx"], maps["difference"]))
        ]
    for row in report.layers:  # only the rows' numbers leave the worker
        row.f_tx = row.t_fx = row.f_x = None
    return {"report": report, "layer": chosen, "maps": maps}


def map_levels(maps: dict, i: int) -> tuple[float, float]:
    """The display range of map i (0 f(t x), 1 t(f x), 2 the difference, diverging at 0)."""
    if i < 2:
        return maps["levels"]
    if maps["max_diff"]:
        return (-maps["max_diff"], maps["max_diff"])
    return maps["diff_levels"]


def to_uint8(a: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """``a`` mapped linearly from ``levels`` onto 0..255 (clipped), C-contiguous uint8."""
    low, high = levels
    scale = 255.0 / (high - low) if high > low else 0.0
    out = np.clip((a - low) * scale + 0.5, 0, 255)
    return np.ascontiguousarray(out, dtype=np.uint8)


_LUTS: dict = {}


def _lut(name: str, signed: bool = False) -> np.ndarray:
    key = (name, signed)
    if key not in _LUTS:
        _LUTS[key] = colormap(name, signed).getLookupTable(nPts=256)
    return _LUTS[key]


def sweep_job(snap: Snapshot, n: int, fill: str, direction: tuple[int, ...]):
    yield_to_gui()
    return S.sweep(snap.spec, snap.weights, snap.x, n, fill=fill, direction=direction)


# --------------------------------------------------------------------------- views


class TripleMaps(pg.GraphicsLayoutWidget):
    """f(t(x)), t(f(x)) and their difference side by side (images, or curves for 1D)."""

    TITLES = ("f(t(x))", "t(f(x))", "difference")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setBackground(colours().plot)
        self._dims = 0
        self.images: list[pg.ImageItem] = []
        self.curves: list[pg.PlotDataItem] = []
        self.labels: list[pg.LabelItem] = []
        self.setMinimumHeight(160)

    def _build(self, dims: int) -> None:
        self.clear()
        self.images, self.curves, self.labels = [], [], []
        for col, title in enumerate(self.TITLES):
            label = self.addLabel(title, row=0, col=col)
            # equal columns whatever the titles' lengths
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            self.ci.layout.setColumnStretchFactor(col, 1)
            self.labels.append(label)
        for col in range(3):
            if dims == 2:
                box = self.addViewBox(row=1, col=col, lockAspect=True, invertY=True)
                box.setMouseEnabled(False, False)
                item = pg.ImageItem(axisOrder="row-major")
                box.addItem(item)
                self.images.append(item)
            else:
                plot = self.addPlot(row=1, col=col, axisItems=spaced_axes())
                plot.setMouseEnabled(False, False)
                plot.showGrid(y=True, alpha=0.2)
                self.curves.append(plot.plot(pen=pg.mkPen((86, 180, 233), width=2)))
        style_axes(self)  # the 1D plots' axes: never colliding, presentation mode's size
        self._dims = dims

    def show_maps(self, maps: dict | None) -> None:
        arrays = None if maps is None else [maps["f_tx"], maps["t_fx"], maps["difference"]]
        if arrays is None or arrays[0] is None:
            for item in self.images:
                item.clear()
            for curve in self.curves:
                curve.setData([], [])
            return
        dims = arrays[0].ndim
        if dims != self._dims:
            self._build(dims)
        maps_lut = _lut("auto", maps["levels"][0] < 0)
        diff_lut = _lut("diverging")
        shown = maps.get("display") or arrays
        for i, array in enumerate(arrays):
            lut, lv = (diff_lut if i == 2 else maps_lut), map_levels(maps, i)
            if dims == 2:
                if array is None:
                    self.images[i].clear()
                elif shown[i].dtype == np.uint8:  # made on the worker: the fast path
                    self.images[i].setImage(shown[i], levels=(0, 255), lut=lut, autoLevels=False)
                else:
                    self.images[i].setImage(array, levels=lv, lut=lut, autoLevels=False)
                    box = self.images[i].getViewBox()
                    h, w = array.shape
                    box.setRange(xRange=(0, w), yRange=(0, h), padding=0.02)
            else:
                if array is None:  # t(f(x)) not defined here: nothing to draw
                    self.curves[i].setData([], [])
                else:
                    self.curves[i].setData(np.arange(array.size), array)
                box = self.curves[i].getViewBox()
                box.setYRange(*lv, padding=0.05)
                box.setXRange(0, max(1, arrays[0].size - 1), padding=0.02)  # the same for all
        note = "" if maps["max_diff"] is None else f" ±{_fmt(maps['max_diff'])}"
        titles = [
            "f(t(x))",
            "t(f(x))" if arrays[1] is not None else "t(f(x)): not defined",
            "difference" + note,
        ]
        size = f"{QApplication.font().pointSizeF():.0f}pt"  # follows presentation mode
        for label, title in zip(self.labels, titles, strict=True):
            label.setText(title, size=size, color=colours().plot_text)


class SweepPlots(QWidget):
    """Both errors against the shift, one line per layer; class probabilities if any."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout()
        layout.setContentsMargins(0, 0, 0, 0)
        self.plots = {}
        for key, title in (
            ("equivariance", "equivariance error vs shift"),
            ("invariance", "invariance error vs shift"),
            ("probabilities", "class probabilities vs shift"),
        ):
            widget = pg.PlotWidget(background=colours().plot, axisItems=spaced_axes())
            widget.setTitle(title)
            widget.setLabel("bottom", "shift")
            widget.showGrid(x=True, y=True, alpha=0.2)
            widget.setMouseEnabled(False, False)
            style_axes(widget)  # labels that never collide, presentation mode's size
            layout.addWidget(widget, 1)
            self.plots[key] = widget
        self.plots["probabilities"].setVisible(False)
        self.legend = QLabel(self)
        self.legend.setObjectName("symmetry-legend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        outer = QVBoxLayout()
        outer.setContentsMargins(0, 0, 0, 0)
        row = QWidget(self)
        row.setLayout(layout)
        outer.addWidget(row, 1)
        outer.addWidget(self.legend)
        self.setLayout(outer)
        self.points: dict[str, int] = {}  # key -> points drawn in its first line
        self._lines: dict[str, list[pg.PlotDataItem]] = {}
        self._labels: tuple | None = None

    def _line(self, key: str, i: int) -> pg.PlotDataItem:
        """The i-th line of plot ``key``, made once and reused (setData is far cheaper than
        a new item per sweep: a fresh item and its scatter cost the GUI thread ~5 ms)."""
        items = self._lines.setdefault(key, [])
        while len(items) <= i:
            items.append(self.plots[key].plot([], []))
        return items[i]

    def _trim(self, key: str, n: int) -> None:
        items = self._lines.get(key, [])
        for item in items[n:]:
            self.plots[key].removeItem(item)
        del items[n:]

    def _label_plots(self, direction) -> None:
        size = f"{QApplication.font().pointSizeF():.0f}pt"  # follows presentation mode
        along = {(1,): "", (0, 1): "", (1, 0): " along y", (1, 1): " along the diagonal"}
        labels = (size, along.get(tuple(direction or ()), ""))
        if labels == self._labels:
            return
        self._labels = labels
        for key, widget in self.plots.items():
            widget.setTitle(
                f"{key} {'error ' if key != 'probabilities' else ''}vs shift", size=size
            )
            widget.setLabel("bottom", "shift" + labels[1])

    def show_sweep(self, sweep: S.Sweep | None) -> None:
        self.points = {}
        self._label_plots(None if sweep is None else sweep.direction)
        if sweep is None:
            for key in self.plots:
                self._trim(key, 0)
            return
        x = np.asarray(sweep.shifts, float)
        legend = []
        for key in ("equivariance", "invariance"):
            lines = getattr(sweep, key)
            for i, (name, values) in enumerate(lines.items()):
                y = np.array([math.nan if v is None else v for v in values], float)
                keep = np.isfinite(y)  # not defined: no point (the line joins defined ones)
                colour = LINE_COLOURS[i % len(LINE_COLOURS)]
                self._line(key, i).setData(
                    x[keep], y[keep], pen=pg.mkPen(colour, width=2), symbol="o",
                    symbolSize=6, symbolBrush=colour, symbolPen=None, name=name,
                )  # fmt: skip
                self.points.setdefault(key, int(keep.sum()))
                if key == "equivariance":
                    hex_colour = "#{:02x}{:02x}{:02x}".format(*colour)
                    legend.append(f"<span style='color:{hex_colour}'>●</span> {name}")
            self._trim(key, len(lines))
        self.legend.setText("&nbsp;&nbsp; ".join(legend))
        self.legend.setToolTip(
            "A missing point: the shift is not a whole number of positions at that layer."
        )
        probs = sweep.probabilities
        self.plots["probabilities"].setVisible(probs is not None)
        classes = 0 if probs is None else probs.shape[1]
        for c in range(classes):
            colour = LINE_COLOURS[c % len(LINE_COLOURS)]
            self._line("probabilities", c).setData(
                x, probs[:, c], pen=pg.mkPen(colour, width=2), name=f"class {c}"
            )
        self._trim("probabilities", classes)
        if probs is not None:
            self.points["probabilities"] = len(x)


# --------------------------------------------------------------------------- the panel


class _Body(QWidget):
    """The lab's contents in its scroll area: as tall as the viewport, never shorter than
    its minimum (the scroll area otherwise sizes a height-for-width widget to its preferred
    height, which scrolls even on a tall screen)."""

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        layout = self.layout()
        return layout.totalMinimumHeightForWidth(width) if layout is not None else 0


class SymmetryLab(QWidget):
    """The lab. Signals: ``measured(dict)`` and ``swept(Sweep)`` once drawn."""

    measured = Signal(object)
    swept = Signal(object)

    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("symmetry-lab")
        self.document = document
        # one worker; a newer measure (or sweep) replaces a pending one, in its place, so a
        # quick measure is never queued behind a sweep that was asked for after it
        self.worker = Jobs("convscope-symmetry", self, torch_threads=1)
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self._on_failed)
        self.last_measure: dict | None = None
        self.last_sweep: S.Sweep | None = None
        self._build_lessons()
        self._build_controls()
        self._build_views()
        self._connect_controls()
        self._sweep_timer = QTimer(self, singleShot=True, interval=120)
        self._sweep_timer.timeout.connect(self.request_sweep)
        document.inputChanged.connect(self._document_changed)
        document.networkChanged.connect(self._document_changed)
        self._document_changed()

    # ---------------------------------------------------------------- building
    def _spin(self, low, high, value, tip) -> QSpinBox:
        box = QSpinBox(self)
        box.setRange(low, high)
        box.setValue(value)
        box.setToolTip(tip)
        return box

    def _labelled(self, text: str, *widgets: QWidget) -> QWidget:
        holder = QWidget(self)
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel(text, holder))
        for w in widgets:
            row.addWidget(w)
        return holder

    def _build_controls(self) -> None:
        self.dx_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.dx_slider.setMinimumWidth(120)
        self.dx = self._spin(-64, 64, 1, "shift along x (whole positions)")
        self.dy = self._spin(-64, 64, 0, "shift along y (whole positions)")
        self.dx_slider.setRange(-64, 64)
        self.dx_slider.setValue(1)
        self.dx_slider.valueChanged.connect(self.dx.setValue)
        self.dx.valueChanged.connect(self.dx_slider.setValue)
        self.fill = QComboBox(self)
        self.fill.addItems(list(S.FILLS))
        self.fill.setToolTip("wrap: what leaves one edge enters at the other; zeros: 0 enters")
        self.flip_x = QCheckBox("flip x", self)
        self.flip_y = QCheckBox("flip y", self)
        self.rotation = QComboBox(self)
        self.rotation.addItems(["0°", "90°", "180°", "270°"])
        self.layer = QComboBox(self)
        self.layer.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.channel = self._spin(0, 4095, 0, "the channel the three maps show")
        self.sweep_n = self._spin(1, 256, DEFAULT_SWEEP, "sweep the shift over 0..N")
        self.sweep_axis = QComboBox(self)
        self.sweep_axis.addItems(list(C.AXES))
        self.sweep_axis.setToolTip(
            "the sweep's (and the consistency's) direction: one step along x, y or both"
        )
        flow = FlowLayout(spacing=8)
        flow.addWidget(self._labelled("lesson", self.lesson, self.load_lesson))
        flow.addWidget(self._labelled("shift x", self.dx_slider, self.dx))
        self.dy_holder = self._labelled("y", self.dy)
        flow.addWidget(self.dy_holder)
        flow.addWidget(self._labelled("fill", self.fill))
        flow.addWidget(self.flip_x)
        flow.addWidget(self.flip_y)
        self.rotation_holder = self._labelled("rotate", self.rotation)
        flow.addWidget(self.rotation_holder)
        flow.addWidget(self._labelled("layer", self.layer, QLabel("channel"), self.channel))
        self.axis_holder = self._labelled("along", self.sweep_axis)
        flow.addWidget(self._labelled("sweep 0…", self.sweep_n, self.axis_holder))
        self.controls = flow

    def _build_lessons(self) -> None:
        self.lesson = QComboBox(self)
        for item in S.LESSONS:
            self.lesson.addItem(item.title, item.name)
        self.lesson.setToolTip("a network that demonstrates one point (undoable)")
        self.load_lesson = QPushButton("Load lesson", self)
        self.load_lesson.clicked.connect(lambda: self.apply_lesson(self.lesson.currentData()))
        self.caption = QLabel(self)
        self.caption.setObjectName("symmetry-caption")
        self.caption.setWordWrap(True)
        self.caption.setVisible(False)

    def _connect_controls(self) -> None:
        for signal in (
            self.dx.valueChanged, self.dy.valueChanged, self.channel.valueChanged,
            self.fill.currentIndexChanged, self.flip_x.toggled, self.flip_y.toggled,
            self.rotation.currentIndexChanged, self.layer.currentIndexChanged,
        ):  # fmt: skip
            signal.connect(self.request_measure)
        self.fill.currentIndexChanged.connect(self._sweep_timer_start)
        self.dy.valueChanged.connect(self._sweep_timer_start)
        self.sweep_n.valueChanged.connect(self._sweep_timer_start)
        self.sweep_axis.currentIndexChanged.connect(self._sweep_timer_start)
        for signal in (self.dx.valueChanged, self.dy.valueChanged):
            signal.connect(self._chosen_shift_changed)
        self.sweep_axis.currentIndexChanged.connect(self._chosen_shift_changed)

    def _build_views(self) -> None:
        self.maps = TripleMaps(self)
        self.numbers = QLabel(self)
        self.numbers.setObjectName("symmetry-numbers")
        self.numbers.setWordWrap(True)
        self.numbers.setTextFormat(Qt.TextFormat.RichText)
        self.table = QTableWidget(0, 5, self)
        self.table.setHorizontalHeaderLabels(
            ["layer", "shape", "shift here", "equivariance", "invariance"]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.cellClicked.connect(lambda row, _c: self.layer.setCurrentIndex(row))
        self.sweep_plots = SweepPlots(self)
        self.consistency = ConsistencySection(self.document, self.sweep_axis.currentText, self)
        self.bottom = QTabWidget(self)
        self.bottom.setDocumentMode(True)
        self.bottom.addTab(self.sweep_plots, "Sweep")
        self.bottom.addTab(self.consistency, "Consistency")
        self.bottom.addTab(self.table, "All layers")
        self.maps.setMinimumHeight(110)
        # the pages' own minimums (not a fixed one) so a page is never squeezed over itself
        self.sweep_plots.setMinimumHeight(130)
        self.consistency.plot.setMinimumHeight(110)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setChildrenCollapsible(False)
        split.addWidget(self.maps)
        split.addWidget(self.bottom)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([520, 480])  # kept as proportions when the lab is resized
        self.split = split
        body = _Body(self)
        column = QVBoxLayout(body)
        column.setContentsMargins(4, 4, 4, 4)
        column.setSpacing(4)
        column.addLayout(self.controls)
        column.addWidget(self.caption)
        column.addWidget(self.numbers)
        column.addWidget(split, 1)
        scroll = QScrollArea(self)  # a short window scrolls the lab rather than overlap it
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    # ---------------------------------------------------------------- state
    def apply_lesson(self, name: str) -> bool:
        """Load the lesson's network into the document (undoable) and its fill here."""
        item = S.lesson(name)
        if not self.document.set_network(item.spec(), text=f"Lesson: {item.title}"):
            return False
        self.fill.setCurrentText(item.fill)
        self.caption.setText(item.caption)
        self.caption.setVisible(True)
        return True

    def transform(self) -> S.Transform:
        """The lab's transform from its controls (axis order (x,) or (y, x))."""
        dims = self.document.dims
        turns = self.rotation.currentIndex() if dims == 2 else 0
        if dims == 2:
            return S.Transform(
                shift=(self.dy.value(), self.dx.value()),
                fill=self.fill.currentText(),
                flips=(self.flip_y.isChecked(), self.flip_x.isChecked()),
                quarter_turns=turns,
            )
        return S.Transform(
            shift=(self.dx.value(),), fill=self.fill.currentText(), flips=(self.flip_x.isChecked(),)
        )

    def _snapshot(self) -> Snapshot:
        d = self.document
        return Snapshot(d.spec, d.weights, d.input)

    def _document_changed(self, *_args) -> None:
        dims = self.document.dims
        for w in (self.dy_holder, self.flip_y, self.rotation_holder, self.axis_holder):
            w.setVisible(dims == 2)
        names = self.document.spec.names()
        current = self.layer.currentText()
        if names != [self.layer.itemText(i) for i in range(self.layer.count())]:
            self.layer.blockSignals(True)
            self.layer.clear()
            self.layer.addItems(names)
            if current in names:
                self.layer.setCurrentText(current)
            self.layer.blockSignals(False)
        self.request_measure()
        self._sweep_timer_start()

    def _sweep_timer_start(self, *_args) -> None:
        self._sweep_timer.start()

    def request_measure(self, *_args) -> int:
        return self._request(
            "measure",
            measure_job,
            self._snapshot(),
            self.transform(),
            self.layer.currentText() or None,
            self.channel.value(),
        )

    def sweep_direction(self) -> tuple[int, ...]:
        """One step of the sweep in axis order (signals: along x whatever the choice)."""
        dims = self.document.dims
        return C.axis_direction(self.sweep_axis.currentText() if dims == 2 else "x", dims)

    def _chosen_shift_changed(self, *_args) -> None:
        axis = self.sweep_axis.currentText() if self.document.dims == 2 else "x"
        self.consistency.set_chosen_shift(self.dy.value() if axis == "y" else self.dx.value())

    def request_consistency(self) -> int:
        return self.consistency.request()

    @property
    def last_consistency(self):
        return self.consistency.last

    @property
    def consistency_status(self) -> QLabel:
        return self.consistency.status

    def request_sweep(self) -> int:
        direction = self.sweep_direction()
        return self._request(
            "sweep", sweep_job, self._snapshot(), self.sweep_n.value(), self.fill.currentText(),
            direction,
        )  # fmt: skip

    def _request(self, kind: str, fn, *args) -> int:
        return self.worker.submit(fn, *args, tag=kind, token=kind)

    # ---------------------------------------------------------------- results
    def _on_failed(self, kind: str, message: str) -> None:
        self.numbers.setText(f"<b>cannot measure:</b> {message}")
        self.document.notify("warning", f"symmetry lab: {message}")

    def _on_done(self, kind: str, result) -> None:
        if kind == "measure":
            self._show_measure(result)
            self.measured.emit(result)
        else:
            self.last_sweep = result
            self.sweep_plots.show_sweep(result)
            self.swept.emit(result)

    def _show_measure(self, result: dict) -> None:
        self.last_measure = result
        report: S.SymmetryReport = result["report"]
        self.maps.show_maps(result["maps"])
        self._fill_table(report)
        name = result["layer"]
        if name is None:
            self.numbers.setText("The network has no layers.")
            return
        row = report.layer(name)
        shift = "not defined" if row.shift is None else ", ".join(str(s) for s in row.shift)
        parts = [
            f"<b>{name}</b> under <i>{report.transform.describe()}</i> · shift here {shift}<br>",
            f"equivariance error <b>{_fmt(row.equivariance_error)}</b> · ",
            f"invariance error <b>{_fmt(row.invariance_error)}</b>",
        ]
        if row.note:
            parts.append(f" · <span style='color:{colours().warning}'>{row.note}</span>")
        self.numbers.setText("".join(parts))

    def _fill_table(self, report: S.SymmetryReport) -> None:
        self.table.setRowCount(len(report.layers))
        for r, row in enumerate(report.layers):
            shift = "—" if row.shift is None else ", ".join(str(s) for s in row.shift)
            shape = "—" if row.shape is None else "×".join(str(s) for s in row.shape)
            cells = [
                row.name,
                shape,
                shift,
                _fmt(row.equivariance_error),
                _fmt(row.invariance_error),
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if row.note:
                    item.setToolTip(row.note)
                self.table.setItem(r, c, item)

    def shutdown(self) -> None:
        self.consistency.shutdown()
        self.worker.shutdown()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)


def install_symmetry_lab(window) -> None:
    """Add the Symmetry lab as a tab beside the maps (built the first time it is shown)."""
    window.add_lab(TITLE, lambda: SymmetryLab(window.document), TIP)
