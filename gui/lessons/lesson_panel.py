"""The Lessons dock: the lesson's scenes, built from the current state, and presenting them.

The list shows the document's ``lesson``; every change (add, update, rename, move, delete)
is one undoable ``Document.set_lesson``, so nothing is ever lost (Ctrl+Z brings a deleted
scene back). **Present** (F6) goes to the selected scene and from then on PageDown / PageUp
(what presentation clickers send) and the arrow keys go to the next and previous scene;
Escape ends it. Going to a scene goes through the document (:func:`gui.lessons.scenes.restore`).
In the step-through view ← and → keep stepping (PageDown/PageUp still change the scene).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from engine.errors import EngineError
from engine.lessons import (
    MAX_SCENES,
    add_scene,
    delete_scene,
    move_scene,
    rename_scene,
    scene_label,
)
from gui.lessons.scenes import STEP_TAB, capture, restore
from gui.widgets.themes import set_tone

NEXT_KEYS = {Qt.Key.Key_PageDown, Qt.Key.Key_Right, Qt.Key.Key_Down}
PREVIOUS_KEYS = {Qt.Key.Key_PageUp, Qt.Key.Key_Left, Qt.Key.Key_Up}
CLICKER_KEYS = {Qt.Key.Key_PageDown, Qt.Key.Key_PageUp}


class LessonPanel(QWidget):
    """The scene list and its buttons; ``present`` / ``go`` move through the lesson."""

    def __init__(self, window, parent: QWidget | None = None):
        super().__init__(parent)
        self.window_, self.document = window, window.document
        self.current: int | None = None  # the scene shown last (presenting or not)
        self.presenting = False
        self._build()
        self.document.lessonChanged.connect(self.refresh)
        self.refresh()

    # ------------------------------------------------------------- building
    def _build(self) -> None:
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.list.setToolTip(
            "The lesson's scenes. Double-click one to go there; F2 or a click on the "
            "selected one renames it; drag to reorder."
        )
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.model().rowsMoved.connect(self._dragged)
        self.list.itemChanged.connect(self._renamed)
        self.list.itemDoubleClicked.connect(lambda item: self.go(self.list.row(item)))
        self.list.currentRowChanged.connect(lambda _row: self._enable())
        self.add_button = self._button("Add scene", "The current state as a new scene", self.add)
        self.update_button = self._button(
            "Update", "Replace the selected scene by the current state", self.update_scene
        )
        self.rename_button = self._button("Rename", "Give the selected scene a title", self.rename)
        self.up_button = self._button("▲", "Move the selected scene earlier", lambda: self.move(-1))
        self.down_button = self._button("▼", "Move the selected scene later", lambda: self.move(1))
        self.delete_button = self._button(
            "Delete", "Remove the selected scene (Ctrl+Z brings it back)", self.delete
        )
        self.present_button = self._button(
            "Present",
            "Go through the scenes with PageDown/PageUp or the arrows (F6)",
            self.toggle_present,
        )
        self.present_button.setCheckable(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        set_tone(self.status, "muted")

        buttons = QHBoxLayout()
        for b in (
            self.add_button,
            self.update_button,
            self.rename_button,
            self.up_button,
            self.down_button,
            self.delete_button,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.present_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)

    def _button(self, text: str, tip: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    # ------------------------------------------------------------- the list
    @property
    def scenes(self) -> tuple:
        return self.document.lesson

    def refresh(self) -> None:
        """Show the document's scenes (keeping the selected row where it still exists)."""
        scenes = self.scenes
        row = self.list.currentRow()
        self.list.blockSignals(True)
        self.list.clear()
        for i in range(len(scenes)):
            item = QListWidgetItem(scene_label(scenes, i))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            item.setToolTip(_describe(scenes[i]))
            self.list.addItem(item)
        if scenes:
            self.list.setCurrentRow(min(max(row, 0), len(scenes) - 1))
        self.list.blockSignals(False)
        if self.current is not None and self.current >= len(scenes):
            self.current = None
        self._enable()
        self._show_status()

    def _enable(self) -> None:
        row, n = self.list.currentRow(), len(self.scenes)
        chosen = 0 <= row < n
        self.add_button.setEnabled(n < MAX_SCENES)
        for b in (self.update_button, self.rename_button, self.delete_button):
            b.setEnabled(chosen)
        self.up_button.setEnabled(chosen and row > 0)
        self.down_button.setEnabled(chosen and row < n - 1)
        self.present_button.setEnabled(n > 0 or self.presenting)

    def _show_status(self) -> None:
        n = len(self.scenes)
        if n == 0:
            text = "No scenes yet: set the lab up as the hall should see it, then Add scene."
        elif self.presenting and self.current is not None:
            text = (
                f"Presenting scene {self.current + 1} of {n}: PageDown / → next, "
                "PageUp / ← previous, Esc ends."
            )
        else:
            text = f"{n} scene{'s' if n != 1 else ''}. Present (F6) shows them in order."
        self.status.setText(text)

    def _selected(self) -> int | None:
        row = self.list.currentRow()
        return row if 0 <= row < len(self.scenes) else None

    # ------------------------------------------------------------- editing
    def _set(self, scenes: tuple, text: str, select: int | None) -> None:
        self.document.set_lesson(scenes, text)
        if select is not None and 0 <= select < len(scenes):
            self.list.setCurrentRow(select)

    def add(self) -> None:
        """The current state as a new scene after the selected one (or at the end)."""
        row = self._selected()
        at = len(self.scenes) if row is None else row + 1
        try:
            scenes = add_scene(self.scenes, capture(self.window_), at)
        except EngineError as error:
            self.document.notify("error", str(error))
            return
        self._set(scenes, "Add scene", at)
        self.current = at

    def update_scene(self) -> None:
        row = self._selected()
        if row is None:
            return
        old = self.scenes[row]
        scenes = add_scene(delete_scene(self.scenes, row), capture(self.window_, old.title), row)
        self._set(scenes, "Update scene", row)

    def rename(self) -> None:
        row = self._selected()
        if row is not None:
            self.list.editItem(self.list.item(row))

    def rename_to(self, row: int, title: str) -> bool:
        try:
            scenes = rename_scene(self.scenes, row, title)
        except (EngineError, IndexError) as error:
            self.document.notify("error", str(error))
            self.refresh()
            return False
        self._set(scenes, "Rename scene", row)
        return True

    def _renamed(self, item: QListWidgetItem) -> None:
        row = self.list.row(item)
        text = item.text()
        prefix = f"{row + 1}. "
        title = text[len(prefix) :] if text.startswith(prefix) else text
        if title.strip() == f"Scene {row + 1}" and not self.scenes[row].title:
            self.refresh()
            return
        self.rename_to(row, title)

    def move(self, by: int) -> None:
        row = self._selected()
        if row is None or not 0 <= row + by < len(self.scenes):
            return
        self._set(move_scene(self.scenes, row, row + by), "Move scene", row + by)

    def _dragged(self, _parent, start: int, _end: int, _dest, row: int) -> None:
        """A scene dragged in the list: the same move in the document (the list follows)."""
        to = row if row < start else row - 1
        # after the view's drop has finished with its items (the list is rebuilt)
        QTimer.singleShot(0, lambda: self._move_dragged(start, to))

    def _move_dragged(self, start: int, to: int) -> None:
        if 0 <= start < len(self.scenes) and 0 <= to < len(self.scenes) and to != start:
            self._set(move_scene(self.scenes, start, to), "Move scene", to)
        else:
            self.refresh()

    def delete(self) -> None:
        row = self._selected()
        if row is None:
            return
        self._set(delete_scene(self.scenes, row), "Delete scene", min(row, len(self.scenes) - 2))

    # ------------------------------------------------------------- presenting
    def go(self, index: int) -> bool:
        """Show scene ``index`` (clamped to the lesson); False when there is none."""
        scenes = self.scenes
        if not scenes:
            return False
        index = max(0, min(int(index), len(scenes) - 1))
        label = scene_label(scenes, index)
        if not restore(self.window_, scenes[index], f"Go to scene {label}"):
            return False
        self.current = index
        self.list.blockSignals(True)
        self.list.setCurrentRow(index)
        self.list.blockSignals(False)
        self._enable()
        self._show_status()
        self.document.notify("info", f"Scene {label} ({index + 1} of {len(scenes)})")
        return True

    def next(self) -> bool:
        return self.go(0 if self.current is None else self.current + 1)

    def previous(self) -> bool:
        return self.go(0 if self.current is None else self.current - 1)

    def toggle_present(self) -> None:
        self.set_presenting(not self.presenting)

    def set_presenting(self, on: bool) -> None:
        """Present the lesson from the selected scene, or stop (the keys are the lab's again)."""
        on = bool(on) and bool(self.scenes)
        self.presenting = on
        self.present_button.blockSignals(True)
        self.present_button.setChecked(on)
        self.present_button.blockSignals(False)
        action = getattr(self, "present_action", None)  # the Lesson menu's (install_lessons)
        if action is not None:
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)
        if on:
            self.go(self._selected() or 0)
        self._enable()
        self._show_status()


