"""The compute scheduler: runs the engine off the GUI thread, newest request wins.

The GUI thread only snapshots the document (its arrays are immutable, so a snapshot is a
few references) into a single pending slot; a worker thread takes the slot, runs
``engine.network.forward`` from the first affected layer (reusing its previous trace) and
prepares display data (``gui.compute.display``), then hands a :class:`ComputeResult` back through
a queued signal. Requests made while the worker is busy coalesce into one (the earliest
affected layer wins). Results are delivered in order and never go backwards: a result older
than one already delivered is dropped.

When passes are slow (``EARLY_LAYERS_AFTER_S``), each recomputed layer's display data
leaves as soon as it is ready (``layerReady``), so the GUI paints early layers while the
worker computes later ones; a quick pass is delivered whole. Either way each layer is drawn
on a render thread while the worker computes the next one, or by the worker itself between
layers, whichever :class:`PassPlan` measured faster. The worker thread stays a
moment after its last job (``IDLE_LINGER_S``): starting a thread per edit made the GUI
thread wait for the OS to schedule it.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import threading
import time
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PySide6.QtCore import QObject, Qt, Signal, Slot

from engine.errors import EngineError
from engine.spec import INPUT
from engine.trace import Trace
from gui.compute.colormaps import colour_tables
from gui.compute.display import (
    ColourTables,
    DisplayHint,
    LayerDisplay,
    dropped_for,
    layer_channel_ranges,
    layer_display,
    overlay_for,
    reduced_range,
    value_range,
)
from gui.state.document import Document, Probe

log = logging.getLogger(__name__)

RENDER_ONLY = 1 << 30  # start index meaning "the network did not change; only redraw"
FROM_INPUT = -1  # start index meaning "the input changed": nothing of the last trace holds
IDLE_LINGER_S = 0.25  # an idle worker waits this long for the next request before it ends
# Layers are handed over one by one only when a pass is slow enough for progress to show.
# A quick pass is handed over whole: one repaint of every map costs the GUI thread less
# than one per layer, and on two cores those repaints slowed the pass itself (measured:
# median edit-to-repaint 15 ms whole against 19 ms layer by layer on the reference load).
EARLY_LAYERS_AFTER_S = 0.040


@dataclass
class ComputeResult:
    """What one worker run produced: the trace, display data per layer, and its generation."""

    trace: Trace
    display: dict[str, LayerDisplay]
    generation: int
    seconds: dict[str, float] = field(default_factory=dict)  # forward / render timings


@dataclass
class LayerResult:
    """One layer's display data from a pass still running (its ComputeResult follows)."""

    name: str
    display: LayerDisplay
    generation: int


@dataclass
class ReceptiveResult:
    """The receptive field of ``probe``: engine masks and display overlays per layer.

    ``masks`` is ``engine.receptive.receptive_field``'s answer (name -> bool mask over that
    layer's spatial grid, "input" included); ``overlays`` the same masks in each layer's
    display layout (uint8: 1 inside, 0 outside, GAP between tiles), ready for an ImageItem.
    ``error`` is set (and masks empty) when the probed layer cannot run.
    """

    probe: Probe
    masks: dict[str, np.ndarray]
    overlays: dict[str, np.ndarray]
    generation: int
    error: str | None = None


@dataclass
class _ReceptiveJob:
    generation: int
    spec: Any
    input_shape: tuple[int, ...]
    probe: Probe
    shapes: dict[str, tuple[int, ...]]
    hint: DisplayHint
    full: frozenset[str] = frozenset()


@dataclass
class _Job:
    generation: int
    start: int
    input: np.ndarray
    spec: Any
    weights: dict
    colormap: str
    shared_levels: bool
    hint: DisplayHint
    tables: ColourTables | None = None
    visible: frozenset[str] | None = None  # layers to draw (None: all)
    full: frozenset[str] = frozenset()  # layers drawn at full resolution


