"""Step-through speed: the GUI thread's cost of one step at 8 steps/s.

The reference network (lab-2d on a 256×256 photograph) in the full window at 1920×1080, the
Step through lab on conv2 (16 input channels: 144 taps a step, zoomed around the step).

1. Baselines measured in this run, at one step: the canvas drawing every cell (``cached``
   off: the drawing before the tile cache) and a bare repaint of the cached canvas.
2. Playing at 8 steps/s for 6 s: each timer tick is timed as the GUI thread does it, the
   tick (reading the step the worker made ahead, the texts, slider and counter) plus the
   paint of every dirty widget it causes (the window's pending update request, sent at
   once). Prints the per-step median and 95th percentile and the longest event-loop gap
   (GapMeter) — the worker making the next steps meanwhile shares the interpreter.
   Times are the GUI thread's CPU time (``time.thread_time``: what the step costs that
   thread, whatever else the machine runs) and, beside, its wall time.
3. Jumps (scrub): a step not made ahead, made on the GUI thread, with its paint.
Target (issue 13): at most 5 ms per played step.

    python benchmarks/stepthrough_step.py [--cpu]

``--cpu``: then one more play of 3 s under ``benchmarks.gui_cpu.HandlerCpu``, printing the
longest GUI-thread CPU time per handler (tick, paints, the canvas's ``painted`` slot, …)
beside its wall time, and ``max_handler_cpu_ms=…`` (profiled: upper bounds).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from PySide6.QtCore import QCoreApplication, QEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.gap_meter import GapMeter  # noqa: E402
from gui.app import launch  # noqa: E402
from gui.app.theme import apply_theme  # noqa: E402

PLAY_S = 6.0
REPEATS = 40


def _wait(app, done, seconds=30.0):
    end = time.perf_counter() + seconds
    while not done() and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def _ms(fn, wall=None) -> float:
    """The GUI thread's CPU time of ``fn()`` in ms (its wall time appended to ``wall``)."""
    t0, w0 = time.thread_time(), time.perf_counter()
    fn()
    if wall is not None:
        wall.append((time.perf_counter() - w0) * 1000)
    return (time.thread_time() - t0) * 1000


def _p95(values) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> int:
    app = QApplication.instance() or QApplication([])
    apply_theme(app)
    window = launch.create_window(launch.resolve_input("cameraman"), remember=False)
    window.workspace_actions.ask_on_close = False
    window.resize(1920, 1080)
    window.show()
    window.document.select_layer("conv2")
    panel = window.show_lab("Step through")
    _wait(app, lambda: panel.plan is not None and window.scheduler.idle)
    panel.refresh()
    start = 128 * 40
    panel.go(start)
    app.processEvents()
    canvas = panel.canvas

    def paint_pending():  # the paint the event loop would do next: dirty widgets only
        QCoreApplication.sendPostedEvents(window, QEvent.Type.UpdateRequest)

    canvas.cached = False
    uncached = [_ms(canvas.repaint) for _ in range(REPEATS)]
    canvas.cached = True
    canvas.repaint()
    bare = [_ms(canvas.repaint) for _ in range(REPEATS)]
    base_all, base_bare = statistics.median(uncached), statistics.median(bare)
    print(f"baseline: canvas drawing every cell  median {base_all:.2f} ms")
    print(f"baseline: bare repaint (cached)       median {base_bare:.2f} ms")

    meter = GapMeter()
    played_ms, played_wall = [], []
    tick = panel._tick

    def timed_tick():
        played_ms.append(_ms(lambda: (tick(), paint_pending()), played_wall))

    panel.timer.timeout.disconnect()
    panel.timer.timeout.connect(timed_tick)
    panel.set_speed(8)
    panel.play()
    meter.start()
    t_end = time.perf_counter() + PLAY_S
    while time.perf_counter() < t_end:
        app.processEvents()
        time.sleep(0.001)
    meter.stop()
    panel.pause()
    med, p95 = statistics.median(played_ms), _p95(played_ms)
    print(
        f"playing at 8 steps/s for {PLAY_S:g} s ({len(played_ms)} steps): GUI thread per step "
        f"median {med:.2f} ms, p95 {p95:.2f} ms (ratio to drawing every cell "
        f"{med / base_all:.2f}); wall median {statistics.median(played_wall):.2f} ms, "
        f"p95 {_p95(played_wall):.2f} ms; longest event-loop gap {meter.longest_ms():.1f} ms"
    )
    jumps, jumps_wall = [], []
    for i in range(REPEATS):
        target = start + 3000 + 37 * i  # far away: not made ahead, new tiles
        jumps.append(_ms(lambda t=target: (panel.go(t), paint_pending()), jumps_wall))
    print(
        f"jump to a step not made ahead (made on the GUI thread): median "
        f"{statistics.median(jumps):.2f} ms, p95 {_p95(jumps):.2f} ms "
        f"(wall median {statistics.median(jumps_wall):.2f} ms)"
    )
    if "--cpu" in sys.argv[1:]:
        profiled_play(app, panel, timed_tick)
    window.close()
    window.trainer_panel.shutdown()
    window.scheduler.shutdown()
    return 0


def profiled_play(app, panel, timed_tick) -> None:
    """Play 3 s more under the per-handler profiler; print its table."""
    from benchmarks.gui_cpu import HandlerCpu

    cpu = HandlerCpu(skip=("benchmarks.", "__main__."))
    panel.play()
    cpu.start()
    t_end = time.perf_counter() + PLAY_S / 2
    while time.perf_counter() < t_end:
        app.processEvents()
        time.sleep(0.001)
    cpu.stop()
    panel.pause()
    print(cpu.report(title="profiled play at 8 steps/s: GUI-thread CPU per handler"))
    print(f"max_handler_cpu_ms={cpu.longest_ms():.1f} (profiled)")


if __name__ == "__main__":
    sys.exit(main())
