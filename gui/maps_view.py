"""The layer maps (placeholder: replaced by the full view)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class MapsView(QWidget):
    def __init__(self, document, scheduler, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.scheduler = scheduler
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("maps"))
