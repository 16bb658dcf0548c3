"""The layer stack designer: a table of the network's layers with add/insert/delete/reorder.

Every action is ONE undoable ``document.set_network`` step; picking a row selects the layer
in the document (the inspector shows it). Shapes, counts and receptive fields come from
``document.analysis``; a layer that cannot work is red in its row with the engine's message.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.errors import EngineError
from gui.designer.add_layer_menu import (
    LayerChoice,
    build_add_menu,
    delete_layer,
    duplicate_layer,
    fill_add_menu,
    insert_layer,
    move_layer,
    new_layer,
)
from gui.designer.layer_list_model import COLUMNS, LayerListModel
from gui.designer.network_totals import NetworkTotals

PRESET_PROMPT = "Load preset…"


class LayerStack(QWidget):
    """Designs ``document.spec``; meant for a dock (``MainWindow.add_dock``)."""

    def __init__(self, document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.model = LayerListModel(document, on_move=self.move_to, parent=self)

        self.table = QTableView(self)
        self.table.setObjectName("layerTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.table.setDragEnabled(True)
        self.table.setAcceptDrops(True)
        self.table.setDropIndicatorShown(True)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        # Small screens: three rows are enough to work with (the dock can float or grow).
        self.table.setMinimumHeight(22 * 3 + 26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # the settings (the longest text) take the width the numbers leave
        header.setSectionResizeMode(COLUMNS.index("Settings"), QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)

        self._build_actions()
        self.totals = NetworkTotals(document, self)

        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        self.add_button = self._menu_button("Add layer", "Add a layer at the end", self.add_at_end)
        self.insert_button = self._menu_button(
            "Insert", "Insert a layer before the selected one", self.insert_at_selection
        )
        tools.addWidget(self.add_button)
        tools.addWidget(self.insert_button)
        for action in (self.duplicate_action, self.delete_action, self.up_action, self.down_action):
            button = QToolButton(self)
            button.setDefaultAction(action)
            tools.addWidget(button)
        tools.addStretch(1)
        self.presets = QComboBox(self)
        self.presets.setToolTip(
            "Replace the network with one of the book's or a teaching network (one undo step)"
        )
        self.presets.addItem(PRESET_PROMPT)
        from engine.presets import describe, preset_names

        for name in preset_names():
            self.presets.addItem(name)
            self.presets.setItemData(
                self.presets.count() - 1, describe(name), Qt.ItemDataRole.ToolTipRole
            )
        self.presets.activated.connect(self._preset_activated)
        tools.addWidget(self.presets)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(tools)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.totals)

        self._showing_selection = False
        self.table.selectionModel().selectionChanged.connect(self._row_selected)
        document.layerSelected.connect(self._show_selection)
        self.model.modelReset.connect(self._show_selection)
        self._show_selection()

    # ----------------------------------------------------------------- widgets
    def _build_actions(self) -> None:
        def action(text, tip, shortcut, slot):
            a = QAction(text, self)
            a.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})")
            a.setShortcut(QKeySequence(shortcut))
            a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            a.triggered.connect(slot)
            self.addAction(a)
            return a

        self.duplicate_action = action(
            "Duplicate", "Duplicate the selected layer", "Ctrl+D", self.duplicate_selected
        )
        self.delete_action = action(
            "Delete", "Delete the selected layer", "Delete", self.delete_selected
        )
        self.up_action = action("▲", "Move the selected layer up", "Alt+Up", self.move_up)
        self.down_action = action("▼", "Move the selected layer down", "Alt+Down", self.move_down)

    def _menu_button(self, text: str, tip: str, on_choice) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        # The entries depend on the network (which max pools exist): refilled on opening.
        menu.aboutToShow.connect(lambda m=menu, f=on_choice: self._fill_menu(m, f))
        button.setMenu(menu)
        return button

    def _fill_menu(self, menu: QMenu, on_choice) -> None:
        at_end = on_choice == self.add_at_end
        index = len(self.document.spec.layers) if at_end else self.insert_index()
        fill_add_menu(menu, self.document.dims, self.document.spec, index, on_choice)

    def _context_menu(self, point: QPoint) -> None:
        menu = build_add_menu(
            self,
            self.document.dims,
            self.document.spec,
            self.insert_index(),
            self.insert_at_selection,
        )
        menu.setTitle("Insert here")
        top = menu.actions()[0] if menu.actions() else None
        for a in (self.duplicate_action, self.delete_action, self.up_action, self.down_action):
            menu.insertAction(top, a)
        menu.insertSeparator(top)
        menu.popup(self.table.viewport().mapToGlobal(point))

    # ------------------------------------------------------------- selection
    def selected_index(self) -> int | None:
        name = self.document.selected_layer
        names = self.document.spec.names()
        return names.index(name) if name in names else None

    def insert_index(self) -> int:
        """Where Insert puts a layer: before the selected one, else at the end."""
        index = self.selected_index()
        return len(self.document.spec.layers) if index is None else index

    def _row_selected(self, *_args) -> None:
        if self._showing_selection:  # our own echo of the document's selection
            return
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.document.select_layer(self.model.layer_name(rows[0].row()))

    def _show_selection(self, *_args) -> None:
        index = self.selected_index()
        selection = self.table.selectionModel()
        has = index is not None
        for a in (self.duplicate_action, self.delete_action):
            a.setEnabled(has)
        self.up_action.setEnabled(has and index > 0)
        self.down_action.setEnabled(has and index < len(self.document.spec.layers) - 1)
        current = selection.selectedRows()
        self._showing_selection = True
        try:
            self._select_row(selection, current, index)
        finally:
            self._showing_selection = False

    def _select_row(self, selection, current, index: int | None) -> None:
        if index is not None and (not current or current[0].row() != index):
            selection.select(
                self.model.index(index, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.table.scrollTo(self.model.index(index, 0))
        elif index is None and current:
            selection.clearSelection()

    # ---------------------------------------------------------------- edits
    def add_at_end(self, choice: LayerChoice, answer: str | None = None) -> bool:
        return self._insert(len(self.document.spec.layers), choice, answer)

    def insert_at_selection(self, choice: LayerChoice, answer: str | None = None) -> bool:
        return self._insert(self.insert_index(), choice, answer)

    def _insert(self, index: int, choice: LayerChoice, answer: str | None) -> bool:
        spec = self.document.spec
        previous = spec.layers[index - 1].name if index > 0 else None
        layer = new_layer(spec, choice, answer, previous)
        if self.document.set_network(
            insert_layer(spec, index, layer), text=f"Add {choice.title.lower()} '{layer.name}'"
        ):
            self.document.select_layer(layer.name)
            return True
        return False

    def delete_selected(self) -> bool:
        index = self.selected_index()
        if index is None:
            return False
        spec = self.document.spec
        name = spec.layers[index].name
        if not self.document.set_network(delete_layer(spec, index), text=f"Delete '{name}'"):
            return False
        names = self.document.spec.names()
        if names:
            self.document.select_layer(names[min(index, len(names) - 1)])
        return True

    def duplicate_selected(self) -> bool:
        index = self.selected_index()
        if index is None:
            return False
        spec, name = duplicate_layer(self.document.spec, index)
        original = self.document.spec.layers[index].name
        # The copy starts with the original's weights (what does not fit is drawn afresh).
        weights = dict(self.document.weights)
        if original in weights:
            weights[name] = dict(weights[original])
        if self.document.set_network(spec, weights, text=f"Duplicate '{original}'", refit=True):
            self.document.select_layer(name)
            return True
        return False

    def move_up(self) -> bool:
        index = self.selected_index()
        return index is not None and index > 0 and self.move_to(index, index - 1)

    def move_down(self) -> bool:
        index = self.selected_index()
        return (
            index is not None
            and index < len(self.document.spec.layers) - 1
            and self.move_to(index, index + 1)
        )

    def move_to(self, source: int, target: int) -> bool:
        """Move layer ``source`` to position ``target`` (one undo step); keeps it selected."""
        spec = self.document.spec
        if source == target or not (0 <= source < len(spec.layers)):
            return False
        name = spec.layers[source].name
        if self.document.set_network(move_layer(spec, source, target), text=f"Move '{name}'"):
            self.document.select_layer(name)
            return True
        return False

    def load_preset(self, name: str) -> bool:
        """Replace the network with a preset: one undo step (with an input that fits it)."""
        from engine.presets import get_preset

        try:
            spec = get_preset(name)
        except EngineError as error:
            self.document.notify("error", str(error))
            return False
        current = self.document.input
        if _fits(spec.input_shape, current.shape):
            ok = self.document.set_network(spec, text=f"Load preset '{name}'")
        else:
            example, source = _input_for(spec)
            ok = self.document.load(example, spec, text=f"Load preset '{name}'", source=source)
        if ok:
            # not a blank inspector: the first layer with weights, its kernels and formula
            doc = self.document
            first = next((n for n in doc.spec.names() if doc.weights.get(n)), None)
            if first is not None:
                doc.select_layer(first)
            doc.notify("info", f"Loaded preset '{name}'")
        return ok

    def _preset_activated(self, row: int) -> None:
        name = self.presets.itemText(row)
        self.presets.setCurrentIndex(0)
        if row > 0:
            self.load_preset(name)


def _fits(wanted: tuple[int, ...], have: tuple[int, ...]) -> bool:
    """True when the current input suits a preset: same dimensionality and channels."""
    return len(wanted) == len(have) and wanted[0] == have[0]


def _input_for(spec):
    """An example input of the preset's shape (a digit, like the book's experiments), and
    the example's name."""
    import numpy as np

    from engine.examples import MNIST1D_LENGTH, make_example

    shape = tuple(spec.input_shape)
    if len(shape) == 2:
        name = "mnist1d-3" if shape[1] == MNIST1D_LENGTH else "chirp"
        example = make_example(name, None if name.startswith("mnist1d") else shape[1])
    else:
        name = "digit-3"
        example = make_example(name, (shape[1], shape[2]))
    example = np.asarray(example, dtype=np.float32)
    # Examples have one channel (or three for photos); repeat the first to fill the channels.
    array = np.ascontiguousarray(np.broadcast_to(example[:1], shape), dtype=np.float32)
    return array, name


def install_layer_stack(window) -> LayerStack:
    """Put the layer stack in a dock under the maps (``window.layer_stack``).

    The main window gives the bottom docks their height (``arrange_bottom_docks``).
    """
    stack = LayerStack(window.document)
    stack.setObjectName("layerStack")
    window.add_dock(stack, Qt.DockWidgetArea.BottomDockWidgetArea, "Layers")
    window.layer_stack = stack
    return stack
