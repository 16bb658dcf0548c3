"""The symmetry lab's Consistency section: how often a shift changes the predicted class.

It runs :func:`engine.consistency.consistency` (Zhang 2019) for the document's network and
its current weights (after the trainer's "Use in lab" those are the trained weights) on the
test samples of MNIST-1D, the shapes data set or the user's data, on a worker thread of its
own (a :class:`gui.compute.jobs.Jobs`), so the lab's quick measures never wait behind it.
A newer request replaces a pending one and cancels a running one between batches; only
the newest request's answer is drawn.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine import consistency as C
from gui.compute.jobs import Jobs
from gui.state.document import Document
from gui.symmetry.priority import yield_to_gui
from gui.widgets.plot_style import style_axes
from gui.widgets.spaced_axis import spaced_axes
from gui.widgets.themes import colours

DATA = (("MNIST-1D", "mnist1d"), ("shapes", "shapes"))
USER_DATA = "Your data…"
DEFAULT_SHIFTS = 8
DEFAULT_SAMPLES = 1000


def consistency_job(spec, weights, data: str, samples: int, n: int, fill: str, axis: str,
                    cache: dict, cancelled) -> dict[str, Any] | None:  # fmt: skip
    """Load the data (cached per source, on the worker) and measure; None when cancelled."""
    yield_to_gui()
    if data not in cache:
        cache.clear()  # one data set kept: the user's may be large
        cache[data] = C.dataset_samples(data)
    x, y, text = cache[data]
    x, y = x[:samples], y[:samples]
    dims = x.ndim - 2
    if axis != "x" and dims == 1:
        axis = "x"  # a signal has only x; the lab's axis choice is hidden for signals
    direction = C.axis_direction(axis, dims)
    try:
        result = C.consistency(
            spec, weights, x, n, fill=fill, direction=direction, labels=y,
            data=f"{text.split(':')[0]}: {len(x)} test samples", cancelled=cancelled,
        )  # fmt: skip
    except C.Cancelled:
        return None
    return {"result": result, "axis": axis}


class ConsistencySection(QWidget):
    """Data, N, fill, Compute; the plot of consistency (and accuracy) against the shift.

    Signal ``computed(Consistency)`` once the newest request's answer is drawn.
    """

    computed = Signal(object)

    def __init__(self, document: Document, axis_of, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("symmetry-consistency")
        self.document = document
        self._axis_of = axis_of  # () -> "x" | "y" | "diagonal": the lab's sweep axis
        self.worker = Jobs("convscope-consistency", self, torch_threads=1)
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self._on_failed)
        self._cache: dict = {}  # touched on the worker thread only
        self._asked = 0  # generation of the newest request (read by the worker's cancel check)
        self.last: C.Consistency | None = None
        self.chosen_shift = 1
        self._build()
        document.networkChanged.connect(self._network_changed)
        document.weightsChanged.connect(self._network_changed)

    # ---------------------------------------------------------------- building
    def _build(self) -> None:
        self.data = QComboBox(self)
        for title, source in DATA:
            self.data.addItem(title, source)
        self.data.setToolTip("the test samples: MNIST-1D, the shapes data set, or your own data")
        self.open_data = QPushButton("Your data…", self)
        self.open_data.setToolTip("a folder with one subfolder of images per class, or a CSV")
        self.open_data.clicked.connect(self._choose_user_data)
        self.samples = QSpinBox(self)
        self.samples.setRange(1, 100_000)
        self.samples.setValue(DEFAULT_SAMPLES)
        self.samples.setToolTip("how many test samples (the first ones of the test set)")
        self.shifts = QSpinBox(self)
        self.shifts.setRange(1, C.MAX_SHIFTS)
        self.shifts.setValue(DEFAULT_SHIFTS)
        self.shifts.setToolTip("shifts 0..N along the lab's sweep axis")
        self.fill = QComboBox(self)
        self.fill.addItems(["wrap", "zeros"])
        self.compute = QPushButton("Compute", self)
        self.compute.setToolTip("the share of samples whose predicted class a shift leaves as is")
        self.compute.clicked.connect(self.request)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setSpacing(4)
        form.addRow("data", self.data)
        form.addRow("", self.open_data)
        form.addRow("samples", self.samples)
        form.addRow("shifts 0…", self.shifts)
        form.addRow("fill", self.fill)
        form.addRow(self.compute)
        side = QWidget(self)
        side.setLayout(form)
        self.side = side
        self.status = QLabel("Compute: the network's predictions on shifted test samples.", self)
        self.status.setObjectName("consistency-status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.plot = pg.PlotWidget(background=colours().plot, axisItems=spaced_axes())
        self.plot.setLabel("bottom", "shift")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setMouseEnabled(False, False)
        self.plot.setYRange(0, 1.02, padding=0)
        style_axes(self.plot)  # labels that never collide, presentation mode's size
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen((200, 200, 200), style=Qt.DashLine))
        self.plot.addItem(self.marker)
        self.curves: dict[str, pg.PlotDataItem] = {}
        for name in ("consistency", "accuracy"):
            self._curve(name)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(side, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.plot, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(top, 1)
        layout.addWidget(self.status)

    # ---------------------------------------------------------------- data
    def set_user_data(self, path: str) -> None:
        """Add the user's folder or CSV as a data choice and select it."""
        index = self.data.findData(path)
        if index < 0:
            self.data.addItem(os.path.basename(os.path.normpath(path)) or path, path)
            index = self.data.count() - 1
            self.data.setItemData(index, path, Qt.ItemDataRole.ToolTipRole)
        self.data.setCurrentIndex(index)

    def _choose_user_data(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Your data: a CSV of signals (or cancel to pick a folder)", "", "CSV (*.csv)"
        )
        if not path:
            path = QFileDialog.getExistingDirectory(
                self, "Your data: a folder with one subfolder of images per class"
            )
        if path:
            self.set_user_data(path)

    # ---------------------------------------------------------------- requests
    def request(self) -> int:
        """Ask for the consistency of the document's network now (the newest request wins)."""
        d = self.document
        self._asked += 1
        asked = self._asked
        self.status.setText("Computing…")
        self.compute.setText("Computing… (again: restart)")
        return self.worker.submit(
            consistency_job, d.spec, d.weights, self.data.currentData(), self.samples.value(),
            self.shifts.value(), self.fill.currentText(), self._axis_of(), self._cache,
            lambda: self._asked != asked, tag="consistency", token=asked,
        )  # fmt: skip

    def _network_changed(self, *_args) -> None:
        """A new network or new weights: the plot shown is of the old ones; say so."""
        if self.last is not None and "changed since" not in self.status.text():
            self.status.setText(
                self.status.text() + f" <span style='color:{colours().warning}'>· the network has "
                "changed since: Compute again</span>"
            )

    def set_chosen_shift(self, shift: int) -> None:
        """The lab's shift along the axis: marked on the plot, its number in the status."""
        self.chosen_shift = int(shift)
        self.marker.setValue(self.chosen_shift)
        if self.last is not None:
            self.status.setText(self._summary(self.last))

    # ---------------------------------------------------------------- results
    def _on_done(self, token, payload) -> None:
        if token != self._asked or payload is None:
            return  # an older request's answer, or a cancelled one
        self._idle_button()
        self.show_result(payload["result"], payload["axis"])

    def _on_failed(self, token, message: str) -> None:
        if token != self._asked:
            return
        self._idle_button()
        self.last = None
        self._clear_curves()
        self.status.setText(f"<b>cannot compute the consistency:</b> {message}")
        self.document.notify("warning", f"consistency: {message}")

    def _idle_button(self) -> None:
        self.compute.setText("Compute")

    def _clear_curves(self) -> None:
        for curve in self.curves.values():  # kept and emptied: reused by the next result
            curve.setData([], [])

    def _curve(self, name: str) -> pg.PlotDataItem:
        if name not in self.curves:  # made once: a new item and its scatter cost ~50 ms
            self.curves[name] = self.plot.plot([], [])
        return self.curves[name]

    def show_result(self, result: C.Consistency, axis: str = "x") -> None:
        self.last = result
        self._clear_curves()
        x = np.asarray(result.shifts, float)
        lines = [("consistency", result.consistency, (86, 180, 233))]
        if result.accuracy is not None:
            lines.append(("accuracy", result.accuracy, (230, 159, 0)))
        for name, values, colour in lines:
            self._curve(name).setData(
                x, np.asarray(values, float), pen=pg.mkPen(colour, width=2), symbol="o",
                symbolSize=6, symbolBrush=colour, symbolPen=None, name=name,
            )  # fmt: skip
        self.plot.setXRange(0, max(1, result.shifts[-1]), padding=0.03)
        size = f"{QApplication.font().pointSizeF():.0f}pt"
        names = [  # the title is the legend: the curves start at the top left
            f"<span style='color:#{r:02x}{g:02x}{b:02x}'>{name}</span>"
            for name, _values, (r, g, b) in lines
        ]
        self.plot.setLabel("bottom", f"shift along {axis}")
        self.plot.setTitle(
            f"{' and '.join(names)} vs shift along {axis} ({result.fill})", size=size
        )
        self.status.setText(self._summary(result))
        self.computed.emit(result)

    def _summary(self, result: C.Consistency) -> str:
        s = self.chosen_shift
        tail = f" <span style='color:#999'>· {result.data}, {result.fill}</span>"
        if s < 0 or s > result.shifts[-1]:
            return f"The lab's shift {s} is outside 0…{result.shifts[-1]}." + tail
        value = result.consistency[s]
        changed = result.changed[s] if result.changed else round((1 - value) * result.samples)
        text = (
            f"At shift {s}: <b>{100 * value:.1f} %</b> unchanged "
            f"({changed} of {result.samples} predictions change)"
        )
        if result.accuracy is not None:
            text += (
                f"; accuracy {100 * result.accuracy[s]:.1f} % "
                f"({100 * result.accuracy[0]:.1f} % at 0)"
            )
        return text + tail

    def shutdown(self) -> None:
        self._asked += 1  # a running job stops at its next batch
        self.worker.shutdown()
