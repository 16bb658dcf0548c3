"""Memory over a long session: the undo history is bounded (UNDO_LIMIT steps, the dropped
ones freed), and at the limit merging and saving still see every new step."""

from __future__ import annotations

import gc

import numpy as np

from engine.presets import get_preset
from gui.state.commands import StateCommand
from gui.state.document import UNDO_LIMIT, Document


def _doc() -> Document:
    spec = get_preset("lab-2d")
    spec = getattr(spec, "spec", spec)
    return Document(np.zeros(spec.input_shape, np.float32), spec)


def _alive() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is StateCommand)


def test_thousands_of_edits_keep_at_most_the_limit_of_steps_alive(qtbot):
    doc = _doc()
    layer = doc.spec.layers[0].name
    start = _alive()
    for i in range(3 * UNDO_LIMIT):
        doc.set_kernel_value(layer, (0, 0, 0, i % 3), float(i) + 0.5)
        if i % 10 == 0:  # a step holding an input before and after
            doc.set_input(np.full(doc.input.shape, i / 1000, np.float32))
    assert doc.undo_stack.count() == UNDO_LIMIT, doc.undo_stack.count()
    assert _alive() - start <= UNDO_LIMIT  # the dropped steps' commands (and arrays) are freed
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.undo_stack.index() == 0


def test_at_the_limit_an_edit_after_another_step_is_not_merged_into_an_old_one(qtbot):
    doc = _doc()
    layer = doc.spec.layers[0].name
    for i in range(UNDO_LIMIT):
        doc.set_kernel_value(layer, (0, 0, 0, 0), float(i % 5) + 0.25)
    doc.set_kernel_value(layer, (0, 0, 0, 1), 1.5, merge_key="drag")
    doc.set_kernel_value(layer, (0, 0, 0, 2), 2.5)  # another step: index and count stay put
    doc.set_kernel_value(layer, (0, 0, 0, 1), 3.5, merge_key="drag")  # a new step
    assert doc.undo_stack.count() == UNDO_LIMIT
    doc.undo_stack.undo()
    weight = doc.weights[layer]["weight"]
    assert weight[0, 0, 0, 1] == 1.5 and weight[0, 0, 0, 2] == 2.5


def test_at_the_limit_a_mark_sees_a_new_step(qtbot):
    doc = _doc()
    layer = doc.spec.layers[0].name
    for i in range(UNDO_LIMIT):
        doc.set_kernel_value(layer, (0, 0, 0, 0), float(i % 5) + 0.25)
    mark = doc.undo_mark()
    doc.set_kernel_value(layer, (0, 0, 0, 0), 9.0)
    assert doc.undo_stack.index() == mark[0]  # Qt's index alone cannot tell
    assert doc.undo_mark() != mark
