"""Live loss and accuracy curves of one or several training runs (pyqtgraph).

Each network has a colour; test data is drawn solid, training data dashed. Curves only
grow by the records the trainer sends (a few per second), so an update is one ``setData``
per line on arrays of at most a few hundred points. The plots hold only axes and lines:
the key is a plain QLabel, because every pyqtgraph item paints in Python, and while the
trainer runs each Python call of a repaint waits for the GIL.
"""

from __future__ import annotations

import pyqtgraph as pg  # noqa: I001 - PySide6 must be imported before pyqtgraph
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from gui.state.training_history import score_of
from gui.widgets.plot_style import style_axes
from gui.widgets.spaced_axis import spaced_axes

COLOURS = ["#4cc9f0", "#f77f00", "#90be6d", "#f94144"]
SERIES = ("train", "test")
TEXT_SHARE = 0.3  # the key and summary take at most this share of the view's height


class CurvesView(QWidget):
    """Loss (left) and accuracy (right) against steps, with a one-line summary below."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.loss_plot = self._plot("loss", "cross-entropy loss")
        self.accuracy_plot = self._plot("accuracy", "accuracy")
        self.accuracy_plot.setYRange(0, 1, padding=0.02)
        self.accuracy_plot.getViewBox().setLimits(yMin=-0.05, yMax=1.05)
        self.key = QLabel("")
        self.key.setObjectName("curvesKey")
        self.key.setWordWrap(True)
        self.summary = QLabel("No training yet.")
        self.summary.setObjectName("curvesSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        plots = QHBoxLayout()
        plots.setContentsMargins(0, 0, 0, 0)
        plots.addWidget(self.loss_plot, 1)
        plots.addWidget(self.accuracy_plot, 1)
        # The key and summary scroll in a strip of at most TEXT_SHARE of the height: a
        # comparison's four runs and gaps would otherwise squeeze the plots flat in a short
        # dock (1280x800, presentation mode).
        text = QWidget()
        text_layout = QVBoxLayout(text)
        text_layout.setContentsMargins(0, 0, 0, 0)
        text_layout.setSpacing(2)
        text_layout.addWidget(self.key)
        text_layout.addWidget(self.summary)
        text_layout.addStretch(1)
        self.text_area = QScrollArea()
        self.text_area.setWidget(text)
        self.text_area.setWidgetResizable(True)
        self.text_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.text_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(plots, 1)
        layout.addWidget(self.text_area)
        self._records: list[list[dict]] = []
        self._loss_top = 0.0
        self._lines: list[dict[str, pg.PlotDataItem]] = []
        self._accuracy_due: set[int] = set()
        self._labels: list[str] = []
        self.score_name: str | None = None  # None: accuracy; else the task's score's name
        self._accuracy_timer = QTimer(self)
        self._accuracy_timer.setSingleShot(True)
        self._accuracy_timer.setInterval(0)
        self._accuracy_timer.timeout.connect(self._draw_accuracy)
        self.reset(["network"])  # lines made now, not when training starts

    @staticmethod
    def _plot(title: str, ylabel: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(axisItems=spaced_axes())  # tick labels never collide
        plot.setLabel("bottom", "step")
        plot.setLabel("left", ylabel)
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMinimumHeight(80)
        style_axes(plot)  # the app's font size, presentation mode's too
        return plot

    def reset(self, labels: list[str]) -> None:
        """Clear the plots and make lines for networks called ``labels`` (the lines of the
        last run are kept for the same number of networks: making them costs a repaint of
        everything, emptying them almost nothing)."""
        self._records = [[] for _ in labels]
        self._labels = list(labels)
        self._accuracy_due.clear()
        self.key.setText(key_text(labels))
        self._fit_text()
        if len(labels) == len(self._lines):
            for lines in self._lines:
                for line in lines.values():
                    line.setData([], [])
            return
        self.loss_plot.clear()
        self.accuracy_plot.clear()
        self._lines = []
        for i in range(len(labels)):
            colour = COLOURS[i % len(COLOURS)]
            lines = {}
            for plot, metric in ((self.loss_plot, "loss"), (self.accuracy_plot, "accuracy")):
                for series in SERIES:
                    style = Qt.PenStyle.SolidLine if series == "test" else Qt.PenStyle.DashLine
                    pen = pg.mkPen(colour, width=2, style=style)
                    lines[f"{series}_{metric}"] = plot.plot([], [], pen=pen)
            self._lines.append(lines)

    def set_score(self, name: str | None) -> None:
        """Right plot: accuracy (None) or the task's score called ``name`` (e.g. mean IoU),
        read from the records' ``train_score``/``test_score`` or the trainer's own keys."""
        self.score_name = name
        self.accuracy_plot.setLabel("left", name or "accuracy")
        detection = name is not None and name.startswith("mAP")
        self.loss_plot.setLabel("left", "detection loss" if detection else "cross-entropy loss")
        for index in range(len(self._records)):
            self._draw(index, "accuracy")

    def set_step_range(self, total_steps: int, expected_loss: float = 0.0) -> None:
        """Fix the step axis to the whole run: axes then stay still while curves grow
        (re-laying out the axes on every update was the costliest part of a repaint).
        ``expected_loss`` (e.g. the loss of guessing, ln(classes)) sets the loss axis now;
        it grows later only if a loss goes above it."""
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.disableAutoRange()
            plot.setXRange(0, max(1, total_steps), padding=0.02)
        self.accuracy_plot.setYRange(0, 1, padding=0.02)
        self._loss_top = 0.0
        self._fit_loss([expected_loss])

    def _fit_loss(self, values: list[float]) -> None:
        top = max((v for v in values if v == v and v != float("inf")), default=0.0)
        if top > self._loss_top:  # grow only: the y axis changes rarely
            self._loss_top = top * 1.1
            self.loss_plot.setYRange(0, self._loss_top, padding=0)

    def add_records(self, index: int, records: list[dict]) -> None:
        """Append evaluation records ({step, train_loss, ...}) of network ``index``."""
        if not records or index >= len(self._records):
            return
        known = self._records[index]
        for record in records:
            if known and known[-1]["step"] == record["step"]:
                known[-1] = record
            else:
                known.append(record)
        self._draw(index, "loss")
        self._fit_loss([r[k] for r in records for k in ("train_loss", "test_loss")])
        # The accuracy plot is drawn on the next turn of the event loop, so the two plots
        # repaint in separate turns and neither turn is twice as long.
        self._accuracy_due.add(index)
        self._accuracy_timer.start()

    def _draw(self, index: int, metric: str) -> None:
        known = self._records[index]
        steps = [r["step"] for r in known]
        for key, line in self._lines[index].items():
            if key.endswith(metric):
                if metric == "accuracy" and self.score_name is not None:
                    series = key.split("_")[0]
                    line.setData(steps, [score_of(r, series) for r in known])
                else:
                    line.setData(steps, [r[key] for r in known])

    def _draw_accuracy(self) -> None:
        for index in sorted(self._accuracy_due):
            if index < len(self._records):
                self._draw(index, "accuracy")
        self._accuracy_due.clear()

    def flush(self) -> None:
        """Draw what is waiting for the next turn now (for tests and export)."""
        self._accuracy_timer.stop()
        self._draw_accuracy()

    def records(self, index: int = 0) -> list[dict]:
        """The records shown for network ``index`` (for tests and export)."""
        return list(self._records[index]) if index < len(self._records) else []

    def set_summary(self, text: str) -> None:
        self.summary.setText(text)
        self._fit_text()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_text()

    def _fit_text(self) -> None:
        """The text strip as tall as its text needs, up to TEXT_SHARE of the height (then it
        scrolls); the plots keep the rest."""
        inner = self.text_area.widget()
        width = max(1, self.text_area.viewport().width())
        need = inner.layout().totalHeightForWidth(width) if inner.layout() else 0
        need = max(need, inner.minimumSizeHint().height())
        cap = max(self.fontMetrics().height() * 2, int(self.height() * TEXT_SHARE))
        height = min(need, cap)
        if self.text_area.maximumHeight() != height or self.text_area.minimumHeight() != height:
            self.text_area.setFixedHeight(height)

    # ------------------------------------------------------------- the document
    def bind(self, document) -> None:
        """Show ``document``'s latest training run, now and whenever its history changes."""
        self._document = document
        document.trainingChanged.connect(self._training_changed)
        self._training_changed()

    def _training_changed(self) -> None:
        self.show_run(self._document.training.latest)

    def show_run(self, run) -> None:
        """Draw a :class:`gui.state.training_history.TrainingRun` (None: no training yet). A run
        already drawn (the live one that just ended) only gets its summary."""
        if run is None:
            self.reset(["network"])
            self.set_summary("No training yet.")
            return
        records = run.record_dicts()
        self.set_score(dict(run.settings).get("score"))
        if self._labels != list(run.labels) or self._records != records:
            self.reset(list(run.labels))
            self.set_step_range(run.total_steps)
            for i, network in enumerate(records):
                self.add_records(i, network)
            self.flush()
        self.set_summary(run.summary)


def key_text(labels: list[str]) -> str:
    """The key to the lines, as rich text: each network in its colour; test solid, train
    dashed."""
    from html import escape

    lines = "solid: test data · dashed: training data"
    if len(labels) <= 1:
        return lines
    names = " · ".join(
        f'<span style="color:{COLOURS[i % len(COLOURS)]}">■ {escape(label)}</span>'
        for i, label in enumerate(labels)
    )
    return f"{names} — {lines}"
