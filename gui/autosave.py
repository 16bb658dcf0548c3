"""Autosave to a recovery file, and the background writer that workspace saves share.

The GUI thread only takes a snapshot (references to the document's arrays, which are never
changed in place) and hands it to :class:`BackgroundWriter`, whose single worker thread
serialises and writes it atomically; the result comes back as a Qt signal. A clean exit
removes the recovery file; after a crash the next start offers to restore it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal
from shiboken6 import isValid

from engine.workspace import Workspace, save_workspace

RECOVERY_ENV = "CONVSCOPE_RECOVERY_DIR"
RECOVERY_NAME = "autosave.convscope"
INTERVAL_MS = 30_000


def recovery_dir() -> Path:
    """Where the recovery file lives: ``$CONVSCOPE_RECOVERY_DIR`` or the per-user app data."""
    override = os.environ.get(RECOVERY_ENV)
    if override:
        return Path(override)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".convscope") / "recovery"


class BackgroundWriter(QObject):
    """Writes workspaces on one worker thread, in submission order.

    Signals
    -------
    finished(object token, str path, str error)
        On the GUI thread after each job; ``error`` is empty on success.
    """

    finished = Signal(object, str, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="convscope-save")
        self._last: Future | None = None
        self._closed = False

    def save(self, path: str | os.PathLike, workspace: Workspace, token: Any = None) -> Future:
        """Write ``workspace`` to ``path`` (atomic) off the GUI thread."""
        return self.run(lambda: save_workspace(path, workspace), os.fspath(path), token)

    def run(self, job: Callable[[], None], path: str, token: Any = None) -> Future:
        """Run ``job`` on the worker; ``finished`` reports it (any OSError/ValueError caught)."""

        def work() -> str:
            try:
                job()
            except (OSError, ValueError) as error:  # EngineError is a ValueError
                return str(error) or type(error).__name__
            return ""

        if self._closed:  # after shutdown (late signals on exit): run in place
            future: Future = Future()
            future.set_result(work())
            return future
        future = self._pool.submit(work)
        # Emitting from the worker thread: Qt queues it to this object's (the GUI) thread.
        future.add_done_callback(lambda f: self.finished.emit(token, path, f.result()))
        self._last = future
        return future

    def wait(self, timeout: float | None = 10.0) -> None:
        """Block until every submitted job has run (used on exit only)."""
        if self._last is not None:
            self._last.result(timeout)

    def shutdown(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=True)


class Autosaver(QObject):
    """Writes the document to a recovery file every ``interval_ms`` while it has changes.

    Parameters
    ----------
    document:
        The lab's document; edits (undo stack not clean) make the next tick write.
    snapshot:
        Returns the :class:`Workspace` to write (cheap: references, no copies).
    directory:
        Where to keep the recovery file (default :func:`recovery_dir`).

    Signals
    -------
    written(str path)
        A recovery file was written.
    """

    written = Signal(str)
    failed = Signal(str)

    def __init__(
        self,
        document,
        snapshot: Callable[[], Workspace],
        directory: str | os.PathLike | None = None,
        interval_ms: int = INTERVAL_MS,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.document = document
        self.snapshot = snapshot
        self.directory = Path(directory) if directory is not None else recovery_dir()
        self.writer = BackgroundWriter(self)
        self.writer.finished.connect(self._finished)
        self._dirty = False
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.tick)
        for signal in (document.inputChanged, document.networkChanged, document.viewChanged):
            signal.connect(self._changed)
        document.undo_stack.cleanChanged.connect(self._clean_changed)
        self._timer.start()

    @property
    def path(self) -> Path:
        return self.directory / RECOVERY_NAME

    def has_recovery(self) -> bool:
        return self.path.is_file()

    def _changed(self, *_args) -> None:
        self._dirty = True

    def _clean_changed(self, clean: bool) -> None:
        if clean:  # saved (or undone back to the saved state): the recovery file is stale
            self._dirty = False
            self.discard(wait=False)

    def tick(self) -> bool:
        """Write now if there are unsaved changes not yet autosaved; True if it wrote."""
        if not self._dirty or self.document.undo_stack.isClean():
            return False
        return self.write_now()

    def write_now(self) -> bool:
        """Snapshot on the GUI thread (cheap) and write in the worker."""
        self._dirty = False
        workspace = self.snapshot()
        directory = self.directory

        def job() -> None:
            directory.mkdir(parents=True, exist_ok=True)
            save_workspace(directory / RECOVERY_NAME, workspace)

        self.writer.run(job, os.fspath(self.path), token="autosave")
        return True

    def discard(self, wait: bool = True) -> None:
        """Remove the recovery file (after any write in flight, so none recreates it)."""
        path = self.path

        def job() -> None:
            path.unlink(missing_ok=True)

        self.writer.run(job, os.fspath(path), token="discard")
        if wait:
            self.writer.wait()

    def clean_exit(self) -> None:
        """On a clean close: stop the timer and remove the recovery file."""
        if self._stopped:
            return
        self._stopped = True
        self._timer.stop()
        self._dirty = False
        if isValid(self.document):  # a script may have destroyed it without closing
            for signal in (
                self.document.inputChanged,
                self.document.networkChanged,
                self.document.viewChanged,
            ):
                signal.disconnect(self._changed)
            self.document.undo_stack.cleanChanged.disconnect(self._clean_changed)
        self.discard(wait=True)
        self.writer.shutdown()

    def _finished(self, token: Any, path: str, error: str) -> None:
        if token != "autosave":
            return
        if error:
            self._dirty = True  # try again on the next tick
            self.failed.emit(error)
            self.document.message.emit("warning", f"Autosave to {path} failed: {error}")
        else:
            self.written.emit(path)
