"""Training speed of the in-app trainer against a bare torch loop, and GUI stalls meanwhile.

The app side is the real trainer panel (offscreen) training udl-mnist1d-cnn on MNIST-1D
(batch 100, SGD 0.05, momentum 0.9) with its live curves, kernels and sample maps updating
(evaluation and checkpoints every 100 steps). The bare side is a plain torch loop on the same
model and data (torch.optim.SGD; the app's engine.optim.SGD gives the same numbers without
importing torch._dynamo). Both run in this process, interleaved (app first in odd repeats,
bare first in even ones, so a change of the machine's load falls on both alike),
``--repeats`` times each. The ratio is the median of each repeat's app/bare ratio; the rates
are medians. The bare figure is the faster of one torch thread and torch's default thread
count (the latter measured on a quarter of the steps: on a busy machine it is many times
slower). The stall is the longest gap between ticks of a 5 ms QTimer on the GUI thread while
the app trains, first run included; the idle gap is the same timer with nothing to do (the
machine's own noise).

    python benchmarks/train_throughput.py [--steps 2000] [--repeats 3]
    python benchmarks/train_throughput.py --tasks segmentation detection [--task-steps 300]
    python benchmarks/train_throughput.py --cpu   # profiled: GUI-thread CPU per handler

With ``--cpu``, the app runs (first run included) run under ``benchmarks.gui_cpu.HandlerCpu``:
each run's line gains the longest GUI-thread CPU time of one handler beside its wall gap and
that gap split by the thread's scheduler counters (ran on a core / waited for a core: the
machine's load / blocked: the GIL another thread held, or idle), a table of the handlers
follows, and the last line gains ``max_handler_cpu_ms=…`` — what a loaded
machine cannot blur. The profiler slows the GUI thread's Python, so time the ratio without it.

Last line: ``app_steps_per_s=… bare_steps_per_s=… ratio=… max_stall_ms=… load=…`` (load: the
1-minute load average at the start and the end).

With ``--tasks`` (segmentation, detection; the classification run above is then skipped
unless ``classification`` is listed too), each task's default preset and settings (the
Training tab's task choice, ``engine.train_cli.TASK_DEFAULTS``) train on the task's
multi-object shapes: the panel with its live curves, kernels and maps against the same
``engine.training.Trainer`` run headless on a thread of its own (what ``app.py train
--task …`` does), interleaved as above. Each task prints
``<task>_app_steps_per_s=… <task>_headless_steps_per_s=… <task>_ratio=… <task>_max_stall_ms=…``.
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


def longest_gap(until) -> float:
    """Run the event loop until ``until(quit)`` calls ``quit``; the longest gap (ms) between
    ticks of a 5 ms timer meanwhile (blocks in the event loop like the app, no polling)."""
    from PySide6.QtCore import QEventLoop

    from benchmarks.gap_meter import GapMeter

    meter = GapMeter(split=PROFILER is not None)
    loop = QEventLoop()
    meter.start()
    until(loop.quit)
    loop.exec()
    meter.stop()
    LAST_SPLIT[:] = [meter.longest_split()]
    return meter.longest_ms()


def idle_stall(seconds: float) -> float:
    """The longest timer gap (ms) with nothing to do: the machine's own noise."""
    from PySide6.QtCore import QTimer

    return longest_gap(lambda quit: QTimer.singleShot(int(seconds * 1000), quit))


def setup_stall(panel) -> float:
    """Start the panel's background set-up (data, torch warm-up) and wait until it is done;
    the longest timer gap (ms) meanwhile."""
    from PySide6.QtCore import QTimer

    def until(quit) -> None:
        QTimer.singleShot(0, panel.set_up)
        poll = QTimer(panel)  # a check every 20 ms costs nothing measurable

        def check() -> None:
            if panel.jobs.idle and "mnist1d" in panel._datasets:
                poll.stop()
                quit()

        poll.timeout.connect(check)
        poll.start(20)

    return longest_gap(until)


PROFILER = None  # a benchmarks.gui_cpu.HandlerCpu with --cpu


