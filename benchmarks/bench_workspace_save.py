"""How much of a workspace save runs on the GUI thread (the snapshot) versus the worker.

Usage: ``python benchmarks/bench_workspace_save.py`` — prints medians over 30 runs for the
2D lab network on a 256x256 input and for LeNet with a 1x28x28 input: the GUI-thread
snapshot (references only), serialising to bytes, and the atomic write to a temp directory.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def median_ms(fn, runs: int = 30) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main() -> None:
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from engine.presets import get_preset
    from engine.workspace import save_workspace, workspace_to_bytes
    from gui.app.main_window import MainWindow
    from gui.compute.scheduler import ComputeScheduler
    from gui.state.document import Document
    from gui.workspace.workspace_actions import install_workspace

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CONVSCOPE_RECOVERY_DIR"] = tmp
        for preset, shape in (("lab-2d", (1, 256, 256)), ("lenet", (1, 28, 28))):
            x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
            doc = Document(x, get_preset(preset))
            scheduler = ComputeScheduler(doc, threads=1)
            window = MainWindow(doc, scheduler)
            actions = install_workspace(window)
            snapshot = median_ms(actions.snapshot)
            ws = actions.snapshot()
            to_bytes = median_ms(lambda ws=ws: workspace_to_bytes(ws))
            path = os.path.join(tmp, "bench.convscope")
            write = median_ms(lambda ws=ws, path=path: save_workspace(path, ws))
            size = os.path.getsize(path)
            print(
                f"{preset} {shape}: GUI-thread snapshot {snapshot:.3f} ms; worker: "
                f"serialise {to_bytes:.2f} ms, serialise+atomic write {write:.2f} ms "
                f"({size / 1024:.0f} KiB); snapshot/write = {snapshot / write:.4f}"
            )
            actions.shutdown()
            scheduler.shutdown()
            window.deleteLater()
    app.processEvents()


if __name__ == "__main__":
    main()
