"""The GUI trainer refuses a run over engine.budget's interactive budget, with one message."""

from __future__ import annotations

import numpy as np

from engine.budget import MAX_PASS_MACS
from engine.spec import LayerSpec, NetworkSpec
from gui.state.document import Document
from gui.training.trainer_panel import TrainerPanel
from gui.training.trainer_setup import LAB


def _wide(channels: int) -> NetworkSpec:
    conv = {"out_channels": channels, "kernel_size": 3, "padding": 1}
    return NetworkSpec(
        (
            LayerSpec("conv1", "conv", conv),
            LayerSpec("conv2", "conv", conv),
            LayerSpec("flat", "flatten", {}),
            LayerSpec("fc", "linear", {"out_features": 10}),
        ),
        (1, 40),
    )


def test_a_run_over_the_budget_is_refused_before_it_starts(qtbot):
    # Two 4096-channel convolutions: every array is within its limit, the step is not.
    document = Document(np.zeros((1, 40), np.float32), _wide(4096))
    panel = TrainerPanel(document)
    qtbot.addWidget(panel)
    panel.form.network.setCurrentIndex(panel.form.network.findData(LAB))
    panel.form.batch_size.setValue(50)
    panel.start()
    text = panel.form.error_label.text()
    assert "multiply-adds" in text and "training step" in text, text
    assert f"{MAX_PASS_MACS:.0e}" in text
    assert not panel.worker.running
    assert panel.start_button.isEnabled() and not panel.stop_button.isEnabled()
    panel.shutdown()


def test_a_run_within_the_budget_is_not_refused(qtbot):
    document = Document(np.zeros((1, 40), np.float32), _wide(8))
    panel = TrainerPanel(document)
    qtbot.addWidget(panel)
    panel.form.network.setCurrentIndex(panel.form.network.findData(LAB))
    panel.form.steps.setValue(2)
    with qtbot.waitSignal(panel.worker.finished, timeout=120_000):
        panel.start()
    assert panel.form.error_label.text() == ""
    panel.shutdown()
