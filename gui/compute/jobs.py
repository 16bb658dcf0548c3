"""Work off the GUI thread, results back on it: the one building block for background jobs.

A :class:`Jobs` owns one worker thread and a queue. Jobs run one at a time in the order
they were submitted; a job submitted with a *tag* replaces a pending (not yet started) job
with the same tag, in its place in the queue, so the newest request wins and a burst of
requests costs one run. Each tag counts its requests (:meth:`Jobs.generation`) and its
deliveries (:meth:`Jobs.delivered`): with one worker taking jobs in order, a tag's outcomes
arrive in the order of its requests, and the one with the newest generation is the answer
to the newest request.
Every job's outcome crosses to the GUI thread through one queued signal:
``done(token, result)`` or ``failed(token, message)``.

The trainer panel's short jobs, the autosave writer and every lab's worker use it. The
compute scheduler keeps its own worker because it measurably gains from what this block
does not do (a second render thread, reuse of the previous trace, freeing big traces off
the GUI thread); the training worker runs its one long job on a :class:`Jobs` too.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from itertools import count
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from engine.errors import EngineError

log = logging.getLogger(__name__)

# An error a job is expected to raise: its text is the user's message as it is.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (EngineError,)


class Jobs(QObject):
    """One worker thread running submitted callables; outcomes as signals on the GUI thread.

    Parameters
    ----------
    name:
        The worker thread's name (seen in debuggers and logs).
    expected:
        Exception types whose text is a user message; anything else is logged and reported
        as ``"<label> failed: <error>"``.
    torch_threads:
        When given, the worker thread sets torch's intra-op threads to it before its first
        job (the GUI thread keeps a core).
    after_shutdown:
        What :meth:`submit` does once :meth:`shutdown` has run: ``"drop"`` the job, or
        ``"run"`` it in place (late saves on exit must still be written).
    linger_s:
        When given, the worker thread ends after this long without work and the next job
        starts a new one (for owners that live as long as every window and are never shut
        down: no idle thread is left behind); by default it lives until :meth:`shutdown`.

    Signals
    -------
    done(object token, object result)
    failed(object token, str message)
    """

    done = Signal(object, object)
    failed = Signal(object, str)
    _relay = Signal(object, object, bool)

    def __init__(
        self,
        name: str,
        parent: QObject | None = None,
        *,
        expected: tuple[type[BaseException], ...] = EXPECTED_ERRORS,
        torch_threads: int | None = None,
        after_shutdown: str = "drop",
        linger_s: float | None = None,
    ):
        super().__init__(parent)
        if after_shutdown not in ("drop", "run"):
            raise ValueError(f"after_shutdown must be 'drop' or 'run', not {after_shutdown!r}")
        self._name = name
        self._expected = expected
        self._torch_threads = torch_threads
        self._after_shutdown = after_shutdown
        self._linger_s = linger_s
        self._queue: OrderedDict[Hashable, tuple] = OrderedDict()
        self._generations: dict[Hashable, int] = {}
        self._delivered: dict[Hashable, int] = {}
        self._untagged = count()
        self._cond = threading.Condition()
        self._busy = False
        self._stop = False
        self._thread: threading.Thread | None = None
        self._relay.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)

    # ---------------------------------------------------------------- public
    def submit(self, fn: Callable, *args, tag: Hashable = None, token: Any = None) -> int:
        """Run ``fn(*args)`` on the worker; ``token`` comes back with its outcome.

        With a ``tag``, a pending job of the same tag is replaced in its place (newest
        wins); without one, the job always runs, after those submitted before it. Returns
        the request's generation within its tag (0 without a tag).
        """
        with self._cond:
            generation = 0
            if tag is not None:
                generation = self._generations.get(tag, 0) + 1
                self._generations[tag] = generation
            if not self._stop:
                key = ("tag", tag) if tag is not None else ("untagged", next(self._untagged))
                self._queue[key] = (fn, args, token, tag, generation)
                if self._start_or_wake():
                    return generation
                del self._queue[key]
        if self._after_shutdown == "run":
            self._emit_outcome(fn, args, token, tag, generation)
        return generation

    def generation(self, tag: Hashable) -> int:
        """How many requests ``tag`` has had (the newest one's generation)."""
        with self._cond:
            return self._generations.get(tag, 0)

    def delivered(self, tag: Hashable) -> int:
        """The generation of ``tag``'s newest outcome delivered on the GUI thread (0: none)."""
        return self._delivered.get(tag, 0)

    @property
    def idle(self) -> bool:
        """True when nothing is pending or running."""
        with self._cond:
            return not self._queue and not self._busy

    def wait(self, timeout: float | None = 10.0) -> bool:
        """Block until every submitted job has run; True if so (for exit and scripts only)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)

    def shutdown(self, timeout: float = 5.0, drain: bool = False) -> None:
        """Refuse new work and end the worker; pending jobs run first only with ``drain``."""
        with self._cond:
            if drain:
                self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)
            self._stop = True
            self._queue.clear()
            thread = self._thread
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # ---------------------------------------------------------------- worker
    def _start_or_wake(self) -> bool:
        # Called with the lock held; the thread starts with the first job. False when no
        # thread can start (at interpreter exit: a script that never closed its window).
        if self._thread is None:
            try:
                self._thread = start_thread(self._serve, self._name)
            except RuntimeError:
                return False
        self._cond.notify_all()
        return True

    def _serve(self) -> None:
        if self._torch_threads is not None:
            import torch

            torch.set_num_threads(self._torch_threads)
        while True:
            with self._cond:
                woken = self._cond.wait_for(lambda: self._queue or self._stop, self._linger_s)
                if self._stop:
                    return
                if not woken:  # idle for linger_s: end; the next submit starts a thread
                    self._thread = None
                    return
                _key, job = self._queue.popitem(last=False)
                self._busy = True
            try:
                delivered = self._emit_outcome(*job)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
            if not delivered:  # the owner is gone (its window closed): nobody to tell
                with self._cond:
                    self._stop = True
                    self._queue.clear()
                return

    def _emit_outcome(self, fn: Callable, args: tuple, token: Any, tag, generation) -> bool:
        try:
            outcome = (fn(*args), True)
        except self._expected as error:
            outcome = (str(error) or type(error).__name__, False)
        except Exception as error:  # noqa: BLE001 - a broken job must not kill the worker
            log.exception("background job %r failed", token)
            outcome = (f"{_label(token, fn)} failed: {error}", False)
        try:
            self._relay.emit((token, tag, generation), *outcome)
        except RuntimeError:  # "Signal source has been deleted"
            return False
        return True

    @Slot(object, object, bool)
    def _dispatch(self, envelope: tuple, payload: object, ok: bool) -> None:
        token, tag, generation = envelope
        if tag is not None:
            self._delivered[tag] = max(generation, self._delivered.get(tag, 0))
        if ok:
            self.done.emit(token, payload)
        else:
            self.failed.emit(token, str(payload))


def start_thread(target: Callable[[], None], name: str) -> threading.Thread:
    """A started daemon thread (raises RuntimeError at interpreter exit)."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def _label(token: Any, fn: Callable) -> str:
    if isinstance(token, str) and token:
        return token
    return getattr(fn, "__name__", "a background job").strip("_") or "a background job"
