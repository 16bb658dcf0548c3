"""Headless animation speed: ``python app.py animate`` of a 64-step layer at 800×450.

The layer: a 3×3 convolution with padding 1 over a 2×8×8 input (64 output positions, so 64
frames). Prints

1. the whole command's wall time, run as a user runs it (a fresh ``python app.py animate …
   --gif``: interpreter start, imports, the network's trace, 64 frames, the GIF), against a
   baseline measured in the same run: the same interpreter importing what the command
   imports and exiting (the part no frame rendering can save);
2. in this process, the phases: rendering the 64 frames (tiles cached) against drawing every
   cell of every frame, and writing the GIF with one shared palette against Pillow
   quantizing each frame. Target (issue 13): the command in at most 10 s.

    python benchmarks/animate_gif.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SIZE = (800, 450)
IMPORTS = (
    "import PySide6.QtWidgets, torch, PIL.Image; "
    "import engine.network, gui.stepthrough.step_panel, gui.app.theme"
)


def _network(folder: str) -> str:
    from engine.serialize import save_network
    from engine.spec import LayerSpec, NetworkSpec

    path = os.path.join(folder, "net64.json")
    layer = LayerSpec("c", "conv", {"out_channels": 2, "kernel_size": 3, "padding": 1})
    save_network(path, NetworkSpec([layer], (2, 8, 8)))
    return path


def _wall(command: list[str]) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    t0 = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        net = _network(folder)
        gif = os.path.join(folder, "out.gif")
        size = f"{SIZE[0]}x{SIZE[1]}"
        command = [sys.executable, "app.py", "animate", net, "--layer", "c", "--size", size]
        runs = [_wall([*command, "--gif", gif]) for _ in range(2)]
        imports = [_wall([sys.executable, "-c", IMPORTS]) for _ in range(2)]
        print(
            f"python app.py animate, 64 frames at {size} to a GIF: best of 2 {min(runs):.2f} s "
            f"(runs {', '.join(f'{r:.2f}' for r in runs)}); baseline: its imports alone "
            f"{min(imports):.2f} s; beyond the imports {min(runs) - min(imports):.2f} s"
        )
        _phases(net, folder)
    return 0


def _phases(net: str, folder: str) -> None:
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from engine.network import init_weights
    from engine.serialize import load_network
    from gui.app.theme import apply_theme
    from gui.stepthrough import animate

    app = QApplication.instance() or QApplication([])
    apply_theme(app)
    spec = load_network(net)
    x = np.random.default_rng(0).standard_normal(spec.input_shape).astype(np.float32)
    weights = init_weights(spec, seed=0)
    timings = {}
    for _ in animate.render_frames(x, spec, weights, "c", 0, SIZE):  # warm up: fonts, torch
        pass
    for cached in (False, True):
        t0 = time.perf_counter()
        frames = [
            animate._pil(f)
            for f in animate.render_frames(x, spec, weights, "c", 0, SIZE, cached=cached)
        ]
        timings[cached] = time.perf_counter() - t0
    assert len(frames) == 64
    writes = {}
    for shared in (True, False):
        t0 = time.perf_counter()
        animate.write_gif(os.path.join(folder, f"p{shared}.gif"), frames, 2.0, shared=shared)
        writes[shared] = time.perf_counter() - t0
    print(
        f"render 64 frames: {timings[True]:.2f} s (tiles cached) vs {timings[False]:.2f} s "
        f"drawing every cell (ratio {timings[True] / timings[False]:.2f})"
    )
    print(
        f"write the GIF: {writes[True]:.2f} s (one shared palette) vs {writes[False]:.2f} s "
        f"quantizing every frame (ratio {writes[True] / writes[False]:.2f})"
    )


if __name__ == "__main__":
    sys.exit(main())
