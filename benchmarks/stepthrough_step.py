"""Step-through speed: the GUI thread's cost of one step at 8 steps/s.

The reference network (lab-2d on a 256×256 photograph) in the full window at 1920×1080, the
Step through lab on conv2 (16 input channels: 144 taps a step, zoomed around the step).
Prints the median (and 90th percentile) of one step made on the GUI thread (new step +
explanation + a synchronous repaint of the panel: a jump), against a baseline measured in the
same run: repainting the same panel at the same step (the drawing alone). Then plays at
8 steps/s for 4 s (the next steps made off the GUI thread) and prints the per-step median
and the longest event-loop gap (GapMeter). Target (issue 13): at most 5 ms per step.

    python benchmarks/stepthrough_step.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.gap_meter import GapMeter  # noqa: E402
from gui.app import launch  # noqa: E402
from gui.app.theme import apply_theme  # noqa: E402

STEPS = 200


def _wait(app, done, seconds=30.0):
    end = time.perf_counter() + seconds
    while not done() and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


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
    step_ms, paint_ms = [], []
    for i in range(STEPS):
        t0 = time.perf_counter()
        panel.go(start + 1 + i)
        panel.repaint()
        step_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        panel.repaint()
        paint_ms.append((time.perf_counter() - t0) * 1000)
    med, base = statistics.median(step_ms), statistics.median(paint_ms)
    p90 = statistics.quantiles(step_ms, n=10)[-1]
    print(f"one step (explain + text + repaint): median {med:.2f} ms, p90 {p90:.2f} ms")
    print(f"baseline (repaint alone):            median {base:.2f} ms; ratio {med / base:.2f}")
    meter = GapMeter()
    played_ms = []
    tick = panel._tick

    def timed_tick():  # one played step as the GUI thread does it, painted at once
        t0 = time.perf_counter()
        tick()
        panel.repaint()
        played_ms.append((time.perf_counter() - t0) * 1000)

    panel.timer.timeout.disconnect()
    panel.timer.timeout.connect(timed_tick)
    panel.set_speed(8)
    panel.play()
    meter.start()
    t_end = time.perf_counter() + 4.0
    while time.perf_counter() < t_end:
        app.processEvents()
        time.sleep(0.001)
    meter.stop()
    panel.pause()
    print(
        f"playing at 8 steps/s for 4 s ({len(played_ms)} steps, next steps prefetched): "
        f"per step median {statistics.median(played_ms):.2f} ms (vs repaint alone "
        f"{base:.2f} ms: ratio {statistics.median(played_ms) / base:.2f}); "
        f"longest event-loop gap {meter.longest_ms():.1f} ms"
    )
    window.close()
    window.trainer_panel.shutdown()
    window.scheduler.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
