"""The layer stack designer drives the document's spec; its figures are the engine's."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QModelIndex, Qt

from engine.network import analyze
from engine.spec import LAYER_TYPES, LayerSpec, NetworkSpec
from gui.designer.add_layer_menu import build_add_menu, covered_types, layer_choices
from gui.designer.layer_list_model import COLUMNS, OUTPUT_COLUMN, fmt_count, fmt_rf, fmt_shape
from gui.designer.layer_stack import LayerStack
from gui.state.document import Document

# Showing a window on the offscreen platform warns about size hints; nothing to do with us.
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def choice(title: str, dims: int = 1):
    return next(c for c in layer_choices(dims) if c is not None and c.title == title)


@pytest.fixture
def doc(qtbot):
    spec = NetworkSpec(
        (
            LayerSpec("conv1", "conv", {"out_channels": 3, "kernel_size": 3, "padding": 1}),
            LayerSpec("relu1", "activation", {"function": "relu"}),
            LayerSpec("pool1", "max_pool", {"kernel_size": 2}),
            LayerSpec("conv2", "conv", {"out_channels": 2, "kernel_size": 5}),
        ),
        (1, 40),
    )
    x = np.sin(np.linspace(0, 6, 40, dtype=np.float32))[None]
    return Document(x, spec)


@pytest.fixture
def stack(qtbot, doc):
    widget = LayerStack(doc)
    qtbot.addWidget(widget)
    return widget


def names(doc):
    return doc.spec.names()


def click_row(qtbot, stack, row):
    rect = stack.table.visualRect(stack.model.index(row, 1))
    qtbot.mouseClick(stack.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_menu_offers_every_engine_layer_type():
    assert covered_types() == set(LAYER_TYPES)
    titles = [c.title for c in layer_choices(2) if c is not None]
    assert "1×1 convolution" in titles and "Bilinear upsampling" in titles
    assert "Linear upsampling" in [c.title for c in layer_choices(1) if c is not None]


def test_add_appends_one_undoable_step(stack, doc):
    before = doc.spec
    count = doc.undo_stack.count()
    assert stack.add_at_end(choice("Max pool"))
    assert names(doc) == ["conv1", "relu1", "pool1", "conv2", "pool2"]
    assert doc.spec.layers[-1].type == "max_pool"
    assert doc.selected_layer == "pool2"
    assert doc.undo_stack.count() == count + 1
    doc.undo_stack.undo()
    assert doc.spec == before
    doc.undo_stack.redo()
    assert names(doc)[-1] == "pool2"


def test_click_selects_layer_and_insert_goes_before_it(qtbot, stack, doc):
    stack.show()
    click_row(qtbot, stack, 3)
    assert doc.selected_layer == "conv2"
    assert stack.insert_at_selection(choice("1×1 convolution"))
    assert names(doc) == ["conv1", "relu1", "pool1", "mix1", "conv2"]
    assert doc.spec.layer("mix1").param("kernel_size") == 1
    # the document's selection shows in the table
    assert stack.table.selectionModel().selectedRows()[0].row() == 3
    doc.select_layer("conv1")
    assert stack.table.selectionModel().selectedRows()[0].row() == 0


def test_delete_and_undo(stack, doc):
    doc.select_layer("relu1")
    w_conv2 = doc.weights["conv2"]["weight"]
    assert stack.delete_selected()
    assert names(doc) == ["conv1", "pool1", "conv2"]
    assert doc.selected_layer == "pool1"  # the row that took its place
    doc.undo_stack.undo()
    assert names(doc) == ["conv1", "relu1", "pool1", "conv2"]
    np.testing.assert_array_equal(doc.weights["conv2"]["weight"], w_conv2)


def test_duplicate_keeps_weights_under_a_new_name(stack, doc):
    doc.select_layer("conv1")
    assert stack.duplicate_selected()
    assert names(doc)[:2] == ["conv1", "conv3"]  # conv2 is taken
    assert doc.selected_layer == "conv3"
    # the copy reads conv1's 3 channels, so its weights cannot be conv1's (1 input channel):
    # they are re-fitted, and conv1's own weights are untouched
    assert doc.weights["conv3"]["weight"].shape == (3, 3, 3)
    doc.select_layer("relu1")
    assert stack.duplicate_selected()
    assert names(doc)[2:4] == ["relu1", "relu2"]
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert names(doc) == ["conv1", "relu1", "pool1", "conv2"]


def test_duplicate_of_shape_preserving_conv_copies_weights(qtbot):
    spec = NetworkSpec((LayerSpec("c", "conv", {"out_channels": 2, "padding": 1}),), (2, 9))
    doc = Document(np.ones((2, 9), np.float32), spec)
    stack = LayerStack(doc)
    qtbot.addWidget(stack)
    doc.select_layer("c")
    assert stack.duplicate_selected()
    np.testing.assert_array_equal(doc.weights["c2"]["weight"], doc.weights["c"]["weight"])
    np.testing.assert_array_equal(doc.weights["c2"]["bias"], doc.weights["c"]["bias"])


def test_move_actions_and_undo(stack, doc):
    doc.select_layer("pool1")
    stack.up_action.trigger()
    assert names(doc) == ["conv1", "pool1", "relu1", "conv2"]
    assert doc.selected_layer == "pool1"
    stack.down_action.trigger()
    stack.down_action.trigger()
    assert names(doc) == ["conv1", "relu1", "conv2", "pool1"]
    assert not stack.down_action.isEnabled()  # last row
    doc.undo_stack.undo()
    assert names(doc) == ["conv1", "relu1", "pool1", "conv2"]


def test_drag_and_drop_moves_one_undo_step(stack, doc):
    model = stack.model
    count = doc.undo_stack.count()
    mime = model.mimeData([model.index(0, 1)])
    # dropped in the gap before row 3 (between pool1 and conv2)
    model.dropMimeData(mime, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    assert names(doc) == ["relu1", "pool1", "conv1", "conv2"]
    assert doc.undo_stack.count() == count + 1
    # dropped onto row 0: takes its place
    mime = model.mimeData([model.index(3, 0)])
    model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, model.index(0, 0))
    assert names(doc) == ["conv2", "relu1", "pool1", "conv1"]
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert names(doc) == ["conv1", "relu1", "pool1", "conv2"]


def test_row_figures_equal_engine_analysis(stack, doc):
    stack.add_at_end(choice("Flatten"))
    stack.add_at_end(choice("Linear (fully connected)"))
    analysis = analyze(doc.spec, doc.input.shape)
    model = stack.model
    assert model.rowCount() == len(analysis.layers) == 6
    col = {c: i for i, c in enumerate(COLUMNS)}
    for row, info in enumerate(analysis.layers):
        assert model.text(row, col["Layer"]) == info.name
        assert model.text(row, col["Output"]) == fmt_shape(info.out_shape)
        assert model.text(row, col["Params"]) == fmt_count(info.parameters)
        # the comparison shows where it teaches: on layers with weights
        fc = fmt_count(info.fc_parameters) if info.parameters else ""
        assert model.text(row, col["FC params"]) == fc
        assert model.text(row, col["MACs"]) == fmt_count(info.macs)
        assert model.text(row, col["RF"]) == fmt_rf(info.receptive_field)
    # a real number shows (not a dash) for the conv: 1*3*3 weights + 3 biases
    assert model.text(0, col["Params"]) == "12"
    assert model.text(0, col["FC params"]) != ""
    relu = next(r for r, info in enumerate(analysis.layers) if info.type == "activation")
    assert model.text(relu, col["FC params"]) == ""  # no 12-digit number on a ReLU
    assert "without weights" in model.headerData(
        6, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )
    total = analysis.total
    assert f"{total.parameters:,} parameters" in stack.totals.text()
    assert f"{total.fc_parameters:,}" in stack.totals.text()


def test_impossible_layer_is_red_with_engine_message_and_earlier_maps_remain(qtbot, stack, doc):
    from gui.compute.scheduler import ComputeScheduler

    scheduler = ComputeScheduler(doc, threads=1)
    try:
        doc.set_layer_params(3, {"kernel_size": 99})  # pool1 gives 20 positions
        expected = analyze(doc.spec, doc.input.shape).layers[3].error
        assert expected is not None
        model = stack.model
        text = model.data(model.index(3, OUTPUT_COLUMN))
        assert text == f"⚠ {expected.detail}"  # the row already names the layer
        assert model.data(model.index(3, 1), Qt.ItemDataRole.ToolTipRole) == str(expected)
        assert model.data(model.index(3, 1), Qt.ItemDataRole.ForegroundRole) is not None
        assert model.data(model.index(2, 1), Qt.ItemDataRole.ForegroundRole) is None
        assert doc.spec.layers[3].param("kernel_size") == 99  # nothing silently changed
        assert "1 layer cannot work (first: conv2)" in stack.totals.text()
        generation = scheduler.generation
        qtbot.waitUntil(
            lambda: scheduler.latest is not None and scheduler.latest.generation >= generation,
            timeout=10_000,
        )
        trace = scheduler.latest.trace
        assert {"conv1", "relu1", "pool1"} <= set(trace.outputs)
        assert "conv2" in trace.errors and "conv2" not in trace.outputs
    finally:
        scheduler.shutdown()


def test_preset_is_one_undo_step(stack, doc):
    before_spec, before_input = doc.spec, doc.input
    count = doc.undo_stack.count()
    assert stack.load_preset("udl-mnist1d-cnn")
    from engine.presets import get_preset

    preset = get_preset("udl-mnist1d-cnn")
    assert names(doc) == preset.names()
    assert doc.undo_stack.count() == count + 1
    assert "2,050 parameters" in stack.totals.text()
    doc.undo_stack.undo()
    assert doc.spec == before_spec
    assert doc.input is before_input


def test_preset_of_other_dimensionality_brings_a_fitting_input(stack, doc):
    assert stack.load_preset("lenet")
    from engine.presets import get_preset

    assert doc.input.ndim == len(get_preset("lenet").input_shape)
    assert all(info.error is None for info in doc.analysis.layers)
    # the inspector is not left blank: the preset's first layer with weights is selected
    first = next(n for n in doc.spec.names() if doc.weights.get(n))
    assert doc.selected_layer == first
    doc.undo_stack.undo()
    assert doc.input.shape == (1, 40)


def test_preset_combo_loads_and_resets_prompt(qtbot, stack, doc):
    combo = stack.presets
    row = combo.findText("udl-mnist1d-fc")
    assert row > 0
    combo.activated.emit(row)
    assert combo.currentIndex() == 0
    assert "59,065 parameters" in stack.totals.text()


def test_max_unpool_menu_lists_max_pools_and_uses_the_choice(stack, doc):
    picked = []
    menu = build_add_menu(
        stack, 1, doc.spec, len(doc.spec.layers), lambda c, a: picked.append((c, a))
    )
    sub = next(a.menu() for a in menu.actions() if a.menu() and "unpool" in a.text().lower())
    assert [a.text() for a in sub.actions()] == ["pool1"]
    sub.actions()[0].trigger()
    c, a = picked[0]
    assert stack.add_at_end(c, a)
    assert doc.spec.layers[-1].type == "max_unpool"
    assert doc.spec.layers[-1].param("pool") == "pool1"
    # with no max pool before the insertion point, the submenu is disabled
    menu = build_add_menu(stack, 1, doc.spec, 0, lambda c, a: None)
    sub = next(a.menu() for a in menu.actions() if a.menu() and "unpool" in a.text().lower())
    assert not sub.isEnabled()


def test_skip_add_joins_previous_layer_and_the_chosen_one(stack, doc):
    assert stack.add_at_end(choice("Add (skip)"), "relu1")
    layer = doc.spec.layers[-1]
    assert layer.type == "add" and layer.inputs == ("conv2", "relu1")


def test_keyboard_delete_on_table(qtbot, stack, doc):
    with qtbot.waitActive(stack):
        stack.show()
        stack.activateWindow()
    click_row(qtbot, stack, 1)
    stack.table.setFocus()
    qtbot.keyClick(stack.table, Qt.Key.Key_Delete)
    assert names(doc) == ["conv1", "pool1", "conv2"]


def test_layers_after_the_break_are_dimmed_not_red(stack, doc):
    from gui.designer.layer_list_model import DEPENDENT_COLOR, ERROR_COLOR

    stack.add_at_end(choice("Activation: relu"))
    doc.set_layer_params(0, {"kernel_size": 99, "padding": 0})  # breaks at conv1
    model = stack.model
    fg = [model.data(model.index(r, 1), Qt.ItemDataRole.ForegroundRole) for r in range(5)]
    assert fg[0].color() == ERROR_COLOR
    assert all(b.color() == DEPENDENT_COLOR for b in fg[1:])
    assert model.data(model.index(1, 1), Qt.ItemDataRole.BackgroundRole) is None
    assert "1 layer cannot work (first: conv1); 4 after it cannot run" in stack.totals.text()
