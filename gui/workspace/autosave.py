"""Autosave to a recovery file, and the background writer that workspace saves share.

The GUI thread only takes a snapshot (references to the document's arrays, which are never
changed in place) and hands it to :class:`BackgroundWriter`, whose single worker thread
serialises and writes it atomically; the result comes back as a Qt signal.

Each running instance keeps its own recovery file, ``autosave-<pid>[-<n>].convscope``, so
several windows or processes never overwrite (or, on a clean exit, delete) each other's. A
file whose pid is no longer a running process is an *orphan*: its instance crashed, and the
next start offers it (:func:`orphans`). A clean exit removes only the instance's own files.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal
from shiboken6 import isValid

from engine.workspace import Workspace, save_workspace
from gui.compute.jobs import Jobs

RECOVERY_ENV = "CONVSCOPE_RECOVERY_DIR"
LEGACY_NAME = "autosave.convscope"  # before one file per instance: always an orphan
INTERVAL_MS = 30_000
# autosave-<pid>.convscope, autosave-<pid>-<anything>.convscope: the pid owns the file.
_OWNED = re.compile(r"autosave-(\d+)(?:-[^.]*)?\.convscope")
_serial = itertools.count()  # tells this process's files apart (several windows)


def recovery_dir() -> Path:
    """Where the recovery file lives: ``$CONVSCOPE_RECOVERY_DIR`` or the per-user app data."""
    override = os.environ.get(RECOVERY_ENV)
    if override:
        return Path(override)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".convscope") / "recovery"


def recovery_name(pid: int, serial: int = 0) -> str:
    """The recovery file name for one instance: the pid, and ``serial`` if not the first."""
    return f"autosave-{pid}.convscope" if serial == 0 else f"autosave-{pid}-{serial}.convscope"


def owner_pid(path: str | os.PathLike) -> int | None:
    """The pid that owns a recovery file, or None (the legacy name or not a recovery file)."""
    match = _OWNED.fullmatch(Path(path).name)
    return int(match.group(1)) if match else None


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (on this machine)."""
    if pid <= 0:  # os.kill(0, ...) would mean the whole process group
        return False
    if os.name == "nt":  # os.kill(pid, 0) would terminate it there
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process, but alive
        return True
    except (OverflowError, ValueError):  # no process can have that pid
        return False
    return True


