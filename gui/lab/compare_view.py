"""Compare two networks on the same input: shapes, parameter counts, totals and maps.

Network A is the document's. Network B (a preset or a file) lives in a second, private
:class:`~gui.state.document.Document` that follows the main document's input and view settings;
its own :class:`~gui.compute.scheduler.ComputeScheduler` computes B's maps off the GUI thread, and
a second :class:`~gui.lab.maps.maps_view.MapsView` draws them. All figures come from the engine's
``analyze`` (through each document's ``analysis``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.errors import DataError, EngineError
from engine.limits import Watch
from gui.compute.loading import FileLoader
from gui.state.document import Document
from gui.widgets.text_format import ERROR_COLOR, fmt_count, fmt_shape
from gui.widgets.themes import colours

NETWORK_FILTER = "Networks and workspaces (*.json *.convscope)"
HEADERS = ("A: layer", "output", "params", "B: layer", "output", "params")


def ratio_text(a: int, b: int) -> str:
    """'B has 28.8× as many parameters as A' (or the other way round)."""
    if a == b:
        return "the same number of parameters"
    if min(a, b) == 0:
        return ""
    if b > a:
        return f"B has {b / a:.1f}× as many parameters as A"
    return f"A has {a / b:.1f}× as many parameters as B"


def load_network_file(path: str | os.PathLike, watch: Watch | None = None):
    """(spec, weights or None) from a network JSON or a workspace file.

    An OS error comes as a DataError with its reason (so the file loader's message is it).
    """
    from engine.serialize import load_network
    from engine.workspace import load_workspace

    try:
        if watch is not None:
            watch.check(0.0)
        if os.fspath(path).endswith(".convscope"):
            workspace = load_workspace(path, watch=watch)
            return workspace.spec, workspace.weights
        return load_network(path), None
    except OSError as error:
        raise DataError(str(error.strerror or error)) from None
    except MemoryError:
        raise DataError("the file is too large to load") from None


class CompareView(QWidget):
    """Side by side: the document's network (A) and a second network (B) on the same input.

    Parameters
    ----------
    document, scheduler:
        The lab's document and scheduler (network A and its maps).
    choose_file:
        Returns a path for "From file…" (default: a file dialog); injectable for tests.

    Signals
    -------
    compared()
        Network B changed (a new choice).
    """

    compared = Signal()

    def __init__(
        self,
        document: Document,
        scheduler,
        parent: QWidget | None = None,
        choose_file: Callable[[], str | None] | None = None,
        maps: bool = True,
    ):
        super().__init__(parent)
        self.document = document
        self.loader = FileLoader(self, "convscope-compare-read")
        self.scheduler = scheduler
        self.choose_file = choose_file or self._ask_file
        self.other: Document | None = None
        self.other_scheduler = None
        self.other_label = ""
        self._with_maps = maps

        top = self._build_chooser()
        self._build_table()
        self.maps_row = QSplitter(Qt.Orientation.Horizontal, self)
        self.maps_a = None
        self.maps_b = None
        self.mirror: Document | None = None
        self.mirror_scheduler = None
        if maps:
            self._build_mirror_maps(document)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self._split(maps), 1)

        document.networkChanged.connect(self._follow_network)
        document.inputChanged.connect(self._follow_input)
        document.viewChanged.connect(self._follow_view)
        self.refresh()

    def _build_chooser(self) -> QHBoxLayout:
        """The row that picks network B: a preset, or a file."""
        from engine.presets import preset_names

        self.choice = QComboBox(self)
        self.choice.addItem("Choose network B…")
        self.choice.setToolTip(
            "A preset to compare with; 'From file…' takes a network .json or a .convscope workspace"
        )
        self.choice.addItems(list(preset_names()))
        self.choice.activated.connect(self._choice_activated)
        self.file_button = QPushButton("From file…", self)
        self.file_button.clicked.connect(self._file_clicked)
        top = QHBoxLayout()
        top.addWidget(QLabel("Compare the current network (A) with B:"))
        top.addWidget(self.choice)
        top.addWidget(self.file_button)
        top.addStretch(1)
        return top

    def _build_table(self) -> None:
        """The side-by-side table of shapes and counts, and the totals under it."""
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.totals = QLabel(self)
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.totals.setWordWrap(True)

    def _build_mirror_maps(self, document: Document) -> None:
        # A's maps come from a mirror of the document with its own scheduler: the main
        # scheduler's display size belongs to the main window's maps view.
        from gui.compute.scheduler import ComputeScheduler
        from gui.lab.maps.maps_view import MapsView

        self.mirror = Document(document.input, document.spec, document.weights)
        self.mirror.undo_stack.setUndoLimit(1)
        self.mirror.set_view(**asdict(document.view))
        self.mirror_scheduler = ComputeScheduler(self.mirror, threads=1)
        self.maps_a = MapsView(self.mirror, self.mirror_scheduler)
        self.maps_row.addWidget(self._titled("A: the current network", self.maps_a))

    def _split(self, maps: bool) -> QSplitter:
        """Table and totals above, the two networks' maps below."""
        split = QSplitter(Qt.Orientation.Vertical, self)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.table, 1)
        upper_layout.addWidget(self.totals)
        split.addWidget(upper)
        split.addWidget(self.maps_row)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        split.setSizes([320, 480] if maps else [800, 0])
        return split

    # ------------------------------------------------------------- network B
    def set_other(self, spec, weights=None, label: str = "") -> bool:
        """Make ``spec`` network B (weights None: freshly initialised), on the same input."""
        try:
            other = Document(self.document.input, spec, weights)
        except (EngineError, ValueError) as error:
            self.document.notify("error", f"Cannot compare with {label}: {error}")
            return False
        other.undo_stack.setUndoLimit(1)  # B is never undone; keep no history
        other.set_view(**asdict(self.document.view))
        self._drop_other()
        self.other, self.other_label = other, label or spec.name or "network B"
        if self._with_maps:
            from gui.compute.scheduler import ComputeScheduler
            from gui.lab.maps.maps_view import MapsView

            self.other_scheduler = ComputeScheduler(other, threads=1)
            self.maps_b = MapsView(other, self.other_scheduler)
            self.maps_row.addWidget(self._titled(f"B: {self.other_label}", self.maps_b))
        self.refresh()
        self.compared.emit()
        return True

    def load_preset(self, name: str) -> bool:
        from engine.presets import get_preset

        try:
            spec = get_preset(name)
        except EngineError as error:
            self.document.notify("error", str(error))
            return False
        if not self.set_other(spec, None, name):
            return False
        self.choice.setCurrentIndex(max(0, self.choice.findText(name)))
        return True

    def load_file(self, path: str | os.PathLike, *, wait: bool = False) -> bool:
        """Compare with the network in ``path``: read off the GUI thread (``self.loader``:
        progress, Cancel), True means the read started; ``wait``: read it here and now and
        return whether B is that network. A Cancel or a failure leaves B as it was."""
        name = Path(path).name
        fail = f"Cannot compare with {name}"
        if wait:
            self.loader.cancel()
            try:
                read = load_network_file(path)
            except EngineError as error:
                self.document.notify("error", f"{fail}: {error}")
                return False
            return self._adopt_file(name, read)
        self.loader.start(
            f"Reading {name}…",
            lambda watch: load_network_file(path, watch),
            lambda read: self._adopt_file(name, read),
            lambda message: self.document.notify("error", f"{fail}: {message}"),
            lambda: self.document.notify("info", f"Reading {name} cancelled"),
        )
        return True

    def _adopt_file(self, name: str, read) -> bool:
        spec, weights = read
        if not self.set_other(spec, weights, name):
            return False
        self.choice.setCurrentIndex(0)
        return True

    def _drop_other(self) -> None:
        if self.other_scheduler is not None:
            self.other_scheduler.shutdown()
        if self.maps_b is not None:
            holder = self.maps_b.parentWidget()
            holder.setParent(None)
            holder.deleteLater()
        self.other, self.other_scheduler, self.maps_b = None, None, None

    def shutdown(self) -> None:
        """Stop the worker threads (call when the view goes away)."""
        self.loader.shutdown()
        self._drop_other()
        if self.mirror_scheduler is not None:
            self.mirror_scheduler.shutdown()
            self.mirror_scheduler = None
        for signal, slot in (
            (self.document.networkChanged, self._follow_network),
            (self.document.inputChanged, self._follow_input),
            (self.document.viewChanged, self._follow_view),
        ):
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass  # already disconnected

    def _follow_network(self, *_args) -> None:
        if self.mirror is not None:
            doc = self.document
            self.mirror.load(doc.input, doc.spec, doc.weights, "Follow network")
        self.refresh()

    def _follow_input(self) -> None:
        doc = self.document
        if self.mirror is not None:
            self.mirror.load(doc.input, doc.spec, doc.weights, "Follow input")
        if self.other is not None:
            self.other.set_input(doc.input, text="Follow input")
        self.refresh()

    def _follow_view(self) -> None:
        for mirror in (self.mirror, self.other):
            if mirror is not None:
                mirror.set_view(**asdict(self.document.view))

    # ---------------------------------------------------------------- table
    def refresh(self, *_args) -> None:
        a = self.document.analysis.layers
        b = self.other.analysis.layers if self.other is not None else []
        self.table.setRowCount(max(len(a), len(b)))
        for row in range(self.table.rowCount()):
            for side, infos in ((0, a), (3, b)):
                info = infos[row] if row < len(infos) else None
                self._fill(row, side, info)
        self.totals.setText(self.totals_text())

    def _fill(self, row: int, column: int, info) -> None:
        if info is None:
            texts, tip = ("", "", ""), ""
        elif info.error is not None:
            texts, tip = (info.name, "⚠ error", "—"), str(info.error)
        else:
            texts, tip = (info.name, fmt_shape(info.out_shape), fmt_count(info.parameters)), ""
        for offset, text in enumerate(texts):
            item = QTableWidgetItem(text)
            if offset == 2:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if tip:
                item.setToolTip(tip)
                item.setForeground(QBrush(QColor(ERROR_COLOR)))
            self.table.setItem(row, column + offset, item)

    def totals_text(self) -> str:
        a = self.document.analysis.total.parameters
        name_a = self.document.spec.name or "current network"
        text = f"<b>A</b> ({name_a}): <b>{fmt_count(a)}</b> parameters"
        if self.other is None:
            return text + " &nbsp;·&nbsp; choose network B to compare"
        b = self.other.analysis.total.parameters
        text += (
            f" &nbsp;vs&nbsp; <b>B</b> ({self.other_label}): <b>{fmt_count(b)}</b> "
            f"parameters &nbsp;·&nbsp; {ratio_text(a, b)}"
        )
        error = self.other.analysis.first_error()
        if error is not None:
            text += f"<br><span style='color:{colours().error}'>B on this input: {error}</span>"
        return text

    # -------------------------------------------------------------- widgets
    def _titled(self, title: str, widget: QWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel(f"<b>{title}</b>")
        layout.addWidget(label)
        layout.addWidget(widget, 1)
        return box

    def _choice_activated(self, row: int) -> None:
        if row > 0:
            self.load_preset(self.choice.itemText(row))

    def _file_clicked(self) -> None:
        path = self.choose_file()
        if path:
            self.load_file(path)

    def _ask_file(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, "Network B", "", NETWORK_FILTER)
        return path or None


class CompareDialog(QDialog):
    """A non-modal window holding a :class:`CompareView`; stops B's worker when closed."""

    def __init__(self, document, scheduler, parent: QWidget | None = None, **kwargs):
        super().__init__(parent)
        self.setWindowTitle("Compare networks — ConvScope")
        self.view = CompareView(document, scheduler, self, **kwargs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.view)
        self.resize(1200, 800)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.view.shutdown()
        super().closeEvent(event)


class CompareLauncher(QObject):
    """The "Compare networks…" action: opens (or raises) one compare window."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.dialog: CompareDialog | None = None
        self.action = QAction("&Compare networks…", window)
        self.action.setStatusTip("Two networks side by side on the same input")
        self.action.triggered.connect(self.open)

    def open(self) -> CompareDialog:
        if self.dialog is None:
            self.dialog = CompareDialog(self.window.document, self.window.scheduler, self.window)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog


def install_compare(window) -> CompareLauncher:
    """Add View ▸ Compare networks… to ``window``."""
    launcher = CompareLauncher(window)
    window.view_menu.addAction(launcher.action)
    window.compare_launcher = launcher
    return launcher
