"""The input panel (left side): draw, load, built-in examples and live transforms.

Everything goes through the document's undoable methods; the panel keeps only the state of
its own controls. The transforms live in :class:`~gui.lab.input.transform_box.TransformBox`; the
Example combo names the box's source (the untransformed input).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QLabel,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from engine.errors import EngineError
from engine.examples import example_names, make_example
from engine.inputs import IMAGE_SUFFIXES, SIGNAL_SUFFIXES, load_input, save_input
from gui.lab.input.draw_image import DrawImage
from gui.lab.input.draw_signal import DrawSignal
from gui.lab.input.transform_box import TransformBox
from gui.widgets.flow_layout import FlowLayout
from gui.widgets.themes import set_tone

DEFAULT_EXAMPLE = {1: "mnist1d-3", 2: "shapes"}
LAB_PRESET = {1: "lab-1d", 2: "lab-2d"}
OPEN_FILTER = (
    "Inputs (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES + SIGNAL_SUFFIXES) + ");;"
    "Images (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ");;"
    "Signals (" + " ".join(f"*{s}" for s in SIGNAL_SUFFIXES) + ");;All files (*)"
)
DRAWN = "(drawn)"  # the combo's text for an input that came from no example or file
MAX_NAMED = 32  # inputs whose names are kept (undo can bring them back)
SAVE_FILTER = {1: "CSV signal (*.csv);;NumPy array (*.npy)", 2: "PNG image (*.png);;NumPy (*.npy)"}


def lab_network(dims: int):
    """The default lab network for 1D or 2D inputs (``engine.presets``)."""
    from engine.presets import get_preset

    preset = get_preset(LAB_PRESET[dims])
    return getattr(preset, "spec", preset)


class InputPanel(QWidget):
    """Draw, load, choose an example, and transform ``document.input``."""

    def __init__(self, document, scheduler, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.scheduler = scheduler
        self.setAcceptDrops(True)
        self.last_dir = str(Path.home())
        # (input array, its name): the combo names an input by identity, also after undo
        self._names: list[tuple[np.ndarray, str]] = []
        self._incoming: str | None = None  # the name of an input being set right now

        # -- drawing
        self.draw_signal = DrawSignal(document)
        self.draw_image = DrawImage(document)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.draw_signal)
        self.stack.addWidget(self.draw_image)

        # -- transforms (made before our own inputChanged slot is connected: see TransformBox)
        self.transform_box = TransformBox(document)

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(6, 6, 6, 6)
        column.addWidget(self._build_source_box())
        column.addWidget(self.stack, 1)
        column.addWidget(self.transform_box)
        self._column = column
        # the main window puts the panel in a scroll area: no scrolling of our own here
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(body)

        self._connect(document)
        self._show_mode()

    def _build_source_box(self) -> QGroupBox:
        """1D or 2D, the examples, Open and Save, the input's shape and its last error."""
        self.mode_1d = QRadioButton("1D signal")
        self.mode_2d = QRadioButton("2D image")
        self._mode_group = QButtonGroup(self)
        self._mode_group.addButton(self.mode_1d, 1)
        self._mode_group.addButton(self.mode_2d, 2)
        self.example_combo = QComboBox()
        self.example_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.example_combo.setToolTip(
            "Load a built-in example (shows the current input's example or file)"
        )
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Open an image (PNG, JPEG, …) or a signal (CSV, NPY, WAV)")
        self.save_button = QPushButton("Save…")
        self.error_label = QLabel()
        self.error_label.setObjectName("inputError")
        self.error_label.setWordWrap(True)
        set_tone(self.error_label, "error")
        self.error_label.hide()

        source_box = QGroupBox("Input")
        form = QVBoxLayout(source_box)
        # rows that wrap rather than widen the panel (presentation fonts on a laptop)
        modes = FlowLayout(spacing=12)
        modes.addWidget(self.mode_1d)
        modes.addWidget(self.mode_2d)
        form.addLayout(modes)
        row = FlowLayout(fill=True)  # the combo goes below its label when narrow
        row.addWidget(QLabel("Example"))
        row.addWidget(self.example_combo)
        form.addLayout(row)
        files = FlowLayout(fill=True)
        files.addWidget(self.open_button)
        files.addWidget(self.save_button)
        form.addLayout(files)
        form.addWidget(self.error_label)
        self.shape_label = QLabel()
        self.shape_label.setStyleSheet("color: palette(mid);")
        self.shape_label.setWordWrap(True)
        form.addWidget(self.shape_label)
        return source_box

    def _connect(self, document) -> None:
        self.mode_1d.toggled.connect(lambda on: on and self.switch_mode(1))
        self.mode_2d.toggled.connect(lambda on: on and self.switch_mode(2))
        self.example_combo.activated.connect(
            lambda i: self.load_example(self.example_combo.itemText(i))
        )
        self.open_button.clicked.connect(self.open_input)
        self.save_button.clicked.connect(self.save_input)
        self.transform_box.failed.connect(self._error)
        document.inputChanged.connect(self._input_changed)

    def add_section(self, widget: QWidget) -> None:
        """Put ``widget`` under the drawing, above the transforms (e.g. the task overlay's
        controls, given by the app room)."""
        self._column.insertWidget(self._column.indexOf(self.transform_box), widget)

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        # The main window's scroll area makes the panel at least this tall: as little as
        # its rows (wrapped to this width) need, so the drawing shrinks to fit the window
        # as it did before rows could wrap (not the drawing's large preferred height).
        return self.layout().totalMinimumHeightForWidth(width)

    # ------------------------------------------------------------ examples
    def switch_mode(self, dims: int) -> bool:
        """Load the default example and lab network of 1D or 2D (one undo step)."""
        if dims == self.document.dims:
            return True
        name = DEFAULT_EXAMPLE[dims]
        try:
            array = make_example(name)
            spec = lab_network(dims)
        except (EngineError, ImportError) as error:
            self._show_mode()
            return self._error(f"cannot switch to {dims}D: {error}")
        with self._naming(name):
            ok = self.document.load(array, spec, text=f"Switch to {dims}D ({name})")
        if ok:
            self._clear_error()
        self._show_mode()
        return ok

    def load_example(self, name: str) -> bool:
        try:
            array = make_example(name)
        except EngineError as error:
            return self._error(str(error))
        with self._naming(name):
            if array.ndim - 1 != self.document.dims:
                return self._load_other_kind(array, f"Example {name}")
            ok = self.document.set_input(array, text=f"Example {name}")
        if ok:
            self._clear_error()
        return ok

    # ------------------------------------------------------------ files
    def open_input(self) -> None:
        """File > Open input…: choose a file and load it."""
        path, _ = QFileDialog.getOpenFileName(self, "Open input", self.last_dir, OPEN_FILTER)
        if path:
            self.load_path(path)

    def save_input(self) -> None:
        """File > Save input…: choose where to save the current input."""
        suffix = ".csv" if self.document.dims == 1 else ".png"
        start = str(Path(self.last_dir) / f"input{suffix}")
        path, _ = QFileDialog.getSaveFileName(
            self, "Save input", start, SAVE_FILTER[self.document.dims]
        )
        if path:
            self.save_path(path)

    def load_path(self, path: str | Path) -> bool:
        """Load an input file; on any problem the message says why and nothing changes."""
        path = Path(path)
        self.last_dir = str(path.parent)
        try:
            loaded = load_input(path)
        except EngineError as error:
            return self._error(str(error))
        except OSError as error:  # e.g. a directory or a vanished file
            return self._error(f"{path.name}: {error.strerror or error}")
        array = loaded.array
        with self._naming(path.name):
            if array.ndim - 1 != self.document.dims:
                ok = self._load_other_kind(array, f"Open {path.name}")
            else:
                ok = self.document.set_input(array, text=f"Open {path.name}")
        if not ok:
            return False
        self._clear_error()
        if loaded.notice:
            self.document.notify("warning", loaded.notice)
        else:
            self.document.notify("info", f"Opened {path.name} {tuple(array.shape)}")
        return True

    def save_path(self, path: str | Path) -> bool:
        path = Path(path)
        self.last_dir = str(path.parent)
        try:
            save_input(path, self.document.input)
        except EngineError as error:
            return self._error(str(error))
        except OSError as error:
            return self._error(f"{path.name}: {error.strerror or error}")
        self.document.notify("info", f"Saved the input to {path}")
        return True

    def _load_other_kind(self, array: np.ndarray, text: str) -> bool:
        """A signal in 2D mode (or an image in 1D mode) brings the matching lab network."""
        dims = array.ndim - 1
        try:
            spec = lab_network(dims)
        except (EngineError, ImportError) as error:
            return self._error(f"cannot switch to {dims}D: {error}")
        ok = self.document.load(array, spec, text=text)
        if ok:
            self.document.notify("info", f"Switched to {dims}D with the {LAB_PRESET[dims]}")
        return ok

    # -- drag and drop of a file onto the panel
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.load_path(urls[0].toLocalFile())

    # ------------------------------------------------------------ source name
    def show_source(self, name: str | None) -> None:
        """Name the current input (an example's name or a file name) in the Example combo."""
        self._name(self.document.input, name or DRAWN)
        self._show_name()

    def source_name(self) -> str:
        """What the Example combo shows for the current input."""
        return self._lookup(self.transform_box.source) or DRAWN

    @contextmanager
    def _naming(self, name: str):
        """Inputs set inside this block are called ``name``."""
        self._incoming = name
        try:
            yield
        finally:
            self._incoming = None

    def _name(self, array: np.ndarray, name: str) -> None:
        self._names = [(a, n) for a, n in self._names if a is not array][-(MAX_NAMED - 1) :]
        self._names.append((array, name))

    def _lookup(self, array: np.ndarray) -> str | None:
        return next((n for a, n in reversed(self._names) if a is array), None)

    def _show_name(self) -> None:
        name = self.source_name()
        combo = self.example_combo
        combo.blockSignals(True)
        index = combo.findText(name)
        combo.setCurrentIndex(index)
        if index < 0:
            combo.setPlaceholderText(name)
        combo.setToolTip(f"Input: {name}. Choose a built-in example to load it.")
        combo.blockSignals(False)

    # ------------------------------------------------------------ document
    def _input_changed(self) -> None:
        x = self.document.input
        if self._incoming is not None:
            self._name(x, self._incoming)
        self._show_mode()

    def _show_mode(self) -> None:
        dims = self.document.dims
        for button, d in ((self.mode_1d, 1), (self.mode_2d, 2)):
            button.blockSignals(True)
            button.setChecked(d == dims)
            button.blockSignals(False)
        self.stack.setCurrentIndex(dims - 1)
        names = example_names(f"{dims}d")
        if [self.example_combo.itemText(i) for i in range(self.example_combo.count())] != list(
            names
        ):
            self.example_combo.blockSignals(True)
            self.example_combo.clear()
            self.example_combo.addItems(list(names))
            self.example_combo.blockSignals(False)
        self._show_name()
        shape = "×".join(str(s) for s in self.document.input.shape)
        kind = "signal (C, L)" if dims == 1 else "image (C, H, W)"
        self.shape_label.setText(f"{kind}: {shape}")

    def _error(self, text: str) -> bool:
        self.error_label.setText(text)
        self.error_label.show()
        self.document.notify("error", text)
        return False

    def _clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()