def _windows_process_alive(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() == 5  # type: ignore[attr-defined]  # access denied
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def orphans(directory: str | os.PathLike, own_pid: int | None = None) -> list[Path]:
    """Recovery files in ``directory`` whose process is gone, newest first.

    The legacy ``autosave.convscope`` counts as an orphan; files of ``own_pid`` (default:
    this process) and of other running processes never do.
    """
    own_pid = os.getpid() if own_pid is None else own_pid
    found: list[tuple[float, Path]] = []
    try:
        entries = list(Path(directory).iterdir())
    except OSError:  # no directory yet: nothing ever crashed here
        return []
    for path in entries:
        if path.name != LEGACY_NAME:
            pid = owner_pid(path)
            if pid is None or pid == own_pid or process_alive(pid):
                continue
        try:
            found.append((path.stat().st_mtime, path))
        except OSError:  # taken by another instance meanwhile
            continue
    found.sort(key=lambda item: item[0], reverse=True)
    return [path for _, path in found]


def claim(path: Path, pid: int | None = None) -> Path | None:
    """Rename an orphan to a name ``pid`` (default: this process) owns; None if gone.

    The rename is atomic: of two instances starting together only one gets the file, and
    if this one crashes before it is done with it, the file is an orphan again.
    """
    pid = os.getpid() if pid is None else pid
    target = path.with_name(f"autosave-{pid}-claimed{next(_serial)}.convscope")
    try:
        os.rename(path, target)  # the target name is new: never replaces a file
    except FileNotFoundError:
        return None
    return target


class BackgroundWriter(QObject):
    """Writes workspaces on one worker thread, in submission order (a :class:`Jobs`).

    Signals
    -------
    finished(object token, str path, str error)
        On the GUI thread after each job; ``error`` is empty on success.
    """

    finished = Signal(object, str, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        # Every write runs (no tags: order kept); after shutdown a late save on exit is
        # still written, in place.
        self._jobs = Jobs("convscope-save", self, after_shutdown="run")
        self._jobs.done.connect(lambda token, error: self.finished.emit(*token, error))
        self._jobs.failed.connect(lambda token, error: self.finished.emit(*token, error))

    def save(self, path: str | os.PathLike, workspace: Workspace, token: Any = None) -> Future:
        """Write ``workspace`` to ``path`` (atomic) off the GUI thread."""
        return self.run(lambda: save_workspace(path, workspace), os.fspath(path), token)

    def run(self, job: Callable[[], None], path: str, token: Any = None) -> Future:
        """Run ``job`` on the worker; ``finished`` reports it (any OSError/ValueError caught).

        The returned future holds the error text ("" on success), for a caller that must
        wait (a save on exit).
        """
        future: Future = Future()

        def work() -> str:
            try:
                job()
            except (OSError, ValueError) as error:  # EngineError is a ValueError
                message = str(error) or type(error).__name__
            except BaseException as error:
                future.set_exception(error)
                raise
            else:
                message = ""
            future.set_result(message)
            return message

        self._jobs.submit(work, token=(token, path))
        return future

    def wait(self, timeout: float | None = 10.0) -> None:
        """Block until every submitted job has run (used on exit only)."""
        self._jobs.wait(timeout)

    def shutdown(self) -> None:
        self._jobs.shutdown(drain=True)


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
    pid:
        The process the file belongs to (default: this one); names the file.
    modified:
        Whether there is unsaved work (default: the undo stack is not clean); the
        workspace also counts a training run recorded since the last save.

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
        pid: int | None = None,
        modified: Callable[[], bool] | None = None,
    ):
        super().__init__(parent)
        self.document = document
        self.snapshot = snapshot
        self._modified = modified or (lambda: not document.undo_stack.isClean())
        self.directory = Path(directory) if directory is not None else recovery_dir()
        self.pid = os.getpid() if pid is None else pid
        self.name = recovery_name(self.pid, next(_serial))
        # Restored orphans: removed once their work is in our own file, or with it.
        self._held: list[Path] = []
        self.writer = BackgroundWriter(self)
        self.writer.finished.connect(self._finished)
        self._dirty = False
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.tick)
        for signal in self._signals():
            signal.connect(self._changed)
        document.undo_stack.cleanChanged.connect(self._clean_changed)
        self._timer.start()

    @property
    def path(self) -> Path:
        return self.directory / self.name

    def hold(self, path: Path) -> None:
        """Keep a restored orphan until the next write puts its work in our file (or
        until discard: the user saved or dropped the work)."""
        self._held.append(path)

    def _signals(self) -> tuple:
        doc = self.document
        return (doc.inputChanged, doc.networkChanged, doc.viewChanged, doc.trainingChanged)

    def _changed(self, *_args) -> None:
        self._dirty = True

    def _clean_changed(self, clean: bool) -> None:
        if clean:  # saved (or undone back to the saved state): the recovery file is stale
            self._dirty = False
            self.discard(wait=False)

    def tick(self) -> bool:
        """Write now if there are unsaved changes not yet autosaved; True if it wrote."""
        if not self._dirty or not self._modified():
            return False
        return self.write_now()

    def write_now(self) -> bool:
        """Snapshot on the GUI thread (cheap) and write in the worker."""
        self._dirty = False
        workspace = self.snapshot()
        directory, name = self.directory, self.name
        held = list(self._held)  # kept: if this write fails, discard still removes them

        def job() -> None:
            directory.mkdir(parents=True, exist_ok=True)
            save_workspace(directory / name, workspace)
            for old in held:  # only now is their work safe in ours
                old.unlink(missing_ok=True)

        self.writer.run(job, os.fspath(self.path), token="autosave")
        return True

    def discard(self, wait: bool = True) -> None:
        """Remove this instance's recovery files (after any write in flight, so none
        recreates them); other instances' files are theirs."""
        path = self.path
        held, self._held = self._held, []

        def job() -> None:
            for old in (path, *held):
                old.unlink(missing_ok=True)

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
            for signal in self._signals():
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
            self.document.notify("warning", f"Autosave to {path} failed: {error}")
        else:
            self.written.emit(path)
