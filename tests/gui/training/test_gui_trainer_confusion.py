"""The Training tab's confusion matrix (drawn values = the engine's) and "Classify" on a
segmenter or detector (the outcome read as the task reads the output)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data import load_dataset
from engine.data.shapes import make_shapes
from engine.metrics import normalise_rows
from engine.presets import get_preset
from engine.training import predict_for_task
from gui.state.document import Document
from gui.training.trainer_confusion import ConfusionView
from gui.training.trainer_panel import TrainerPanel
from gui.training.trainer_setup import MULTI_SHAPES

WAIT = 120_000  # ms: the machine is shared; nothing here sleeps


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(n_train=64, n_test=24, size=32, seed=2, max_objects=3)


@pytest.fixture
def panel(qtbot, shapes):
    document = Document(np.array(shapes.x_test[0]), get_preset("shapes-segmenter"))
    panel = TrainerPanel(document)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.jobs.idle, timeout=WAIT)
    panel._datasets[MULTI_SHAPES] = shapes
    yield panel
    panel.shutdown()


def _train(qtbot, panel, task, steps=4):
    form = panel.form
    form.task_chosen(task)
    form.steps.setValue(steps)
    form.eval_every.setValue(steps)
    form.batch_size.setValue(16)
    with qtbot.waitSignal(panel.worker.finished, timeout=WAIT) as finished:
        panel.start_button.click()
    return finished.args[0]


def test_segmentation_run_draws_the_engines_confusion_matrix(qtbot, panel):
    [result] = _train(qtbot, panel, "segmentation")
    view = panel.confusion_view
    qtbot.waitUntil(lambda: view.counts is not None, timeout=WAIT)
    want = np.asarray(result.metrics["confusion"])  # the engine's, from the run's final scores
    np.testing.assert_array_equal(view.counts, want)
    np.testing.assert_array_equal(view.shown, want)
    assert view.names == ["background", "circle", "square", "triangle", "cross"]
    assert view.cell_texts[0][0] == f"{int(want[0, 0]):,}"
    assert int(want.sum()) == 24 * 32 * 32  # every test pixel counted once
    view.normalised.setChecked(True)
    np.testing.assert_allclose(view.shown, normalise_rows(want))
    assert view.cell_texts[1][1] == f"{normalise_rows(want)[1, 1]:.2f}"
    # the heat map's levels are the row shares
    np.testing.assert_array_equal(view.item.image, np.round(normalise_rows(want) * 254))
    assert "test pixels" in view.label.text()


def test_classify_on_a_segmenter_summarises_its_per_pixel_classes(qtbot, panel, shapes):
    _train(qtbot, panel, "segmentation")
    assert panel.classify_button.text() == "Label lab input's pixels"
    weights = panel.shown_weights()
    with qtbot.waitSignal(
        panel.jobs.done, timeout=WAIT, check_params_cb=lambda t, r: t == "classify"
    ):
        panel.classify_button.click()
    spec = get_preset("shapes-segmenter").with_input_shape(shapes.input_shape)
    want = predict_for_task(spec, weights, panel.document.input, "segmentation", shapes.class_names)
    np.testing.assert_allclose(panel.probabilities, want["values"])
    assert panel.probabilities.sum() == pytest.approx(1.0)
    text = panel.classify_view.label.text()
    assert text == want["text"] and "per-pixel classes" in text
    assert panel.classify_view.plot.getAxis("left").labelText == "share of pixels"


def test_detection_has_no_matrix_and_classify_counts_its_boxes(qtbot, panel, shapes):
    _train(qtbot, panel, "detection")
    assert panel.confusion_view.counts is None
    assert "per-class AP" in panel.confusion_view.label.text()
    assert panel.classify_button.text() == "Detect in lab input"
    with qtbot.waitSignal(
        panel.jobs.done, timeout=WAIT, check_params_cb=lambda t, r: t == "classify"
    ):
        panel.classify_button.click()
    text = panel.classify_view.label.text()
    assert "found" in text


def test_classification_confusion_counts_samples(qtbot):
    mnist = load_dataset("mnist1d")
    document = Document(np.array(mnist.x_test[0]), get_preset("udl-mnist1d-cnn"))
    panel = TrainerPanel(document)
    qtbot.addWidget(panel)
    try:
        qtbot.waitUntil(lambda: "mnist1d" in panel._datasets, timeout=WAIT)
        panel.form.steps.setValue(5)
        panel.form.batch_size.setValue(50)
        with qtbot.waitSignal(panel.worker.finished, timeout=WAIT):
            panel.start_button.click()
        view = panel.confusion_view
        qtbot.waitUntil(lambda: view.counts is not None, timeout=WAIT)
        counts = view.counts
        assert counts.shape == (10, 10) and int(counts.sum()) == len(mnist.x_test)
        np.testing.assert_array_equal(counts.sum(1), np.bincount(mnist.y_test, minlength=10))
        matrix, _ = panel.worker.trainer.test_confusion(0)
        np.testing.assert_array_equal(counts, matrix)
        right = panel.worker.trainer.results()[0].test_accuracy
        assert np.trace(counts) / counts.sum() == pytest.approx(right)
    finally:
        panel.shutdown()


def test_the_view_says_why_there_is_no_matrix(qtbot):
    view = ConfusionView()
    qtbot.addWidget(view)
    view.show_matrix(np.array([[3, 1], [0, 0]]), ["a", "b"], "samples")
    np.testing.assert_array_equal(view.shown, [[3, 1], [0, 0]])
    view.normalised.setChecked(True)
    np.testing.assert_allclose(view.shown, [[0.75, 0.25], [0, 0]])  # an empty row stays 0
    names = ["background", "circle", "square", "triangle", "cross"]
    view.show_matrix(np.eye(5, dtype=int), names, "pixels")
    view.resize(260, 300)
    view.show()
    qtbot.waitUntil(lambda: view.short_ticks)  # too narrow for the names: numbers below
    ticks = view.plot.getAxis("bottom")._tickLevels[0]
    assert [t for _, t in ticks] == ["0", "1", "2", "3", "4"]
    assert [t for _, t in view.plot.getAxis("left")._tickLevels[0]][0] == "background (0)"
    view.resize(1400, 700)
    qtbot.waitUntil(lambda: not view.short_ticks)
    assert [t for _, t in view.plot.getAxis("bottom")._tickLevels[0]] == names
    view.show_message("none")
    assert view.counts is None and view.label.text() == "none"