class ComputeScheduler(QObject):
    """Recomputes the network whenever the document changes, off the GUI thread.

    Signals
    -------
    traceReady(ComputeResult)
        A new result, on the GUI thread.
    layerReady(LayerResult)
        One recomputed layer's display data, ahead of its pass's ``traceReady`` (only when
        levels are per layer and passes are slow). Never older than the newest delivered result.
    receptiveReady(ReceptiveResult)
        The receptive field of the document's probe (recomputed when the probe or the
        network changes; only while ``view.show_receptive_field``).
    failed(str)
        The engine refused the input itself (also sent to ``document.message``).
    """

    traceReady = Signal(object)
    layerReady = Signal(object)
    receptiveReady = Signal(object)
    failed = Signal(str)
    _delivered = Signal(object)  # worker -> GUI thread (queued)

    def __init__(
        self, document: Document, parent: QObject | None = None, *, threads: int | None = None
    ):
        super().__init__(parent)
        self._document = document
        self._hint = DisplayHint()
        self._visible: frozenset[str] | None = None
        self._full: frozenset[str] = frozenset()
        self._latest: ComputeResult | None = None
        self._generation = 0
        self._delivered_generation = -1
        self._pending: _Job | None = None
        self._pending_rf: _ReceptiveJob | None = None
        self._rf_generation = 0
        self._latest_rf: ReceptiveResult | None = None
        self._busy = False
        self._retired: list[ComputeResult] = []  # delivered results for the worker to free
        self._cond = threading.Condition()
        self._stop = False
        # Leave a core to the GUI thread (a slow pass) or to the render thread (a quick one).
        self._threads = threads or max(1, (os.cpu_count() or 2) - 1)
        self._delivered.connect(self._on_delivered, Qt.ConnectionType.QueuedConnection)
        document.inputChanged.connect(lambda: self.request(FROM_INPUT))
        document.networkChanged.connect(self.request)
        document.viewChanged.connect(lambda: self.request(RENDER_ONLY))
        document.probeChanged.connect(self._probe_maybe_changed)
        # A receptive field depends on the spec and the input's shape (both announced by
        # specChanged), never on weights or input values: a kernel drag or a brush stroke
        # does not ask for it again.
        document.specChanged.connect(self.request_receptive)
        document.viewChanged.connect(self.request_receptive)
        self._rf_probe: Probe | None = None
        self._trace: Trace | None = None  # the worker's newest trace (reused by the next run)
        self._last_pass_s = float("inf")  # the worker's last pass (a first pass may be slow)
        self._plan = PassPlan()  # how passes run, chosen by measured cost (the worker's)
        self._thread: threading.Thread | None = None
        self._render_basis: tuple | None = None  # (settings, trace, render) of the last run
        self._render_pool = None  # the worker's render thread while it runs (see _work)
        self.request(FROM_INPUT)

    # ---------------------------------------------------------------- public
    @property
    def latest(self) -> ComputeResult | None:
        """The newest delivered result, or None before the first."""
        return self._latest

    @property
    def generation(self) -> int:
        """The generation of the newest request (a result with it reflects the document now)."""
        return self._generation

    @property
    def idle(self) -> bool:
        """True when nothing is pending or running."""
        with self._cond:
            return self._pending is None and not self._busy

    @property
    def display_hint(self) -> DisplayHint:
        return self._hint

    def set_display_hint(self, hint: DisplayHint) -> None:
        """How big the maps view shows tiles; a change redraws without recomputing."""
        if hint != self._hint:
            self._hint = hint
            self.request(RENDER_ONLY)
            self.request_receptive()  # its overlays are drawn in the display layout

    def set_visible_layers(self, names: frozenset[str] | None) -> None:
        """Draw only these layers (None: all); the others are drawn once they come into view.

        Scrolled-out layers are still computed (later layers need them), only their display
        data waits: a layer that comes into view is drawn from the newest trace at once.
        """
        if names == self._visible:
            return
        appeared = names is None or self._visible is None or not names <= self._visible
        self._visible = names
        if appeared:
            self.request(RENDER_ONLY)

    def set_full_resolution(self, names: frozenset[str]) -> None:
        """Draw these 2D layers without downsampling (zoomed views), the rest as usual."""
        if names != self._full:
            self._full = frozenset(names)
            self.request(RENDER_ONLY)
            self.request_receptive()

    def request(self, start_index: int = FROM_INPUT) -> int:
        """Schedule a recompute from layer ``start_index`` (:data:`FROM_INPUT`: all of it,
        nothing reused); returns the request's generation."""
        doc = self._document
        view = doc.view
        with self._cond:
            self._generation += 1
            start = start_index
            if self._pending is not None:
                start = min(start, self._pending.start)
            self._pending = _Job(
                self._generation,
                start,
                doc.input,
                doc.spec,
                doc.weights,
                view.colormap,
                view.shared_levels,
                self._hint,
                colour_tables(view.colormap),
                self._visible,
                self._full,
            )
            self._wake()
            return self._generation

    @property
    def latest_receptive(self) -> ReceptiveResult | None:
        return self._latest_rf

    @property
    def receptive_current(self) -> bool:
        """True when the newest receptive-field request has been delivered (or none made)."""
        if self._rf_probe is None:
            return True
        latest = self._latest_rf
        return latest is not None and latest.generation == self._rf_generation

    def request_receptive(self) -> None:
        """Schedule the receptive field of the document's probe (nothing without a probe)."""
        doc = self._document
        probe = doc.probe if doc.view.show_receptive_field else None
        self._rf_probe = probe
        if probe is None:
            with self._cond:
                self._pending_rf = None
            return
        shapes = {"input": tuple(doc.input.shape)}
        shapes.update(
            {i.name: tuple(i.out_shape) for i in doc.analysis.layers if i.out_shape is not None}
        )
        with self._cond:
            self._rf_generation += 1
            self._pending_rf = _ReceptiveJob(
                self._rf_generation,
                doc.spec,
                tuple(doc.input.shape),
                probe,
                shapes,
                self._hint,
                self._full,
            )
            self._wake()

    def _probe_maybe_changed(self) -> None:
        wanted = self._document.probe if self._document.view.show_receptive_field else None
        if wanted != self._rf_probe:
            self.request_receptive()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Drop pending work, refuse new work and wait for a run in progress to end."""
        with self._cond:
            self._stop = True
            self._pending = self._pending_rf = None
            thread = self._thread
            self._cond.notify_all()  # a lingering worker ends now
        if thread is not None:
            thread.join(timeout)

    def _wake(self) -> None:
        # Called with the lock held. The worker lives only while there is work, so an idle
        # scheduler holds no thread (nothing to leak, nothing to stop at exit).
        if self._stop:
            self._pending = self._pending_rf = None
        elif self._thread is None:
            self._thread = threading.Thread(
                target=_work,
                args=(weakref.ref(self), self._cond, self._threads),
                name="convscope-compute",
                daemon=True,
            )
            self._thread.start()
        else:
            self._cond.notify()  # a lingering worker takes the job at once

    # ---------------------------------------------------------------- worker
    def _idle(self) -> bool:
        return self._stop or (self._pending is None and self._pending_rf is None)

    def _take(self) -> tuple[_Job | None, _ReceptiveJob | None] | None:
        """(job, receptive job) to run next, or None when the worker should end."""
        if self._idle():
            self._thread = None
            return None
        if self._pending is None:
            rf_job, self._pending_rf = self._pending_rf, None
            job = None
        else:
            job, self._pending = self._pending, None
        self._busy = True
        return job, rf_job if job is None else None

    def _process(self, job: _Job | None, rf_job: _ReceptiveJob | None) -> None:
        if job is None:
            try:
                self._delivered.emit(_receptive(rf_job))
            except Exception:  # noqa: BLE001 - the worker must survive anything
                log.exception("receptive field failed")
            finally:
                with self._cond:
                    self._busy = False
            return
        try:
            result = self._compute(job, self._trace)
            self._trace = result.trace
            self._delivered.emit(result)
        except EngineError as error:
            self._delivered.emit(str(error))
        except Exception as error:  # noqa: BLE001 - the worker must survive anything
            log.exception("compute failed")
            self._delivered.emit(f"computation failed: {error}")
        finally:
            with self._cond:
                self._busy = False

    def _compute(self, job: _Job, previous: Trace | None) -> ComputeResult:
        t0 = time.perf_counter()
        # The last run's display data, when drawn with the same settings: a layer whose
        # output is the same array keeps it, one with a few changed channels builds on it.
        settings = (job.colormap, job.shared_levels, job.hint, job.full)
        reuse = None
        if self._render_basis is not None and self._render_basis[0] == settings:
            reuse = self._render_basis[1:]
        drawer = _PassDrawer(job, previous, reuse, self._delivered.emit)
        slow = self._last_pass_s >= EARLY_LAYERS_AFTER_S
        pool = self._render_pool
        computes = job.start < RENDER_ONLY and not job.shared_levels and pool is not None
        option = "overlap"
        if computes:
            option = self._plan.choose((job.spec, tuple(job.input.shape)), slow)
        on_output = None
        if not job.shared_levels:
            if pool is not None and option == "overlap":
                # Each layer is drawn on the render thread while the next one computes
                # here (torch releases the GIL). A quick pass is handed over whole
                # (measured on the reference load: median edit-to-repaint 12.4 ms against
                # 13.3 with the worker drawing after the pass on two torch threads); a
                # slow one layer by layer as each drawing ends (at 512x512 the worker
                # drew each layer itself between layers before: about a quarter of the
                # pass, now beside it on the other core).
                on_output = functools.partial(drawer.draw_meanwhile, pool, hand_over=slow)
            elif slow or option != "overlap":
                on_output = drawer.hand_over_now if slow else drawer.draw_now
        trace = _run_pass(job, previous, on_output)
        t1 = time.perf_counter()
        early = drawer.collect()
        render = trace_display(
            trace,
            job.spec,
            job.colormap,
            job.shared_levels,
            job.hint,
            reuse,
            early,
            job.tables,
            job.visible,
            job.full,
        )
        self._render_basis = (settings, trace, render)
        t2 = time.perf_counter()
        if job.start < RENDER_ONLY:
            self._last_pass_s = t2 - t0
        if computes:
            self._plan.record(slow, option, t2 - t0)
        times = {"forward": t1 - t0 - drawer.seconds, "render": t2 - t1 + drawer.seconds}
        return ComputeResult(trace, render, job.generation, times)

    # ------------------------------------------------------------- GUI thread
    @Slot(object)
    def _on_delivered(self, result: object) -> None:
        if isinstance(result, ReceptiveResult):
            if result.generation == self._rf_generation:  # only the newest probe counts
                self._latest_rf = result
                self.receptiveReady.emit(result)
            return
        if isinstance(result, LayerResult):
            if result.generation > self._delivered_generation:
                self.layerReady.emit(result)
            return
        if isinstance(result, str):
            self.failed.emit(result)
            self._document.notify("error", result)
            return
        assert isinstance(result, ComputeResult)
        if result.generation <= self._delivered_generation:
            return  # never show an older state after a newer one
        self._delivered_generation = result.generation
        old, self._latest = self._latest, result
        self.traceReady.emit(result)
        if old is not None:
            # Freeing a big trace (about 15 ms at 1024x1024: unmapping its arrays) is the
            # worker's job; without a worker it happens here.
            with self._cond:
                if self._thread is not None and not self._stop:
                    self._retired.append(old)
                    self._cond.notify()


def _work(ref: weakref.ref, cond: threading.Condition, threads: int) -> None:
    """The worker thread's loop.

    It holds the scheduler strongly only while it takes or runs a job; while it lingers,
    only weakly. So the last reference does not die here: a QObject must be destroyed on the
    thread it lives in (the GUI thread), never on this one.
    """
    if torch.get_num_threads() != threads:  # per thread: this worker's own setting
        torch.set_num_threads(threads)
    # The render thread lives as long as this worker (it draws the layers of quick passes).
    pool = ThreadPoolExecutor(
        1, thread_name_prefix="convscope-render", initializer=torch.set_num_threads, initargs=(1,)
    )
    try:
        _serve(ref, cond, pool)
    finally:
        pool.shutdown(wait=True)


def _serve(ref: weakref.ref, cond: threading.Condition, pool) -> None:
    while True:
        with cond:
            scheduler = ref()
            if scheduler is not None and scheduler._idle() and not scheduler._retired:
                del scheduler
                cond.wait(IDLE_LINGER_S)
                scheduler = ref()
            if scheduler is None:
                return
            retired, scheduler._retired = scheduler._retired, []
            # After freeing, look again (a lingering worker woken to free stays lingering).
            work = () if retired else scheduler._take()
        if retired:
            del retired  # the old results' arrays are freed here, not on the GUI thread
            _return_freed_memory()
        if work is None:
            return
        if work:
            scheduler._render_pool = pool
            scheduler._process(*work)
        del scheduler


_TRIM_EVERY_S = 2.0
_trim_state = {"last": 0.0, "trim": None}


def _return_freed_memory() -> None:
    """Give freed heap pages back to the system, at most every two seconds (glibc keeps
    them: 600 kernel edits with a trace freed per pass grew the resident size from 400 to
    1,140 MiB, of which all but about 100 MiB was freed memory never returned)."""
    now = time.monotonic()
    if now - _trim_state["last"] < _TRIM_EVERY_S:
        return
    _trim_state["last"] = now
    trim = _trim_state["trim"]
    if trim is None:
        try:
            import ctypes

            trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc: nothing to do
            trim = False
        _trim_state["trim"] = trim
    if trim:
        trim(0)


def trace_display(
    trace: Trace,
    spec,
    colormap: str,
    shared_levels: bool,
    hint: DisplayHint,
    reuse: tuple[Trace, dict[str, LayerDisplay]] | None = None,
    early: dict[str, LayerDisplay] | None = None,
    tables: ColourTables | None = None,
    visible: frozenset[str] | None = None,
    full: frozenset[str] = frozenset(),
) -> dict[str, LayerDisplay]:
    """Display data for the input and every layer of ``trace`` (missing layers marked).

    ``reuse`` is an earlier (trace, displays) made with the same settings: a layer whose output
    is the very same array keeps its display data (per-layer levels only), and when
    ``trace`` was computed from that trace, a layer with a few changed channels
    (``trace.changed_channels``) redraws only those. ``early`` holds
    display data already made from this trace's outputs with these settings (per-layer
    levels only), used as it is. Layers outside ``visible`` (when given) are left out unless
    their display data can be reused; layers in ``full`` are drawn at full resolution.
    """
    names = [INPUT, *spec.names()]
    basis_displays = None
    if reuse is not None and trace.changed_since == reuse[0].serial:
        basis_displays = reuse[1]

    def basis_of(name: str) -> tuple[LayerDisplay | None, frozenset[int] | None]:
        changed = trace.changed_channels.get(name)
        if basis_displays is None or changed is None:
            return None, None
        return basis_displays.get(name), changed

    ranges, per_channel, shared = {}, {}, None
    if shared_levels:
        ranges, per_channel, shared = _shared_levels(trace, names, basis_of)
    displays: dict[str, LayerDisplay] = {}
    for name in names:
        output = trace.outputs.get(name)
        if output is None:
            displays[name] = LayerDisplay(name, "missing", ())
        elif early and not shared_levels and name in early:
            displays[name] = early[name]
        elif (
            reuse is not None
            and not shared_levels
            and reuse[0].outputs.get(name) is output
            and name in reuse[1]
        ):
            displays[name] = reuse[1][name]
        elif visible is not None and name not in visible:
            continue  # scrolled out of view: drawn when it comes back
        else:
            basis, changed = basis_of(name)
            displays[name] = layer_display(
                name,
                output,
                hint,
                colormap,
                ranges.get(name),
                shared,
                tables,
                full_resolution=name in full,
                basis=basis,
                changed=changed,
                ranges=per_channel.get(name),
            )
    _mark_dropped(trace, spec, displays)
    return displays


def _mark_dropped(trace: Trace, spec, displays: dict[str, LayerDisplay]) -> None:
    """Give each dropout layer run in training mode its dropped units (from the trace's
    keep-mask) in the display layout."""
    for layer in spec.layers:
        d = displays.get(layer.name)
        if layer.type != "dropout" or d is None or d.dropped is not None:
            continue
        if d.kind != "missing" and layer.name in trace.indices:
            marks = dropped_for(trace.indices[layer.name], d)
            if marks is not None:
                displays[layer.name] = dataclasses.replace(d, dropped=marks)


def _shared_levels(trace: Trace, names, basis_of):
    """Every layer's value range (per channel where only some changed) and the one range
    that covers them all: (ranges, per-channel ranges, shared range or None)."""
    ranges: dict[str, tuple[float, float]] = {}
    per_channel: dict[str, np.ndarray] = {}
    for n in names:
        output = trace.outputs.get(n)
        if output is None:
            continue
        channels = layer_channel_ranges(output, *basis_of(n))
        if channels is None:
            ranges[n] = value_range(output)
        else:
            per_channel[n], ranges[n] = channels, reduced_range(channels)
    shared = None
    if ranges:
        shared = (min(r[0] for r in ranges.values()), max(r[1] for r in ranges.values()))
    return ranges, per_channel, shared


def _run_pass(job: _Job, previous: Trace | None, on_output) -> Trace:
    """The engine pass a job asks for: none (a redraw), a whole pass, or from its first edit."""
    from engine import network

    if job.start >= RENDER_ONLY and previous is not None:
        return previous
    if previous is None or job.start < 0 or job.start >= len(job.spec.layers):
        return network.forward(job.spec, job.weights, job.input, on_output=on_output)
    return network.forward(
        job.spec,
        job.weights,
        job.input,
        start_from=job.spec.layers[job.start].name,
        previous=previous,
        on_output=on_output,
    )


class PassPlan:
    """How the worker runs passes, chosen by their measured cost (not by a guess).

    Options: ``"overlap"`` (each layer is drawn on the render thread while the next one
    computes) and ``"serial"`` (the worker draws each layer itself, between layers).
    Which wins depends on the machine, its load and the network (on two loaded cores the
    render thread competing with the worker made 512x512 passes slower; on a quiet one
    the overlap wins): each option is tried, then the one with the lowest median of its
    recent pass times is used; the loser is tried again after ``RETRY`` passes, then
    twice as long each time it loses again, four times when far behind. Costs are kept
    per kind of pass (quick or slow) and forgotten when the network or the input's shape
    changes.

    Intra-op torch threads for the big layers were measured too and left out: their
    sums come out in another order (the maps would no longer equal a fresh engine pass
    bit for bit), and with the machine loaded a pass took ten times as long.
    """

    RECENT = 5
    RETRY = 24
    options = ("overlap", "serial")

    def __init__(self) -> None:
        self._key = None
        self._costs: dict[tuple, list[float]] = {}
        self._wait: dict[tuple, int] = {}  # passes until a losing option is tried again
        self._backoff: dict[tuple, int] = {}
        self._warm = False

    def choose(self, key, slow: bool) -> str:
        if key != self._key:
            self._key = key
            self._costs, self._wait, self._backoff = {}, {}, {}
            self._warm = True  # the first pass after a change warms caches up: not counted
        for option in self.options:
            if len(self._costs.get((slow, option), ())) < 2:
                return option
        best = self.best(slow)
        for option in self.options:
            if option == best:
                continue
            k = (slow, option)
            self._wait[k] = self._wait.get(k, self.RETRY) - 1
            if self._wait[k] <= 0:
                return option
        return best

    def best(self, slow: bool) -> str:
        def median(option: str) -> float:
            costs = self._costs.get((slow, option))
            return float(np.median(costs)) if costs else float("inf")

        return min(self.options, key=median)

    def record(self, slow: bool, option: str, seconds: float) -> None:
        if self._warm:
            self._warm = False
            return
        k = (slow, option)
        costs = self._costs.setdefault(k, [])
        costs.append(seconds)
        del costs[: -self.RECENT]
        if k in self._wait and self._wait[k] <= 0:  # a retry: wait longer if it lost again
            best = self.best(slow)
            factor = 1
            if best != option:  # far behind: try it much later
                far = seconds > 2 * float(np.median(self._costs[(slow, best)]))
                factor = 4 if far else 2
            self._backoff[k] = self._backoff.get(k, self.RETRY) * factor
            self._wait[k] = self._backoff[k]


class _PassDrawer:
    """Draws the layers of one pass as they are computed (the worker's side of a job)."""

    def __init__(self, job: _Job, previous: Trace | None, reuse, hand_over) -> None:
        self.job, self.previous, self.reuse = job, previous, reuse
        self._hand_over = hand_over  # emits a LayerResult to the GUI thread
        self.early: dict[str, LayerDisplay] = {}
        self.seconds = 0.0  # spent drawing inside the pass (not the engine's time)
        self._drawing: dict[str, Future] = {}

    def drawing_of(self, name: str, output: np.ndarray, changed: frozenset[int] | None):
        """How to draw a layer just computed (a call), or None when it is out of view."""
        job = self.job
        if job.visible is not None and name not in job.visible:
            return None  # scrolled out of view: drawn when it comes back
        basis = None
        if self.reuse is not None and self.reuse[0] is self.previous and changed is not None:
            basis = self.reuse[1].get(name)
        return functools.partial(
            layer_display,
            name,
            output,
            job.hint,
            job.colormap,
            tables=job.tables,
            full_resolution=name in job.full,
            basis=basis,
            changed=changed,
        )

    def draw_now(self, name: str, output: np.ndarray, changed) -> None:
        """A quick pass drawn by the worker between layers (handed over with the pass)."""
        self._draw_early(name, output, changed)

    def hand_over_now(self, name: str, output: np.ndarray, changed) -> None:
        """A slow pass: per-layer levels depend on the layer alone, so draw it and send it."""
        if self._draw_early(name, output, changed):
            self._hand_over(LayerResult(name, self.early[name], self.job.generation))

    def _draw_early(self, name: str, output: np.ndarray, changed) -> bool:
        """Draw ``name`` into ``early``; False when there is nothing to draw or drawing
        failed (the final pass renders it, or reports)."""
        draw = self.drawing_of(name, output, changed)
        if draw is None:
            return False
        start = time.perf_counter()
        try:
            self.early[name] = draw()
            return True
        except Exception:  # noqa: BLE001 - the final pass renders it (or reports)
            log.exception("early drawing of %s failed", name)
            return False
        finally:
            self.seconds += time.perf_counter() - start

    def draw_meanwhile(
        self, pool, name: str, output: np.ndarray, changed, hand_over: bool = False
    ) -> None:
        """Draw the layer on the render thread while the next one computes; ``hand_over``:
        send it to the GUI thread as soon as it is drawn (a slow pass)."""
        draw = self.drawing_of(name, output, changed)
        if draw is None:
            return
        if hand_over:
            generation = self.job.generation

            def draw_and_send(draw=draw, name=name) -> LayerDisplay:  # on the render thread
                display = draw()
                # Sent before the future is done: the pass's ComputeResult, sent once every
                # future is done, is always queued after its layers.
                self._hand_over(LayerResult(name, display, generation))
                return display

            self._drawing[name] = pool.submit(draw_and_send)
        else:
            self._drawing[name] = pool.submit(draw)

    def collect(self) -> dict[str, LayerDisplay]:
        """Every layer drawn during the pass (the render thread's included)."""
        for name, future in self._drawing.items():
            try:
                self.early[name] = future.result()
            except Exception:  # noqa: BLE001 - trace_display draws it again (or reports)
                log.exception("drawing %s failed", name)
        return self.early


def _receptive(job: _ReceptiveJob) -> ReceptiveResult:
    from engine.receptive import receptive_field

    probe = job.probe
    if probe.layer == INPUT:
        mask = np.zeros(job.input_shape[1:], dtype=bool)
        mask[tuple(probe.position)] = True
        masks = {INPUT: mask}
    else:
        try:
            masks = receptive_field(job.spec, job.input_shape, probe.layer, probe.position)
        except EngineError as error:
            return ReceptiveResult(probe, {}, {}, job.generation, str(error))
    overlays = {
        name: overlay_for(mask, job.shapes[name], job.hint, name in job.full)
        for name, mask in masks.items()
        if name in job.shapes
    }
    return ReceptiveResult(probe, masks, overlays, job.generation)