class PresentKeys(QObject):
    """While a lesson is presented: PageDown/PageUp and the arrows change the scene.

    An application event filter, because the key goes to whichever widget has the focus
    (a list, a kernel table) and those would take the arrows themselves. Keys typed into a
    text or number field stay there, and ← → stay with the step-through view.
    """

    def __init__(self, window, panel: LessonPanel):
        super().__init__(window)
        self.window_, self.panel = window, panel

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.KeyPress or not self.panel.presenting:
            return False
        key = Qt.Key(event.key())
        if key == Qt.Key.Key_Escape:
            self.panel.set_presenting(False)
            return True
        if key not in NEXT_KEYS and key not in PREVIOUS_KEYS:
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self.window_:
            return False
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if key not in CLICKER_KEYS and self._typing_or_stepping(watched):
            return False
        if key in NEXT_KEYS:
            self.panel.next()
        else:
            self.panel.previous()
        return True

    def _typing_or_stepping(self, widget: QWidget) -> bool:
        if isinstance(widget, (QLineEdit, QAbstractSpinBox, QTextEdit)):
            return True
        if self.window_.labs.tabText(self.window_.labs.currentIndex()) != STEP_TAB:
            return False
        step = getattr(self.window_, "stepthrough_panel", None)
        return step is not None and (widget is step or step.isAncestorOf(widget))


