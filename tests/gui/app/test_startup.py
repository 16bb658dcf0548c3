"""Start-up: the trainer's background set-up never competes with the window's first paint,
never imports torch.compile's machinery, and never triggers a full garbage collection.

The timing itself (the longest event-loop gap) is measured by benchmarks/startup_stall.py;
these tests check the structure that keeps it short. The window test runs in a fresh
interpreter, so every import is as cold as when a user starts the app.
"""

import gc
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from engine.presets import get_preset
from gui.state.document import Document
from gui.training.trainer_panel import TrainerPanel
from gui.training.training_worker import collector_paused

ROOT = Path(__file__).resolve().parents[3]

# torch.optim's first use imports these (and some 800 modules besides); the trainer needs none.
COMPILE_MACHINERY = ("torch._dynamo", "torch._inductor", "torch.onnx", "sympy")

CHILD = textwrap.dedent(
    """
    import gc, json, os, sys, threading
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    sys.path.insert(0, sys.argv[1])
    import PySide6.QtWidgets
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication
    from engine.examples import make_example
    from gui.app.launch import Start, create_window

    MACHINERY = %r
    app = QApplication([])
    window = create_window(Start(make_example("cameraman", 256), "lab-2d", None, "cameraman"))
    window.workspace_actions.ask_on_close = False
    panel = window.trainer_panel
    out = {"full_collections_on_jobs_thread": 0, "training": []}

    def first_maps(_result):
        if "at_first_maps" not in out:
            out["at_first_maps"] = {
                "set_up_begun": not panel.jobs.idle or "mnist1d" in panel._datasets,
                "generator_imported": "mnist1d" in sys.modules,
            }

    def collected(phase, info):
        if phase == "start" and info["generation"] == 2:
            if threading.current_thread().name == "convscope-jobs":
                out["full_collections_on_jobs_thread"] += 1

    window.scheduler.traceReady.connect(first_maps)
    gc.callbacks.append(collected)
    loop = QEventLoop()
    runs = iter(["sgd", "adam"])

    def train_next(*_args):
        optimizer = next(runs, None)
        if optimizer is None:
            loop.quit()
            return
        form = panel.form
        form.book_experiment()
        form.compare.setChecked(False)
        form.optimizer.setCurrentIndex(form.optimizer.findData(optimizer))
        form.steps.setValue(20)
        form.eval_every.setValue(10)
        form.checkpoint_every.setValue(10)
        panel.start()

    def finished(results):
        out["training"].append([r.steps for r in results])
        train_next()

    def check():
        if "set_up" not in out and panel.jobs.idle and "mnist1d" in panel._datasets:
            gc.callbacks.remove(collected)
            out["set_up"] = sorted(m for m in sys.modules if m.startswith(MACHINERY))
            poll.stop()
            train_next()

    panel.worker.finished.connect(finished)
    panel.worker.failed.connect(lambda message: (out.setdefault("failed", message), loop.quit()))
    poll = QTimer()
    poll.timeout.connect(check)
    poll.start(20)
    QTimer.singleShot(240_000, loop.quit)
    window.resize(1280, 800)
    window.show()
    loop.exec()
    out["after_training"] = sorted(m for m in sys.modules if m.startswith(MACHINERY))
    panel.shutdown()
    window.close()
    print("RESULT " + json.dumps(out), flush=True)
    """
)


def test_window_start_up_in_a_fresh_interpreter():
    done = subprocess.run(
        [sys.executable, "-c", CHILD % (COMPILE_MACHINERY,), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stdout[-2000:] + done.stderr[-4000:]
    out = json.loads(lines[-1][len("RESULT ") :])
    # The set-up waits for the lab: nothing of it runs beside the first layout and paint.
    assert out["at_first_maps"] == {"set_up_begun": False, "generator_imported": False}
    assert "set_up" in out, "the trainer's set-up never finished"
    # Its imports never reach torch.compile's machinery, and with the collector paused
    # they trigger no full collection (each walks every object, holding the GIL).
    assert out["set_up"] == []
    assert out["full_collections_on_jobs_thread"] == 0
    # Training with both optimizers works and still imports none of it.
    assert "failed" not in out, out.get("failed")
    assert out["training"] == [[20], [20]]
    assert out["after_training"] == []


def test_a_panel_outside_a_window_sets_up_at_once_and_only_once(qtbot):
    document = Document(np.zeros((1, 40), np.float32), get_preset("udl-mnist1d-cnn"))
    panel = TrainerPanel(document)
    qtbot.addWidget(panel)
    try:
        qtbot.waitUntil(lambda: "mnist1d" in panel._datasets and panel.jobs.idle, timeout=60_000)
        submitted = []
        panel._submit = lambda tag, *args: submitted.append(tag)
        panel.set_up()
        assert submitted == []
    finally:
        panel.shutdown()


def test_a_deferred_panel_waits_for_set_up(qtbot):
    document = Document(np.zeros((1, 40), np.float32), get_preset("udl-mnist1d-cnn"))
    panel = TrainerPanel(document, set_up_now=False)
    qtbot.addWidget(panel)
    submitted = []
    real_submit = panel._submit

    def submit(tag, fn, *args):
        submitted.append(tag)
        real_submit(tag, fn, *args)

    panel._submit = submit
    try:
        assert submitted == []
        panel.set_up()
        assert submitted == ["data", "warmup"]
        qtbot.waitUntil(lambda: "mnist1d" in panel._datasets and panel.jobs.idle, timeout=60_000)
    finally:
        panel.shutdown()


def test_collector_paused_runs_without_collection_and_freezes_what_it_made():
    seen = {}

    def job(x):
        seen["enabled"] = gc.isenabled()
        seen["made"] = [[i] for i in range(1000)]  # tracked objects that outlive the job
        return x + 1

    frozen = gc.get_freeze_count()
    try:
        assert collector_paused(job)(1) == 2
        assert seen["enabled"] is False
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + 1000
    finally:
        gc.unfreeze()  # tests make garbage; let the collector see it again


def test_collector_paused_leaves_a_paused_collector_alone():
    gc.disable()
    frozen = gc.get_freeze_count()
    try:
        assert collector_paused(lambda: 3)() == 3
        assert not gc.isenabled()
        assert gc.get_freeze_count() == frozen
    finally:
        gc.enable()


def test_collector_paused_restores_collection_when_the_job_fails():
    def broken():
        raise ValueError("bad")

    try:
        collector_paused(broken)()
    except ValueError:
        pass
    else:
        raise AssertionError("the job's error was swallowed")
    finally:
        gc.unfreeze()
    assert gc.isenabled()
