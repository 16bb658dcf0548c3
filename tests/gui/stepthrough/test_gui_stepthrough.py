"""The Step through lab: keys, play (timer), scrub, click to jump, step back, edits."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from engine.explain import explain
from engine.spec import LayerSpec, NetworkSpec
from gui.compute.scheduler import ComputeScheduler
from gui.state.document import Document
from gui.stepthrough.step_panel import StepPanel


def _panel(qtbot, layers, shape, select="conv", size=(1000, 700)):
    x = np.round(np.random.default_rng(3).standard_normal(shape), 2).astype(np.float32)
    document = Document(x, NetworkSpec(layers, shape))
    scheduler = ComputeScheduler(document)
    panel = StepPanel(document, scheduler)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    document.select_layer(select)
    qtbot.waitUntil(lambda: panel.plan is not None, timeout=10_000)
    return panel, document, scheduler


@pytest.fixture
def conv2d(qtbot):
    layers = [
        LayerSpec(
            "conv",
            "conv",
            {
                "out_channels": 2,
                "kernel_size": 3,
                "padding": 1,
                "dilation": 2,
                "padding_mode": "reflect",
            },
        )
    ]
    panel, document, scheduler = _panel(qtbot, layers, (1, 6, 6))
    yield panel, document, scheduler
    panel.pause()
    scheduler.shutdown()


def test_keys_move_and_the_text_is_the_formula_panels(conv2d, qtbot):
    panel, document, scheduler = conv2d
    assert panel.plan.count == 16 and panel.index == 0
    qtbot.keyClick(panel, Qt.Key.Key_Right)
    qtbot.keyClick(panel, Qt.Key.Key_Right)
    assert panel.index == 2
    qtbot.keyClick(panel, Qt.Key.Key_Left)
    assert panel.index == 1
    qtbot.keyClick(panel, Qt.Key.Key_End)
    assert panel.index == 15
    qtbot.keyClick(panel, Qt.Key.Key_Right)  # nothing after the last step
    assert panel.index == 15
    qtbot.keyClick(panel, Qt.Key.Key_Home)
    assert panel.index == 0
    for i in (0, 5, 15):
        panel.go(i)
        step = panel.plan.step(i)
        trace = scheduler.latest.trace
        exp = explain(document.spec, document.weights, trace, "conv", 0, step.position)
        assert panel.arithmetic.text() == exp.format()
        assert step.value == float(trace.outputs["conv"][(0, *step.position)])
    panel.go(7)
    assert panel.slider.value() == 7 and panel.counter.text() == "8 / 16"


def test_space_plays_on_the_timer_and_stops_at_the_end(conv2d, qtbot):
    panel, _document, _scheduler = conv2d
    panel.set_speed(8)
    assert panel.timer.interval() == 125
    panel.go(12)
    qtbot.keyClick(panel, Qt.Key.Key_Space)
    assert panel.playing
    qtbot.waitUntil(lambda: panel.index == 15 and not panel.playing, timeout=5_000)
    assert panel.play_button.text().endswith("Play")
    seen = []
    panel.stepChanged.connect(seen.append)
    panel.play()  # from the end: starts again at the first step
    qtbot.waitUntil(lambda: len(seen) >= 3, timeout=5_000)
    qtbot.keyClick(panel, Qt.Key.Key_Space)
    assert not panel.playing
    assert seen[:3] == [0, 1, 2]


def test_speed_choices_span_a_quarter_to_eight_steps_per_second(conv2d):
    panel = conv2d[0]
    speeds = [panel.speed_box.itemData(i) for i in range(panel.speed_box.count())]
    assert min(speeds) == 0.25 and max(speeds) == 8
    panel.speed_box.setCurrentIndex(0)
    assert panel.timer.interval() == 4000


def test_step_back_returns_exactly_the_previous_picture(conv2d):
    panel = conv2d[0]
    panel.go(4)
    before = panel.canvas.grab().toImage()
    text = panel.arithmetic.text()
    panel.step_forward()
    assert panel.canvas.grab().toImage() != before
    panel.step_back()
    assert panel.canvas.grab().toImage() == before
    assert panel.arithmetic.text() == text


def test_scrub_slider_and_click_on_an_output_cell_jump(conv2d, qtbot):
    panel = conv2d[0]
    panel.slider.setValue(3)
    assert panel.index == 3
    panel.canvas.grab()  # lays out the grids
    geometry = panel.canvas.geometry_of["output"]
    # the cell at output position (2, 1): row 2, column 1
    at = geometry.origin + QPoint(0, 0)
    point = QPoint(int(at.x() + 1.5 * geometry.cell), int(at.y() + 2.5 * geometry.cell))
    qtbot.mouseClick(panel.canvas, Qt.MouseButton.LeftButton, pos=point)
    assert panel.plan.step(panel.index).position == (2, 1)
    assert panel.index == 9  # (2, 1) of a 4×4 output is step 2·4 + 1


def test_editing_a_parameter_keeps_the_step_where_it_still_exists(conv2d, qtbot):
    panel, document, scheduler = conv2d
    panel.go(document.layer_shape("conv")[2] + 2)  # output (1, 2)
    assert panel.plan.step(panel.index).position == (1, 2)
    old = panel.plan
    document.set_layer_params(0, {"padding": 2})  # a bigger output: 6×6
    qtbot.waitUntil(lambda: panel.plan is not old and panel.plan.count == 36, timeout=10_000)
    assert panel.plan.step(panel.index).position == (1, 2)
    assert panel.index == 8


def test_padding_cells_are_drawn_and_counted(conv2d):
    panel = conv2d[0]
    panel.go(0)
    step = panel.plan.step(0)
    padded = [t for t in step.taps if t.padded]
    assert padded and all(t.position[0] < 0 or t.position[1] < 0 for t in padded)
    assert panel.plan.padding_fill == "reflect"
    # the padding cells hold the mirror image: padded row −1 is input row 1
    x = panel.document.input[0]
    np.testing.assert_allclose(panel.plan.padded_input(0)[0, 1:-1], x[1], rtol=1e-6)


def test_transposed_steps_by_input_and_clicks_the_input(qtbot):
    layers = [
        LayerSpec(
            "conv",
            "conv_transpose",
            {"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1},
        )
    ]
    panel, _document, scheduler = _panel(qtbot, layers, (1, 3, 3))
    try:
        assert panel.plan.kind == "scatter" and panel.plan.count == 9
        assert "one per input position" in panel.heading.text()
        panel.canvas.grab()
        geometry = panel.canvas.geometry_of["input"]
        point = QPoint(
            int(geometry.origin.x() + 2.5 * geometry.cell),
            int(geometry.origin.y() + 1.5 * geometry.cell),
        )
        qtbot.mouseClick(panel.canvas, Qt.MouseButton.LeftButton, pos=point)
        assert panel.plan.step(panel.index).position == (1, 2)
        assert "scatters" in panel.arithmetic.text()
        panel.go_end()
        np.testing.assert_allclose(
            panel.plan.accumulated(panel.index),
            scheduler.latest.trace.outputs["conv"][0],
            atol=1e-6,
        )
    finally:
        scheduler.shutdown()


def test_a_layer_without_steps_says_so(qtbot):
    layers = [LayerSpec("conv", "conv", {"out_channels": 1}), LayerSpec("flat", "flatten")]
    panel, document, scheduler = _panel(qtbot, layers, (1, 8))
    try:
        document.select_layer("flat")
        assert panel.plan is None
        assert "flatten" in panel.heading.text()
        qtbot.keyClick(panel, Qt.Key.Key_Space)  # nothing to play; no error
        assert not panel.playing
    finally:
        scheduler.shutdown()


def test_the_window_has_the_lab_tab(open_window):
    window = open_window("cameraman")
    panel = window.show_lab("Step through")
    assert isinstance(panel, StepPanel)
    assert panel.document is window.document
