"""The inspector: live parameter edits with undo, refusals, the engine's figures and errors,
and the formula of a probed value."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from engine.spec import LayerSpec, NetworkSpec
from gui.compute.scheduler import ComputeScheduler
from gui.lab.inspector.inspector import Inspector, count_text
from gui.state.document import Document, Probe
from gui.widgets.stable_text import StableText
from tests.gui.widgets.test_gui_stable_text import LayoutRequests

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def _spec():
    return NetworkSpec(
        [
            LayerSpec("conv1", "conv", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
            LayerSpec("relu1", "activation", {"function": "relu"}),
            LayerSpec("pool1", "max_pool", {"kernel_size": 2}),
            LayerSpec("conv2", "conv", {"out_channels": 2, "kernel_size": 3}),
        ],
        (1, 64),
    )


@pytest.fixture
def doc(qtbot):
    rng = np.random.default_rng(0)
    document = Document(rng.standard_normal((1, 64)).astype(np.float32), _spec())
    document.select_layer("conv1")
    return document


@pytest.fixture
def scheduler(qtbot, doc):
    sched = ComputeScheduler(doc)
    yield sched
    sched.shutdown()


@pytest.fixture
def inspector(qtbot, doc, scheduler):
    widget = Inspector(doc, scheduler)
    qtbot.addWidget(widget)
    return widget


def _settled(qtbot, scheduler):
    qtbot.waitUntil(
        lambda: (
            scheduler.latest is not None and scheduler.latest.generation == scheduler.generation
        ),
        timeout=10000,
    )


def test_a_parameter_change_applies_live_and_undo_restores_it(qtbot, doc, inspector):
    spin = inspector.param_form.editors["kernel_size"][0]
    assert spin.value() == 3
    spin.setValue(5)
    assert doc.spec.layer("conv1").param("kernel_size") == 5
    assert doc.weights["conv1"]["weight"].shape == (4, 1, 5)
    info = doc.analysis.layer("conv1")
    assert inspector.figures["output"].text() == "(4, 62)"
    assert inspector.figures["parameters"].text() == count_text(info.parameters) == "24"
    doc.undo_stack.undo()
    assert doc.spec.layer("conv1").param("kernel_size") == 3
    assert spin.value() == 3 and inspector.figures["output"].text() == "(4, 64)"


def test_a_spin_drag_is_one_undo_step(qtbot, doc, inspector):
    steps = doc.undo_stack.count()
    spin = inspector.param_form.editors["out_channels"]
    for v in (5, 6, 7, 8):
        spin.setValue(v)
    assert doc.spec.layer("conv1").param("out_channels") == 8
    assert doc.undo_stack.count() == steps + 1
    doc.undo_stack.undo()
    assert doc.spec.layer("conv1").param("out_channels") == 4


def test_text_that_is_not_a_number_is_refused_with_a_message(qtbot, doc, inspector):
    spec = doc.spec
    spin = inspector.param_form.editors["stride"][0]
    spin.selectAll()
    with qtbot.waitSignal(doc.message, timeout=1000) as blocker:
        QTest.keyClicks(spin, "x")
    assert "stride" in blocker.args[1] and "'x'" in blocker.args[1]
    assert doc.spec is spec and spin.value() == 1


def test_an_impossible_combination_is_applied_and_shown_as_the_engine_error(qtbot, doc, inspector):
    inspector.param_form.editors["kernel_size"][0].setValue(99)
    assert doc.spec.layer("conv1").param("kernel_size") == 99  # not clamped
    error = doc.analysis.layer("conv1").error
    assert error is not None
    assert not inspector.error_label.isHidden() and inspector.error_label.text() == str(error)
    assert inspector.figures["output"].text() == "—"


def test_padding_same_and_choices_and_checkboxes(qtbot, doc, inspector):
    mode, spins = inspector.param_form.editors["padding"]
    mode.setCurrentText("same")
    assert doc.spec.layer("conv1").param("padding") == "same" and not spins[0].isEnabled()
    mode.setCurrentText("P =")
    spins[0].setValue(2)
    assert doc.spec.layer("conv1").param("padding") == 2
    inspector.param_form.editors["padding_mode"].setCurrentText("circular")
    assert doc.spec.layer("conv1").param("padding_mode") == "circular"
    inspector.param_form.editors["bias"].setChecked(False)
    assert doc.spec.layer("conv1").param("bias") is False and "bias" not in doc.weights["conv1"]


def test_the_form_follows_the_selected_layer(qtbot, doc, inspector):
    doc.select_layer("pool1")
    editors = inspector.param_form.editors
    assert set(editors) == {"kernel_size", "stride", "padding"}
    assert editors["stride"][0].text() == "auto"  # optional stride left at its default
    editors["stride"][0].setValue(1)
    assert doc.spec.layer("pool1").param("stride") == 1
    assert inspector.kernel_box.isHidden()
    doc.select_layer("conv2")
    assert not inspector.kernel_box.isHidden()
    info = doc.analysis.layer("conv2")
    assert inspector.figures["receptive_field"].text().startswith(str(info.receptive_field[0]))
    assert inspector.figures["fc"].text() == count_text(info.fc_parameters)


def test_the_formula_explains_the_probed_value_from_the_trace(qtbot, doc, scheduler, inspector):
    _settled(qtbot, scheduler)
    doc.set_probe(Probe("conv2", 1, (7,)))
    view = inspector.formula_view
    exp = view.explanation
    assert exp is not None
    value = float(scheduler.latest.trace.outputs["conv2"][1, 7])
    assert exp.result == value and exp.pre_activation == pytest.approx(value, abs=1e-5)
    assert len(exp.terms) == 4 * 3  # 4 input channels x K = 3
    assert view.arithmetic.text() == exp.format()
    # after an edit the formula waits for the new trace, then shows the new value
    doc.set_kernel_value("conv2", (1, 0, 0), 3.0)
    _settled(qtbot, scheduler)
    value = float(scheduler.latest.trace.outputs["conv2"][1, 7])
    assert view.explanation.result == value
    assert any(t.weight == 3.0 for t in view.explanation.terms)


def test_a_probe_on_an_activation_wraps_the_conv_below(qtbot, doc, scheduler, inspector):
    _settled(qtbot, scheduler)
    doc.set_probe(Probe("relu1", 2, (10,)))
    exp = inspector.formula_view.explanation
    assert exp.layer == "conv1" and exp.activation == "relu"
    assert exp.result == float(scheduler.latest.trace.outputs["relu1"][2, 10])
    assert inspector.formula_view.arithmetic.text().startswith("h[2, 10] = ReLU[")


def test_the_general_formula_has_the_numbers(qtbot, doc, inspector):
    text = inspector.formula_view.general.text()
    assert "floor((64 + 2·1 − 1·(3−1) − 1)/1) + 1 = 64" in text


def _flush_layouts() -> None:
    """Deliver every posted event (layout requests among them) until none is left."""
    for _ in range(10):
        QApplication.sendPostedEvents()
        QApplication.processEvents()


def test_a_kernel_edit_lays_the_panel_out_again_only_when_the_formula_needs_room(
    qtbot, doc, scheduler, inspector
):
    inspector.resize(420, 900)
    inspector.show()
    _settled(qtbot, scheduler)
    doc.set_probe(Probe("conv2", 1, (7,)))
    qtbot.waitUntil(lambda: inspector.formula_view.explanation is not None, timeout=10_000)
    _flush_layouts()  # the probe's own layout settles first
    # A StableText takes its own label's requests (it has no layout to redo).
    counter = LayoutRequests(ignore=StableText)
    for widget in (inspector, *inspector.findChildren(QWidget)):
        widget.installEventFilter(counter)
    before = inspector.formula_view.arithmetic.text()
    for i in range(3):
        doc.set_kernel_value("conv2", (1, 0, 0), 0.5 + i)
        _settled(qtbot, scheduler)
        qtbot.waitUntil(lambda: inspector.formula_view.explanation is not None, timeout=10_000)
    QApplication.processEvents()
    after = inspector.formula_view.arithmetic.text()
    assert after != before and after.count("\n") == before.count("\n")  # new numbers, same lines
    # (Each edit used to flip the arithmetic to "computing…" and back, and every new text
    # re-laid out the whole panel: 2-4 layout requests per edit up the widget tree.)
    assert counter.count == 0


def test_the_formula_text_grows_with_the_presentation_fonts(qtbot, inspector):
    from gui.app.theme import set_presentation_fonts

    view = inspector.formula_view
    label = view.arithmetic.label
    before = label.font().pointSizeF()
    set_presentation_fonts(True, inspector)
    try:
        # (its fixed-width font was set once, so it stayed small on the projector)
        qtbot.waitUntil(lambda: label.font().pointSizeF() > before, timeout=5_000)
        assert label.font().pointSizeF() == view.font().pointSizeF()
        assert view.general.font().pointSizeF() == view.font().pointSizeF()
        assert label.font().family() == view.general.font().family()  # still fixed-width
    finally:
        set_presentation_fonts(False, inspector)
    qtbot.waitUntil(lambda: label.font().pointSizeF() == before, timeout=5_000)
