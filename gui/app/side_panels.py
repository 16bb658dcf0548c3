"""Side panels that collapse to a strip: the main window's splitter (input | maps | inspector).

Each handle beside a side panel is a strip with an arrow button: a click (on the button, or
a double-click on the strip) folds the panel away to nothing but that strip and gives its
width to the maps; the same click brings it back at the width it had. On a laptop
(1280×800) the maps then get the whole window; View ▸ Input panel / Inspector (Ctrl+[ and
Ctrl+]) do the same from the keyboard.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSplitter, QSplitterHandle, QToolButton, QVBoxLayout

STRIP_WIDTH = 16  # px: the handle, also what a collapsed panel leaves on screen
SIDE_INDICES = (0, 2)  # the splitter's side panels (1 is the maps)


class PanelHandle(QSplitterHandle):
    """A splitter handle with a button that folds the side panel next to it."""

    def __init__(self, orientation, splitter: PanelSplitter):
        super().__init__(orientation, splitter)
        self.button = QToolButton(self)
        self.button.setObjectName("panelToggle")
        self.button.setAutoRaise(True)
        self.button.setFixedSize(QSize(STRIP_WIDTH, 40))
        self.button.clicked.connect(self._toggle)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addStretch(1)
        layout.addWidget(self.button)
        layout.addStretch(1)

    def panel_index(self) -> int | None:
        """The side panel this handle folds (0 for the first handle, 2 for the second)."""
        splitter = self.splitter()
        for i in range(1, splitter.count()):
            if splitter.handle(i) is self:
                return 0 if i == 1 else (2 if i == 2 else None)
        return None

    def _toggle(self) -> None:
        index = self.panel_index()
        if index is not None:
            splitter = self.splitter()
            splitter.set_collapsed(index, not splitter.is_collapsed(index))

    def refresh(self) -> None:
        """The arrow points where the click moves the panel's edge."""
        index = self.panel_index()
        if index is None:
            return
        collapsed = self.splitter().is_collapsed(index)
        name = self.splitter().panel_names.get(index, "panel")
        left = (index == 0) != collapsed  # fold the input leftwards, restore it rightwards
        self.button.setArrowType(Qt.ArrowType.LeftArrow if left else Qt.ArrowType.RightArrow)
        self.button.setToolTip(f"{'Show' if collapsed else 'Hide'} the {name}")

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._toggle()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(46, 46, 52))
        painter.setPen(QColor(90, 90, 100))
        x = self.width() // 2
        painter.drawLine(x, 4, x, self.height() // 2 - 26)
        painter.drawLine(x, self.height() // 2 + 26, x, self.height() - 4)


class PanelSplitter(QSplitter):
    """A horizontal splitter whose side panels (0 and 2) fold to a strip and come back.

    ``collapsedChanged(index, collapsed)`` is emitted when a side panel folds or returns.
    """

    collapsedChanged = Signal(int, bool)

    def __init__(self, parent=None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setHandleWidth(STRIP_WIDTH)
        self.setChildrenCollapsible(True)
        self.panel_names: dict[int, str] = {0: "input panel", 2: "inspector"}
        self._restore: dict[int, int] = {}  # a folded panel's width before it folded
        self._state: dict[int, bool] = {}
        self.splitterMoved.connect(lambda *_: self.sync())

    def createHandle(self) -> QSplitterHandle:  # noqa: N802 - Qt's name
        return PanelHandle(self.orientation(), self)

    def is_collapsed(self, index: int) -> bool:
        sizes = self.sizes()
        return index < len(sizes) and sizes[index] == 0

    def set_collapsed(self, index: int, collapsed: bool) -> None:
        """Fold side panel ``index`` (its width goes to the maps) or bring it back."""
        if index not in SIDE_INDICES or collapsed == self.is_collapsed(index):
            return
        sizes = self.sizes()
        if collapsed:
            self._restore[index] = sizes[index]
            sizes[1] += sizes[index]
            sizes[index] = 0
        else:
            widget = self.widget(index)
            want = self._restore.pop(index, 0) or widget.sizeHint().width()
            want = max(want, widget.minimumWidth(), 120)
            want = min(want, max(sizes[1] - 200, 120))
            sizes[1] -= want
            sizes[index] = want
        self.setSizes(sizes)
        self.sync()

    def sync(self) -> None:
        for i in range(1, self.count()):
            handle = self.handle(i)
            if isinstance(handle, PanelHandle):
                handle.refresh()
        for index in SIDE_INDICES:
            if index >= self.count():
                continue
            state = self.is_collapsed(index)
            if self._state.get(index) != state:
                self._state[index] = state
                self.collapsedChanged.emit(index, state)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.sync()
