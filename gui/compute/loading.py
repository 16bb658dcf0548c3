"""Reading and parsing a file off the GUI thread, with progress and Cancel.

Opening a 6000 x 6000 PNG or a two-million-line CSV takes seconds; on the GUI thread that is
a frozen window. A :class:`FileLoader` runs the read (an engine function taking an
:class:`engine.limits.Watch`) on a :class:`gui.compute.jobs.Jobs` worker; the watch reports
progress to a progress dialog (shown only when a load lasts longer than
:data:`SHOW_AFTER_MS`) and is asked between chunks whether Cancel was pressed, so a Cancel
stops the parse within one chunk. The owner changes its document only in ``on_done``, on
the GUI thread, when the whole file has been read: a Cancel or a failure leaves everything as
it was. A new load replaces (cancels) the one still running: the newest request wins.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from engine.errors import EngineError
from engine.limits import Cancelled, Watch
from gui.compute.jobs import Jobs

SHOW_AFTER_MS = 250  # a load shorter than this shows no dialog
IDLE_LINGER_S = 1.0  # the worker thread ends after this long without a load


class FileLoader(QObject):
    """Loads one file at a time off the GUI thread (see the module notes).

    Signals
    -------
    started(str label), progressed(float fraction 0..1), ended(str outcome)
        ``outcome`` is ``"done"``, ``"failed"`` or ``"cancelled"``; ``ended`` comes after
        the owner's ``on_done`` / ``on_failed`` ran.
    """

    started = Signal(str)
    progressed = Signal(float)
    ended = Signal(str)
    _progress_relay = Signal(int, float)

    def __init__(self, owner: QWidget, name: str = "convscope-load"):
        super().__init__(owner)
        self.owner = owner
        self.jobs = Jobs(name, self, expected=(EngineError, Cancelled), linger_s=IDLE_LINGER_S)
        self.jobs.done.connect(self._done)
        self.jobs.failed.connect(self._failed)
        self._progress_relay.connect(self._progress, Qt.ConnectionType.QueuedConnection)
        self._serial = 0
        # the running load: (serial, cancel event, label, on_done, on_failed, on_cancelled)
        self._current: tuple | None = None
        self.dialog: QProgressDialog | None = None
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.timeout.connect(self._show_dialog)

    # ---------------------------------------------------------------- public
    @property
    def busy(self) -> bool:
        """True while a load runs (until its outcome has been handled)."""
        return self._current is not None

    def start(
        self,
        label: str,
        read: Callable[[Watch], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[str], None],
        on_cancelled: Callable[[], None] | None = None,
    ) -> None:
        """Run ``read(watch)`` off the GUI thread; then ``on_done(result)`` or
        ``on_failed(message)`` on the GUI thread (``on_cancelled()`` after a Cancel)."""
        self.cancel()  # the newest request wins
        self._serial += 1
        event = threading.Event()
        serial = self._serial

        def progress(fraction: float) -> None:
            try:
                self._progress_relay.emit(serial, fraction)
            except RuntimeError:  # the loader is gone (its window closed)
                event.set()

        watch = Watch(event.is_set, progress)
        self._current = (serial, event, label, on_done, on_failed, on_cancelled)
        self.jobs.submit(read, watch, token=serial)
        self._show_timer.start(SHOW_AFTER_MS)
        self.started.emit(label)

    def cancel(self) -> None:
        """Stop the running load (its parse stops at the next chunk); nothing changes."""
        current = self._current
        if current is None:
            return
        self._current = None
        current[1].set()
        self._close_dialog()
        if current[5] is not None:
            current[5]()
        self.ended.emit("cancelled")

    def shutdown(self) -> None:
        self.cancel()
        self.jobs.shutdown()

    # ---------------------------------------------------------------- outcomes
    def _take(self, token) -> tuple | None:
        current = self._current
        if current is None or current[0] != token or current[1].is_set():
            return None  # a cancelled or replaced load: its outcome changes nothing
        self._current = None
        self._close_dialog()
        return current

    @Slot(object, object)
    def _done(self, token, result) -> None:
        current = self._take(token)
        if current is not None:
            current[3](result)
            self.ended.emit("done")

    @Slot(object, str)
    def _failed(self, token, message: str) -> None:
        current = self._take(token)
        if current is not None:
            current[4](message)
            self.ended.emit("failed")

    @Slot(int, float)
    def _progress(self, serial: int, fraction: float) -> None:
        if self._current is None or self._current[0] != serial:
            return
        if self.dialog is not None:
            self.dialog.setValue(round(1000 * fraction))
        self.progressed.emit(fraction)

    # ---------------------------------------------------------------- dialog
    def _show_dialog(self) -> None:
        if self._current is None:
            return
        if self.dialog is None:
            parent = self.owner.window() if self.owner is not None else None
            dialog = QProgressDialog("", "Cancel", 0, 1000, parent)
            dialog.setWindowTitle("ConvScope")
            # not modal: a modal QProgressDialog spins the event loop inside setValue
            dialog.setWindowModality(Qt.WindowModality.NonModal)
            dialog.setAutoClose(False)
            dialog.setAutoReset(False)
            dialog.setMinimumDuration(0)
            dialog.setMinimumWidth(max(360, 24 * dialog.fontMetrics().averageCharWidth()))
            dialog.canceled.connect(self.cancel)
            self.dialog = dialog
        self.dialog.setLabelText(self._current[2])
        self.dialog.show()

    def _close_dialog(self) -> None:
        self._show_timer.stop()
        if self.dialog is not None:
            self.dialog.canceled.disconnect(self.cancel)
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
