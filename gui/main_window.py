"""The main window: input panel | layer maps | inspector, with menus and a status bar.

Other parts of the app add themselves with :meth:`MainWindow.add_dock` and by adding
actions to :attr:`MainWindow.file_menu` (or any menu in :attr:`MainWindow.menus`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QWidget,
)

from .document import Document
from .input_panel import InputPanel
from .inspector import Inspector
from .maps_view import MapsView
from .scheduler import ComputeScheduler

MESSAGE_MS = {"info": 4000, "warning": 8000, "error": 0}  # errors stay until the next message
MESSAGE_COLOURS = {"info": "", "warning": "#f0b429", "error": "#ff6b6b"}


def _scrolling(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    return area


class MainWindow(QMainWindow):
    """The lab's window. ``menus`` maps a menu title ("File", "Edit", "View") to its QMenu."""

    def __init__(self, document: Document, scheduler: ComputeScheduler):
        super().__init__()
        self.document = document
        self.scheduler = scheduler
        self.setWindowTitle("ConvScope")

        self.input_panel = InputPanel(document, scheduler)
        self.maps_view = MapsView(document, scheduler)
        self.inspector = Inspector(document, scheduler)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        # The side panels scroll rather than force a minimum window size (small screens).
        splitter.addWidget(_scrolling(self.input_panel))
        splitter.addWidget(self.maps_view)
        splitter.addWidget(_scrolling(self.inspector))
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 0)
        splitter.setCollapsible(1, False)
        self.splitter = splitter
        self.setCentralWidget(splitter)
        self._sized = False

        self._message = QLabel()
        self._message.setObjectName("messageLabel")
        self._message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self._message, 1)
        document.message.connect(self.show_message)

        self.menus: dict[str, QMenu] = {}
        self._build_menus()

    # ------------------------------------------------------------------ API
    @property
    def file_menu(self) -> QMenu:
        return self.menus["File"]

    @property
    def edit_menu(self) -> QMenu:
        return self.menus["Edit"]

    @property
    def view_menu(self) -> QMenu:
        return self.menus["View"]

    def menu(self, title: str) -> QMenu:
        """The menu called ``title``, created (before Help) if it does not exist yet."""
        if title not in self.menus:
            self.menus[title] = self.menuBar().addMenu(title)
        return self.menus[title]

    def add_dock(
        self,
        widget: QWidget,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.BottomDockWidgetArea,
        title: str = "",
    ) -> QDockWidget:
        """Add ``widget`` in a dock; its show/hide action goes into the View menu."""
        dock = QDockWidget(title or widget.windowTitle(), self)
        dock.setObjectName(f"dock:{title}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def show_message(self, level: str, text: str) -> None:
        """Show a document message in the status bar (errors stay until replaced)."""
        colour = MESSAGE_COLOURS.get(level, "")
        self._message.setStyleSheet(f"color: {colour};" if colour else "")
        self._message.setText(text)
        self._message.setToolTip(text)
        self.statusBar().clearMessage()

    @property
    def message_text(self) -> str:
        return self._message.text()

    # -------------------------------------------------------------- menus
    def _build_menus(self) -> None:
        file_menu = self.menu("File")
        open_action = QAction("&Open input…", self)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self.input_panel.open_input)
        save_action = QAction("&Save input…", self)
        save_action.setShortcut(QKeySequence.StandardKey.Save)
        save_action.triggered.connect(self.input_panel.save_input)
        file_menu.addAction(open_action)
        file_menu.addAction(save_action)
        file_menu.addSeparator()
        self._quit_separator = file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        self.open_action, self.save_action, self.quit_action = (
            open_action, save_action, quit_action,
        )

        edit_menu = self.menu("Edit")
        undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence("Ctrl+Z"))
        redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)
        self.undo_action, self.redo_action = undo, redo
        self.menu("View")

    def add_file_action(self, action: QAction) -> None:
        """Put ``action`` into the File menu above Quit."""
        self.file_menu.insertAction(self._quit_separator, action)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if not self._sized:
            # Most of the width to the maps; the side panels keep what they need.
            self._sized = True
            total = sum(self.splitter.sizes()) or self.width()
            side = max(300, int(total * 0.2))
            self.splitter.setSizes([side, total - 2 * side, side])
        super().showEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.scheduler.shutdown()
        super().closeEvent(event)
