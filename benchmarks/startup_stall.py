"""GUI stalls while the window starts, and how long until it first paints.

Each run is a fresh interpreter (imports cold, as a user starts the app): it opens the main
window offscreen at 1280x800 on the reference workload (lab-2d, cameraman 256), shows it and
runs a 5 ms QTimer on the GUI thread until the trainer dock's background jobs (torch warm-up,
MNIST-1D generation) are done. ``max_stall_ms`` is the longest gap between its ticks from
``show()`` on; ``first_paint_ms`` is process start to the end of the window's first paint
(all imports and construction included). With ``--train`` the run then trains the book's
CNN for ``--steps`` steps and the stall covers that too (the first run's set-up included).
Like ``launch.main`` it calls ``launch.freeze_start_up_objects()`` right after ``show()``
when the tree has it. The figures are medians over ``--runs`` runs; each run also lists the
collector's longest full pass (it holds the GIL: a stall on whichever thread it runs).

    python benchmarks/startup_stall.py [--runs 5] [--train] [--steps 300]

Last line: ``max_stall_ms=… first_paint_ms=… set_up_stall_ms=… splash_ms=…`` (medians;
set_up_stall_ms is the longest gap from the moment the trainer's set-up begins, the window's
own first layout and paint excluded; splash_ms is process start to the splash's first paint,
shown as launch.open_lab shows it, before torch and pyqtgraph are imported). The line before
it says both start-up times in words: time to splash, time to ready (the window's first
paint).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

T0 = time.perf_counter()  # process start, near enough: before any heavy import

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1280, 800)
TIMEOUT_S = 180


def child(train: bool, steps: int) -> dict:
    """One cold start in this process; the figures as a dict."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    import gc

    import PySide6.QtWidgets  # noqa: F401 - PySide6 before pyqtgraph
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from gui.app.theme import apply_theme

    app = QApplication.instance() or QApplication([])
    apply_theme(app)
    out: dict = {}
    # as launch.open_lab does: the splash before torch, pyqtgraph and the lab are imported
    show_splash = _splash_maker()
    splash = show_splash(app) if show_splash is not None else None
    if splash is not None:
        out["splash_ms"] = (splash.shown_s - T0) * 1000
        splash.say("Loading torch and building the lab…")

    from benchmarks.gap_meter import GapMeter
    from engine.examples import make_example
    from gui.app import launch
    from gui.app.launch import Start, create_window

    window = create_window(Start(make_example("cameraman", 256), "lab-2d", None, "cameraman"))
    window.resize(*SIZE)
    panel = window.trainer_panel

    class FirstPaint(QObject):
        def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint and "first_paint_ms" not in out:
                QTimer.singleShot(0, lambda: out.setdefault("first_paint_ms", _ms(T0)))
            return False

    painted = FirstPaint()
    window.installEventFilter(painted)

    full_passes: list[float] = []
    started = [0.0]

    def collected(phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            full_passes.append(_ms(started[0]))

    gc.callbacks.append(collected)
    set_up_at = [None]  # index of the first gap after the trainer's set-up began

    def mark_set_up() -> None:
        if set_up_at[0] is None and getattr(panel, "_set_up", True):
            set_up_at[0] = len(meter.gaps)

    meter = GapMeter(on_tick=mark_set_up)
    gaps = meter.gaps
    loop = QEventLoop()
    phase = ["start-up"]

    def check() -> None:
        if phase[0] == "start-up":
            if panel.jobs.idle and "mnist1d" in panel._datasets and "first_paint_ms" in out:
                out["jobs_done_s"] = round(time.perf_counter() - shown, 2)
                if not train:
                    loop.quit()
                    return
                phase[0] = "training"
                panel.worker.finished.connect(lambda _r: loop.quit())
                panel.worker.failed.connect(lambda _m: loop.quit())
                panel.form.book_experiment()
                panel.form.compare.setChecked(False)
                panel.form.steps.setValue(steps)
                panel.start()

    poll = QTimer()
    poll.timeout.connect(check)
    poll.start(20)
    QTimer.singleShot(TIMEOUT_S * 1000, loop.quit)
    window.show()
    if splash is not None:
        splash.finish(window)
    # what launch.main does right after show(), when this tree has it
    freeze = getattr(launch, "freeze_start_up_objects", None)
    if freeze is not None:
        freeze()
    out["launch_freezes"] = freeze is not None
    shown = time.perf_counter()
    meter.start()
    loop.exec()
    meter.stop()
    poll.stop()
    gc.callbacks.remove(collected)
    if "jobs_done_s" not in out:
        raise RuntimeError(f"the trainer's start-up jobs did not end within {TIMEOUT_S} s")
    out["max_stall_ms"] = max(gaps) * 1000
    longest = gaps.index(max(gaps))
    out["max_stall_at_ms"] = sum(gaps[:longest]) * 1000  # when it began, after show()
    split = set_up_at[0] or 0
    out["set_up_after_ms"] = sum(gaps[:split]) * 1000
    out["stall_before_set_up_ms"] = max(gaps[:split], default=0.0) * 1000
    out["stall_from_set_up_ms"] = max(gaps[split:], default=0.0) * 1000
    out["longest_full_gc_ms"] = max(full_passes, default=0.0)
    out["frozen_objects"] = gc.get_freeze_count()
    out["dynamo_imported"] = "torch._dynamo" in sys.modules
    window.workspace_actions.ask_on_close = False
    panel.shutdown()
    window.close()
    return out


def _splash_maker():
    """gui.app.splash.show_splash when this tree has it, else None."""
    try:
        from gui.app.splash import show_splash
    except ImportError:
        return None
    return show_splash


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--train", action="store_true", help="train after start-up, too")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("RESULT " + json.dumps(child(args.train, args.steps)), flush=True)
        return 0

    runs = []
    load_before = os.getloadavg()[0]
    for i in range(args.runs):
        command = [sys.executable, __file__, "--child", "--steps", str(args.steps)]
        command += ["--train"] if args.train else []
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S + 60)
        lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            print(done.stdout + done.stderr, file=sys.stderr)
            return 1
        r = json.loads(lines[-1][len("RESULT ") :])
        runs.append(r)
        print(
            f"run {i + 1}: max stall {r['max_stall_ms']:.0f} ms at "
            f"{r['max_stall_at_ms']:.0f} ms after show (before the trainer's set-up "
            f"{r['stall_before_set_up_ms']:.0f} ms, from it on {r['stall_from_set_up_ms']:.0f}"
            f" ms; set-up began {r['set_up_after_ms']:.0f} ms after show), first paint "
            f"{r['first_paint_ms']:.0f} ms, jobs done {r['jobs_done_s']:.1f} s after show, "
            f"longest full gc {r['longest_full_gc_ms']:.0f} ms, frozen objects "
            f"{r['frozen_objects']}, torch._dynamo imported: {r['dynamo_imported']}",
            flush=True,
        )
    stall = statistics.median(r["max_stall_ms"] for r in runs)
    paint = statistics.median(r["first_paint_ms"] for r in runs)
    print(f"load {load_before:.2f}->{os.getloadavg()[0]:.2f}")
    set_up = statistics.median(r["stall_from_set_up_ms"] for r in runs)
    splashes = [r["splash_ms"] for r in runs if "splash_ms" in r]
    splash = f"{statistics.median(splashes):.0f}" if splashes else "none"
    print(f"time to splash {splash} ms, time to ready (first paint) {paint:.0f} ms")
    print(
        f"max_stall_ms={stall:.0f} first_paint_ms={paint:.0f} set_up_stall_ms={set_up:.0f} "
        f"splash_ms={splash}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
