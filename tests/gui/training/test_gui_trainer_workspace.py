"""A workspace keeps what training made: the weights put into the lab and the run's curves
(recorded into the document's training history when the run ends)."""

from __future__ import annotations

import numpy as np
import pytest

from gui.app import launch

WAIT = 120_000


@pytest.fixture
def open_window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CONVSCOPE_RECOVERY_DIR", str(tmp_path / "recovery"))
    made = []

    def make(target: str | None):
        window = launch.create_window(launch.resolve_input(target), remember=False)
        qtbot.addWidget(window)
        window.workspace_actions.ask_on_close = False
        made.append(window)
        panel = window.trainer_panel
        qtbot.waitUntil(lambda: "mnist1d" in panel._datasets and panel.jobs.idle, timeout=WAIT)
        return window

    yield make
    for window in made:
        window.close()
        window.trainer_panel.shutdown()


def test_curves_and_used_weights_survive_save_and_open(qtbot, open_window, tmp_path):
    window = open_window("sine")
    panel = window.trainer_panel
    form = panel.form
    form.batch_size.setValue(50)
    form.eval_every.setValue(20)
    form.checkpoint_every.setValue(20)
    form.steps.setValue(40)
    with qtbot.waitSignal(panel.worker.finished, timeout=WAIT):
        panel.start_button.click()
    trainer = panel.worker.trainer
    run = window.document.training.latest
    assert len(window.document.training.runs) == 1
    assert [[r._asdict() for r in run.records[0]]] == [trainer.curves]
    assert run.total_steps == 40 and run.labels == ("udl-mnist1d-cnn",)
    settings = dict(run.settings)
    assert settings["data"] == "mnist1d" and settings["batch size"] == "50"
    assert panel.curves.records(0) == trainer.curves
    assert panel.curves.summary.text() == run.summary and "2,050 parameters" in run.summary
    panel.use_button.click()  # the shown checkpoint (the last) into the lab
    trained = trainer.checkpoints[40]
    np.testing.assert_array_equal(
        window.document.weights["conv1"]["weight"], trained["conv1"]["weight"]
    )
    path = tmp_path / "trained.convscope"
    assert window.workspace_actions.save_to(path, wait=True)

    again = open_window(str(path))
    assert again.document.training == window.document.training
    curves = again.trainer_panel.curves
    qtbot.waitUntil(lambda: curves.records(0) == trainer.curves, timeout=WAIT)
    assert "2,050 parameters" in curves.summary.text()
    line = curves._lines[0]["test_accuracy"]
    np.testing.assert_allclose(line.getData()[1], [r["test_accuracy"] for r in trainer.curves])
    for layer, arrays in trained.items():
        for key, value in arrays.items():
            np.testing.assert_array_equal(again.document.weights[layer][key], value)
