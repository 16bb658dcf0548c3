"""The kernel editor: cell edits, presets, bars, bias and refusals, through the document."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from engine import network
from engine.kernels import flip_kernel, preset_kernel
from engine.spec import LayerSpec, NetworkSpec
from gui.compute.scheduler import ComputeScheduler
from gui.lab.inspector.kernel_editor import KernelEditor, parse_number
from gui.state.document import Document

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def _doc(dims: int) -> Document:
    shape = (2, 20) if dims == 1 else (2, 16, 16)
    rng = np.random.default_rng(dims)
    spec = NetworkSpec(
        [
            LayerSpec("conv1", "conv", {"out_channels": 3, "kernel_size": 3, "padding": 1}),
            LayerSpec("relu1", "activation", {"function": "relu"}),
            LayerSpec("flat", "flatten"),
            LayerSpec("fc", "linear", {"out_features": 4}),
        ],
        shape,
    )
    return Document(rng.standard_normal(shape).astype(np.float32), spec)


@pytest.fixture
def doc2d(qtbot):
    doc = _doc(2)
    doc.select_layer("conv1")
    return doc


@pytest.fixture
def editor(qtbot, doc2d):
    widget = KernelEditor(doc2d)
    qtbot.addWidget(widget)
    return widget


def test_parse_number_reads_what_people_type():
    assert parse_number(" −0,5 ") == -0.5 and parse_number("1e-3") == 0.001
    assert parse_number("abc") is None and parse_number("") is None


def test_typing_into_a_cell_edits_that_weight_and_the_output_follows(qtbot, doc2d, editor):
    scheduler = ComputeScheduler(doc2d)
    try:
        doc2d.set_kernel_index(2, 1)
        editor.show()
        qtbot.waitExposed(editor)
        editor.table.setFocus()
        editor.table.setCurrentIndex(editor.model.index(0, 2))
        QTest.keyClick(editor.table, Qt.Key.Key_Down)  # arrow keys move between cells
        assert editor.table.currentIndex().row() == 1
        QTest.keyClick(editor.table, Qt.Key.Key_0, Qt.KeyboardModifier.NoModifier)
        cell = editor.table.findChild(QLineEdit)  # typing opened the cell's editor
        assert cell is not None and cell.text() == "0"
        QTest.keyClicks(cell, ".75")
        QTest.keyClick(cell, Qt.Key.Key_Return)  # Enter commits (Qt queues the commit)
        qtbot.waitUntil(lambda: doc2d.weights["conv1"]["weight"][2, 1, 1, 2] == 0.75, timeout=2000)
        qtbot.waitUntil(
            lambda: (
                scheduler.latest is not None and scheduler.latest.generation == scheduler.generation
            ),
            timeout=10000,
        )
        expected = network.forward(doc2d.spec, doc2d.weights, doc2d.input)
        np.testing.assert_array_equal(
            scheduler.latest.trace.outputs["conv1"], expected.outputs["conv1"]
        )
    finally:
        scheduler.shutdown()


def test_text_in_a_cell_is_refused_with_a_message(qtbot, doc2d, editor):
    weights = doc2d.weights
    with qtbot.waitSignal(doc2d.message, timeout=1000) as blocker:
        assert not editor.model.setData(editor.model.index(0, 0), "abc")
    assert blocker.args[0] == "error" and "abc" in blocker.args[1]
    assert doc2d.weights is weights
    with qtbot.waitSignal(doc2d.message, timeout=1000):
        assert not editor.model.setData(editor.model.index(0, 0), "inf")
    assert doc2d.weights is weights


def test_a_preset_applies_its_exact_values_to_the_current_pair_only(qtbot, doc2d, editor):
    before = doc2d.weights["conv1"]["weight"].copy()
    doc2d.set_kernel_index(1, 0)
    editor.preset_combo.setCurrentText("sobel-x")
    editor.apply_button.click()
    after = doc2d.weights["conv1"]["weight"]
    np.testing.assert_array_equal(after[1, 0], preset_kernel("sobel-x", (3, 3)))
    mask = np.ones(after.shape[:2], bool)
    mask[1, 0] = False
    np.testing.assert_array_equal(after[mask], before[mask])
    # the table shows the preset
    assert editor.model.values.tolist() == preset_kernel("sobel-x", (3, 3)).tolist()
    doc2d.undo_stack.undo()
    np.testing.assert_array_equal(doc2d.weights["conv1"]["weight"], before)


def test_a_preset_that_cannot_fit_is_a_message(qtbot, doc2d, editor):
    doc2d.set_layer_params(0, {"kernel_size": 2})
    weights = doc2d.weights
    with qtbot.waitSignal(doc2d.message, timeout=1000) as blocker:
        assert not editor.apply_preset("laplacian")
    assert "cannot fit" in blocker.args[1] and doc2d.weights is weights


def test_normalize_flip_zero_and_random(qtbot, doc2d, editor):
    editor.apply_preset("box")
    k = doc2d.weights["conv1"]["weight"][0, 0]
    doc2d.set_kernel_value("conv1", (0, 0, 0, 0), 1.0)
    editor.normalize_button.click()
    assert doc2d.weights["conv1"]["weight"][0, 0].sum() == pytest.approx(1.0)
    editor.apply_preset("emboss")
    editor.flip_button.click()
    np.testing.assert_array_equal(
        doc2d.weights["conv1"]["weight"][0, 0], flip_kernel(preset_kernel("emboss", (3, 3)))
    )
    editor.zero_button.click()
    assert not doc2d.weights["conv1"]["weight"][0, 0].any()
    with qtbot.waitSignal(doc2d.message, timeout=1000):
        editor.normalize_button.click()  # an all-zero kernel cannot be normalized
    editor.apply_preset("random (Kaiming)")
    assert doc2d.weights["conv1"]["weight"][0, 0].std() > 0
    assert k.shape == (3, 3)


def test_the_pair_spins_choose_the_slice(qtbot, doc2d, editor):
    editor.out_spin.setValue(2)
    editor.in_spin.setValue(1)
    assert doc2d.kernel_index == (2, 1)
    np.testing.assert_array_equal(editor.model.values, doc2d.weights["conv1"]["weight"][2, 1])
    assert editor.out_spin.maximum() == 2 and editor.in_spin.maximum() == 1


def test_bias_of_the_output_channel(qtbot, doc2d, editor):
    doc2d.set_kernel_index(2, 0)
    editor.bias_edit.setText("−1.5")
    editor.bias_edit.returnPressed.emit()
    assert doc2d.weights["conv1"]["bias"][2] == -1.5
    bias = doc2d.weights["conv1"]["bias"]
    editor.bias_edit.setText("one")
    with qtbot.waitSignal(doc2d.message, timeout=1000):
        editor.bias_edit.returnPressed.emit()
    assert doc2d.weights["conv1"]["bias"] is bias and editor.bias_edit.text() == "-1.5"


def test_1d_bars_drag_is_one_undo_step(qtbot):
    doc = _doc(1)
    doc.select_layer("conv1")
    editor = KernelEditor(doc)
    qtbot.addWidget(editor)
    editor.resize(400, 500)
    editor.show()
    qtbot.waitExposed(editor)
    assert editor.bars_plot.isVisible() and editor.model.values.shape == (1, 3)
    before = doc.weights["conv1"]["weight"].copy()
    steps = doc.undo_stack.count()
    vb = editor.bars_plot.getPlotItem().getViewBox()

    def at(x, y):
        return editor.bars_plot.mapFromScene(vb.mapViewToScene(QPointF(x, y)))

    target = editor.bars_plot.viewport()
    QTest.mousePress(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(0, 0.5))
    QTest.mouseMove(target, at(1, 0.5))
    QTest.mouseRelease(
        target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(2, 0.5)
    )
    np.testing.assert_allclose(doc.weights["conv1"]["weight"][0, 0], 0.5, atol=0.05)
    np.testing.assert_array_equal(doc.weights["conv1"]["weight"][1:], before[1:])
    assert doc.undo_stack.count() == steps + 1
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.weights["conv1"]["weight"], before)


def test_a_linear_layer_shows_its_whole_matrix(qtbot, doc2d, editor):
    doc2d.select_layer("fc")
    weight = doc2d.weights["fc"]["weight"]
    assert editor.model.values.shape == weight.shape == (4, 3 * 16 * 16)
    assert not editor.out_spin.isVisibleTo(editor)
    editor.table.setCurrentIndex(editor.model.index(3, 100))
    assert doc2d.kernel_index == (3, 100)
    assert editor.model.setData(editor.model.index(3, 100), "2.5")
    assert doc2d.weights["fc"]["weight"][3, 100] == 2.5
    assert editor.bias_index() == 3


def test_without_a_kernel_layer_the_editor_is_disabled(qtbot, doc2d, editor):
    doc2d.select_layer("relu1")
    assert not editor.isEnabled() and editor.model.rowCount() == 0
