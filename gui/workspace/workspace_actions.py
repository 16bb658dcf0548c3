"""The File menu's workspace entries: New, Open…, Save, Save As…, Open Recent.

(File ▸ Export ▸ … lives in :mod:`gui.workspace.export_actions`; :func:`install_workspace` adds
both.)

A workspace (``engine.workspace``) is the input, network, weights and view settings in one
``*.convscope`` file. Saving snapshots the document on the GUI thread (references only) and
writes in a worker (:class:`gui.workspace.autosave.BackgroundWriter`); the title shows ``[*]`` while
the undo stack is not clean. A file that cannot be opened leaves the document as it was and
says why in the status bar. Dialogs go through :class:`gui.workspace.workspace_dialogs.Dialogs` so
tests can inject answers.
"""

from __future__ import annotations

import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSettings, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu
from shiboken6 import isValid

from engine.errors import EngineError
from engine.spec import LayerSpec, NetworkSpec
from engine.workspace import SUFFIX, Workspace, load_workspace
from gui.compute.loading import FileLoader
from gui.state.training_history import HISTORY_KEYS, TrainingHistory
from gui.workspace.autosave import Autosaver, BackgroundWriter
from gui.workspace.workspace_dialogs import Dialogs

WORKSPACE_FILTER = "ConvScope workspace (*.convscope)"
RECENT_KEY = "recentWorkspaces"
MAX_RECENT = 8


