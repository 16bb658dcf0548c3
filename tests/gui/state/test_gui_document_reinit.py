"""When an edit changes a layer's weight shape, its weights are drawn afresh: the document says
so once, naming the layers, and undo brings the old (hand-edited) weights back."""

import numpy as np
import pytest

from engine.presets import get_preset
from engine.spec import LayerSpec, NetworkSpec
from gui.designer.layer_stack import LayerStack
from gui.state.document import Document


@pytest.fixture
def doc(qtbot):
    x = np.random.default_rng(1).standard_normal((1, 20, 24)).astype(np.float32)
    return Document(x, get_preset("lab-2d"))


@pytest.fixture
def messages(doc):
    seen: list[tuple[str, str]] = []
    doc.message.connect(lambda level, text: seen.append((level, text)))
    return seen


def redraw_notes(messages) -> list[str]:
    return [text for level, text in messages if "New weights" in text]


def test_new_out_channels_say_which_weights_were_redrawn_and_undo_restores(doc, messages):
    assert doc.set_kernel_value("conv1", (3, 0, 1, 1), 0.625)  # a hand-edited kernel
    before = {name: dict(arrays) for name, arrays in doc.weights.items()}
    messages.clear()
    assert doc.set_layer_params(0, {"out_channels": 8})
    assert doc.weights["conv1"]["weight"].shape == (8, 1, 3, 3)
    # conv2 reads conv1's channels, so its weights changed shape too
    assert doc.weights["conv2"]["weight"].shape == (16, 8, 3, 3)
    assert messages == [("info", messages[0][1])]
    text = messages[0][1]
    assert "conv1 16×1×3×3 → 8×1×3×3" in text and "conv2 16×16×3×3 → 16×8×3×3" in text
    assert "conv3" not in text and "Undo" in text  # conv3's weights still fit: kept
    assert doc.weights["conv3"]["weight"] is before["conv3"]["weight"]

    doc.undo_stack.undo()
    for name, arrays in before.items():
        for key, array in arrays.items():
            np.testing.assert_array_equal(doc.weights[name][key], array)
    assert doc.weights["conv1"]["weight"][3, 0, 1, 1] == np.float32(0.625)


def test_one_redrawn_layer_is_named_with_its_shapes(doc, messages):
    assert doc.set_layer_params(6, {"kernel_size": 3, "padding": 1})  # conv3: 1x1 -> 3x3
    assert redraw_notes(messages) == [
        "New weights drawn for conv3: its weight shape changed (4×16×1×1 → 4×16×3×3)."
        " Undo brings the old weights back."
    ]


def test_edits_that_keep_the_weight_shapes_say_nothing(doc, messages):
    weights = doc.weights
    # a new layer gets fresh weights, but nothing of the user's was replaced
    layers = (*doc.spec.layers, LayerSpec("conv9", "conv", {"out_channels": 2}))
    assert doc.set_network(NetworkSpec(layers, doc.spec.input_shape))
    assert "conv9" in doc.weights
    assert doc.set_layer_params(0, {"stride": 2})
    assert doc.set_layer_params(3, {"padding": 0, "dilation": 2})
    assert doc.weights["conv1"]["weight"] is weights["conv1"]["weight"]
    assert doc.weights["conv2"]["weight"] is weights["conv2"]["weight"]
    assert redraw_notes(messages) == []


def test_a_new_input_length_redraws_the_linear_layer_and_says_so(qtbot):
    spec = NetworkSpec(
        (
            LayerSpec("conv1", "conv", {"out_channels": 2, "kernel_size": 3}),
            LayerSpec("flat", "flatten", {}),
            LayerSpec("fc", "linear", {"out_features": 3}),
        ),
        (1, 10),
    )
    doc = Document(np.ones((1, 10), np.float32), spec)
    seen: list[tuple[str, str]] = []
    doc.message.connect(lambda level, text: seen.append((level, text)))
    conv = doc.weights["conv1"]["weight"]
    assert doc.set_input(np.ones((1, 12), np.float32))
    assert redraw_notes(seen) == [
        "New weights drawn for fc: its weight shape changed (3×16 → 3×20)."
        " Undo brings the old weights back."
    ]
    assert doc.weights["conv1"]["weight"] is conv


def test_a_duplicated_layer_is_new_so_its_fresh_weights_are_not_announced(qtbot):
    spec = NetworkSpec((LayerSpec("conv1", "conv", {"out_channels": 3, "padding": 1}),), (1, 9))
    doc = Document(np.ones((1, 9), np.float32), spec)
    seen: list[tuple[str, str]] = []
    doc.message.connect(lambda level, text: seen.append((level, text)))
    stack = LayerStack(doc)
    qtbot.addWidget(stack)
    doc.select_layer("conv1")
    assert stack.duplicate_selected()  # the copy reads 3 channels: conv1's 1-channel
    assert doc.weights[doc.selected_layer]["weight"].shape == (3, 3, 3)  # kernels do not fit
    assert redraw_notes(seen) == []
