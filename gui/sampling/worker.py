"""The sampling lab's worker: engine calls off the GUI thread, newest request wins.

The GUI thread puts ``(job, function, arguments)`` into one pending slot per job name
(``down``, ``up``, ``checker``, ``matrix``, ``mixing``); a later request for the same job
replaces the one still waiting. One thread (``convscope-sampling``) runs the slots and
hands each result back through a queued signal; a result older than the newest request of
its job is dropped, so the views never go backwards. The thread ends after a short idle
(``IDLE_LINGER_S``) and starts again with the next request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from engine.errors import EngineError

log = logging.getLogger(__name__)

IDLE_LINGER_S = 0.25


class SamplingWorker(QObject):
    """Runs engine calls for the lab off the GUI thread.

    Signals
    -------
    ready(job, result)
        The newest request of ``job`` finished with ``result``.
    failed(job, text)
        It raised an engine error (``text`` is its one-line message).
    """

    ready = Signal(str, object)
    failed = Signal(str, str)
    _delivered = Signal(str, int, object, object)  # worker -> GUI thread (queued)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._cond = threading.Condition()
        self._pending: dict[str, tuple[int, Callable[..., Any], tuple]] = {}
        self._newest: dict[str, int] = {}
        self._thread: threading.Thread | None = None
        self._running = 0
        self._closed = False
        self._delivered.connect(self._on_delivered, Qt.ConnectionType.QueuedConnection)

    @property
    def idle(self) -> bool:
        """Nothing waiting, nothing running, nothing undelivered."""
        with self._cond:
            return not self._pending and not self._running

    def request(self, job: str, function: Callable[..., Any], *args) -> int:
        """Run ``function(*args)`` off the GUI thread; returns the request's generation."""
        with self._cond:
            if self._closed:
                return -1
            generation = self._newest.get(job, 0) + 1
            self._newest[job] = generation
            self._pending[job] = (generation, function, args)
            self._ensure_thread()
            self._cond.notify()
        return generation

    def shutdown(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._closed = True
            self._pending.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _ensure_thread(self) -> None:
        # under the lock: start the thread if none is alive
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._serve, name="convscope-sampling", daemon=True
            )
            self._thread.start()

    def _serve(self) -> None:
        while True:
            with self._cond:
                if not self._pending and not self._closed:
                    self._cond.wait(IDLE_LINGER_S)
                if self._closed or not self._pending:
                    if self._thread is threading.current_thread():
                        self._thread = None
                    return
                job = next(iter(self._pending))
                generation, function, args = self._pending.pop(job)
                self._running += 1
            try:
                result, error = function(*args), None
            except EngineError as exc:
                result, error = None, str(exc)
            except Exception as exc:  # a bug: logged, shown as one line, never a traceback
                log.exception("sampling lab job %s failed", job)
                result, error = None, f"{job}: unexpected error ({type(exc).__name__}: {exc})"
            finally:
                with self._cond:
                    self._running -= 1
            self._delivered.emit(job, generation, result, error)

    def _on_delivered(self, job: str, generation: int, result: object, error: object) -> None:
        if generation != self._newest.get(job):
            return  # a newer request of this job is on its way
        if error is not None:
            self.failed.emit(job, str(error))
        else:
            self.ready.emit(job, result)
