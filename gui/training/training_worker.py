"""Training and other slow jobs off the GUI thread, with results back as signals.

:class:`TrainingWorker` runs ``engine.training.Trainer`` on a Python thread (torch releases
the GIL in its kernels). The trainer reports at most ``PROGRESS_INTERVAL`` seconds apart,
never per step; each report crosses to the GUI thread through one queued signal.
The run is one job on a :class:`gui.compute.jobs.Jobs` of its own (the trainer panel's
short jobs run on another, so loading a data set never waits behind a run).
"""

from __future__ import annotations

import functools
import gc
import logging
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

# Imported here, on the GUI thread at start-up: a first import on the training thread would
# hold the import lock and the GIL for a few hundred ms while the GUI waits.
import engine.augment  # noqa: F401
import engine.torch_build  # noqa: F401
from engine.errors import EngineError
from engine.training import Progress, TrainConfig, TrainControl, Trainer
from gui.compute.jobs import Jobs

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.05  # seconds between progress reports (at most 20 a second)
# While training, the GUI thread and the trainer share the GIL. Python hands it over only
# every switch interval (5 ms by default), so each of the many Python<->Qt transitions of a
# repaint could wait that long; a shorter interval keeps repaints short (measured with
# benchmarks/train_throughput.py).
TRAINING_SWITCH_INTERVAL = 0.0005


def _message(error: BaseException) -> str:
    if isinstance(error, EngineError):
        return str(error)
    return f"training failed: {error}"


class TrainingWorker(QObject):
    """One training run at a time, on its own thread.

    Signals (all delivered on the GUI thread)
    -------
    started(object)   the Trainer, once built (labels, parameter counts, total steps, device)
    progress(object)  an ``engine.training.Progress`` (state 'running')
    paused(int)       the run is paused at this step (it does no work until resumed)
    resumed(int)      the run continues from this step
    finished(object)  list of ``TrainResult`` (one per network); ``result.stopped`` if stopped
    failed(str)       the run could not start or broke; one clear message
    """

    started = Signal(object)
    progress = Signal(object)
    paused = Signal(int)
    resumed = Signal(int)
    finished = Signal(object)
    failed = Signal(str)
    _relay = Signal(str, object)  # worker thread -> GUI thread

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._runner = Jobs("convscope-training", self)
        self._control = TrainControl()
        self._active = False  # True from start() until finished/failed is delivered
        self._paused = False
        self.trainer: Trainer | None = None
        self._saved_interval: float | None = None
        self._relay.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)

    # ---------------------------------------------------------------- control
    @property
    def running(self) -> bool:
        """True while a run is going (paused included)."""
        return self._active

    @property
    def is_paused(self) -> bool:
        return self._paused

    def start(
        self,
        specs,
        dataset: Any | Callable[[], Any],
        config: TrainConfig,
        weights: list | None = None,
    ) -> None:
        """Train ``specs`` (one, or several to compare) on ``dataset``.

        ``dataset`` may be a callable returning the data set, so loading it runs off the
        GUI thread too.
        """
        if self._active:
            raise RuntimeError("a training run is already going")
        self.join()
        self._control = TrainControl()
        self._active, self._paused = True, False
        self.trainer = None
        if self._saved_interval is None:
            self._saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(TRAINING_SWITCH_INTERVAL)
        self._runner.submit(self._work, list(specs), dataset, config, weights, self._control)

    def pause(self) -> None:
        if self._active:
            self._control.pause()

    def resume(self) -> None:
        if self._active:
            self._control.resume()

    def stop(self) -> None:
        """Ask the run to stop; ``finished`` follows with the results so far."""
        self._control.stop()

    def join(self, timeout: float = 10.0) -> None:
        """Wait for the run to end (after :meth:`stop`); for shutdown and tests."""
        self._runner.wait(timeout)

    def shutdown(self) -> None:
        self.stop()
        self.join()
        self._runner.shutdown()

    # ---------------------------------------------------------------- worker thread
    def _work(self, specs, dataset, config, weights, control) -> None:
        try:
            data = dataset() if callable(dataset) else dataset
            trainer = Trainer.compare(specs, data, config, weights=weights)
            self._relay.emit("started", trainer)
            results = trainer.run(self._report, control, progress_interval=PROGRESS_INTERVAL)
            self._relay.emit("finished", results)
        except EngineError as error:
            self._relay.emit("failed", _message(error))
        except Exception as error:  # noqa: BLE001 - the thread must report, never die silently
            log.exception("training failed")
            self._relay.emit("failed", _message(error))

    def _report(self, progress: Progress) -> None:
        self._relay.emit(progress.state, progress)

    # ---------------------------------------------------------------- GUI thread
    @Slot(str, object)
    def _dispatch(self, kind: str, payload: object) -> None:
        if kind == "started":
            self.trainer = payload  # type: ignore[assignment]
            self.started.emit(payload)
        elif kind == "running":
            if self._paused:
                self._paused = False
                self.resumed.emit(payload.step)  # type: ignore[union-attr]
            self.progress.emit(payload)
        elif kind == "paused":
            self._paused = True
            self.progress.emit(payload)
            self.paused.emit(payload.step)  # type: ignore[union-attr]
        elif kind == "finished" and isinstance(payload, Progress):
            self.progress.emit(payload)  # the last report; results follow
        elif kind == "finished":
            self._ended()
            self.finished.emit(payload)
        elif kind == "failed":
            self._ended()
            self.failed.emit(payload)

    def _ended(self) -> None:
        self._active, self._paused = False, False
        if self._saved_interval is not None:
            sys.setswitchinterval(self._saved_interval)
            self._saved_interval = None


def collector_paused(fn: Callable) -> Callable:
    """``fn`` made to run with the cyclic garbage collector paused, then freeze what it left.

    For the process's first data set: its imports (MNIST-1D's generator pulls in scipy,
    matplotlib and requests, some 700 modules) leave over 100,000 long-lived objects, enough
    to trigger full collections, each holding the GIL while it walks every tracked object
    (35-160 ms here: GUI stalls). Paused, none runs; frozen, later collections skip those
    objects. The price: cyclic garbage made meanwhile (by any thread: the switch is
    process-wide) is never collected; at start-up about 2,400 objects (import-time frames
    and tracebacks, counted with gc.DEBUG_SAVEALL).
    """

    @functools.wraps(fn)
    def run(*args):
        if not gc.isenabled():  # someone else holds it off: leave it to them
            return fn(*args)
        gc.disable()
        try:
            return fn(*args)
        finally:
            gc.freeze()
            gc.enable()

    return run


def warm_up() -> None:
    """Two tiny runs, so torch's lazy first-use set-up (kernels, autograd, the optimizers'
    state) happens now in the background and not when training starts."""
    import numpy as np

    from engine.data import Dataset
    from engine.spec import LayerSpec, NetworkSpec

    x = np.zeros((8, 1, 16), np.float32)
    y = np.arange(8, dtype=np.int64) % 2
    data = Dataset(x, y, x, y, ("a", "b"), (1, 16))
    spec = NetworkSpec(
        [
            LayerSpec("c", "conv", {"out_channels": 2}),
            LayerSpec("d", "dropout", {}),
            LayerSpec("f", "flatten"),
            LayerSpec("o", "linear", {"out_features": 2}),
        ],
        (1, 16),
    )
    for optimizer in ("sgd", "adam"):
        config = TrainConfig(
            optimizer=optimizer, batch_size=4, steps=2, eval_every=1, checkpoint_every=1
        )
        Trainer(spec, data, config, device="cpu").run()