def app_run(panel, steps: int) -> tuple[float, float]:
    """(steps/s of the panel's run, longest GUI-thread gap in ms while it trained)."""
    done: list = []
    if PROFILER is not None:
        PROFILER.start()

    def until(quit) -> None:
        def finished(results) -> None:
            done.append(results)
            panel.worker.finished.disconnect(finished)
            quit()

        panel.worker.finished.connect(finished)
        panel.form.steps.setValue(steps)
        panel.start()

    try:
        stall = longest_gap(until)
    finally:
        if PROFILER is not None:
            PROFILER.stop()
    if LAST_SPLIT and LAST_SPLIT[0] is not None:
        LONGEST_SPLITS.append(LAST_SPLIT[0])
    panel.worker.join()
    return done[0][0].steps_per_second, stall


def run_cpu() -> str:
    """With --cpu: the longest handler CPU time so far, for a run's line, and a fresh count."""
    global PROFILER
    if PROFILER is None:
        return ""
    longest = PROFILER.longest_ms()
    CPU_TABLES.append(PROFILER)
    split = max(LONGEST_SPLITS, default=None)
    LONGEST_SPLITS.clear()
    where = (
        f" (of the longest gap {split[0]:.0f} ms: ran {split[1]:.0f}, waited for a core "
        f"{split[2]:.0f}, blocked {split[3]:.0f})"
        if split is not None
        else ""
    )
    from benchmarks.gui_cpu import HandlerCpu

    PROFILER = HandlerCpu()
    return f", longest handler cpu {longest:.1f} ms{where}"


CPU_TABLES: list = []
LONGEST_SPLITS: list = []  # with --cpu: each app run's longest gap, split (GapMeter)
LAST_SPLIT: list = []  # the last measured loop's


def headless_task_run(spec, dataset, config) -> float:
    """Steps per second of the engine's trainer alone on its own thread (no GUI work)."""
    from engine.training import Trainer

    out: list[float] = []

    def work() -> None:
        result = Trainer(spec, dataset, config, device="cpu").run()[0]
        out.append(result.steps_per_second)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    return out[0]


