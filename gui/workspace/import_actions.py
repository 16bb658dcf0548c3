"""File ▸ Import network… and Import weights…: the files the command line reads, in the window.

A network file (``.json``, or the network of a ``.convscope`` workspace with its weights)
replaces the document's network; a weights file (``.safetensors`` / ``.npz``) replaces the
current network's weights. Both go through the engine's own readers (the ones ``app.py
summary/export/train`` use: never pickle, every array checked against what the network
needs) and become one undo step. A file that cannot be used gives one message naming it and
the problem, and leaves the document as it was.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from engine.errors import EngineError

NETWORK_FILTER = "Network (*.json *.convscope);;All files (*)"
WEIGHTS_FILTER = "Weights (*.safetensors *.npz);;All files (*)"


def _reason(error: BaseException) -> str:
    if isinstance(error, MemoryError):
        return "the file is too large to load"
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


class ImportActions(QObject):
    """The two Import entries of ``window.file_menu`` (see the module docstring).

    ``dialogs`` asks for the file (``open_path(parent, title, filter)``).
    """

    def __init__(self, window, dialogs):
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.dialogs = dialogs
        self.network_action = QAction("Import &network…", window)
        self.network_action.setStatusTip(
            "Replace the network with one from a .json network or a .convscope workspace"
        )
        self.network_action.triggered.connect(lambda _=False: self.import_network())
        self.weights_action = QAction("Import &weights…", window)
        self.weights_action.setStatusTip(
            "Load weights (.safetensors or .npz) into the current network"
        )
        self.weights_action.triggered.connect(lambda _=False: self.import_weights())
        add = getattr(window, "add_file_action", None)
        for action in (self.network_action, self.weights_action):
            if add is not None:
                add(action)
            else:
                window.file_menu.addAction(action)

    # ------------------------------------------------------------- network
    def import_network(self, path: str | os.PathLike | None = None) -> bool:
        """Replace the document's network with the one in ``path`` (asks when None)."""
        path = self._path(path, "Import network", NETWORK_FILTER)
        if path is None:
            return False
        try:
            spec, weights = _read_network(path)
        except (EngineError, OSError, MemoryError) as error:
            return self._error(f"Cannot import the network from {path.name}: {_reason(error)}")
        # A workspace's weights are a start: whatever does not fit this input is drawn
        # afresh (the document says which); a bare network keeps the arrays that still fit.
        text = f"Import network {path.name}"
        if not self.document.set_network(spec, weights, text, refit=weights is not None):
            return False
        self.document.notify("info", f"Imported the network of {path.name}")
        return True

    # ------------------------------------------------------------- weights
    def import_weights(self, path: str | os.PathLike | None = None) -> bool:
        """Put the weights in ``path`` into the current network (asks when None)."""
        path = self._path(path, "Import weights", WEIGHTS_FILTER)
        if path is None:
            return False
        doc = self.document
        try:
            weights = _read_weights(doc.spec, path, doc.input.shape)
        except (EngineError, OSError, MemoryError) as error:
            reason = _reason(error).replace(os.fspath(path), path.name)
            return self._error(f"Cannot import weights from {path.name}: {reason}")
        unknown = sorted(set(weights) - set(doc.spec.names()))
        if unknown:
            names = ", ".join(f"'{n}'" for n in unknown[:3]) + (" …" if len(unknown) > 3 else "")
            return self._error(
                f"Cannot import weights from {path.name}: the network has no layer {names}"
            )
        for name, arrays in weights.items():
            for key, array in arrays.items():
                if not np.isfinite(array).all():
                    return self._error(
                        f"Cannot import weights from {path.name}: layer '{name}' {key} holds "
                        "NaN or infinite values"
                    )
        merged = {**doc.weights, **weights}
        if not doc.set_network(doc.spec, merged, f"Import weights {path.name}"):
            return False
        doc.notify("info", f"Imported weights from {path.name}")
        return True

    # ------------------------------------------------------------- helpers
    def _path(self, path, title: str, filter: str) -> Path | None:
        if path is None:
            path = self.dialogs.open_path(self.window, title, filter)
        return Path(path) if path else None

    def _error(self, text: str) -> bool:
        self.document.notify("error", text)
        return False


def _read_network(path: Path):
    """(spec, weights or None) through the engine's readers."""
    from engine.serialize import load_network
    from engine.workspace import SUFFIX, load_workspace

    if path.suffix.lower() == SUFFIX:
        workspace = load_workspace(path)
        return workspace.spec, workspace.weights
    return load_network(path), None


def _read_weights(spec, path: Path, input_shape):
    """The weights in ``path``, every array the network needs present with its shape."""
    from engine.export import checked_weights

    return checked_weights(spec, os.fspath(path), tuple(input_shape))


def install_imports(window, dialogs) -> ImportActions:
    """Add File ▸ Import network…/weights… to ``window`` (``window.import_actions``)."""
    imports = ImportActions(window, dialogs)
    window.import_actions = imports
    return imports
