"""A segmenter's predicted mask or a detector's boxes, drawn over the lab's input image.

It follows the document's trace: each ``traceReady`` of the compute scheduler hands the
network's last output to a worker thread (a :class:`gui.compute.jobs.Jobs`), which asks
:mod:`engine.overlays` which task it fits and reads it (argmax mask and its colours, or
decoded boxes); the result comes back on the GUI thread and is drawn on the input view's
plot. A network whose output fits no
task shows nothing (the controls hide). The sliders are this overlay's own view settings:
opacity only repaints; the score and NMS thresholds decode the last output again.

The overlay is a room of its own, not part of ``gui/lab/input``: the input panel draws and
edits the input, while this reads the network's output (a task's view of it); the app room
hands it the input view's plot and a place in the input panel (``InputPanel.add_section``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from engine import overlays as eo
from engine.spec import INPUT
from gui.compute.jobs import Jobs
from gui.widgets.flow_layout import FlowLayout

IDLE_LINGER_S = 0.25  # the worker waits this long for the next request before it ends
MAX_BOX_LABELS = 40  # class-and-score labels on at most this many (the best-scoring) boxes
MAX_BOXES = 200  # boxes drawn at most (the best-scoring; the count says how many there are)
OPACITY, SCORE, NMS_IOU = 0.55, 0.30, 0.50  # the sliders' first values


@dataclass
class OverlayData:
    """What the worker read from one output (``task`` None: the output fits no task)."""

    token: int
    task: str | None
    labels: np.ndarray | None = None  # segmentation: (H, W) class per pixel
    rgba: np.ndarray | None = None  # segmentation: (H, W, 4) uint8 colours
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    box_labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def read_output(token, output, input_shape, score_threshold, nms_iou) -> OverlayData:
    """The worker's job: which task ``output`` fits, and its mask or boxes."""
    task = None if output is None else eo.task_of_output(output.shape, input_shape)
    if task == "segmentation":
        labels = eo.predict_mask(output)
        return OverlayData(token, task, labels, eo.mask_colours(labels))
    if task == "detection":
        boxes, scores, labels = eo.detect(output, input_shape, score_threshold, nms_iou)
        return OverlayData(token, task, boxes=boxes, scores=scores, box_labels=labels)
    return OverlayData(token, None)


def _slider(low: int, high: int, value: float, tip: str) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(low, high)
    slider.setValue(round(value * 100))
    slider.setToolTip(tip)
    return slider


def _swatch(rgb, name: str) -> QWidget:
    """A colour square and a class name (background: an empty, outlined square)."""
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(0, 0, 0, 0) if rgb is None else QColor(*rgb))
    painter = QPainter(pixmap)
    painter.setPen(QColor(150, 150, 150))
    painter.drawRect(0, 0, 13, 13)
    painter.end()
    box = QWidget()
    line = QHBoxLayout(box)
    line.setContentsMargins(0, 0, 0, 0)
    line.setSpacing(4)
    square = QLabel()
    square.setPixmap(pixmap)
    line.addWidget(square)
    line.addWidget(QLabel(name))
    return box


