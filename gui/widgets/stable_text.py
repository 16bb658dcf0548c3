"""A label for text that changes often: a new text re-lays out the window only when it
needs another height.

A QLabel in a layout invalidates every layout above it on each ``setText``, so the whole
side panel is laid out and repainted again even when the new text fits the old box (the
formula's arithmetic changes on every kernel edit: measured ~3 ms of layout and paint on
the GUI thread beside the worker computing the maps). Here the QLabel sits in a container
without a layout, which ignores the label's layout requests; the container asks for a new
layout itself, and only when the height the text needs at its width has changed.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class StableText(QWidget):
    """A word-wrapped, selectable QLabel (``label``) that keeps the layout still."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel(text, self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self._measured: tuple | None = None  # ((width, text, font, sheet), height)
        self._height = self._needed(self.width())

    # -------------------------------------------------------------- text
    def text(self) -> str:
        return self.label.text()

    def setText(self, text: str) -> None:  # noqa: N802 - QLabel's name
        self.label.setText(text)
        self._settle()

    def clear(self) -> None:
        self.setText("")

    def setFont(self, font) -> None:  # noqa: N802 - Qt's name
        super().setFont(font)
        self.label.setFont(font)
        self._settle()

    def setStyleSheet(self, sheet: str) -> None:  # noqa: N802 - Qt's name
        self.label.setStyleSheet(sheet)
        self._settle()

    def _settle(self) -> None:
        height = self._needed(self.width())
        if height != self._height:
            self._height = height
            self.updateGeometry()  # the one case the surrounding layout must hear of

    def _needed(self, width: int) -> int:
        # Laying out the text to measure it is the dear part (~0.1 ms for a long formula), and
        # a new text is measured up to four times (setText, the label's layout request, the
        # layout asking): the last answer is kept for the same width, text, font and sheet.
        label = self.label
        key = (width, label.text(), label.font().key(), label.styleSheet())
        if self._measured is not None and self._measured[0] == key:
            return self._measured[1]
        height = label.heightForWidth(width) if width > 0 else label.sizeHint().height()
        self._measured = (key, height)
        return height

    # ------------------------------------------------------------ layout
    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self._needed(width)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self.label.sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self.label.minimumSizeHint()

    def event(self, event) -> bool:
        # The label's own layout requests (new font, style, text) come here, to a parent
        # without a layout: settle whether the surrounding layout needs to know.
        if event.type() == QEvent.Type.LayoutRequest:
            self._settle()
            return True
        return super().event(event)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self._measured = None  # a new application style or font: measure again
        super().changeEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.label.setGeometry(0, 0, self.width(), self.height())
        self._height = self._needed(self.width())
        super().resizeEvent(event)
