"""The inspector (right side): parameters, kernel and formula of the selected layer."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class Inspector(QWidget):
    """Shows and edits ``document.selected_layer``."""

    def __init__(self, document, scheduler, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.scheduler = scheduler
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Inspector"))
        layout.addStretch(1)
