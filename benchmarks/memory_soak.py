"""Memory over a long session: the real window (offscreen) through thousands of edits.

    python benchmarks/memory_soak.py [--edits 2000] [--every 250] [--top 12]

Drives the window that app.py opens for the 'shapes' example: kernel edits through the
inspector's kernel table (as typed), a brush stroke every 20 edits, an undo burst (and redo)
every 50, waiting for the maps every 10 edits as a person would. Prints, every ``--every``
edits, the resident size and what the session holds: undo commands (on the stack and alive
as Python objects), the compute scheduler's retained traces, pyqtgraph items in the maps'
scenes; at the end tracemalloc's top allocators that grew since the first interval (numpy
reports its buffers to tracemalloc; ``--no-trace`` runs without it, whose own bookkeeping
grows the resident size too).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def held(window) -> dict[str, int]:
    """What the session keeps: the counts a leak would make grow."""
    import pyqtgraph as pg

    from gui.state.commands import StateCommand

    gc.collect()
    objects = gc.get_objects()
    commands = sum(1 for o in objects if type(o) is StateCommand)
    items = 0
    for view in window.findChildren(pg.GraphicsView):
        items += len(view.scene().items())
    stack = window.document.undo_stack
    return {
        "undo_steps": stack.count(),
        "commands_alive": commands,
        "graphics_items": items,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=2000)
    parser.add_argument("--every", type=int, default=250)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--no-trace", action="store_true", help="without tracemalloc")
    parser.add_argument(
        "--trim", action="store_true", help="malloc_trim(0) before each reading (fragmentation?)"
    )
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from gui.app import launch

    window = launch.create_window(launch.resolve_input("shapes"), remember=False)
    window.workspace_actions.ask_on_close = False
    window.resize(1280, 800)
    window.show()
    scheduler = window.scheduler

    def settle() -> None:
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline:
            app.processEvents()
            if (
                scheduler.latest is not None
                and scheduler.latest.generation == scheduler.generation
                and scheduler.idle
            ):
                return
            time.sleep(0.002)

    settle()
    doc = window.document
    doc.select_layer(doc.spec.layers[0].name)
    settle()
    rng = random.Random(16)
    model = window.inspector.kernel_editor.model
    panel = window.input_panel
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)   edits: {args.edits}")
    print(f"{'edits':>6} {'RSS MiB':>8}  held")
    if not args.no_trace:
        tracemalloc.start(8)
    first = None
    start_rss = _rss_mib()
    for edit in range(args.edits + 1):
        if edit % args.every == 0:
            counts = held(window)
            if args.trim:
                import ctypes

                ctypes.CDLL("libc.so.6").malloc_trim(0)
            print(f"{edit:6d} {_rss_mib():8.1f}  {counts}", flush=True)
            if first is None and not args.no_trace:
                first = tracemalloc.take_snapshot()
        if edit == args.edits:
            break
        if model.rowCount() and model.columnCount():
            index = model.index(rng.randrange(model.rowCount()), rng.randrange(model.columnCount()))
            model.setData(index, f"{rng.uniform(-2, 2):.3f}")
        if edit % 20 == 19:
            plot = panel.draw_image.plot
            h, w = doc.input.shape[-2:]
            plot.strokeStarted.emit(rng.uniform(0, w), rng.uniform(0, h))
            for _ in range(30):
                plot.strokeMoved.emit(rng.uniform(0, w), rng.uniform(0, h))
            plot.strokeFinished.emit()
        if edit % 50 == 49:
            for _ in range(rng.randrange(1, 8)):
                doc.undo_stack.undo()
            for _ in range(rng.randrange(0, 8)):
                doc.undo_stack.redo()
            if doc.selected_layer is None:
                doc.select_layer(doc.spec.layers[0].name)
        app.processEvents()
        if edit % 10 == 9:
            settle()
    settle()
    print(f"\nRSS {start_rss:.1f} -> {_rss_mib():.1f} MiB over {args.edits} edits")
    if args.no_trace:
        window.close()
        return
    last = tracemalloc.take_snapshot()
    print(f"tracemalloc: top {args.top} allocators that grew since the first interval")
    for stat in last.compare_to(first, "lineno")[: args.top]:
        frame = stat.traceback[0]
        print(
            f"  {stat.size_diff / 2**20:+8.2f} MiB {stat.count_diff:+7d} blocks  "
            f"{Path(frame.filename).name}:{frame.lineno}"
        )
    window.close()


if __name__ == "__main__":
    main()
