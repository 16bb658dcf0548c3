"""The input panel (left side): draw, load, examples and transforms of the network input."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class InputPanel(QWidget):
    """Edits ``document.input`` through the document's undoable methods only."""

    def __init__(self, document, scheduler, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.scheduler = scheduler
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Input"))
        layout.addStretch(1)

    def open_input(self) -> None:
        """File > Open input… (filled in later)."""

    def save_input(self) -> None:
        """File > Save input… (filled in later)."""
