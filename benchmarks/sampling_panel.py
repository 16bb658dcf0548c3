"""What the sampling lab costs the GUI thread, against the engine work it moved off it.

Usage: ``python benchmarks/sampling_panel.py`` — prints ``key=value`` medians (ms) on the
cameraman photograph (256×256), for the whole input and the default centre crop (32):
the engine's down and up jobs (run on the lab's worker; the baseline, in the same run),
drawing their results on the GUI thread (``SamplingPanel._ready``), and one hover (the
source window highlighted), with each GUI-thread figure's ratio to its job. The GUI thread
must stay under 50 ms per step (house rule 3). torch runs on one thread.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main(runs: int = 15) -> None:
    import PySide6.QtWidgets  # noqa: F401 - PySide6 before pyqtgraph
    import torch
    from PySide6.QtWidgets import QApplication

    from engine.examples import make_example
    from engine.presets import get_preset
    from gui.sampling import jobs
    from gui.sampling.panel import SamplingPanel
    from gui.state.document import Document

    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication([])
    x = make_example("cameraman", 256)
    panel = SamplingPanel(Document(x, get_preset("lab-2d")))
    panel.resize(1200, 900)
    for side, tag in ((None, "whole"), (32, "crop32")):
        down = jobs.down(x, 2, None, side)
        up = jobs.up(x, 2, 2, 2, 0, 0, None, None, side)
        job_down = median_ms(lambda s=side: jobs.down(x, 2, None, s), runs)
        job_up = median_ms(lambda s=side: jobs.up(x, 2, 2, 2, 0, 0, None, None, s), runs)
        draw_down = median_ms(lambda d=down: panel._ready("down", d), runs)
        draw_up = median_ms(lambda u=up: panel._ready("up", u), runs)
        n = down.view("max_pool").output.shape[1]
        hover = median_ms(lambda n=n: panel.down.hover("max_pool", (n // 2, n // 3)), runs)
        hover_up = median_ms(lambda n=n: panel.up.hover("small", (n // 2, n // 3)), runs)
        print(f"{tag}_job_down_ms={job_down:.2f}")
        print(f"{tag}_job_up_ms={job_up:.2f}")
        print(f"{tag}_gui_draw_down_ms={draw_down:.2f} ratio={draw_down / job_down:.2f}")
        print(f"{tag}_gui_draw_up_ms={draw_up:.2f} ratio={draw_up / job_up:.2f}")
        print(f"{tag}_gui_hover_down_ms={hover:.2f} ratio={hover / job_down:.3f}")
        print(f"{tag}_gui_hover_up_ms={hover_up:.2f} ratio={hover_up / job_up:.3f}")
    panel.shutdown()
    app.processEvents()


if __name__ == "__main__":
    main()
