"""Does the Symmetry tab stall the event loop? Longest gaps while it is driven, offscreen.

Usage: ``python benchmarks/symmetry_stall.py [--moves N] [--runs N]``

Opens the app's window offscreen on the reference workload (``lab-2d``, the 256x256
cameraman), shows the Symmetry tab and, with a QTimer ticking every 5 ms, records the gaps
between ticks (the event loop's stalls) while

1. nothing happens (the baseline gap of this machine under its current load);
2. the shift slider moves ``--moves`` times, one step every 20 ms (each move asks the
   engine for every layer's errors and the chosen layer's maps; the answers are drawn);
3. a sweep of shifts 0..32 runs and is drawn (the time from the request to the plot);
4. the GUI thread's own share of 2 and 3: the time spent in the lab's result handlers;
5. the Consistency tab computes for the book's MNIST-1D CNN over 1,000 test signals, shifts
   0..16 (twice: the first request also imports and loads the data on the worker).

It also times ``engine.symmetry.sweep(..., 32)`` and 32 plain ``engine.network.forward``
passes in the same run (medians over ``--runs``) and prints their ratio. The house rule:
the GUI thread never waits over 50 ms. Wall-clock numbers on a shared machine are noisy:
compare the phases with the idle baseline of the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CONVSCOPE_RECOVERY_DIR", "/tmp/convscope-bench-recovery")


class GapMeter:
    """A 5 ms QTimer; ``gaps`` are the times between its ticks (ms) since ``reset``."""

    def __init__(self, app):
        from PySide6.QtCore import QTimer

        self.app = app
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self.last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(1000 * (now - self.last))
        self.last = now

    def reset(self) -> None:
        self.gaps = []
        self.last = time.perf_counter()

    def summary(self) -> str:
        g = sorted(self.gaps) or [0.0]
        p99 = g[min(len(g) - 1, int(0.99 * len(g)))]
        return f"longest gap {g[-1]:6.1f} ms · p99 {p99:5.1f} ms · median {g[len(g) // 2]:4.1f} ms"


class StallWatch:
    """``--diagnose``: a thread that, when the GUI thread has not ticked for 40 ms, records
    where the GUI thread is (its innermost frames) — what a stall is spent on."""

    def __init__(self, meter: GapMeter):
        import threading
        from collections import Counter

        self.meter, self.seen = meter, Counter()
        self.main = threading.main_thread().ident
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        import traceback

        while not self._stop.wait(0.01):
            if 1000 * (time.perf_counter() - self.meter.last) < 40:
                continue
            frame = sys._current_frames().get(self.main)
            if frame is not None:
                stack = traceback.extract_stack(frame)[-4:]
                self.seen[" <- ".join(f"{os.path.basename(f.filename)}:{f.lineno} {f.name}"
                                      for f in reversed(stack))] += 1  # fmt: skip

    def report(self) -> None:
        self._stop.set()
        for where, n in self.seen.most_common(8):
            print(f"  stalled {10 * n:5d} ms in {where}")


def spin(app, condition, timeout_s: float = 120.0) -> bool:
    end = time.perf_counter() + timeout_s
    while time.perf_counter() < end:
        if condition():
            return True
        app.processEvents()
        time.sleep(0.001)
    return False


def run_for(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)


def timed_handlers(panel) -> dict[str, float]:
    """Wrap the lab's result handlers to add up the GUI thread's time in them (ms)."""
    spent = {"measure": 0.0, "sweep": 0.0, "consistency": 0.0}
    for name, key in (("_show_measure", "measure"),):
        real = getattr(panel, name)

        def wrapped(*args, _real=real, _key=key):
            t0 = time.perf_counter()
            _real(*args)
            spent[_key] += 1000 * (time.perf_counter() - t0)

        setattr(panel, name, wrapped)
    real_sweep = panel.sweep_plots.show_sweep

    def sweep_wrapped(sweep):
        t0 = time.perf_counter()
        real_sweep(sweep)
        spent["sweep"] = max(spent["sweep"], 1000 * (time.perf_counter() - t0))

    panel.sweep_plots.show_sweep = sweep_wrapped
    return spent


def engine_ratio(runs: int) -> tuple[float, float]:
    from engine import symmetry as S
    from engine.examples import make_example
    from engine.network import forward, init_weights
    from engine.presets import get_preset

    spec = get_preset("lab-2d")
    weights = init_weights(spec)
    x = make_example("cameraman", 256)
    S.sweep(spec, weights, x, 1)
    plain, swept = [], []
    for _ in range(runs):  # interleaved: both see the same load
        t0 = time.perf_counter()
        for _ in range(32):
            forward(spec, weights, x)
        plain.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        S.sweep(spec, weights, x, 32)
        swept.append(time.perf_counter() - t0)
    return statistics.median(plain), statistics.median(swept)


def consistency_phase(app, window, panel, meter) -> None:
    """The book's MNIST-1D CNN in the document; Consistency over 1,000 test signals (the
    first request also imports and loads the data on the worker)."""
    import numpy as np

    from engine.network import init_weights
    from engine.presets import get_preset

    spec = get_preset("udl-mnist1d-cnn")
    x0 = np.random.default_rng(0).normal(size=(1, 40)).astype(np.float32)
    window.document.load(x0, spec, init_weights(spec), text="bench")
    spin(app, lambda: window.scheduler.idle and panel.worker.idle)
    section = panel.consistency
    section.shifts.setValue(16)
    for label in ("first request", "again"):
        run_for(app, 1.5)  # the live lab rebuilt its maps for the new network first
        meter.reset()
        t0 = time.perf_counter()
        before = section.last
        section.request()
        spin(app, lambda b=before: section.last is not None and section.last is not b)
        took = time.perf_counter() - t0
        r = section.last
        print(f"consistency 0..16, {label} ({took:.2f} s, {r.samples} samples, at 1: "
              f"{r.consistency[1]:.3f}): {meter.summary()}")  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--diagnose", action="store_true", help="where the GUI thread stalls")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from gui.app import launch

    window = launch.create_window(launch.resolve_input(None), remember=False)
    window.workspace_actions.ask_on_close = False
    window.resize(1920, 1080)
    window.show()
    panel = window.show_lab("Symmetry")
    if not spin(app, lambda: panel.last_measure is not None and panel.last_sweep is not None):
        print("error: the lab did not measure within 120 s", file=sys.stderr)
        return 1
    spin(app, lambda: window.scheduler.idle and panel.worker.idle)
    run_for(app, 0.5)
    meter = GapMeter(app)
    spent = timed_handlers(panel)
    watch = StallWatch(meter) if args.diagnose else None

    meter.reset()
    run_for(app, 1.0)
    print(f"idle (1 s):                 {meter.summary()}")

    meter.reset()
    t0 = time.perf_counter()
    for i in range(args.moves):
        panel.dx_slider.setValue(2 + i % 30)
        run_for(app, 0.02)
    last = 2 + (args.moves - 1) % 30
    spin(
        app, lambda: panel.worker.idle and panel.last_measure["report"].transform.shift[-1] == last
    )
    moves_s = time.perf_counter() - t0
    print(
        f"{args.moves} slider moves ({moves_s:.2f} s): {meter.summary()} · "
        f"GUI thread in the measure handler {spent['measure']:.0f} ms in all"
    )

    meter.reset()
    t0 = time.perf_counter()
    done = []
    panel.swept.connect(lambda s: done.append(time.perf_counter()))
    panel.sweep_n.setValue(32)
    panel._sweep_timer.stop()  # one sweep, asked now (not also by the debounce timer)
    panel.request_sweep()
    spin(app, lambda: done and panel.last_sweep.shifts[-1] == 32 and panel.worker.idle)
    sweep_s = done[-1] - t0
    print(
        f"sweep 0..32 in the lab ({sweep_s:.2f} s to the plot): {meter.summary()} · "
        f"drawing it {spent['sweep']:.0f} ms"
    )
    consistency_phase(app, window, panel, meter)
    if watch is not None:
        watch.report()
    panel.shutdown()
    window.close()
    window.trainer_panel.shutdown()

    plain, swept = engine_ratio(args.runs)
    print(f"32 plain forward passes (lab-2d, 256x256): median {plain:.3f} s over {args.runs} runs")
    print(f"engine sweep of shifts 0..32: median {swept:.3f} s · ratio {swept / plain:.2f}")
    print(f"lab sweep (request to plot) / 32 plain passes: {sweep_s / plain:.2f}")
    print(f"load: {open('/proc/loadavg').read().split()[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
