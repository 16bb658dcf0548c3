"""One click on shapes from the default state: the form's network (the book's 1D CNN) does
not fit the shapes, so the comparison trains the shapes-cnn preset and says so; the four
runs really differ in dropout and augmentation, and each run's gap is shown."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data.shapes import make_shapes
from engine.presets import get_preset
from engine.regularise import gap
from gui.state.document import Document
from gui.training.trainer_panel import TrainerPanel

WAIT = 120_000  # ms: the machine is shared; nothing here sleeps


@pytest.fixture
def panel(qtbot):
    data = make_shapes(n_train=48, n_test=24, seed=5)
    document = Document(np.array(data.x_test[0]), get_preset("lab-2d"))
    panel = TrainerPanel(document)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.jobs.idle, timeout=WAIT)
    panel._datasets["shapes"] = data
    panel.form.data.setCurrentIndex(panel.form.data.findData("shapes"))
    panel.form._set_data("shapes")
    panel.form.steps.setValue(4)
    panel.form.eval_every.setValue(2)
    panel.form.batch_size.setValue(16)
    yield panel
    panel.shutdown()


def test_one_click_on_shapes_trains_shapes_cnn_with_and_without_regularisers(qtbot, panel):
    assert panel.form.networks() == ["udl-mnist1d-cnn"]  # the default: a 1D network
    seen = []  # per run: its network's dropout layers and its augmentation
    panel.worker.started.connect(
        lambda t: seen.append(
            (
                [
                    layer.params.get("p")
                    for layer in t.members[0].spec.layers
                    if layer.type == "dropout"
                ],
                t.config.augmentation,
                t.members[0].parameters,
            )
        )
    )
    with qtbot.waitSignal(panel.document.trainingChanged, timeout=WAIT):
        panel.regularise_button.click()
        assert "shapes-cnn" in panel.curves.summary.text()  # said at once, before training
    assert not panel.form.error_label.text()
    assert [d for d, _, _ in seen] == [[], [0.5, 0.5], [], [0.5, 0.5]]
    augs = [a for _, a, _ in seen]
    assert augs[0] is None and augs[1] is None
    assert augs[2] is not None and augs[2] == augs[3] and augs[2].flip and augs[2].translate
    assert len({n for _, _, n in seen}) == 1  # the same network: dropout has no weights
    summary = panel.curves.summary.text()
    assert summary.startswith("shapes-cnn, train / test accuracy")
    assert "'udl-mnist1d-cnn' is made for signals" in summary
    assert "so the comparison trains shapes-cnn" in summary
    assert len(panel.results) == 4
    for r in panel.results:
        assert f"gap {gap(r) * 100:.1f} points" in summary
