"""File ▸ Import network… and Import weights…: the files the command line reads, in the window.

A network file (``.json``, or the network of a ``.convscope`` workspace with its weights)
replaces the document's network; a weights file (``.safetensors`` / ``.npz``) replaces the
current network's weights. Both go through the engine's own readers (the ones ``app.py
summary/export/train`` use: never pickle, every array checked against what the network
needs) and become one undo step. A file that cannot be used gives one message naming it and
the problem, and leaves the document as it was.

The file is read and checked off the GUI thread (``self.loader``, a
:class:`gui.compute.loading.FileLoader`: progress, Cancel); the document changes only when
all of it has been read, and a Cancel or a failure leaves it exactly as it was.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from engine.errors import DataError, EngineError
from engine.limits import Watch
from gui.compute.loading import FileLoader

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
        self.loader = FileLoader(window, "convscope-import")
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
    def import_network(self, path: str | os.PathLike | None = None, *, wait: bool = False) -> bool:
        """Replace the document's network with the one in ``path`` (asks when None).

        Read off the GUI thread: True means the import started. ``wait``: read it here and
        now and return whether the network was imported.
        """
        path = self._path(path, "Import network", NETWORK_FILTER)
        if path is None:
            return False
        fail = f"Cannot import the network from {path.name}"
        if wait:
            self.loader.cancel()
            try:
                read = _read_network(path, None)
            except EngineError as error:
                return self._error(f"{fail}: {error}")
            return self._adopt_network(path, read)
        self.loader.start(
            f"Importing the network of {path.name}…",
            lambda watch: _read_network(path, watch),
            lambda read: self._adopt_network(path, read),
            lambda message: self._error(f"{fail}: {message}"),
            lambda: self.document.notify("info", f"Importing {path.name} cancelled"),
        )
        return True

    def _adopt_network(self, path: Path, read) -> bool:
        spec, weights = read
        # A workspace's weights are a start: whatever does not fit this input is drawn
        # afresh (the document says which); a bare network keeps the arrays that still fit.
        text = f"Import network {path.name}"
        if not self.document.set_network(spec, weights, text, refit=weights is not None):
            return False
        self.document.notify("info", f"Imported the network of {path.name}")
        return True

    # ------------------------------------------------------------- weights
    def import_weights(self, path: str | os.PathLike | None = None, *, wait: bool = False) -> bool:
        """Put the weights in ``path`` into the current network (asks when None).

        Read and checked off the GUI thread: True means the import started. ``wait``: read
        it here and now and return whether the weights were imported.
        """
        path = self._path(path, "Import weights", WEIGHTS_FILTER)
        if path is None:
            return False
        doc = self.document
        spec, shape = doc.spec, tuple(doc.input.shape)
        fail = f"Cannot import weights from {path.name}"
        if wait:
            self.loader.cancel()
            try:
                weights = _read_weights(spec, path, shape, None)
            except EngineError as error:
                return self._error(f"{fail}: {error}")
            return self._adopt_weights(path, spec, shape, weights)
        self.loader.start(
            f"Importing weights from {path.name}…",
            lambda watch: _read_weights(spec, path, shape, watch),
            lambda weights: self._adopt_weights(path, spec, shape, weights),
            lambda message: self._error(f"{fail}: {message}"),
            lambda: doc.notify("info", f"Importing {path.name} cancelled"),
        )
        return True

    def _adopt_weights(self, path: Path, spec, shape: tuple, weights) -> bool:
        doc = self.document
        if doc.spec != spec or tuple(doc.input.shape) != shape:
            # edited while the file was read: its checks were made against another network
            return self._error(
                f"Cannot import weights from {path.name}: the network changed while the file "
                "was read; import it again"
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


def _as_engine_error(path: Path, error: BaseException) -> EngineError:
    return DataError(_reason(error).replace(os.fspath(path), path.name))


def _read_network(path: Path, watch: Watch | None):
    """(spec, weights or None) through the engine's readers (off the GUI thread)."""
    from engine.serialize import load_network
    from engine.workspace import SUFFIX, load_workspace

    try:
        if watch is not None:
            watch.check(0.0)
        if path.suffix.lower() == SUFFIX:
            workspace = load_workspace(path, watch=watch)
            return workspace.spec, workspace.weights
        network = load_network(path)
    except (OSError, MemoryError) as error:
        raise _as_engine_error(path, error) from None
    if watch is not None:
        watch.check(1.0)
    return network, None


def _read_weights(spec, path: Path, input_shape, watch: Watch | None):
    """The weights in ``path``, every array the network needs present with its shape,
    no layer the network lacks, every value finite (off the GUI thread)."""
    from engine.export import checked_weights

    try:
        if watch is not None:
            watch.check(0.0)
        weights = checked_weights(spec, os.fspath(path), tuple(input_shape))
    except (OSError, MemoryError) as error:
        raise _as_engine_error(path, error) from None
    except EngineError as error:
        raise DataError(str(error).replace(os.fspath(path), path.name)) from None
    unknown = sorted(set(weights) - set(spec.names()))
    if unknown:
        names = ", ".join(f"'{n}'" for n in unknown[:3]) + (" …" if len(unknown) > 3 else "")
        raise DataError(f"the network has no layer {names}")
    for count, (name, arrays) in enumerate(weights.items()):
        if watch is not None:
            watch.check(0.5 + 0.5 * count / max(1, len(weights)))
        for key, array in arrays.items():
            if not np.isfinite(array).all():
                raise DataError(f"layer '{name}' {key} holds NaN or infinite values")
    return weights


def install_imports(window, dialogs) -> ImportActions:
    """Add File ▸ Import network…/weights… to ``window`` (``window.import_actions``)."""
    imports = ImportActions(window, dialogs)
    window.import_actions = imports
    return imports
