"""The main window: input panel | layer maps | inspector, with menus and a status bar.

Other parts of the app add themselves with :meth:`MainWindow.add_dock` and by adding
actions to :attr:`MainWindow.file_menu` (or any menu in :attr:`MainWindow.menus`).
View ▸ Presentation mode (F5) enlarges the fonts and hides the bottom docks for a projector;
View ▸ Full screen is F11; View ▸ Theme switches dark, light and high-contrast (remembered).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QWidget,
)

from gui.app import theme as themes
from gui.app.theme import set_presentation_fonts
from gui.compute.scheduler import RENDER_ONLY, ComputeScheduler
from gui.lab.input.input_panel import InputPanel
from gui.lab.inspector.inspector import Inspector
from gui.lab.maps.maps_view import MapsView
from gui.state.document import Document
from gui.widgets.themes import colours, set_tone

# The bottom docks (layers, training) take this share of the height, within these bounds;
# the maps keep the rest.
BOTTOM_SHARE, BOTTOM_MIN, BOTTOM_MAX = 0.25, 180, 300
WIDE_PANEL = 800  # px: a bottom dock's panel wider than this scrolls sideways
# Presentation mode: each side panel takes this share of the width, up to a limit in px,
# or what its content needs if that is more (nothing scrolls sideways).
PRESENTATION_SIDE_SHARE, PRESENTATION_SIDE_MAX = 0.25, 420

MESSAGE_TONES = {"warning": "warning", "error": "error"}  # the theme's colours (set_tone)


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
        # The maps and the lessons' labs share the middle, as tabs (no tab bar for one).
        self.labs = QTabWidget()
        self.labs.setObjectName("labs")
        self.labs.setDocumentMode(True)
        self.labs.setTabBarAutoHide(True)
        self.labs.addTab(self.maps_view, "Maps")
        self._lab_builders: dict[str, Callable[[], QWidget]] = {}
        self.labs.currentChanged.connect(self._build_current_lab)
        splitter.addWidget(self.labs)
        splitter.addWidget(_scrolling(self.inspector))
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 0)
        splitter.setCollapsible(1, False)
        self.splitter = splitter
        self.setCentralWidget(splitter)
        # in presentation mode the side panels follow their contents' needs (_hold_side_panels)
        self.input_panel.installEventFilter(self)
        self.inspector.installEventFilter(self)
        self._sized = False
        self._held: list[list[QWidget]] = []  # pieces left out of the first paint, in order
        self._releasing = False  # the first paint is done, the held pieces are on their way
        self._awaiting_paint = False  # a piece was released; the next waits for its paint

        self._message = QLabel()
        self._message.setObjectName("messageLabel")
        self._message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self._message, 1)
        document.message.connect(self.show_message)

        self.menus: dict[str, QMenu] = {}
        self.docks: list[QDockWidget] = []  # added with add_dock, in order
        self._hidden_for_presentation: list[QDockWidget] = []
        self._splitter_before: list[int] = []
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
            help_menu = self.menus.get("Help")
            if help_menu is not None:  # Help stays last
                menu = QMenu(title, self)
                self.menuBar().insertMenu(help_menu.menuAction(), menu)
                self.menus[title] = menu
            else:
                self.menus[title] = self.menuBar().addMenu(title)
        return self.menus[title]

    def add_lab(self, title: str, build: Callable[[], QWidget], tip: str = "") -> None:
        """A lab as a tab beside the maps, built by ``build()`` the first time it is shown
        (a lab nobody opens costs nothing at start)."""
        placeholder = QWidget()
        placeholder.setObjectName(f"lab-placeholder:{title}")
        self._lab_builders[title] = build
        index = self.labs.addTab(placeholder, title)
        if tip:
            self.labs.setTabToolTip(index, tip)

    def lab(self, title: str) -> QWidget | None:
        """The lab called ``title`` if it was built (shown once), else None."""
        for i in range(self.labs.count()):
            if self.labs.tabText(i) == title and title not in self._lab_builders:
                return self.labs.widget(i)
        return None

    def show_lab(self, title: str) -> QWidget:
        """Bring the lab (or "Maps") to the front, building it first if need be."""
        for i in range(self.labs.count()):
            if self.labs.tabText(i) == title:
                self.labs.setCurrentIndex(i)
                self._build_current_lab(i)
                return self.labs.widget(i)
        raise KeyError(f"no lab called {title!r}")

    def _build_current_lab(self, index: int) -> None:
        title = self.labs.tabText(index)
        build = self._lab_builders.pop(title, None)
        if build is None:
            return
        tip = self.labs.tabToolTip(index)
        placeholder = self.labs.widget(index)
        self.labs.blockSignals(True)  # replacing the tab is not a change of tab
        self.labs.removeTab(index)
        self.labs.insertTab(index, build(), title)
        self.labs.setTabToolTip(index, tip)
        self.labs.setCurrentIndex(index)
        self.labs.blockSignals(False)
        placeholder.deleteLater()

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
        self.docks.append(dock)
        self.view_menu.insertAction(self._view_separator, dock.toggleViewAction())
        return dock

    def bottom_docks(self) -> list[QDockWidget]:
        """The docks in the bottom area, in the order they were added."""
        area = Qt.DockWidgetArea.BottomDockWidgetArea
        return [d for d in self.docks if self.dockWidgetArea(d) == area]

    def arrange_bottom_docks(self) -> None:
        """The bottom docks as tabs (above their content), the first one in front.

        Their own title bars would repeat the tab names: the tabs carry the names and the
        View menu shows or hides them.
        """
        docks = self.bottom_docks()
        if not docks:
            return
        self.setTabPosition(Qt.DockWidgetArea.BottomDockWidgetArea, QTabWidget.TabPosition.North)
        for dock in docks:
            if len(docks) > 1:
                dock.setTitleBarWidget(QWidget(dock))
            widget = dock.widget()
            if (
                not isinstance(widget, QScrollArea)
                and widget.minimumSizeHint().width() > WIDE_PANEL
            ):
                # a wide panel (the trainer) scrolls rather than widen the window; narrower
                # ones fill the dock as they are (a scroll area would size them by their
                # height-for-width and hide their last rows)
                dock.setWidget(_scrolling(widget))
            if dock is not docks[0] and dock not in self.tabifiedDockWidgets(docks[0]):
                self.tabifyDockWidget(docks[0], dock)
        docks[0].raise_()
        for dock in docks[1:]:
            self._lay_out_when_in_front(dock)
        self._size_bottom_docks()

    def _lay_out_when_in_front(self, dock: QDockWidget) -> None:
        """Keep a scrolling dock's panel hidden while its tab is behind another one.

        Qt keeps a dock behind a tab "visible", only moved out of sight: its panel would be
        shown, laid out and resized with the window (the trainer's hundreds of widgets and
        plots, a third of the first event-loop pass after show). Hidden, it costs nothing
        until the reader brings its tab to the front.
        """
        area = dock.widget()
        panel = area.widget() if isinstance(area, QScrollArea) else None
        if panel is None or self.dockWidgetArea(dock) != Qt.DockWidgetArea.BottomDockWidgetArea:
            return
        panel.hide()

        def visibility(visible: bool) -> None:
            # True: its tab came to the front (or the dock was shown on its own)
            if visible:
                panel.show()
                dock.visibilityChanged.disconnect(visibility)

        dock.visibilityChanged.connect(visibility)

    def _size_bottom_docks(self) -> None:
        docks = self.bottom_docks()
        if docks:
            height = int(min(BOTTOM_MAX, max(BOTTOM_MIN, self.height() * BOTTOM_SHARE)))
            self.resizeDocks(docks[:1], [height], Qt.Orientation.Vertical)

    # ------------------------------------------------------- presentation
    def set_presentation(self, on: bool) -> None:
        """Large fonts and no bottom docks (a projector), or back to how it was."""
        if on == self.presentation_action.isChecked() and on == bool(self._presenting):
            return
        self._presenting = on
        self.presentation_action.blockSignals(True)
        self.presentation_action.setChecked(on)
        self.presentation_action.blockSignals(False)
        set_presentation_fonts(on, self)
        if on:
            # "open" includes a dock behind another one's tab (not visible, not closed)
            self._hidden_for_presentation = [d for d in self.bottom_docks() if not d.isHidden()]
            for dock in self._hidden_for_presentation:
                dock.hide()
            self._splitter_before = self.splitter.sizes()
            QTimer.singleShot(0, self._fit_side_panels)  # once the new fonts are laid out
        else:
            self._hold_side_panels()  # let go
            docks, self._hidden_for_presentation = self._hidden_for_presentation, []
            for dock in docks:
                dock.show()
            if docks:
                docks[0].raise_()
            self._size_bottom_docks()
            if self._splitter_before:
                self.splitter.setSizes(self._splitter_before)

    def _fit_side_panels(self) -> None:
        """Side panels at least as wide as their (larger) contents need, so nothing scrolls
        sideways, and a fixed share of a wide window; the maps keep the rest."""
        if not self._presenting:
            return
        self._hold_side_panels()
        total = sum(self.splitter.sizes())
        share = min(int(total * PRESENTATION_SIDE_SHARE), PRESENTATION_SIDE_MAX)
        left, right = (max(self.side_panel_need(i), share) for i in (0, 2))
        if total - left - right >= total // 3:
            self.splitter.setSizes([left, total - left - right, right])

    def _hold_side_panels(self) -> None:
        """While presenting, a side panel is never narrower than its content (e.g. a layer
        with wider kernel controls selected later): the splitter takes the room from the
        maps. Otherwise the panels may be narrower and scroll (small screens)."""
        for index in (0, 2):
            area = self.splitter.widget(index)
            need = self.side_panel_need(index) if self._presenting else 0
            if area.minimumWidth() != need:
                area.setMinimumWidth(need)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # a side panel's contents changed their size needs (fonts, selection, 1D/2D)
        if event.type() == QEvent.Type.LayoutRequest and self._presenting:
            self._hold_side_panels()
        return super().eventFilter(watched, event)

    def side_panel_need(self, index: int) -> int:
        """The width the splitter's side panel ``index`` (0 or 2) needs to show its content
        without scrolling sideways (with its vertical scroll bar)."""
        area = self.splitter.widget(index)
        if not isinstance(area, QScrollArea):
            return area.minimumSizeHint().width()
        frame = 2 * area.frameWidth()
        bar = area.verticalScrollBar().sizeHint().width()
        return area.widget().minimumSizeHint().width() + bar + frame

    @property
    def presenting(self) -> bool:
        return bool(self._presenting)

    def set_full_screen(self, on: bool) -> None:
        if on:
            self.showFullScreen()
        else:
            self.showNormal()
        self.full_screen_action.blockSignals(True)
        self.full_screen_action.setChecked(on)
        self.full_screen_action.blockSignals(False)

    def show_message(self, level: str, text: str) -> None:
        """Show a document message in the status bar (errors stay until replaced)."""
        set_tone(self._message, MESSAGE_TONES.get(level, ""))
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
            open_action,
            save_action,
            quit_action,
        )

        edit_menu = self.menu("Edit")
        undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence("Ctrl+Z"))
        redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)
        self.undo_action, self.redo_action = undo, redo

        view_menu = self.menu("View")
        # dock toggles go above this separator (add_dock)
        self._view_separator = view_menu.addSeparator()
        self._presenting = False
        presentation = QAction("&Presentation mode", self)
        presentation.setCheckable(True)
        presentation.setShortcut(QKeySequence("F5"))
        presentation.setStatusTip(
            "Large fonts and only the maps, input and inspector (for a projector)"
        )
        presentation.toggled.connect(self.set_presentation)
        full = QAction("&Full screen", self)
        full.setCheckable(True)
        full.setShortcut(QKeySequence("F11"))
        full.toggled.connect(self.set_full_screen)
        view_menu.addAction(presentation)
        view_menu.addAction(full)
        self.presentation_action, self.full_screen_action = presentation, full
        self._build_theme_menu(view_menu)

    # ------------------------------------------------------------- themes
    def _build_theme_menu(self, view_menu: QMenu) -> None:
        menu = view_menu.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name in themes.THEME_NAMES:
            action = QAction(themes.THEME_TITLES[name], self, checkable=True)
            action.setChecked(name == colours().name)
            action.triggered.connect(lambda _on, n=name: self.set_theme(n))
            group.addAction(action)
            menu.addAction(action)
            self.theme_actions[name] = action
        self.theme_menu = menu

    @property
    def theme(self) -> str:
        """The current theme's name (dark, light, high-contrast)."""
        return colours().name

    def set_theme(self, name: str, remember: bool = True) -> None:
        """Switch the theme: palette, style sheet, plots, the maps' gaps (redrawn); the
        choice is remembered for the next start (``remember``)."""
        if name not in themes.THEME_NAMES:
            self.document.notify("error", f"unknown theme '{name}'")
            return
        if name != colours().name:
            themes.set_theme(name, self)
            self.scheduler.request(RENDER_ONLY)  # the tiles' gaps take the new background
        self.theme_actions[name].setChecked(True)
        if remember:
            themes.remember_theme(name)

    def add_file_action(self, action: QAction) -> None:
        """Put ``action`` into the File menu above Quit."""
        self.file_menu.insertAction(self._quit_separator, action)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if not self._sized:
            # Most of the width to the maps; the side panels keep what they need.
            self._sized = True
            total = sum(self.splitter.sizes()) or self.width()
            # the inspector's form needs about 290 px besides its scroll bar
            # (the inspector's need includes its own scroll bar: no sideways scrolling)
            left = max(290, int(total * 0.2))
            right = max(306, min(self.side_panel_need(2), total // 3), int(total * 0.2))
            self.splitter.setSizes([left, total - left - right, right])
            self._size_bottom_docks()
            self._hold_first_paint()
        super().showEvent(event)

    def _hold_first_paint(self) -> None:
        """Paint the new window in pieces, one per event-loop pass: the maps first, then the
        side panels, then the bottom docks (the layers table asks its model for every cell).
        Painted at once, the whole window was the longest stall of the event loop at
        start-up."""
        stages = [
            [self.splitter.widget(0), self.splitter.widget(2)],
            [d for d in self.bottom_docks() if not d.isHidden()],
        ]
        self._held = [stage for stage in stages if stage]
        for stage in self._held:
            for widget in stage:
                widget.setUpdatesEnabled(False)

    def _release_held(self) -> None:
        """Let the next held piece paint (in the window's next paint); the piece after it
        waits for that paint."""
        if not self._held:
            return
        for widget in self._held.pop(0):
            widget.setUpdatesEnabled(True)  # and schedules its paint
        self._awaiting_paint = bool(self._held)

    @property
    def painting_in_pieces(self) -> bool:
        """Pieces of the new window still wait for their first paint (_hold_first_paint)."""
        return bool(self._held)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        # an update request paints every dirty region of the window: the piece released
        # last has painted, the next one may go
        if event.type() == QEvent.Type.UpdateRequest and self._awaiting_paint:
            self._awaiting_paint = False
            QTimer.singleShot(0, self._release_held)
        return handled

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if self._held and not self._awaiting_paint and not self._releasing:
            self._releasing = True  # the first paint is done: the held pieces follow
            QTimer.singleShot(0, self._release_held)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().closeEvent(event)
        if not event.isAccepted():
            return
        if self._presenting:
            self.set_presentation(False)  # the application's fonts are shared
        self.scheduler.shutdown()