def default_network(input_shape: tuple[int, ...]) -> NetworkSpec:
    """The network File ▸ New starts with: one 3-tap convolution and a ReLU."""
    return NetworkSpec(
        (
            LayerSpec("conv1", "conv", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
            LayerSpec("relu1", "activation", {"function": "relu"}),
        ),
        input_shape,
    )


class WorkspaceActions(QObject):
    """Adds the workspace entries to ``window.file_menu`` and keeps the title current.

    Parameters
    ----------
    window:
        The :class:`gui.app.main_window.MainWindow` (needs ``document``, ``file_menu``,
        ``add_file_action`` and ``maps_view``).
    settings:
        Where the recent-files list lives (default: ``QSettings("ConvScope", "ConvScope")``).
    dialogs:
        File choosers and questions (default: real Qt dialogs).
    recovery_directory:
        Passed to the :class:`Autosaver` (default: ``$CONVSCOPE_RECOVERY_DIR`` or app data).

    Signals
    -------
    saved(str path)
        A save finished (the file is on disk).
    opened(str path)
        A workspace was opened into the document.
    """

    saved = Signal(str)
    opened = Signal(str)

    def __init__(
        self,
        window,
        settings: QSettings | None = None,
        dialogs: Dialogs | None = None,
        recovery_directory: str | os.PathLike | None = None,
        autosave_ms: int | None = None,
    ):
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.settings = settings if settings is not None else QSettings("ConvScope", "ConvScope")
        self.dialogs = dialogs or Dialogs()
        self.path: Path | None = None
        # Extras the document does not own (e.g. written by a newer version, or a damaged
        # training history): carried through unchanged. The document's training history
        # is written from the document.
        self.extras: dict[str, Any] = {}
        self.extra_arrays: dict[str, Any] = {}
        self.writer = BackgroundWriter(self)
        self.loader = FileLoader(window)
        self.writer.finished.connect(self._save_finished)
        # save token -> (undo index, training history) at the snapshot
        self._pending_clean: dict[int, tuple[int, TrainingHistory]] = {}
        # The training history as last saved or opened: a run recorded since is unsaved
        # work too, though it is not an undoable edit.
        self._saved_training = self.document.training
        self._token = 0
        self._closed = False
        # False for windows nobody works in (e.g. --screenshot): closing never asks.
        self.ask_on_close = True
        kwargs = {} if autosave_ms is None else {"interval_ms": autosave_ms}
        self.autosaver = Autosaver(
            self.document,
            self.snapshot,
            recovery_directory,
            parent=self,
            modified=self.modified,
            **kwargs,
        )
        self._build_actions()
        self.document.undo_stack.cleanChanged.connect(self.update_title)
        self.document.undo_stack.indexChanged.connect(self.update_title)
        self.document.trainingChanged.connect(self.update_title)
        window.installEventFilter(self)
        self.update_title()

    # ------------------------------------------------------------- actions
    def _build_actions(self) -> None:
        w = self.window
        # The workspace takes the standard Open/Save keys from the input's entries.
        for name in ("open_action", "save_action"):
            action = getattr(w, name, None)
            if action is not None:
                action.setShortcut(QKeySequence())

        def make(text, slot, shortcut=None, tip=""):
            action = QAction(text, w)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.setStatusTip(tip)
            action.triggered.connect(lambda _=False: slot())
            return action

        self.new_action = make(
            "&New workspace", self.new, "Ctrl+N", "Start again with a small network"
        )
        self.open_action = make("&Open…", self.open, "Ctrl+O", "Open a .convscope workspace")
        self.save_action = make("&Save", self.save, "Ctrl+S", "Save the workspace")
        self.save_as_action = make(
            "Save &As…", self.save_as, "Ctrl+Shift+S", "Save the workspace under a new name"
        )
        self.recent_menu = QMenu("Open &Recent", w)
        self.recent_menu.aboutToShow.connect(self._fill_recent)

        menu: QMenu = w.file_menu
        first = menu.actions()[0] if menu.actions() else None
        for a in (self.new_action, self.open_action):
            menu.insertAction(first, a)
        menu.insertMenu(first, self.recent_menu)
        for a in (self.save_action, self.save_as_action):
            menu.insertAction(first, a)
        menu.insertSeparator(first)

    # ------------------------------------------------------------ snapshot
    def snapshot(self, path: str | os.PathLike | None = None) -> Workspace:
        """The document as a :class:`Workspace` (references to its immutable arrays);
        ``path``: where it is being saved (default: the current file)."""
        doc = self.document
        path = self.path if path is None else path
        return Workspace(
            input=doc.input,
            spec=doc.spec,
            weights={layer: dict(arrays) for layer, arrays in doc.weights.items()},
            view=asdict(doc.view),
            extras=self._extras(),
            extra_arrays=dict(self.extra_arrays),
            metadata={"path": os.fspath(path) if path else ""},
            lesson=doc.lesson,
        )

    def _extras(self) -> dict[str, Any]:
        history = self.document.training.to_extras()
        if not history:
            return dict(self.extras)
        kept = {k: v for k, v in self.extras.items() if k not in HISTORY_KEYS}
        return {**kept, **history}

    def apply(self, workspace: Workspace, text: str = "Open workspace") -> bool:
        """Put a workspace into the document as a fresh start (undo history cleared)."""
        if not self.document.load(workspace.input, workspace.spec, workspace.weights, text):
            return False
        self.document.set_lesson(workspace.lesson)
        self.document.undo_stack.clear()
        self._apply_view(workspace.view)
        self.extras = dict(workspace.extras)
        self.extra_arrays = dict(workspace.extra_arrays)
        history = TrainingHistory.from_extras(self.extras)
        if history is None:  # kept in extras as it is, so saving loses nothing
            self.document.notify(
                "warning", "The workspace's training curves are damaged; they are not shown."
            )
            history = TrainingHistory()
        else:
            for key in HISTORY_KEYS:
                self.extras.pop(key, None)
        self.document.set_training(history)
        return True

    def _apply_view(self, view: dict[str, Any]) -> None:
        current = self.document.view
        good, bad = {}, []
        for f in fields(current):
            if f.name not in view:
                continue
            value = view[f.name]
            if type(value) is type(getattr(current, f.name)):
                good[f.name] = value
            else:
                bad.append(f.name)
        from gui.state.document import COLORMAPS

        if good.get("colormap", COLORMAPS[0]) not in COLORMAPS:
            bad.append("colormap")
            good.pop("colormap")
        if good:
            self.document.set_view(**good)
        if bad:
            self.document.notify(
                "warning", f"Ignored view settings the file got wrong: {', '.join(bad)}"
            )

    # ----------------------------------------------------------- file menu
    def display_name(self) -> str:
        return self.path.name if self.path else "Untitled"

    def modified(self) -> bool:
        """Unsaved work: edits since the last save, or a training run recorded since."""
        stack = self.document.undo_stack
        if not isValid(stack):
            return False
        return not stack.isClean() or self.document.training is not self._saved_training

    def update_title(self, *_args) -> None:
        stack = self.document.undo_stack
        # A QUndoStack clears itself (and signals) while it is being destroyed, e.g. at
        # interpreter exit in a script that never closed its window: nothing to show then.
        if not (isValid(stack) and isValid(self.window)):
            return
        self.window.setWindowTitle(f"{self.display_name()}[*] — ConvScope")
        self.window.setWindowModified(self.modified())

    def maybe_save(self) -> bool:
        """Ask to save unsaved changes; False when the person cancels (or saving fails)."""
        if not self.modified():
            return True
        answer = self.dialogs.ask_save_changes(self.window, self.display_name())
        if answer == "discard":
            return True
        if answer == "save":
            return self.save(wait=True)
        return False

    def new(self) -> bool:
        if not self.maybe_save():
            return False
        spec = default_network(self.document.input.shape)
        if not self.document.load(self.document.input, spec, None, "New workspace"):
            return False
        self.document.set_lesson(())
        self.document.undo_stack.clear()
        self.path = None
        self.extras, self.extra_arrays = {}, {}
        self.document.set_training(TrainingHistory())
        self._saved_training = self.document.training
        self.update_title()
        return True

    def open(self, path: str | os.PathLike | None = None, *, wait: bool = False) -> bool:
        """Open a workspace (asks for the file when ``path`` is None)."""
        if not self.maybe_save():
            return False
        if path is None:
            path = self.dialogs.open_path(self.window, "Open workspace", WORKSPACE_FILTER)
            if not path:
                return False
        return self.open_file(path, wait=wait)

    def open_file(self, path: str | os.PathLike, *, wait: bool = False) -> bool:
        """Load ``path`` into the document; on any problem: one message, nothing changed.

        The file is read and parsed off the GUI thread (``self.loader``: progress, Cancel);
        the document changes only when all of it has been read. True means the load
        started; ``wait``: read it here and now and return whether it was opened.
        """
        path = Path(path)
        if wait:
            self.loader.cancel()
            try:
                workspace = _read_workspace(path, None)
            except EngineError as error:
                self.error(f"Cannot open {path.name}: {error}")
                return False
            return self.adopt(workspace, path)
        index = self.document.undo_mark()
        self.loader.start(
            f"Opening {path.name}…",
            lambda watch: _read_workspace(path, watch),
            lambda workspace: self._loaded(workspace, path, index),
            lambda message: self.error(f"Cannot open {path.name}: {message}"),
            lambda: self.document.notify("info", f"Opening {path.name} cancelled"),
        )
        return True

    def _loaded(self, workspace: Workspace, path: Path, index: tuple) -> None:
        # Edits made while the file was read are unsaved work too: ask again first.
        if self.document.undo_mark() != index and not self.maybe_save():
            self.document.notify("info", f"Opening {path.name} cancelled")
            return
        self.adopt(workspace, path)

    def adopt(self, workspace: Workspace, path: str | os.PathLike, remember: bool = True) -> bool:
        """Put an already loaded workspace from ``path`` into the document (as Open does).

        ``remember``: add it to Open Recent (the command line's --screenshot does not).
        """
        path = Path(path)
        if not self.apply(workspace):
            return False
        self.path = path
        self._saved_training = self.document.training
        if remember:
            self._remember(path)
        panel = getattr(self.window, "input_panel", None)
        if panel is not None:  # the Example box names where the input came from
            panel.show_source(path.name)
        self.update_title()
        self.document.notify("info", f"Opened {path.name}")
        self.opened.emit(os.fspath(path))
        return True

    def save(self, wait: bool = False) -> bool:
        """Save to the current file (Save As… when there is none)."""
        if self.path is None:
            return self.save_as(wait=wait)
        return self.save_to(self.path, wait=wait)

    def save_as(self, wait: bool = False) -> bool:
        suggested = os.fspath(self.path) if self.path else f"untitled{SUFFIX}"
        path = self.dialogs.save_path(self.window, "Save workspace", WORKSPACE_FILTER, suggested)
        if not path:
            return False
        path = Path(path)
        if path.suffix != SUFFIX:
            path = path.with_name(path.name + SUFFIX)
        return self.save_to(path, wait=wait)

    def save_to(self, path: str | os.PathLike, wait: bool = False) -> bool:
        """Write the workspace to ``path`` in the background (``wait``: block until written).

        The undo stack becomes clean when the write succeeds (if nothing changed meanwhile);
        only then does ``path`` become the window's file (its title, the next Save's target).
        A failed write (no space, no permission, a state the file could not hold) says why
        and changes nothing: the previous file stays as it was, the work stays unsaved.
        """
        path = Path(path)
        self._token += 1
        token = self._token
        self._pending_clean[token] = (self.document.undo_mark(), self.document.training)
        future = self.writer.save(path, self.snapshot(path), token)
        if not wait:
            return True
        error = future.result()
        # The queued 'finished' signal arrives later; settle the state now.
        self._save_finished(token, os.fspath(path), error)
        return not error

    def _save_finished(self, token: Any, path: str, error: str) -> None:
        pending = self._pending_clean.pop(token, None)
        if pending is None:
            return  # already settled (a waited save)
        if error:
            self.error(f"Could not save {Path(path).name}: {error}")
            return
        index, training = pending
        self.path = Path(path)  # the file now holds the work: it is the window's file
        self._saved_training = training
        stack = self.document.undo_stack
        if self.document.undo_mark() == index:
            stack.setClean()
        if not self.modified():  # (a clean stack discards it too; only training had changed)
            self.autosaver.discard(wait=False)
        self._remember(Path(path))
        self.update_title()
        self.document.notify("info", f"Saved {Path(path).name}")
        self.saved.emit(path)

    # --------------------------------------------------------------- recent
    def recent_files(self) -> list[str]:
        value = self.settings.value(RECENT_KEY, [])
        if isinstance(value, str):  # QSettings gives a lone entry back as a string
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, path: Path) -> None:
        entry = os.fspath(path.resolve())
        files = [entry, *[p for p in self.recent_files() if p != entry]][:MAX_RECENT]
        self.settings.setValue(RECENT_KEY, files)

    def prune_recent(self) -> list[str]:
        """Drop files that no longer exist (with a message); returns the remaining list."""
        files = self.recent_files()
        present = [p for p in files if os.path.isfile(p)]
        if len(present) != len(files):
            gone = [Path(p).name for p in files if p not in present]
            self.settings.setValue(RECENT_KEY, present)
            self.document.notify(
                "info", f"Removed from Open Recent (no longer there): {', '.join(gone)}"
            )
        return present

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = self.prune_recent()
        for p in files:
            action = self.recent_menu.addAction(Path(p).name)
            action.setToolTip(p)
            action.setStatusTip(p)
            action.triggered.connect(lambda _=False, p=p: self.open(p))
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)

    # ---------------------------------------------------------- close, crash
    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if watched is self.window and event.type() == QEvent.Type.Close:
            if self.ask_on_close and not self.maybe_save():
                event.ignore()
                return True
            self.shutdown()
        return False

    def shutdown(self) -> None:
        """A clean exit: remove this instance's recovery file (only), stop the timer and the
        writer threads."""
        if self._closed:
            return
        self._closed = True
        stack = self.document.undo_stack
        if isValid(stack):
            stack.cleanChanged.disconnect(self.update_title)
            stack.indexChanged.disconnect(self.update_title)
        self.loader.shutdown()
        imports = getattr(self.window, "import_actions", None)
        if imports is not None:  # File ▸ Import's reader thread
            imports.loader.shutdown()
        self.autosaver.clean_exit()
        self.writer.wait()
        self.writer.shutdown()

    def offer_recovery(self, wait: bool = False) -> bool:
        """At start: offer the work of crashed instances (:mod:`gui.workspace.crash_recovery`),
        read off the GUI thread (``wait``: here and now)."""
        from gui.workspace.crash_recovery import offer_recovery

        return offer_recovery(self, wait)

    def error(self, text: str) -> None:
        self.document.notify("error", text)


def _read_workspace(path: Path, watch) -> Workspace:
    """``engine.workspace.load_workspace`` with an OS error as an EngineError (its text)."""
    try:
        return load_workspace(path, watch=watch)
    except OSError as error:  # missing, no permission
        raise EngineError(str(error.strerror or error)) from None


def install_workspace(window, **kwargs) -> WorkspaceActions:
    """Add the workspace File entries, File ▸ Import, File ▸ Export, autosave and crash
    recovery.

    Sets ``window.workspace_actions``, ``window.import_actions`` and ``window.export_actions``.
    """
    from gui.workspace.export_actions import install_exports
    from gui.workspace.import_actions import install_imports

    actions = WorkspaceActions(window, **kwargs)
    window.workspace_actions = actions
    install_imports(window, actions.dialogs)
    install_exports(
        window, actions.dialogs, lambda: actions.path.stem if actions.path else "convscope"
    )
    return actions
