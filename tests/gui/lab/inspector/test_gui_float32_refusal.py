"""Values a float32 weight cannot hold (1e39, -1e308, inf, NaN) are refused where they are
typed, with a message, the weights unchanged; the 1D bars draw inf/NaN without raising."""

from __future__ import annotations

import numpy as np
import pytest

from engine.spec import LayerSpec, NetworkSpec
from gui.lab.inspector.kernel_editor import KernelEditor
from gui.lab.inspector.kernel_model import weight_refusal
from gui.lab.inspector.param_form import ParamForm
from gui.state.document import Document

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

TOO_LARGE = ("1e39", "-1e39", "1e308", "-1e308", "3.5e38", "inf", "-inf", "nan")


def _doc(shape=(2, 16, 16)) -> Document:
    spec = NetworkSpec(
        [
            LayerSpec("conv1", "conv", {"out_channels": 3, "kernel_size": 3, "padding": 1}),
            LayerSpec("relu1", "activation", {"function": "leaky_relu"}),
        ],
        shape,
    )
    rng = np.random.default_rng(3)
    doc = Document(rng.standard_normal(shape).astype(np.float32), spec)
    doc.select_layer("conv1")
    return doc


@pytest.fixture
def doc(qtbot):
    return _doc()


@pytest.fixture
def editor(qtbot, doc):
    widget = KernelEditor(doc)
    qtbot.addWidget(widget)
    return widget


def _messages(doc):
    seen: list[tuple[str, str]] = []
    doc.message.connect(lambda level, text: seen.append((level, text)))
    return seen


def test_the_largest_float32_is_a_weight_and_beyond_it_is_not():
    assert weight_refusal("3.4e38") is None and weight_refusal("−0,5") is None
    for text in TOO_LARGE:
        assert weight_refusal(text) is not None, text
    assert "float32" in weight_refusal("1e39") and "not a number" in weight_refusal("abc")


@pytest.mark.parametrize("text", TOO_LARGE)
def test_a_cell_refuses_a_value_beyond_float32_and_keeps_the_weight(qtbot, doc, editor, text):
    weights, seen = doc.weights, _messages(doc)
    assert not editor.model.setData(editor.model.index(0, 0), text)
    assert doc.weights is weights and np.isfinite(doc.weights["conv1"]["weight"]).all()
    assert doc.undo_stack.count() == 0
    assert len(seen) == 1 and seen[0][0] == "error" and text in seen[0][1]
    assert "stays as it was" in seen[0][1]


def test_a_python_float_beyond_float32_is_refused_by_the_cell_too(qtbot, doc, editor):
    weights = doc.weights
    assert not editor.model.setData(editor.model.index(0, 0), 1e39)
    assert doc.weights is weights


def test_the_bias_field_refuses_a_value_beyond_float32(qtbot, doc, editor):
    bias, seen = doc.weights["conv1"]["bias"], _messages(doc)
    editor.bias_edit.setText("1e39")
    editor.bias_edit.returnPressed.emit()
    assert doc.weights["conv1"]["bias"] is bias and doc.undo_stack.count() == 0
    assert seen and "float32" in seen[-1][1]
    assert editor.bias_edit.text() == f"{float(bias[0]):.6g}"


def test_the_document_refuses_weights_that_overflow_float32(qtbot, doc):
    weights, seen = doc.weights, _messages(doc)
    assert not doc.set_kernel_value("conv1", (0, 0, 0, 0), 1e39)
    big = np.array(doc.weights["conv1"]["weight"], dtype=np.float64)
    big[1, 1, 1, 1] = -1e300  # finite as float64, -inf as float32
    assert not doc.set_weights("conv1", "weight", big)
    assert doc.weights is weights and len(seen) == 2
    assert all(level == "error" and "float32" in text for level, text in seen)
    assert doc.set_kernel_value("conv1", (0, 0, 0, 0), 3.0e38)  # the float32 range is fine


def test_the_document_refuses_an_input_that_overflows_float32(qtbot, doc):
    x, seen = doc.input, _messages(doc)
    huge = np.full(x.shape, 1e308)  # float64, finite; as float32 every value is inf
    assert not doc.set_input(huge)
    assert doc.input is x and seen and "too large" in seen[-1][1]


@pytest.mark.parametrize("text", ["1e39", "-1e308", "inf", "nan"])
def test_a_parameter_field_refuses_a_pasted_value_beyond_its_range(qtbot, doc, text):
    form = ParamForm(doc)
    qtbot.addWidget(form)
    doc.select_layer("relu1")
    spin = form.editors["negative_slope"]
    before, spec, seen = spin.value(), doc.spec, _messages(doc)
    spin.selectAll()
    spin.lineEdit().insert(text)  # a paste: the whole text at once goes to the validator
    assert doc.spec is spec and spin.value() == before
    assert seen and "was not accepted" in seen[-1][1] and text in seen[-1][1]


@pytest.mark.parametrize(
    "values",
    [[np.inf, -np.inf, 0.5], [np.nan, 1.0, -2.0], [np.inf] * 3, [3.0e38, -3.0e38, 1.0]],
)
def test_the_1d_bars_draw_inf_and_nan_without_raising(qtbot, values):
    doc = _doc((1, 24))
    editor = KernelEditor(doc)
    qtbot.addWidget(editor)
    editor.show()
    editor._show_bars(np.array(values, np.float32))  # "Cannot set range [-inf, inf]" before
    low, high = editor.bars_plot.viewRange()[1]
    assert np.isfinite(low) and np.isfinite(high) and low < 0 < high
