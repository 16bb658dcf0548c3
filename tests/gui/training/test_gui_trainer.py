"""The trainer panel: start, pause, resume, stop from the GUI; replay; messages; use in lab."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data import load_dataset
from engine.presets import get_preset
from engine.training import predict
from gui.state.document import Document
from gui.training.trainer_panel import TrainerPanel

WAIT = 120_000  # ms: generous, the machine is shared; nothing here sleeps


@pytest.fixture(scope="module")
def mnist1d():
    return load_dataset("mnist1d")


@pytest.fixture
def panel(qtbot, mnist1d):
    document = Document(np.array(mnist1d.x_test[0]), get_preset("udl-mnist1d-cnn"))
    panel = TrainerPanel(document)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: "mnist1d" in panel._datasets, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.jobs.idle, timeout=WAIT)  # the torch warm-up is done
    form = panel.form
    form.batch_size.setValue(50)
    form.eval_every.setValue(20)
    form.checkpoint_every.setValue(20)
    yield panel
    panel.shutdown()


def is_tag(tag: str):
    return lambda done_tag, result: done_tag == tag


def train(qtbot, panel, steps: int) -> list:
    panel.form.steps.setValue(steps)
    with qtbot.waitSignal(panel.worker.finished, timeout=WAIT) as finished:
        panel.start_button.click()
    return finished.args[0]


def test_pause_resume_and_stop_from_the_gui(qtbot, panel):
    worker = panel.worker
    panel.form.steps.setValue(10_000_000)
    with qtbot.waitSignal(worker.progress, timeout=WAIT, check_params_cb=lambda p: p.step > 0):
        panel.start_button.click()
    assert not panel.start_button.isEnabled() and panel.stop_button.isEnabled()

    with qtbot.waitSignal(worker.paused, timeout=WAIT) as paused:
        panel.pause_button.click()
    step = paused.args[0]
    assert worker.is_paused and panel.pause_button.text() == "Resume"
    assert worker.trainer.step_count == step
    # Real work through the event loop (a maps job round trip) while paused: no steps.
    for _ in range(3):
        with qtbot.waitSignal(panel.jobs.done, timeout=WAIT, check_params_cb=is_tag("checkpoint")):
            panel._refresh_maps()
    assert worker.trainer.step_count == step
    assert "Paused at step" in panel.status.text()

    with qtbot.waitSignal(worker.resumed, timeout=WAIT):
        panel.pause_button.click()
    qtbot.waitUntil(lambda: worker.trainer.step_count > step, timeout=WAIT)
    assert panel.pause_button.text() == "Pause"

    with qtbot.waitSignal(worker.finished, timeout=WAIT) as finished:
        panel.stop_button.click()
    [result] = finished.args[0]
    assert result.stopped and step < result.steps < 10_000_000
    assert panel.start_button.isEnabled() and not panel.stop_button.isEnabled()
    assert "stopped at step" in panel.status.text()


def test_stop_while_paused_finishes(qtbot, panel):
    panel.form.steps.setValue(10_000_000)
    with qtbot.waitSignal(panel.worker.progress, timeout=WAIT):
        panel.start_button.click()
    with qtbot.waitSignal(panel.worker.paused, timeout=WAIT):
        panel.pause_button.click()
    with qtbot.waitSignal(panel.worker.finished, timeout=WAIT):
        panel.stop_button.click()
    assert not panel.worker.running


def test_replay_shows_the_kernels_saved_at_that_checkpoint(qtbot, panel):
    train(qtbot, panel, 60)
    trainer = panel.worker.trainer
    assert panel.watch.steps == [0, 20, 40, 60] == trainer.checkpoint_steps
    assert panel.watch.shown_step == 60  # followed the run to its end
    for step in (20, 0, 40):
        panel.watch.choose_step(step)
        assert panel.watch.shown_step == step
        np.testing.assert_array_equal(
            panel.watch.kernel_weights, trainer.checkpoints[step]["conv1"]["weight"]
        )
        qtbot.waitUntil(lambda s=step: panel.watch.maps_step == s, timeout=WAIT)
    assert not np.array_equal(
        trainer.checkpoints[0]["conv1"]["weight"], trainer.checkpoints[60]["conv1"]["weight"]
    )
    # the curves show what the trainer recorded
    assert panel.curves.records(0) == trainer.curves


def test_use_in_lab_and_classify(qtbot, panel, mnist1d):
    train(qtbot, panel, 40)
    panel.watch.choose_step(20)
    weights = panel.worker.trainer.checkpoints[20]
    panel.use_button.click()
    doc = panel.document
    np.testing.assert_array_equal(doc.weights["conv1"]["weight"], weights["conv1"]["weight"])
    assert doc.spec.names() == get_preset("udl-mnist1d-cnn").names()

    with qtbot.waitSignal(panel.jobs.done, timeout=WAIT, check_params_cb=is_tag("classify")):
        panel.classify_button.click()
    expected = predict(get_preset("udl-mnist1d-cnn"), weights, doc.input)
    np.testing.assert_allclose(panel.probabilities, expected, rtol=1e-5)
    assert "most likely" in panel.classify_view.label.text()

    # an input of another shape: a clear message, no probabilities
    doc.set_input(np.zeros((1, 64), np.float32))
    panel.classify_button.click()
    assert panel.probabilities is None
    message = panel.classify_view.label.text()
    assert "is (1, 64) but udl-mnist1d-cnn was trained on (1, 40)" in message


def test_compare_mode_trains_both_networks(qtbot, panel):
    panel.form.compare.setChecked(True)
    results = train(qtbot, panel, 20)
    assert [r.parameters for r in results] == [2050, 59065]
    summary = panel.curves.summary.text()
    assert "2,050 parameters" in summary and "59,065 parameters" in summary
    assert "test accuracy" in summary
    assert panel.curves.records(1)[-1]["step"] == 20
    assert panel.member.count() == 2


def test_bad_settings_and_bad_data_are_shown_inline(qtbot, panel, tmp_path):
    form = panel.form
    form.lr.setValue(0.0)
    panel.start_button.click()
    assert "learning rate must be a positive number" in form.error_label.text()
    assert not panel.worker.running
    form.lr.setValue(0.123)

    bad = tmp_path / "broken.csv"
    bad.write_text("a,b\n1,2\n")
    form.ask_path = lambda kind: str(bad)
    form.data.setCurrentIndex(3)
    form._data_activated(3)
    qtbot.waitUntil(lambda: "broken.csv" in form.error_label.text(), timeout=WAIT)
    assert "no column named 'label'" in form.error_label.text()
    assert form.data_source == "mnist1d" and form.data.currentData() == "mnist1d"
    assert form.lr.value() == pytest.approx(0.123)  # nothing lost

    # a network that does not fit the data: the worker's message, inline
    form.network.setCurrentIndex(form.network.findData("lenet"))
    with qtbot.waitSignal(panel.worker.failed, timeout=WAIT):
        panel.start_button.click()
    assert "made for 2D images" in form.error_label.text()
    assert panel.start_button.isEnabled()


def test_augmentation_preview(qtbot, panel):
    form = panel.form
    form.augmentation.setChecked(True)
    form.aug_fields["noise"].setValue(0.5)
    with qtbot.waitSignal(panel.jobs.done, timeout=WAIT, check_params_cb=is_tag("preview")):
        form.preview_button.click()
    image = panel.preview_plot.image
    assert image.shape == (8, 40)  # the sample and 7 noisy versions, one row each
    assert len({bytes(row) for row in image}) == 8


def test_views_are_ready_before_the_trainer_reports(qtbot, panel):
    panel.form.compare.setChecked(True)
    panel.form.steps.setValue(40)
    with qtbot.waitSignal(panel.worker.finished, timeout=WAIT):
        panel.start_button.click()
        # Prepared on the click, before the trainer thread has said anything.
        assert [panel.member.itemText(i) for i in range(panel.member.count())] == [
            "udl-mnist1d-cnn",
            "udl-mnist1d-fc",
        ]
        assert panel.curves.records(0) == [] and len(panel.curves._lines) == 2
        assert 40 <= panel.curves.loss_plot.viewRange()[0][1] < 45
    assert panel.curves.records(1)[-1]["step"] == 40
    assert panel.watch.steps == [0, 20, 40]
