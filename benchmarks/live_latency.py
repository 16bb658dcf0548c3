"""Edit-to-repaint latency of the live lab, against the naive drawing path, in one run.

Drives the real main window (offscreen, 1920x1080) on the reference workload (lab-2d on a
256x256 photograph): each step edits one cell of conv1's kernel through the document, as the
kernel editor does, and measures until every visible layer map has painted that edit's
result (compute in the worker, transfer, ImageItem updates and the paint itself).

The naive path, measured in the same run: a full forward on the GUI thread, then one
pyqtgraph ImageItem per channel map (100 of them) fed float data with auto-levels, and a
synchronous repaint.

max_stall_ms: the longest gap seen by a 5 ms QTimer while a 1024x1024 input recomputes
again and again under edits every 40 ms (the event loop must never stall > 50 ms).

``--input-size N`` runs the same network on an N x N photograph (the app scales loaded
photographs to at most 512 a side); ``--input 1d`` runs lab-1d on a chirp of N samples
(default 16,384) instead, editing conv1's 1D kernel (no 1024 stall phase for 1D).

Usage: python benchmarks/live_latency.py [--input 2d|1d] [--input-size N] [--edits 60]
       [--naive 20] [--stall-seconds 4]
Last line: median_ms=… p95_ms=… naive_median_ms=… ratio=… max_stall_ms=…
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.gap_meter import GapMeter  # noqa: E402

SIZE = (1920, 1080)


def wait_until(predicate, timeout_s: float = 30.0, signal=None) -> bool:
    """Run the event loop (sleeping between events) until ``predicate()`` holds.

    It is checked whenever ``signal`` fires (the moment that counts) and, as a fallback
    without a signal, every 2 ms (every 50 ms with one). Never a busy loop, and no fast
    poll beside the signal: each poll takes the GIL and delays the compute worker and the
    paint being measured.
    """
    if predicate():
        return True
    loop = QEventLoop()

    def check(*_args) -> None:
        if predicate():
            loop.quit()

    poll = QTimer()
    poll.setInterval(2 if signal is None else 50)
    poll.timeout.connect(check)
    poll.start()
    if signal is not None:
        signal.connect(check)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    timer.start(int(timeout_s * 1000))
    # Events handled after the quit (in the same pass) can make it false again, e.g. a
    # new display size asking for a redraw: then wait on, until the time is up.
    while True:
        loop.exec()
        if predicate() or not timer.isActive():
            break
    poll.stop()
    timer.stop()
    if signal is not None:
        signal.disconnect(check)
    return predicate()


def live_latency(window, edits: int) -> list[float]:
    """Edit conv1 (2D or 1D kernel, whichever the network has) and time each repaint."""
    document, scheduler, maps = window.document, window.scheduler, window.maps_view
    painted: list[int] = []
    maps.repainted.connect(painted.append)
    rng = np.random.default_rng(0)
    shape = document.weights["conv1"]["weight"].shape
    if len(shape) == 4:

        def targets(i):
            return (i % shape[0], 0, i % shape[2], (i // shape[2]) % shape[3])
    else:

        def targets(i):
            return (i % shape[0], 0, i % shape[2])

    times = []
    for i in range(edits + 5):  # the first 5 warm up
        target = targets(i)
        t0 = time.perf_counter()
        document.set_kernel_value("conv1", target, float(rng.uniform(-1, 1)), merge_key="bench")
        generation = scheduler.generation
        if not wait_until(lambda g=generation: painted and painted[-1] >= g, signal=maps.repainted):
            raise RuntimeError(f"edit {i} was never painted")
        if i >= 5:
            times.append(time.perf_counter() - t0)
    maps.repainted.disconnect(painted.append)
    return times


def naive_latency(document, runs: int) -> list[float]:
    import pyqtgraph as pg  # after PySide6
    import torch

    from engine import network

    # The naive path runs torch on the GUI thread with every core (torch's default).
    worker_threads = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or 1)

    widget = pg.GraphicsLayoutWidget()
    widget.resize(*SIZE)
    items: list[pg.ImageItem] = []
    trace = network.forward(document.spec, document.weights, document.input)
    names = document.spec.names()
    row = 0
    for name in names:
        out = trace.outputs[name]
        for c in range(out.shape[0]):
            view = widget.addViewBox(row=row, col=c)
            view.setAspectLocked(True)
            # 1D layers: one curve per channel (what a naive 1D view would draw)
            item = pg.ImageItem() if out.ndim == 3 else pg.PlotDataItem()
            view.addItem(item)
            items.append(item)
        row += 1
    widget.show()
    QApplication.processEvents()
    times = []
    weights = document.weights
    for i in range(runs + 3):
        t0 = time.perf_counter()
        trace = network.forward(document.spec, weights, document.input)
        k = 0
        for name in names:
            for channel in trace.outputs[name]:
                if channel.ndim == 2:
                    items[k].setImage(channel, autoLevels=True)
                else:
                    items[k].setData(channel)
                k += 1
        widget.viewport().repaint()  # the graphics view paints in its viewport
        if i >= 3:
            times.append(time.perf_counter() - t0)
    widget.close()
    widget.deleteLater()
    QApplication.processEvents()
    torch.set_num_threads(worker_threads)
    return times


def max_stall(window, seconds: float) -> float:
    from engine.examples import make_example

    document, scheduler = window.document, window.scheduler
    document.set_input(make_example("cameraman", 1024))
    wait_until(lambda: scheduler.idle and scheduler.latest.generation == scheduler.generation, 120)
    meter = GapMeter()

    rng = np.random.default_rng(1)
    step = [0]

    def edit() -> None:
        step[0] += 1
        document.set_kernel_value(
            "conv1", (step[0] % 16, 0, 1, 1), float(rng.uniform(-1, 1)), merge_key="stall"
        )

    editor = QTimer()
    editor.setInterval(40)
    editor.timeout.connect(edit)
    meter.start()
    editor.start()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    meter.stop()
    editor.stop()
    wait_until(lambda: scheduler.idle, 120)
    return meter.longest_ms() / 1000 if meter.gaps else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=60)
    parser.add_argument("--naive", type=int, default=20)
    parser.add_argument("--stall-seconds", type=float, default=4.0)
    parser.add_argument("--input", choices=("2d", "1d"), default="2d")
    parser.add_argument(
        "--input-size", type=int, default=None, help="side (2D, default 256) or length (1D, 16384)"
    )
    args = parser.parse_args()
    one_d = args.input == "1d"
    size = args.input_size or (16384 if one_d else 256)

    from engine.examples import make_example
    from gui.app.launch import Start, create_window, freeze_start_up_objects
    from gui.app.theme import apply_theme

    app = QApplication.instance() or QApplication([])
    apply_theme(app)
    if one_d:
        # Longer than the examples' 4096 limit: the same chirp formula, made here.
        from engine.examples import _signal

        chirp = np.ascontiguousarray(_signal("chirp", size)[None], dtype=np.float32)
        start = Start(chirp, "lab-1d", None, "chirp")
    else:
        start = Start(make_example("cameraman", size), "lab-2d", None, "cameraman")
    print(f"input: {args.input} {size}", flush=True)
    window = create_window(start)
    window.resize(*SIZE)
    window.show()
    freeze_start_up_objects()  # as the app does
    scheduler = window.scheduler
    if not wait_until(lambda: scheduler.latest is not None and scheduler.idle, 60):
        raise RuntimeError("no first result")
    # The trainer dock warms torch up and loads its data set in the background at start;
    # that GIL-heavy work is start-up, not the lab's edit latency: let it end first.
    panel = getattr(window, "trainer_panel", None)
    jobs = getattr(panel, "jobs", None)
    if jobs is not None:
        panel.set_up()  # what the app starts a moment after the first maps: now, not mid-run
        t0 = time.perf_counter()
        wait_until(lambda: jobs.idle, 120)
        print(f"trainer start-up jobs ended after {time.perf_counter() - t0:.1f} s", flush=True)
    wait_until(lambda: False, 0.3)  # let the first layout settle

    print("measuring live edits…", flush=True)
    live = np.array(live_latency(window, args.edits)) * 1000
    print("measuring the naive path…", flush=True)
    naive = np.array(naive_latency(window.document, args.naive)) * 1000
    stall = float("nan")
    if not one_d and args.stall_seconds > 0:
        print("measuring stalls at 1024x1024…", flush=True)
        stall = max_stall(window, args.stall_seconds) * 1000
    median, p95 = float(np.median(live)), float(np.percentile(live, 95))
    naive_median = float(np.median(naive))
    print(f"live edits: {len(live)}  min {live.min():.1f}  max {live.max():.1f} ms")
    if scheduler.latest is not None:
        s = scheduler.latest.seconds
        print(
            f"last worker run: forward {s['forward'] * 1000:.1f} ms, "
            f"display data {s['render'] * 1000:.1f} ms"
        )
    plan = getattr(scheduler, "_plan", None)
    if plan is not None:  # which way of running passes the scheduler measured best
        costs = {k: round(float(np.median(v)) * 1000, 1) for k, v in plan._costs.items()}
        print(f"pass plan: quick {plan.best(False)}, slow {plan.best(True)}; median ms {costs}")
    print(f"naive runs: {len(naive)}  min {naive.min():.1f}  max {naive.max():.1f} ms")
    print(
        f"median_ms={median:.2f} p95_ms={p95:.2f} naive_median_ms={naive_median:.2f} "
        f"ratio={median / naive_median:.2f} max_stall_ms={stall:.2f}",
        flush=True,
    )
    window.document.undo_stack.setClean()  # no "save changes?" prompt on close
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
