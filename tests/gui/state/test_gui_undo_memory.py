"""A merged undo step holds one before-state and one after-state, however long the drag.

Qt's own merge deletes the merged command in C++, but PySide kept every Python command alive
with its arrays: one 400-move brush stroke on 256x256 kept 373 commands and 93.5 MB.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

from engine.presets import get_preset
from gui.state.commands import StateCommand
from gui.state.document import Document


def live_commands() -> int:
    gc.collect()
    return sum(type(o) is StateCommand for o in gc.get_objects())


@pytest.fixture
def doc(qtbot):
    x = np.zeros((1, 64, 64), np.float32)
    return Document(x, get_preset("lab-2d"))


def test_a_long_stroke_is_one_step_holding_two_states(doc):
    start = doc.input
    before = live_commands()
    doc.begin_stroke("Draw")
    for i in range(400):
        x = doc.input.copy()
        x[0, i % 64, (i * 7) % 64] = 1.0
        doc.set_input(x, text="Draw", merge_key=("stroke", 1))
    doc.end_stroke()
    assert doc.undo_stack.count() == 1
    assert live_commands() - before <= 1  # the one command of the step
    end = doc.input
    doc.undo_stack.undo()
    assert doc.input is start
    doc.undo_stack.redo()
    assert np.array_equal(doc.input, end)


def test_two_thousand_merged_kernel_edits_keep_one_command(doc):
    original = doc.weights["conv1"]["weight"].copy()
    before = live_commands()
    for i in range(2000):
        doc.set_kernel_value("conv1", (0, 0, 1, 1), 0.001 * i, merge_key="drag")
    assert doc.undo_stack.count() == 1
    assert live_commands() - before == 1
    assert doc.weights["conv1"]["weight"][0, 0, 1, 1] == np.float32(1.999)
    doc.undo_stack.undo()
    assert np.array_equal(doc.weights["conv1"]["weight"], original)


def test_a_saved_step_is_not_extended(doc):
    doc.set_kernel_value("conv1", (0, 0, 1, 1), 0.5, merge_key="drag")
    doc.undo_stack.setClean()  # as a save does
    doc.set_kernel_value("conv1", (0, 0, 1, 1), 0.7, merge_key="drag")
    assert doc.undo_stack.count() == 2
    doc.undo_stack.undo()
    assert doc.undo_stack.isClean()
    assert doc.weights["conv1"]["weight"][0, 0, 1, 1] == np.float32(0.5)


def test_other_keys_and_undone_steps_start_new_steps(doc):
    doc.set_kernel_value("conv1", (0, 0, 1, 1), 0.5, merge_key="a")
    doc.set_kernel_value("conv1", (0, 0, 1, 1), 0.6, merge_key="b")
    assert doc.undo_stack.count() == 2
    doc.undo_stack.undo()
    doc.set_kernel_value("conv1", (0, 0, 1, 1), 0.9, merge_key="a")
    assert doc.undo_stack.count() == 2  # the undone "b" step is gone; "a" was not extended
    doc.undo_stack.undo()
    assert doc.weights["conv1"]["weight"][0, 0, 1, 1] == np.float32(0.5)