def task_benchmark(panel, task: str, steps: int, repeats: int) -> str:
    """Interleaved app/headless runs of ``task``; its key=value line."""
    from dataclasses import replace

    from engine.data.shapes import make_shapes
    from engine.presets import get_preset
    from engine.train_cli import TASK_DATA, TASK_DEFAULTS
    from gui.training.trainer_setup import MULTI_SHAPES

    dataset = panel._datasets.get(MULTI_SHAPES) or make_shapes(**TASK_DATA, seed=0)
    panel._datasets[MULTI_SHAPES] = dataset
    panel.form.task_chosen(task)
    panel.form.steps.setValue(steps)
    config = replace(panel.form.config(), steps=steps)
    spec = get_preset(TASK_DEFAULTS[task]["network"]).with_input_shape(dataset.input_shape)
    load_before = os.getloadavg()[0]
    app_rates, head_rates, ratios, stalls = [], [], [], []
    for i in range(repeats):
        if i % 2 == 0:
            rate, stall = app_run(panel, steps)
            head = headless_task_run(spec, dataset, config)
        else:
            head = headless_task_run(spec, dataset, config)
            rate, stall = app_run(panel, steps)
        app_rates.append(rate)
        head_rates.append(head)
        stalls.append(stall)
        ratios.append(rate / head)
        print(
            f"{task} run {i + 1}: app {rate:.1f} steps/s (stall {stall:.1f} ms), headless "
            f"{head:.1f} steps/s, ratio {ratios[-1]:.2f}{run_cpu()}",
            flush=True,
        )
    return (
        f"{task}_app_steps_per_s={statistics.median(app_rates):.1f} "
        f"{task}_headless_steps_per_s={statistics.median(head_rates):.1f} "
        f"{task}_ratio={statistics.median(ratios):.2f} {task}_max_stall_ms={max(stalls):.1f} "
        f"batch={config.batch_size} steps={steps} repeats={repeats} "
        f"load={load_before:.2f}->{os.getloadavg()[0]:.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--tasks",
        nargs="+",
        default=["classification"],
        choices=["classification", "segmentation", "detection"],
    )
    parser.add_argument("--task-steps", type=int, default=300)
    parser.add_argument(
        "--cpu", action="store_true", help="one more, profiled run: GUI-thread CPU per handler"
    )
    args = parser.parse_args()
    if args.cpu:
        global PROFILER
        from benchmarks.gui_cpu import HandlerCpu

        PROFILER = HandlerCpu()

    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])  # noqa: F841 - must exist
    from engine.data import load_dataset
    from engine.presets import get_preset
    from gui.state.document import Document
    from gui.training.trainer_panel import TrainerPanel

    dataset = load_dataset("mnist1d")
    document = Document(np.array(dataset.x_test[0]), get_preset("udl-mnist1d-cnn"))
    from gui.app.launch import freeze_start_up_objects
    from gui.training.trainer_panel import SETTLE_MS

    # As in the app: shown, start-up objects frozen, the set-up once the first paint settled.
    panel = TrainerPanel(document, set_up_now=False)
    panel.resize(1600, 420)
    panel.show()
    freeze_start_up_objects()
    longest_gap(lambda quit: QTimer.singleShot(SETTLE_MS, quit))
    setup = setup_stall(panel)
    print(f"set-up (data, torch warm-up; off the GUI thread): longest timer gap {setup:.1f} ms")
    lines = []
    for task in args.tasks:
        if task != "classification":
            lines.append(task_benchmark(panel, task, args.task_steps, args.repeats))
    if "classification" not in args.tasks:
        panel.shutdown()
        for line in lines:
            print(line)
        return 0
    form = panel.form
    form.task_chosen("classification")
    form.book_experiment()
    form.compare.setChecked(False)
    form.eval_every.setValue(100)
    form.checkpoint_every.setValue(100)

    default_threads = os.cpu_count() or 1
    load_before = os.getloadavg()[0]
    app_rates, stalls, bare_rates, ratios, idle = [], [], [], [], []
    for i in range(args.repeats):

        def bare() -> tuple[float, float]:
            one = bare_loop(dataset, args.steps, 1)
            many = bare_loop(dataset, max(1, args.steps // 4), default_threads)
            return one, many

        if i % 2 == 0:
            rate, stall = app_run(panel, args.steps)
            one, many = bare()
        else:
            one, many = bare()
            rate, stall = app_run(panel, args.steps)
        app_rates.append(rate)
        stalls.append(stall)
        bare_rates.append(max(one, many))
        ratios.append(rate / bare_rates[-1])
        idle.append(idle_stall(2.0))
        print(
            f"run {i + 1}: app {rate:.0f} steps/s (stall {stall:.1f} ms), bare 1 thread "
            f"{one:.0f}, bare {default_threads} threads {many:.0f} steps/s, "
            f"ratio {ratios[-1]:.2f}; idle timer gap {idle[-1]:.1f} ms{run_cpu()}",
            flush=True,
        )
    panel.shutdown()

    print(
        f"{args.repeats} repeats of {args.steps} steps, batch 100; "
        f"ratios {' '.join(f'{r:.2f}' for r in ratios)}; idle gaps up to {max(idle):.1f} ms"
    )
    print(
        f"app_steps_per_s={statistics.median(app_rates):.0f} "
        f"bare_steps_per_s={statistics.median(bare_rates):.0f} "
        f"ratio={statistics.median(ratios):.2f} max_stall_ms={max(stalls):.1f} "
        f"load={load_before:.2f}->{os.getloadavg()[0]:.2f}"
    )
    if CPU_TABLES:
        merged = merge_cpu(CPU_TABLES)
        print(merged.report(top=15))
        print(f"max_handler_cpu_ms={merged.longest_ms():.1f} (profiled)")
    for line in lines:
        print(line)
    return 0


def merge_cpu(tables):
    """One HandlerCpu holding the counts of all ``tables``."""
    from benchmarks.gui_cpu import HandlerCpu, HandlerStat

    merged = HandlerCpu()
    for t in tables:
        for name, s in t.stats.items():
            m = merged.stats.setdefault(name, HandlerStat())
            m.count += s.count
            m.total_ms += s.total_ms
            m.longest_ms = max(m.longest_ms, s.longest_ms)
            m.longest_wall_ms = max(m.longest_wall_ms, s.longest_wall_ms)
    return merged


if __name__ == "__main__":
    sys.exit(main())
