"""The document: undoable edits, merge keys, strokes, validation at the edit."""

import numpy as np
import pytest

from engine import network
from engine.presets import get_preset
from gui.state.document import Document, Probe


@pytest.fixture
def doc(qtbot):
    x = np.random.default_rng(1).standard_normal((1, 20, 24)).astype(np.float32)
    return Document(x, get_preset("lab-2d"))


def test_state_is_consistent_with_the_engine(doc):
    assert doc.dims == 2
    assert doc.spec.input_shape == (1, 20, 24)
    assert doc.weights["conv1"]["weight"].shape == (16, 1, 3, 3)
    assert doc.analysis.layers[-1].out_shape == (4, 20, 24)
    # The document's arrays are read-only: nobody changes state behind its back.
    with pytest.raises(ValueError):
        doc.weights["conv1"]["weight"][0, 0, 0, 0] = 1.0
    with pytest.raises(ValueError):
        doc.input[0, 0, 0] = 1.0


def test_set_input_copies_the_caller_array(doc):
    x = np.ones((1, 20, 24), np.float32)
    assert doc.set_input(x)
    x[:] = 5.0
    assert float(doc.input.max()) == 1.0


def test_kernel_edit_undo_redo_and_first_affected_layer(doc, qtbot):
    before = doc.weights["conv2"]["weight"].copy()
    with qtbot.waitSignal(doc.networkChanged) as blocker:
        assert doc.set_kernel_value("conv2", (1, 2, 0, 1), 0.75)
    assert blocker.args == [doc.spec.index("conv2")]
    assert doc.weights["conv2"]["weight"][1, 2, 0, 1] == np.float32(0.75)
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.weights["conv2"]["weight"], before)
    doc.undo_stack.redo()
    assert doc.weights["conv2"]["weight"][1, 2, 0, 1] == np.float32(0.75)


def test_merge_key_makes_a_drag_one_step(doc):
    original = doc.weights["conv1"]["weight"][0, 0, 1, 1]
    for value in np.linspace(0.1, 2.0, 15):
        doc.set_kernel_value("conv1", (0, 0, 1, 1), value, merge_key="drag-1")
    assert doc.undo_stack.count() == 1
    assert doc.weights["conv1"]["weight"][0, 0, 1, 1] == np.float32(2.0)
    doc.undo_stack.undo()
    assert doc.weights["conv1"]["weight"][0, 0, 1, 1] == original
    # Different keys (or no key) are separate steps.
    doc.set_kernel_value("conv1", (0, 0, 1, 1), 1.0, merge_key="a")
    doc.set_kernel_value("conv1", (0, 0, 1, 1), 2.0, merge_key="b")
    doc.set_kernel_value("conv1", (0, 0, 1, 1), 3.0)
    doc.set_kernel_value("conv1", (0, 0, 1, 1), 4.0)
    assert doc.undo_stack.count() == 4


def test_same_merge_key_on_another_layer_does_not_merge(doc):
    doc.set_kernel_value("conv1", (0, 0, 0, 0), 1.0, merge_key="drag")
    doc.set_kernel_value("conv2", (0, 0, 0, 0), 1.0, merge_key="drag")
    assert doc.undo_stack.count() == 2


def test_stroke_is_one_undo_step(doc):
    original = doc.input.copy()
    doc.begin_stroke("Brush stroke")
    for i in range(10):
        x = doc.input.copy()
        x[0, i, i] = 9.0
        assert doc.set_input(x)
    doc.end_stroke()
    assert doc.undo_stack.count() == 1
    assert doc.undo_stack.undoText() == "Brush stroke"
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.input, original)
    doc.undo_stack.redo()
    assert all(doc.input[0, i, i] == 9.0 for i in range(10))


@pytest.mark.parametrize(
    "call",
    [
        lambda d: d.set_kernel_value("conv1", (0, 0, 1, 1), float("nan")),
        lambda d: d.set_kernel_value("conv1", (0, 0, 1, 1), float("inf")),
        lambda d: d.set_kernel_value("conv1", (0, 0, 3, 1), 1.0),
        lambda d: d.set_kernel_value("conv1", (0, 0, 1), 1.0),
        lambda d: d.set_kernel_value("relu1", (0,), 1.0),
        lambda d: d.set_kernel_value("conv1", (0, 0, 1, 1), "abc"),
        lambda d: d.set_weights("conv1", "weight", np.zeros((16, 1, 5, 5))),
        lambda d: d.set_weights("conv1", "bias", np.full(16, np.nan)),
        lambda d: d.set_weights("conv1", "gamma", np.zeros(16)),
        lambda d: d.set_input(np.zeros((20, 24))[None, None]),
        lambda d: d.set_input(np.full((1, 20, 24), np.nan)),
        lambda d: d.set_input(np.zeros((1, 0, 24))),
        lambda d: d.set_input(np.array([["a"]])),
        lambda d: d.set_layer_params(99, {"stride": 2}),
    ],
)
def test_bad_values_give_one_message_and_change_nothing(doc, qtbot, call):
    state = (doc.input, doc.spec, doc.weights)
    with qtbot.waitSignal(doc.message) as blocker:
        assert call(doc) is False
    level, text = blocker.args
    assert level == "error" and text
    assert (doc.input, doc.spec, doc.weights) == state
    assert doc.undo_stack.count() == 0


