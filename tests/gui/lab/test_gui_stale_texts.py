"""Every text says what holds now, or nothing: the hovered value after the network changed
dimension, the Classify answer after the input or the network changed, the Example box
after a preset brought its own input."""

from __future__ import annotations

import numpy as np

from gui.lab.input.input_panel import DRAWN
from gui.lab.maps.maps_view import HOVER_HINT
from gui.state.document import Probe


def _settled(qtbot, window):
    s = window.scheduler
    qtbot.waitUntil(
        lambda: s.idle and s.latest is not None and s.latest.generation == s.generation,
        timeout=20_000,
    )


def test_a_2d_readout_is_not_left_over_a_1d_network(open_window, qtbot):
    window = open_window("checkerboard")
    _settled(qtbot, window)
    window.document.set_probe(Probe("conv1", 0, (3, 4)))
    readout = window.maps_view.readout
    assert readout.text().startswith("conv1[0,3,4]")
    assert window.input_panel.switch_mode(1)
    _settled(qtbot, window)
    assert window.document.dims == 1
    assert readout.text() == HOVER_HINT
    assert readout.toolTip() == ""


def test_a_preset_that_brings_a_digit_names_it(open_window, qtbot):
    window = open_window("checkerboard")
    assert window.input_panel.source_name() == "checkerboard"
    assert window.layer_stack.load_preset("udl-mnist1d-cnn")  # 1D: an MNIST-1D digit
    assert window.input_panel.source_name() == "mnist1d-3"
    assert window.input_panel.example_combo.currentText() == "mnist1d-3"
    assert window.layer_stack.load_preset("lenet")  # back to 2D: a digit of its size
    assert window.input_panel.source_name() == "digit-3"
    assert window.input_panel.example_combo.currentText() == "digit-3"
    window.document.undo_stack.undo()  # the MNIST-1D digit, its name with it
    assert window.input_panel.source_name() == "mnist1d-3"


def test_a_drawn_input_is_still_called_drawn(open_window):
    window = open_window("checkerboard")
    window.document.set_input(np.zeros_like(window.document.input))
    assert window.input_panel.source_name() == DRAWN


def test_an_old_classify_answer_is_cleared_when_the_input_or_network_changes(open_window):
    window = open_window("checkerboard")
    panel = window.trainer_panel
    view = panel.classify_view
    view.show_probabilities(np.array([0.1, 0.9]), ["a", "b"])
    assert view.label.text().startswith("most likely: b")
    window.document.set_input(np.zeros_like(window.document.input))
    assert view.probabilities is None and view.label.text() == ""
    view.show_message("The lab's input is 1×2 but it was trained on 1×40")
    window.layer_stack.load_preset("lab-2d")
    assert view.label.text() == ""


def test_a_classify_answer_for_an_input_since_replaced_is_dropped(open_window):
    window = open_window("checkerboard")
    panel = window.trainer_panel
    panel._classified_input = window.document.input  # classified, then the input changed
    window.document.set_input(np.ones_like(window.document.input))
    panel._job_done("classify", np.array([0.5, 0.5]))
    assert panel.classify_view.probabilities is None
    assert panel.classify_view.label.text() == ""
