"""A section of the sampling lab: a heading, a caption that wraps, controls and maps that
flow onto more rows when the lab is narrow, and one line for what went wrong."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QSpinBox, QVBoxLayout, QWidget

from gui.sampling.map_plot import MapPlot
from gui.widgets.flow_layout import FlowLayout
from gui.widgets.themes import set_tone


def wrapping(text: str = "", name: str = "samplingCaption") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


def spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    box.setKeyboardTracking(False)
    return box


class Section(QWidget):
    """Heading, caption, a row of controls, a flow of maps and an error line."""

    def __init__(self, heading: str, caption: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.heading = wrapping(heading, "samplingHeading")
        self.heading.setStyleSheet("font-weight: bold;")
        self.caption = wrapping(caption)
        self.controls = FlowLayout(spacing=8)
        self.maps = FlowLayout(spacing=10, row_spacing=8)
        self.error = wrapping(name="samplingError")
        set_tone(self.error, "error")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 10, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.heading)
        layout.addWidget(self.caption)
        layout.addLayout(self.controls)
        layout.addWidget(self.error)
        layout.addLayout(self.maps)
        self.plots: dict[str, MapPlot] = {}

    def control(self, label: str, widget: QWidget) -> QWidget:
        box = QWidget()
        row = FlowLayout(box, spacing=4)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel(label))
        row.addWidget(widget)
        self.controls.addWidget(box)
        return widget

    def plot(self, key: str, title: str = "") -> MapPlot:
        p = MapPlot(title)
        self.plots[key] = p
        self.maps.addWidget(p)
        return p

    def keep_plots(self, keys) -> None:
        """Remove the plots not in ``keys`` (a view the new result has not, e.g. bilinear
        after the input became 1D)."""
        for key in [k for k in self.plots if k not in set(keys)]:
            plot = self.plots.pop(key)
            self.maps.removeWidget(plot)
            plot.deleteLater()

    def set_side(self, side: int) -> None:
        for p in self.plots.values():
            p.set_side(side)

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))
