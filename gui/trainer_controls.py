"""The trainer's left column: the settings form, the augmentation preview, Start, Pause and
Stop, and the status line, in a scroll area that never scrolls sideways."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from .trainer_preview import AugmentPreview
from .trainer_setup import SetupForm


class RunControls(QScrollArea):
    """Only widgets; the panel connects them."""

    def __init__(self, status: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.form = SetupForm()
        self.preview = AugmentPreview()
        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.status = QLabel(status)
        self.status.setObjectName("trainerStatus")
        self.status.setWordWrap(True)

        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.form)
        layout.addWidget(self.preview)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.setWidget(inner)
        self.setWidgetResizable(True)
        self.setMinimumWidth(inner.sizeHint().width() + 18)  # + the vertical scroll bar
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.form.setEnabled(not running)
        if not running:
            self.pause_button.setText("Pause")
