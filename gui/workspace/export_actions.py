"""File ▸ Export ▸ …: the network as PyTorch source, its weights, the maps as PNG or SVG.

Every export writes a temp file and moves it into place; a failure says why in the status
bar and leaves nothing half-written. Dialogs go through the workspace's
:class:`gui.workspace.workspace_dialogs.Dialogs` so tests can inject answers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from engine.errors import EngineError


class ExportActions(QObject):
    """The Export submenu of ``window.file_menu`` (above Quit).

    Parameters
    ----------
    window:
        The :class:`gui.app.main_window.MainWindow` (needs ``document`` and ``maps_view``).
    dialogs:
        Asks for the file names (``save_path(parent, title, filter, suggested)``).
    stem:
        The suggested file name without suffix (e.g. the workspace's name).
    """

    def __init__(self, window, dialogs, stem: Callable[[], str] = lambda: "convscope"):
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.dialogs = dialogs
        self.stem = stem

        def make(text: str, slot) -> QAction:
            action = QAction(text, window)
            action.triggered.connect(lambda _=False: slot())
            return action

        self.menu = QMenu("&Export", window)
        self.source_action = make("PyTorch source…", self.export_source)
        self.weights_action = make("Weights (safetensors / npz)…", self.export_weights)
        self.png_action = make("Maps as PNG…", self.export_png)
        self.svg_action = make("Maps as SVG…", self.export_svg)
        for action in (self.source_action, self.weights_action, self.png_action, self.svg_action):
            self.menu.addAction(action)
        add = getattr(window, "add_file_action", None)
        if add is not None:
            add(self.menu.menuAction())
        else:
            window.file_menu.addAction(self.menu.menuAction())

    def _ask(self, title: str, filter: str, suffix: str) -> Path | None:
        path = self.dialogs.save_path(self.window, title, filter, f"{self.stem()}{suffix}")
        return Path(path) if path else None

    def export_source(self, path: str | os.PathLike | None = None) -> bool:
        """The network as a runnable PyTorch module (``engine.codegen``)."""
        from engine.codegen import pytorch_source
        from engine.serialize import atomic_write_text

        path = Path(path) if path else self._ask("Export PyTorch source", "Python (*.py)", ".py")
        if path is None:
            return False
        return self._write(
            path, lambda: atomic_write_text(path, pytorch_source(self.document.spec))
        )

    def export_weights(self, path: str | os.PathLike | None = None) -> bool:
        """The weights as safetensors or npz (never pickle)."""
        from engine.serialize import save_weights

        path = (
            Path(path)
            if path
            else self._ask(
                "Export weights", "safetensors (*.safetensors);;numpy (*.npz)", ".safetensors"
            )
        )
        if path is None:
            return False
        if path.suffix not in (".safetensors", ".npz"):
            self._error(f"Weights are saved as .safetensors or .npz, not '{path.suffix}'")
            return False
        return self._write(path, lambda: save_weights(path, self.document.weights))

    def export_png(self, path: str | os.PathLike | None = None) -> bool:
        path = Path(path) if path else self._ask("Export maps", "PNG (*.png)", ".png")
        if path is None:
            return False
        return self._write(path, lambda: save_png(self.window.maps_view, path))

    def export_svg(self, path: str | os.PathLike | None = None) -> bool:
        path = Path(path) if path else self._ask("Export maps", "SVG (*.svg)", ".svg")
        if path is None:
            return False
        return self._write(path, lambda: save_svg(self.window.maps_view, path))

    def _write(self, path: Path, job) -> bool:
        try:
            job()
        except (EngineError, OSError) as error:
            reason = getattr(error, "strerror", None) or error
            self._error(f"Could not write {path.name}: {reason}")
            return False
        self.document.notify("info", f"Wrote {path}")
        return True

    def _error(self, text: str) -> None:
        self.document.notify("error", text)


def save_png(widget: QWidget, path: Path) -> None:
    """The widget as it looks on screen, as a PNG (temp file, then moved into place)."""
    tmp = path.with_name(f".{path.name}.tmp.png")
    if not widget.grab().save(os.fspath(tmp), "PNG"):
        raise OSError(f"Qt could not write the PNG {path}")
    os.replace(tmp, path)


def save_svg(widget: QWidget, path: Path) -> None:
    """The widget painted into an SVG (lines stay vectors, maps become embedded images)."""
    from PySide6.QtCore import QPoint, QRect, QSize
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator

    tmp = path.with_name(f".{path.name}.tmp")
    generator = QSvgGenerator()
    generator.setFileName(os.fspath(tmp))
    generator.setSize(QSize(widget.width(), widget.height()))
    generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
    generator.setTitle("ConvScope maps")
    painter = QPainter()
    if not painter.begin(generator):
        raise OSError(f"cannot write {path}")
    try:
        widget.render(painter, QPoint(0, 0))
    finally:
        painter.end()
    os.replace(tmp, path)


def install_exports(
    window, dialogs, stem: Callable[[], str] = lambda: "convscope"
) -> ExportActions:
    """Add File ▸ Export to ``window`` (``window.export_actions``)."""
    exports = ExportActions(window, dialogs, stem)
    window.export_actions = exports
    return exports
