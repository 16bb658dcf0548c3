"""The step canvas: the cached tiles draw exactly the picture of drawing every cell; the
transposed convolution's overlaps and output_padding cells; whole titles when narrow."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QFont

from engine.spec import LayerSpec, NetworkSpec
from gui.compute.scheduler import ComputeScheduler
from gui.state.document import Document
from gui.stepthrough.step_panel import StepPanel


def _panel(qtbot, layers, shape, size=(1000, 700)):
    x = np.round(np.random.default_rng(5).standard_normal(shape), 2).astype(np.float32)
    document = Document(x, NetworkSpec(layers, shape))
    scheduler = ComputeScheduler(document)
    panel = StepPanel(document, scheduler)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    document.select_layer(layers[0].name)
    qtbot.waitUntil(lambda: panel.plan is not None, timeout=10_000)
    return panel, scheduler


def _both(canvas):
    canvas.cached = True
    cached = canvas.grab().toImage()
    canvas.cached = False
    direct = canvas.grab().toImage()
    canvas.cached = True
    return cached, direct


def test_cached_tiles_draw_the_same_picture_as_every_cell(qtbot):
    # a 40×40 input: zoomed around the step, the window moves over cached tiles
    conv = LayerSpec("c", "conv", {"out_channels": 1, "kernel_size": 3, "padding": 1})
    panel, scheduler = _panel(qtbot, [conv], (1, 40, 40))
    try:
        for index in (0, 1, 7, 45, 41 * 20 + 3, panel.plan.count - 1):
            panel.go(index)
            cached, direct = _both(panel.canvas)
            assert cached == direct, index
        assert panel.canvas._tiles["input"].images  # the tiles were used
        # a broken cache (a tile of another grid) is seen by this comparison
        panel.go(0)
        panel.canvas.grab()
        tiles = panel.canvas._tiles["input"]
        wrong = tiles.images[(0, 1)].copy()
        wrong.fill(0xFF102030)
        tiles.images[(0, 1)] = wrong
        cached, direct = _both(panel.canvas)
        assert cached != direct
    finally:
        scheduler.shutdown()


def test_the_worker_renders_the_tiles_a_next_step_needs(qtbot):
    conv = LayerSpec("c", "conv", {"out_channels": 1, "kernel_size": 3, "padding": 1})
    panel, scheduler = _panel(qtbot, [conv], (1, 40, 40))
    try:
        panel.go(41 * 10)
        panel.canvas.grab()
        around = list(panel.canvas._around)
        assert around and not all(tiles.has(t) for tiles, t in around)
        work = panel.canvas.tile_work()
        work()
        assert all(tiles.has(t) for tiles, t in around)
        assert panel.canvas.tile_work() is None
    finally:
        scheduler.shutdown()


def test_transposed_overlaps_are_tinted_by_count_and_output_padding_marked_at_the_end(qtbot):
    params = {"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}
    panel, scheduler = _panel(qtbot, [LayerSpec("t", "conv_transpose", params)], (1, 3, 3))
    try:
        plan = panel.plan
        for index in range(plan.count):
            panel.go(index)
            panel.canvas.grab()
            counts = plan.overlaps(index)
            rows, cols = np.nonzero(counts > 1)
            expected = {
                (int(r), int(c)): int(counts[r, c]) for r, c in zip(rows, cols, strict=True)
            }
            assert panel.canvas.tinted == expected
            if index < plan.count - 1:
                assert panel.canvas.output_padding_marked == set()
        assert max(panel.canvas.tinted.values()) == 4  # the middle cells: four kernels
        mask = plan.output_padding_cells()
        assert panel.canvas.output_padding_marked == {
            (int(r), int(c)) for r, c in zip(*np.nonzero(mask), strict=False)
        }
        assert len(panel.canvas.output_padding_marked) == 2 * 7 - 1  # last row and column
    finally:
        scheduler.shutdown()


def test_titles_wrap_whole_instead_of_eliding_when_narrow(qtbot):
    conv = LayerSpec("c", "conv", {"out_channels": 1, "kernel_size": 3, "padding": 1})
    panel, scheduler = _panel(qtbot, [conv], (1, 12, 12), size=(520, 500))
    try:
        font = QFont(panel.font())
        font.setPointSizeF(font.pointSizeF() * 2.0)  # presentation-sized type
        panel.setFont(font)
        panel.canvas.grab()
        lines = panel.canvas.title_lines
        assert len(lines["output"]) == 2  # "output: c[0]" / "step 1 of 144"
        for name, drawn in lines.items():
            assert all("…" not in line for line in drawn), drawn
            assert "   ".join(drawn) == panel.canvas.titles[name]
        assert "step 1 of 144" in panel.canvas.toolTip()
    finally:
        scheduler.shutdown()


def test_after_a_paint_the_worker_makes_the_next_steps(qtbot):
    conv = LayerSpec("c", "conv", {"out_channels": 1, "kernel_size": 3, "padding": 1})
    panel, scheduler = _panel(qtbot, [conv], (1, 20, 20))
    try:
        panel.go(50)
        plan = panel.plan
        assert not plan.has_step(51) and not plan.has_step(49)
        panel.canvas.repaint()  # paused: the step after and the one before
        qtbot.waitUntil(lambda: plan.has_step(51) and plan.has_step(49), timeout=10_000)
        panel.timer.setInterval(60_000)  # playing, but no tick during the test
        panel.timer.start()
        panel.canvas.repaint()
        qtbot.waitUntil(lambda: all(plan.has_step(50 + k) for k in range(1, 5)), timeout=10_000)
        panel.pause()
    finally:
        scheduler.shutdown()