def test_impossible_layer_is_allowed_and_located_by_the_analysis(doc):
    index = doc.spec.index("conv2")
    assert doc.set_layer_params(index, {"kernel_size": 15})  # larger than the 10x12 map
    assert doc.spec.layers[index].params["kernel_size"] == 15
    info = doc.analysis.layer("conv2")
    assert info.error is not None and "conv2" in str(info.error)
    assert doc.analysis.layer("pool").error is None  # layers before are fine
    doc.undo_stack.undo()
    assert doc.analysis.ok


def test_layer_params_reconcile_weights(doc):
    kept = doc.weights["conv1"]["weight"]
    index = doc.spec.index("conv2")
    assert doc.set_layer_params(index, {"out_channels": 8})
    assert doc.weights["conv2"]["weight"].shape == (8, 16, 3, 3)
    assert doc.weights["conv3"]["weight"].shape == (4, 8, 1, 1)
    assert doc.weights["conv1"]["weight"] is kept


def test_set_input_with_new_shape_refits_network(doc):
    x = np.zeros((3, 30, 30), np.float32)
    with_pair = doc.weights["conv2"]["weight"]
    assert doc.set_input(x)
    assert doc.spec.input_shape == (3, 30, 30)
    assert doc.weights["conv1"]["weight"].shape == (16, 3, 3, 3)
    assert doc.weights["conv2"]["weight"] is with_pair
    doc.undo_stack.undo()
    assert doc.weights["conv1"]["weight"].shape == (16, 1, 3, 3)
    assert doc.input.shape == (1, 20, 24)


def test_set_network_keeps_what_fits(doc):
    spec = doc.spec
    layers = list(spec.layers)
    del layers[4]  # relu2
    kept = doc.weights["conv2"]["weight"]
    with_signal = []
    doc.networkChanged.connect(with_signal.append)
    assert doc.set_network(spec.with_layers(layers), text="Remove relu2")
    assert with_signal == [4]
    assert doc.weights["conv2"]["weight"] is kept
    assert "relu2" not in doc.spec.names()


def test_load_replaces_everything_in_one_step(doc):
    x = np.zeros((1, 64), np.float32)
    assert doc.load(x, get_preset("lab-1d"), text="Open sine")
    assert doc.dims == 1 and doc.spec.name == get_preset("lab-1d").name
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.dims == 2


def test_selection_probe_and_view_are_not_undoable(doc, qtbot):
    with qtbot.waitSignal(doc.layerSelected):
        doc.select_layer("conv2")
    doc.set_kernel_index(3, 5)
    assert doc.kernel_index == (3, 5)
    doc.set_probe(Probe("conv2", 1, (2, 3)))
    with qtbot.waitSignal(doc.viewChanged):
        doc.set_view(colormap="gray", shared_levels=True)
    assert doc.view.colormap == "gray" and doc.view.shared_levels
    assert doc.undo_stack.count() == 0
    with qtbot.waitSignal(doc.message):
        doc.set_kernel_index(16, 0)
    assert doc.kernel_index == (3, 5)
    with qtbot.waitSignal(doc.message):
        doc.set_probe(Probe("conv2", 1, (10, 0)))  # conv2 is 10 x 12
    with qtbot.waitSignal(doc.message):
        doc.set_view(colormap="rainbow")
    assert doc.view.colormap == "gray"


def test_selection_follows_the_network(doc, qtbot):
    doc.select_layer("conv2")
    doc.set_kernel_index(10, 12)
    doc.set_probe(Probe("conv2", 12, (9, 11)))
    with qtbot.waitSignal(doc.probeChanged):
        doc.set_layer_params(doc.spec.index("conv2"), {"out_channels": 8})
    assert doc.kernel_index == (0, 0)
    assert doc.probe is None
    assert doc.selected_layer == "conv2"


def test_weights_equal_engine_init(doc):
    fresh = network.init_weights(doc.spec, doc.input.shape, seed=0)
    for name, arrays in fresh.items():
        for key, array in arrays.items():
            np.testing.assert_array_equal(doc.weights[name][key], array)


def test_a_document_with_undo_history_is_freed_without_the_cycle_collector(qtbot):
    # Its undo commands refer back to it weakly: with a strong reference the document, its
    # undo stack and the commands formed a cycle, and collecting that cycle crashed the
    # process (QUndoStack::clear deleting commands the collector was tearing down).
    import gc
    import weakref

    from engine.presets import get_preset

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        doc = Document(np.zeros((1, 40), np.float32), get_preset("lab-1d"))
        doc.set_kernel_value("conv1", (0, 0, 1), 0.5)
        doc.set_kernel_value("conv1", (0, 0, 2), 0.25)
        doc.undo_stack.undo()
        assert doc.weights["conv1"]["weight"][0, 0, 2] != 0.25  # the commands still work
        ref = weakref.ref(doc)
        del doc
        assert ref() is None
    finally:
        if was_enabled:
            gc.enable()
