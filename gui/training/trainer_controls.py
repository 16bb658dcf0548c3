"""The trainer's left column: the settings form and augmentation preview (scrolling, never
sideways), and below them, always in view, Start, Pause, Stop and the status line."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from gui.training.trainer_preview import AugmentPreview
from gui.training.trainer_setup import SetupForm


class RunControls(QWidget):
    """Only widgets; the panel connects them."""

    def __init__(self, status: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.form = SetupForm()
        self.preview = AugmentPreview()
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.regularise_button = QPushButton("Regularisation comparison")
        self.regularise_button.setToolTip(
            "Train the first network on this data four times, one after another, with these "
            "settings: without regularisation, with dropout (before each fully connected "
            "layer, p 0.5), with augmentation (shifts and flips), with both; the curves show "
            "each run's training (dashed) and test accuracy, the summary each run's gap"
        )
        self.status = QLabel(status)
        self.status.setObjectName("trainerStatus")
        self.status.setWordWrap(True)

        settings = QWidget()
        inner = QVBoxLayout(settings)
        inner.setContentsMargins(4, 4, 4, 4)
        inner.addWidget(self.form)
        inner.addWidget(self.preview)
        self.scroll = QScrollArea()
        self.scroll.setWidget(settings)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setMinimumWidth(settings.sizeHint().width() + 18)  # + the scroll bar
        self.scroll.setMinimumHeight(40)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 2)
        layout.setSpacing(2)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.regularise_button)
        layout.addWidget(self.status)

    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.regularise_button.setEnabled(not running)
        self.form.setEnabled(not running)
        if not running:
            self.pause_button.setText("Pause")
