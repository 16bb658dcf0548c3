"""Training speed of the in-app trainer against a bare torch loop, and GUI stalls meanwhile.

The app side is the real trainer panel (offscreen) training udl-mnist1d-cnn on MNIST-1D
(batch 100, SGD 0.05, momentum 0.9) with its live curves, kernels and sample maps updating
(evaluation and checkpoints every 100 steps). The bare side is a plain torch loop on the same
model and data. Both run in this process, interleaved, ``--repeats`` times each; the figures
are medians. The stall is the longest gap between ticks of a 5 ms QTimer on the GUI thread
while the app trains.

    python benchmarks/train_throughput.py [--steps 2000] [--repeats 3]

Last line: ``app_steps_per_s=… bare_steps_per_s=… ratio=… max_stall_ms=…``; the bare figure
is the faster of one torch thread and torch's default thread count.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def bare_loop(dataset, steps: int, threads: int) -> float:
    """Steps per second of a plain loop (run on its own thread, like the app's trainer)."""
    import torch
    import torch.nn.functional as F

    from engine.presets import get_preset
    from engine.torch_build import build_module

    out: list[float] = []

    def work() -> None:
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        model = build_module(get_preset("udl-mnist1d-cnn"), input_shape=(1, 40))
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        x = torch.tensor(dataset.x_train)
        y = torch.tensor(dataset.y_train)
        g = torch.Generator().manual_seed(0)
        order = torch.randperm(len(x), generator=g)
        cursor = 0
        start = time.perf_counter()
        for _ in range(steps):
            if cursor + 100 > len(x):
                order, cursor = torch.randperm(len(x), generator=g), 0
            idx = order[cursor : cursor + 100]
            cursor += 100
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            loss.item()
        out.append(steps / (time.perf_counter() - start))

    t = threading.Thread(target=work)
    t.start()
    t.join()
    return out[0]


def idle_stall(seconds: float) -> float:
    """The longest 5 ms timer gap (ms) with nothing to do: the machine's own noise."""
    from PySide6.QtCore import QEventLoop, QTimer

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    last[0] = time.perf_counter()
    timer.start()
    loop.exec()
    timer.stop()
    return max(gaps) * 1000


def app_run(app, panel, steps: int) -> tuple[float, float]:
    """(steps/s of the panel's run, longest GUI-thread gap in ms while it trained)."""
    from PySide6.QtCore import QEventLoop, QTimer

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    done: list = []
    loop = QEventLoop()  # blocks in the event loop like the app does (no busy polling)

    def finished(results) -> None:
        done.append(results)
        loop.quit()

    panel.worker.finished.connect(finished)
    panel.form.steps.setValue(steps)
    panel.start()
    last[0] = time.perf_counter()
    timer.start()
    loop.exec()
    timer.stop()
    panel.worker.finished.disconnect(finished)
    panel.worker.join()
    result = done[0][0]
    return result.steps_per_second, max(gaps) * 1000 if gaps else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import numpy as np
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from engine.data import load_dataset
    from engine.presets import get_preset
    from gui.document import Document
    from gui.trainer_panel import TrainerPanel

    dataset = load_dataset("mnist1d")
    document = Document(np.array(dataset.x_test[0]), get_preset("udl-mnist1d-cnn"))
    panel = TrainerPanel(document)
    panel.resize(1600, 420)
    panel.show()
    loop = QEventLoop()
    panel.jobs.done.connect(lambda *_: loop.quit())
    if "mnist1d" not in panel._datasets:
        loop.exec()
    form = panel.form
    form.book_experiment()
    form.compare.setChecked(False)
    form.eval_every.setValue(100)
    form.checkpoint_every.setValue(100)

    default_threads = os.cpu_count() or 1
    app_rates, stalls, bare1, bare_default, idle = [], [], [], [], []
    for i in range(args.repeats):
        bare1.append(bare_loop(dataset, args.steps, 1))
        bare_default.append(bare_loop(dataset, args.steps, default_threads))
        rate, stall = app_run(app, panel, args.steps)
        app_rates.append(rate)
        stalls.append(stall)
        idle.append(idle_stall(2.0))
        print(
            f"run {i + 1}: app {rate:.0f} steps/s (stall {stall:.1f} ms), bare 1 thread "
            f"{bare1[-1]:.0f}, bare {default_threads} threads {bare_default[-1]:.0f} steps/s; "
            f"idle timer gap {idle[-1]:.1f} ms",
            flush=True,
        )
    panel.shutdown()

    app_med = statistics.median(app_rates)
    b1, bd = statistics.median(bare1), statistics.median(bare_default)
    bare = max(b1, bd)
    print(
        f"bare loop: 1 thread {b1:.0f} steps/s, {default_threads} threads {bd:.0f} steps/s "
        f"(median of {args.repeats}, {args.steps} steps, batch 100)"
    )
    print(
        f"app_steps_per_s={app_med:.0f} bare_steps_per_s={bare:.0f} "
        f"ratio={app_med / bare:.2f} max_stall_ms={max(stalls):.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
