"""The Training tab's task choice: segmentation and detection train from the GUI and their
curves show the engine's mean IoU / mAP@0.5, kept in the document's training history."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data.shapes import make_shapes
from engine.presets import get_preset
from gui.state.document import Document
from gui.state.training_history import TrainingRun
from gui.training.trainer_panel import TrainerPanel
from gui.training.trainer_setup import MULTI_SHAPES

WAIT = 120_000  # ms: generous, the machine is shared; nothing here sleeps


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(n_train=64, n_test=32, size=32, seed=2, max_objects=3)


@pytest.fixture
def panel(qtbot, shapes):
    document = Document(np.array(shapes.x_test[0]), get_preset("shapes-segmenter"))
    panel = TrainerPanel(document)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.jobs.idle, timeout=WAIT)
    panel._datasets[MULTI_SHAPES] = shapes  # a small set instead of the 4,000 images
    yield panel
    panel.shutdown()


@pytest.mark.parametrize(
    "task, preset, key, name",
    [
        ("segmentation", "shapes-segmenter", "mean_iou", "mean IoU"),
        ("detection", "shapes-detector", "map50", "mAP@0.5"),
    ],
)
def test_a_task_trains_from_the_gui_and_its_score_is_drawn(qtbot, panel, task, preset, key, name):
    form = panel.form
    form.task_chosen(task)
    assert form.networks() == [preset] and form.data_source == MULTI_SHAPES
    assert form.optimizer.currentData() == "adam" and form.config().task == task
    form.steps.setValue(4)
    form.eval_every.setValue(2)
    form.batch_size.setValue(16)
    with qtbot.waitSignal(panel.worker.finished, timeout=WAIT) as finished:
        panel.start_button.click()
    [result] = finished.args[0]
    assert result.task == task and key in result.metrics
    trainer = panel.worker.trainer
    curves = panel.curves
    qtbot.waitUntil(lambda: curves.score_name == name, timeout=WAIT)
    curves.flush()
    assert curves.accuracy_plot.getAxis("left").labelText == name
    line = curves._lines[0]["test_accuracy"]
    _, ys = line.getData()
    np.testing.assert_allclose(ys, [r[f"test_{key}"] for r in trainer.curves])
    assert f"{name.split('@')[0]}" in curves.summary.text()
    # the history keeps the scores and a saved run reads back with them
    run = panel.document.training.latest
    assert [pair[1] for pair in run.scores[0]] == [r[f"test_{key}"] for r in trainer.curves]
    assert TrainingRun.from_json(run.to_json()) == run


def test_back_to_classification_restores_the_book_set_up(panel):
    form = panel.form
    form.task_chosen("detection")
    form.task_chosen("classification")
    assert form.networks() == ["udl-mnist1d-cnn"] and form.data_source == "mnist1d"
    assert form.config().task == "classification"
