"""The symmetry lab's computations off the GUI thread: newest request per kind wins.

The GUI thread puts a job (a function and the document snapshot it reads; the document's
arrays are immutable, so a snapshot is a few references) into one pending slot per kind
("measure", "sweep"); a newer request replaces a pending one. One thread takes the slots,
measure first, and hands each result back through a queued signal. A result older than
one already delivered for its kind is dropped. The thread ends after ``IDLE_LINGER_S``
without work and is started again by the next request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from engine.errors import EngineError

log = logging.getLogger(__name__)

IDLE_LINGER_S = 0.25
KINDS = ("measure", "sweep")  # the order the worker takes pending jobs in


@dataclass
class Delivery:
    kind: str
    generation: int
    result: Any


class SymmetryWorker(QObject):
    """Signals (on the GUI thread): ``done(Delivery)``; ``failed(kind, message)``."""

    done = Signal(object)
    failed = Signal(str, str)
    _relay = Signal(str, int, object, bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._cond = threading.Condition()
        self._pending: dict[str, tuple[int, Callable, tuple]] = {}
        self._generation = dict.fromkeys(KINDS, 0)
        self._delivered = dict.fromkeys(KINDS, -1)
        self._busy = False
        self._stop = False
        self._thread: threading.Thread | None = None
        self._relay.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)

    def request(self, kind: str, fn: Callable, *args) -> int:
        """Run ``fn(*args)`` soon (replacing a pending job of ``kind``); its generation."""
        with self._cond:
            self._generation[kind] += 1
            generation = self._generation[kind]
            self._pending[kind] = (generation, fn, args)
            if self._thread is None or not self._thread.is_alive():
                self._stop = False
                self._thread = threading.Thread(
                    target=self._run, name="convscope-symmetry", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return generation

    def generation(self, kind: str) -> int:
        return self._generation[kind]

    @property
    def idle(self) -> bool:
        with self._cond:
            return not self._pending and not self._busy

    def shutdown(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stop = True
            self._pending.clear()
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _take(self):
        with self._cond:
            if not self._pending and not self._stop:
                self._cond.wait(IDLE_LINGER_S)
            if self._stop or not self._pending:
                self._thread = None if not self._pending else self._thread
                return None
            kind = next(k for k in KINDS if k in self._pending)
            self._busy = True
            return (kind, *self._pending.pop(kind))

    def _run(self) -> None:
        import torch

        torch.set_num_threads(1)
        while True:
            job = self._take()
            if job is None:
                return
            kind, generation, fn, args = job
            try:
                self._relay.emit(kind, generation, fn(*args), True)
            except EngineError as error:
                self._relay.emit(kind, generation, str(error), False)
            except Exception as error:  # noqa: BLE001 - one message, never a traceback dialog
                log.exception("symmetry %s failed", kind)
                self._relay.emit(kind, generation, f"the symmetry {kind} failed: {error}", False)
            finally:
                with self._cond:
                    self._busy = False

    @Slot(str, int, object, bool)
    def _dispatch(self, kind: str, generation: int, payload: object, ok: bool) -> None:
        if generation <= self._delivered[kind]:
            return
        self._delivered[kind] = generation
        if ok:
            self.done.emit(Delivery(kind, generation, payload))
        else:
            self.failed.emit(kind, str(payload))
