"""The Training tab's regularisation comparison: one click trains the same network without
and with dropout and augmentation, one run after another on the worker; the curves show
every run and the summary each run's gap (train − test accuracy, from engine.regularise)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data.shapes import make_shapes
from engine.regularise import gap, variants
from engine.spec import LayerSpec, NetworkSpec
from gui.state.document import Document
from gui.training.trainer_panel import TrainerPanel
from gui.training.trainer_setup import LAB

WAIT = 120_000  # ms: the machine is shared; nothing here sleeps


def _classifier():
    layers = (
        LayerSpec("conv1", "conv", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        LayerSpec("relu1", "activation", {}),
        LayerSpec("pool1", "max_pool", {"kernel_size": 4}),
        LayerSpec("flat", "flatten", {}),
        LayerSpec("fc1", "linear", {"out_features": 16}),
        LayerSpec("relu2", "activation", {}),
        LayerSpec("fc2", "linear", {"out_features": 4}),
    )
    return NetworkSpec(layers, (1, 32, 32), "shapes-cnn")


@pytest.fixture
def panel(qtbot):
    data = make_shapes(n_train=48, n_test=24, seed=4)
    document = Document(np.array(data.x_test[0]), _classifier())
    panel = TrainerPanel(document)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.jobs.idle, timeout=WAIT)
    panel._datasets["shapes"] = data
    form = panel.form
    form._set_data("shapes")
    form.network.setCurrentIndex(form.network.findData(LAB))
    form.steps.setValue(6)
    form.eval_every.setValue(3)
    form.batch_size.setValue(16)
    yield panel
    panel.shutdown()


def test_one_click_trains_four_runs_and_shows_their_gaps(qtbot, panel):
    runs = variants(panel.document.spec, (1, 32, 32))
    with qtbot.waitSignal(panel.document.trainingChanged, timeout=WAIT):
        panel.regularise_button.click()
        assert not panel.regularise_button.isEnabled() and panel.stop_button.isEnabled()
    results = panel.results
    assert [r.network for r in results] == [v.label for v in runs]
    assert panel.regularisation_gaps == [gap(r) for r in results]
    # the curves hold every run's records, side by side
    for i, r in enumerate(results):
        assert panel.curves.records(i) == r.curves
    run = panel.document.training.latest
    assert run.labels == tuple(v.label for v in runs)
    assert dict(run.settings)["comparison"] == "regularisation"
    summary = panel.curves.summary.text()
    assert summary.startswith("shapes-cnn, train / test accuracy")
    for r, g in zip(results, panel.regularisation_gaps, strict=True):
        assert f"gap {g * 100:.1f} points" in summary
        assert r.network in summary
    assert panel.regularise_button.isEnabled() and panel.start_button.isEnabled()
    # the dropout runs' networks have dropout; the plain one has none
    assert [any(layer.type == "dropout" for layer in s.layers) for s in panel._specs] == [
        False,
        True,
        False,
        True,
    ]


def test_stop_ends_the_comparison_after_the_current_run(qtbot, panel):
    panel.form.steps.setValue(10_000_000)
    worker = panel.worker
    with qtbot.waitSignal(worker.progress, timeout=WAIT, check_params_cb=lambda p: p.step > 0):
        panel.regularise_button.click()
    with qtbot.waitSignal(panel.document.trainingChanged, timeout=WAIT):
        panel.stop_button.click()
    assert len(panel.results) == 1 and panel.results[0].stopped
    assert "stopped" in panel.status.text() and panel._sweep is None
    assert panel.start_button.isEnabled()


def test_a_task_other_than_classification_is_refused_with_a_message(qtbot, panel):
    panel.form.task_chosen("segmentation")
    panel.regularise_button.click()
    assert "for classification" in panel.form.error_label.text()
    assert not panel.worker.running
