"""Opening huge but legal inputs in the real window (offscreen): time, peak memory and the
longest GUI-thread gap, before (the read on the GUI thread) and after (off the thread).

    python benchmarks/huge_inputs.py [--repeats 3] [--before /work/main]

Makes its files in a temporary folder: a 6000 x 6000 RGB PNG (36 megapixels, under the
40-megapixel limit), a 10-million-line CSV (refused: over the 2.1 M values a CSV input may
hold) and a 2-million-line CSV (legal). Each case runs in a fresh process, ``--repeats``
times; peak memory is the largest resident size sampled every 2 ms during the load, above
the size before it. The gaps are measured until the maps of the loaded file are drawn: the
longest wall-clock gap between two ticks of a 5 ms timer, and the most CPU time the GUI
thread spent between two ticks (``time.thread_time``: a loaded machine disturbs it less).
Medians are printed, and each mode's ratio to the in-run baseline ``sync`` (this tree's
reader called on the GUI thread). ``--before TREE`` adds the same cases with the code of
another checkout (e.g. main before this change), both ways: ``before`` on the GUI thread,
``b-async`` through its window's own Open.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TREE = HERE.parent


def make_files(folder: Path) -> dict[str, Path]:
    import numpy as np
    from PIL import Image

    files = {"png-6000x6000": folder / "big.png", "csv-10M-lines": folder / "ten_million.csv"}
    files["csv-2M-lines"] = folder / "two_million.csv"
    y, x = np.mgrid[0:6000, 0:6000]
    pixels = np.stack([(x * y) % 251, (x + y) % 256, (x ^ y) % 256], -1).astype(np.uint8)
    Image.fromarray(pixels).save(files["png-6000x6000"], compress_level=1)
    del pixels, x, y
    with open(files["csv-10M-lines"], "w") as handle:
        block = "0.5\n" * 1_000_000
        for _ in range(10):
            handle.write(block)
    files["csv-2M-lines"].write_text("0.25\n" * 2_000_000)
    return files


def _largest_step(values: list[float]) -> float:
    return max((b - a for a, b in zip(values[:-1], values[1:], strict=True)), default=0.0)


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class _PeakSampler:
    """The process's largest resident size while it runs (sampled every 2 ms)."""

    def __init__(self):
        import threading

        self.peak = _rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, _rss_mib())

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.peak, _rss_mib())


def run_case(path: str, mode: str) -> dict:
    """One load in a fresh window (this process); prints its figures as JSON."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import inspect

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    sys.path.insert(0, str(HERE))
    from gap_meter import GapMeter

    from gui.app import launch

    window = launch.create_window(launch.resolve_input("shapes"), remember=False)
    window.workspace_actions.ask_on_close = False
    window.resize(1280, 800)
    window.show()
    for _ in range(50):
        app.processEvents()
    doc, panel = window.document, window.input_panel
    outcome = {}
    doc.message.connect(lambda level, text: outcome.setdefault("message", (level, text[:120])))
    before_input = doc.input
    ticks_cpu = [time.thread_time()]  # the GUI thread's CPU time at each tick
    meter = GapMeter(on_tick=lambda: ticks_cpu.append(time.thread_time()))
    rss0 = _rss_mib()
    sampler = _PeakSampler()
    meter.start()
    ticks_cpu[0] = time.thread_time()
    start = time.perf_counter()
    if mode == "async":
        loader = panel.loader
        ended = []
        loader.ended.connect(ended.append)
        panel.load_path(path)
        while not ended:
            app.processEvents()
            time.sleep(0.001)
        outcome["outcome"] = ended[0]
    else:  # the whole read and parse on the GUI thread, as Open did before
        wait = "wait" in inspect.signature(panel.load_path).parameters
        ok = panel.load_path(path, wait=True) if wait else panel.load_path(path)
        outcome["outcome"] = "done" if ok else "failed"
    seconds = time.perf_counter() - start
    for _ in range(3):  # the last gap (the one that ends with the load) is counted too
        app.processEvents()
        time.sleep(0.006)
        app.processEvents()
    # ... and the maps drawn from it (the new network's column, its first images)
    scheduler, view = window.scheduler, window.maps_view
    until = time.perf_counter() + 60
    while time.perf_counter() < until and not (
        scheduler.idle
        and scheduler.latest is not None
        and scheduler.latest.generation == scheduler.generation
        and not getattr(view, "drawing", False)
    ):
        app.processEvents()
        time.sleep(0.001)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.003)
    meter.stop()
    peak = sampler.stop()
    result = {
        "seconds": seconds,
        "peak_mib": max(0.0, peak - rss0),
        "gap_ms": meter.longest_ms(),
        "gap_cpu_ms": 1000 * _largest_step(ticks_cpu),
        "shape": list(doc.input.shape) if doc.input is not before_input else None,
        **outcome,
    }
    window.close()
    print(json.dumps(result))
    return result


def _spawn(tree: Path, path: Path, mode: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "QT_QPA_PLATFORM": "offscreen"}
    env["CONVSCOPE_RECOVERY_DIR"] = tempfile.mkdtemp(prefix="convscope-bench-")
    done = subprocess.run(
        [sys.executable, __file__, "--case", str(path), "--mode", mode],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"the case failed:\n{done.stderr[-2000:]}")
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another checkout to measure (e.g. main)")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        run_case(args.case, args.mode)
        return
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")
    runs = [("sync", TREE, "sync"), ("async", TREE, "async")]
    if args.before:  # the other checkout's Open, as its window does it (and on the GUI thread)
        runs[:0] = [("before", args.before, "sync"), ("b-async", args.before, "async")]
    with tempfile.TemporaryDirectory() as folder:
        files = make_files(Path(folder))
        for name, path in files.items():
            print(f"\n{name} ({path.stat().st_size / 2**20:.1f} MiB on disk)")
            medians = {}
            for label, tree, mode in runs:
                results = [_spawn(tree, path, mode) for _ in range(args.repeats)]
                med = {
                    key: statistics.median(r[key] for r in results)
                    for key in ("seconds", "peak_mib", "gap_ms", "gap_cpu_ms")
                }
                medians[label] = med
                last = results[-1]
                print(
                    f"  {label:7s} {med['seconds']:7.2f} s  peak +{med['peak_mib']:7.0f} MiB  "
                    f"longest GUI gap {med['gap_ms']:8.0f} ms (GUI-thread CPU "
                    f"{med['gap_cpu_ms']:5.0f} ms)  -> {last['outcome']} "
                    f"{last.get('shape')} {last.get('message', '')}"
                )
            base = medians["sync"]
            for label, med in medians.items():
                print(
                    f"  ratio {label}/sync: time {med['seconds'] / base['seconds']:.2f}, "
                    f"gap {med['gap_ms'] / max(base['gap_ms'], 1e-9):.3f}, "
                    f"gap CPU {med['gap_cpu_ms'] / max(base['gap_cpu_ms'], 1e-9):.3f}"
                )


if __name__ == "__main__":
    main()
