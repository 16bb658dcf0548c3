"""The questions the workspace actions ask (file names, save changes?, restore?).

One class, so that tests can replace it with scripted answers.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget


class Dialogs:
    """The questions the workspace actions ask; tests replace it with scripted answers."""

    def open_path(self, parent: QWidget, title: str, filter: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(parent, title, "", filter)
        return path or None

    def save_path(self, parent: QWidget, title: str, filter: str, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filter)
        return path or None

    def ask_save_changes(self, parent: QWidget, name: str) -> str:
        """'save', 'discard' or 'cancel'."""
        buttons = (
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        answer = QMessageBox.question(
            parent,
            "Unsaved changes",
            f"Save the changes to {name}?",
            buttons,
            QMessageBox.StandardButton.Save,
        )
        return {
            QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard",
        }.get(answer, "cancel")

    def ask_restore(self, parent: QWidget, path: str, saved: str) -> bool:
        answer = QMessageBox.question(
            parent,
            "Restore unsaved work?",
            f"A ConvScope window did not close cleanly. Restore the work autosaved {saved}?"
            f"\n\n({path})",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        return answer == QMessageBox.StandardButton.Yes