def _describe(scene) -> str:
    parts = [scene.tab]
    if scene.selected:
        parts.append(f"layer {scene.selected}")
    if scene.tab == STEP_TAB:
        parts.append(f"step {scene.step + 1}")
    parts.append(f"{scene.theme} theme")
    if scene.presentation:
        parts.append("presentation mode")
    return " · ".join(parts)


def install_lessons(window) -> LessonPanel:
    """The Lessons dock beside the bottom docks, its Lesson menu, the presenting keys."""
    panel = LessonPanel(window)
    docks = window.bottom_docks()
    dock = window.add_dock(panel, Qt.DockWidgetArea.BottomDockWidgetArea, "Lessons")
    if docks:
        dock.setTitleBarWidget(QWidget(dock))
        window.tabifyDockWidget(docks[0], dock)
        docks[0].raise_()
    menu = window.menu("Lesson")
    add = QAction("&Add scene", window)
    add.setShortcut(QKeySequence("Ctrl+Shift+A"))
    add.triggered.connect(panel.add)
    present = QAction("&Present lesson", window, checkable=True)
    present.setShortcut(QKeySequence("F6"))
    present.setStatusTip("PageDown/PageUp or the arrows go through the scenes; Esc ends")
    present.toggled.connect(panel.set_presenting)
    show = dock.toggleViewAction()
    for action in (add, present):
        menu.addAction(action)
    menu.addSeparator()
    menu.addAction(show)
    panel.present_action = present
    keys = PresentKeys(window, panel)
    QApplication.instance().installEventFilter(keys)
    window.lessons_panel, window.lessons_dock, window._lesson_keys = panel, dock, keys
    return panel