class TaskOverlay(QGroupBox):
    """The overlay's controls (legend, sliders) and its items on ``plot`` (the input view)."""

    def __init__(self, document, scheduler, plot: pg.PlotWidget, parent: QWidget | None = None):
        super().__init__("Prediction overlay", parent)
        self.document, self.scheduler, self.plot = document, scheduler, plot
        # installed in every window and never shut down: its thread ends when idle
        self.worker = Jobs("convscope-overlay", self, linger_s=IDLE_LINGER_S)
        self.data: OverlayData | None = None  # the newest result drawn
        self._output: np.ndarray | None = None
        self._input_shape: tuple[int, ...] = ()
        self._token = 0
        self._build_items()
        self._build_controls()
        self.worker.done.connect(lambda _token, data: self._show(data))
        scheduler.traceReady.connect(self._trace_ready)
        self.setVisible(False)
        if scheduler.latest is not None:
            self._trace_ready(scheduler.latest)

    # ---------------------------------------------------------------- building
    def _build_items(self) -> None:
        self.mask_item = pg.ImageItem(axisOrder="row-major")
        self.mask_item.setZValue(10)
        self.mask_item.setOpacity(OPACITY)
        self.mask_item.setVisible(False)
        self.plot.addItem(self.mask_item)
        self.box_items = []
        for rgb in eo.CLASS_COLOURS:
            curve = pg.PlotCurveItem(pen=pg.mkPen(rgb, width=2), connect="finite")
            curve.setZValue(20)
            self.plot.addItem(curve)
            self.box_items.append(curve)
        # A fixed pool of labels, reused (making and adding 40 TextItems took ~75 ms per update)
        self._label_pool: list[pg.TextItem] = []
        for _ in range(MAX_BOX_LABELS):
            text = pg.TextItem("", color=(255, 255, 255), anchor=(0, 0))
            text.setZValue(30)
            text.setVisible(False)
            self.plot.addItem(text)
            self._label_pool.append(text)
        self.text_items: list[pg.TextItem] = []  # the labels shown now

    def _build_controls(self) -> None:
        self.task_label = QLabel()
        self.task_label.setWordWrap(True)
        self.legend = FlowLayout(spacing=10)
        self.opacity = _slider(0, 100, OPACITY, "How opaque the predicted mask is")
        self.score = _slider(
            1, 99, SCORE, "Boxes scoring below this are not shown (objectness × class prob.)"
        )
        self.nms = _slider(
            5,
            95,
            NMS_IOU,
            "Non-maximum suppression: of two boxes of one class overlapping "
            "by more than this IoU, only the higher-scoring one stays",
        )
        self.count_label = QLabel()
        self.count_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.task_label)
        layout.addLayout(self.legend)
        self._rows = {}
        for key, text, slider in (
            ("opacity", "opacity", self.opacity),
            ("score", "score ≥", self.score),
            ("nms", "NMS IoU", self.nms),
        ):
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            name, value = QLabel(text), QLabel()
            name.setMinimumWidth(70)
            value.setMinimumWidth(40)
            line.addWidget(name)
            line.addWidget(slider, 1)
            line.addWidget(value)
            slider.valueChanged.connect(lambda v, lb=value: lb.setText(f"{v / 100:.2f}"))
            value.setText(f"{slider.value() / 100:.2f}")
            layout.addWidget(row)
            self._rows[key] = row
        layout.addWidget(self.count_label)
        self.opacity.valueChanged.connect(lambda v: self.mask_item.setOpacity(v / 100))
        self.score.valueChanged.connect(lambda _v: self._submit())
        self.nms.valueChanged.connect(lambda _v: self._submit())
        self._legend_task: str | None = None

    # ---------------------------------------------------------------- values
    @property
    def score_threshold(self) -> float:
        return self.score.value() / 100

    @property
    def nms_iou(self) -> float:
        return self.nms.value() / 100

    @property
    def task(self) -> str | None:
        return None if self.data is None else self.data.task

    @property
    def idle(self) -> bool:
        """Nothing pending: the drawn overlay reflects the newest trace and sliders."""
        return self.worker.idle and (self.data is None or self.data.token == self._token)

    # ---------------------------------------------------------------- flow
    @Slot(object)
    def _trace_ready(self, result) -> None:
        trace = result.trace
        names = self.document.spec.names()
        x = trace.outputs.get(INPUT)
        self._output = trace.outputs.get(names[-1]) if names else None
        self._input_shape = () if x is None else tuple(x.shape)
        self._submit()

    def _submit(self) -> None:
        self._token += 1
        output = self._output
        if output is None or eo.task_of_output(output.shape, self._input_shape) is None:
            # most networks fit no task: the shapes say so at once, no worker job per edit
            self._show(OverlayData(self._token, None))
            return
        self.worker.submit(
            read_output,
            self._token,
            self._output,
            self._input_shape,
            self.score_threshold,
            self.nms_iou,
            tag="read",  # a newer output or slider value replaces one still waiting
        )

    @Slot(object)
    def _show(self, data: OverlayData) -> None:
        if self.data is not None and data.token < self.data.token:
            return  # never an older reading after a newer one
        self.data = data
        self.setVisible(data.task is not None)
        self._show_legend(data.task)
        self._draw_mask(data)
        self._draw_boxes(data)

    def _show_legend(self, task: str | None) -> None:
        if task == self._legend_task:
            return
        self._legend_task = task
        while self.legend.count():
            item = self.legend.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        if task is None:
            return
        if task == "segmentation":
            self.legend.addWidget(_swatch(None, eo.SEGMENTATION_CLASSES[0]))
            self.task_label.setText("Segmenter: a class per pixel")
            self.task_label.setToolTip(
                "The network's output has one score per class per pixel; each pixel is "
                "coloured by its highest-scoring class (argmax). Background is left clear."
            )
        else:
            self.task_label.setText("Detector: boxes from the grid")
            self.task_label.setToolTip(
                "Each cell of the output grid proposes one box, scored objectness × the "
                "probability of its most likely class; boxes above the score threshold are "
                "kept, then per-class non-maximum suppression at the NMS IoU."
            )
        for rgb, name in zip(eo.CLASS_COLOURS, eo.SEGMENTATION_CLASSES[1:], strict=True):
            self.legend.addWidget(_swatch(rgb, name))
        self._rows["opacity"].setVisible(task == "segmentation")
        self._rows["score"].setVisible(task == "detection")
        self._rows["nms"].setVisible(task == "detection")

    def _draw_mask(self, data: OverlayData) -> None:
        if data.task != "segmentation":
            self.mask_item.setVisible(False)
            return
        self.mask_item.setImage(data.rgba, autoLevels=False, levels=(0, 255))
        self.mask_item.setVisible(True)
        counts = np.bincount(data.labels.ravel(), minlength=len(eo.SEGMENTATION_CLASSES))
        share = counts / max(data.labels.size, 1)
        self.count_label.setText(
            "pixels: "
            + ", ".join(
                f"{n} {s:.0%}" for n, s in zip(eo.SEGMENTATION_CLASSES, share, strict=True) if s
            )
        )

    def _draw_boxes(self, data: OverlayData) -> None:
        for text in self.text_items:
            text.setVisible(False)
        self.text_items = []
        detection = data.task == "detection"
        order = np.argsort(-data.scores, kind="stable") if detection else np.zeros(0, int)
        drawn = order[:MAX_BOXES]
        boxes, labels = data.boxes[drawn], data.box_labels[drawn]
        for k, curve in enumerate(self.box_items):
            mine = boxes[labels == k]
            if not len(mine):
                curve.setData([], [])
                continue
            x0, y0, x1, y1 = mine.T
            nan = np.full(len(mine), np.nan)
            curve.setData(
                np.stack([x0, x1, x1, x0, x0, nan], 1).ravel(),
                np.stack([y0, y0, y1, y1, y0, nan], 1).ravel(),
            )
        if not detection:
            return
        for text, i in zip(self._label_pool, order[:MAX_BOX_LABELS], strict=False):
            self._label_box(text, data, int(i))
        n = len(data.scores)
        note = ""
        if n > MAX_BOXES:
            note = f"; drawn: the {MAX_BOXES} best, labelled: the {MAX_BOX_LABELS} best"
        elif n > MAX_BOX_LABELS:
            note = f"; labelled: the {MAX_BOX_LABELS} best"
        self.count_label.setText(
            f"{n} box{'es' if n != 1 else ''} (score ≥ {self.score_threshold:.2f}, "
            f"NMS IoU {self.nms_iou:.2f}){note}"
        )

    def _label_box(self, text: pg.TextItem, data: OverlayData, i: int) -> None:
        # inside the box's top-left corner: never cut off at the image's top edge
        label = int(data.box_labels[i])
        text.setText(f"{eo.SEGMENTATION_CLASSES[label + 1]} {data.scores[i]:.2f}")
        text.fill = pg.mkBrush(*eo.CLASS_COLOURS[label], 190)
        text.setPos(float(data.boxes[i, 0]), float(data.boxes[i, 1]))
        text.setVisible(True)
        text.update()
        self.text_items.append(text)


def install_overlays(window) -> TaskOverlay:
    """Draw the task overlay on the lab's input image and put its controls under it."""
    panel = window.input_panel
    overlay = TaskOverlay(window.document, window.scheduler, panel.draw_image.plot)
    panel.add_section(overlay)
    window.task_overlay = overlay
    return overlay
