"""The trainer's "Classify" tab: which trained network, Use in lab, and class probabilities.

The panel computes the probabilities off the GUI thread (``engine.training.predict``); this
view only draws them, or says in its label why there are none.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg  # noqa: I001 - PySide6 is imported first by the gui package
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.plot_style import style_axes
from gui.widgets.spaced_axis import spaced_axes


class ClassifyView(QWidget):
    """A network chooser and two buttons above bars of class probabilities."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.probabilities: np.ndarray | None = None
        self.member = QComboBox()  # which trained network the watch/lab/classify refer to
        self.member.setMinimumContentsLength(12)
        self.member.setToolTip("The network whose kernels, maps and probabilities are shown")
        self.use_button = QPushButton("Use in lab")
        self.use_button.setToolTip(
            "Load this network, with the weights of the checkpoint on the slider, into the lab"
        )
        self.classify_button = QPushButton("Classify lab input")
        self.plot = pg.PlotWidget(axisItems=spaced_axes())
        self.plot.setLabel("left", "probability")
        self.plot.setYRange(0, 1, padding=0.02)
        self.plot.setMouseEnabled(False, False)
        self.plot.setMinimumHeight(70)
        style_axes(self.plot)  # labels that never collide, presentation mode's size
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#4cc9f0")
        self.plot.addItem(self._bars)
        self.label = QLabel("")
        self.label.setWordWrap(True)

        tools = QHBoxLayout()
        tools.addWidget(QLabel("show"))
        tools.addWidget(self.member, 1)
        tools.addWidget(self.use_button)
        tools.addWidget(self.classify_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(tools)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.label)

    def set_members(self, labels: list[str]) -> None:
        """The networks of a new run (no signal: nothing is chosen by this)."""
        self.member.blockSignals(True)
        self.member.clear()
        self.member.addItems(labels)
        self.member.blockSignals(False)
        self.forget()  # a new run: the last run's probabilities are not its

    def set_trained(self, trained: bool) -> None:
        for widget in (self.member, self.use_button, self.classify_button):
            widget.setEnabled(trained)

    def show_probabilities(self, p: np.ndarray, class_names: list[str]) -> None:
        """Draw ``p`` (one probability per class) and name the most likely class."""
        self.probabilities = p
        self._bars.setOpts(x=np.arange(len(p)), height=p, width=0.7)
        self.plot.getAxis("bottom").setTicks([list(enumerate(class_names))])
        self.plot.setXRange(-0.6, len(p) - 0.4, padding=0)
        best = int(np.argmax(p))
        self.label.setText(f"most likely: {class_names[best]} ({p[best]:.1%})")

    def set_task(self, task: str) -> None:
        """Name the button for what the trained network's output is read as."""
        text, tip = _BUTTONS.get(task, _BUTTONS["classification"])
        self.classify_button.setText(text)
        self.classify_button.setToolTip(tip)

    def show_summary(self, summary: dict) -> None:
        """Draw what ``engine.training.predict_for_task`` says: bars with their names, the
        quantity on the left axis, and the engine's sentence below."""
        values = np.asarray(summary["values"], dtype=np.float64)
        self.probabilities = values
        self._bars.setOpts(x=np.arange(len(values)), height=values, width=0.7)
        self.plot.getAxis("bottom").setTicks([list(enumerate(summary["names"]))])
        self.plot.setXRange(-0.6, len(values) - 0.4, padding=0)
        self.plot.setLabel("left", summary.get("quantity", "probability"))
        top = 1.0 if summary.get("quantity") != "boxes found" else max(1.0, float(values.max()))
        self.plot.setYRange(0, top, padding=0.02)
        self.label.setText(summary["text"])

    def forget(self) -> None:
        """The input or the network changed: the bars and their text no longer apply."""
        if self.probabilities is None and not self.label.text():
            return
        self.probabilities = None
        self._bars.setOpts(x=[], height=[])
        self.label.setText("")

    def show_message(self, text: str) -> None:
        """No probabilities: clear the bars and say why."""
        self.probabilities = None
        self._bars.setOpts(x=[], height=[])
        self.label.setText(text)


_BUTTONS = {
    "classification": ("Classify lab input", "Class probabilities of the lab's input"),
    "segmentation": (
        "Label lab input's pixels",
        "A segmenter gives a class to every pixel: the share of pixels of each class",
    ),
    "detection": ("Detect in lab input", "The boxes found in the lab's input, counted per class"),
}
