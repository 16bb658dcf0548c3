"""The symmetry lab's Consistency section and sweep axis: computed off the GUI thread, the
newest request wins, clear messages for networks or data that do not fit."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from engine import consistency as C
from engine.network import init_weights
from engine.spec import LayerSpec, NetworkSpec
from gui.state.document import Document
from gui.symmetry.symmetry_panel import SymmetryLab


def gap_classifier(shape=(1, 40)) -> NetworkSpec:
    conv = {"out_channels": 4, "kernel_size": 3, "padding": 1, "padding_mode": "circular"}
    return NetworkSpec(
        (
            LayerSpec("c", "conv", conv),
            LayerSpec("r", "activation", {"function": "relu"}),
            LayerSpec("gap", "global_avg_pool"),
            LayerSpec("fc", "linear", {"out_features": 10}),
        ),
        shape,
    )


def make_lab(qtbot, spec, x):
    document = Document(x, spec, init_weights(spec, seed=1))
    panel = SymmetryLab(document)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    qtbot.waitUntil(
        lambda: panel.last_measure is not None and panel.last_sweep is not None, timeout=30000
    )
    return panel


@pytest.fixture
def lab(qtbot):
    spec = gap_classifier()
    x = np.random.default_rng(0).normal(size=(1, 40)).astype(np.float32)
    panel = make_lab(qtbot, spec, x)
    yield panel
    panel.shutdown()
    panel.close()


def test_compute_plots_consistency_against_the_shift_and_the_number_at_the_shift(lab, qtbot):
    section = lab.consistency
    section.samples.setValue(200)
    section.shifts.setValue(5)
    section.fill.setCurrentText("zeros")
    with qtbot.waitSignal(section.computed, timeout=60000):
        section.compute.click()
    result = lab.last_consistency
    x, y, _ = C.dataset_samples("mnist1d", 200)
    doc = lab.document
    expected = C.consistency(doc.spec, doc.weights, x, 5, fill="zeros", labels=y)
    assert result.consistency == expected.consistency and result.samples == 200
    xs, ys = section.curves["consistency"].getData()
    assert list(xs) == [0, 1, 2, 3, 4, 5] and list(ys) == expected.consistency
    lab.dx.setValue(3)
    assert f"At shift 3: <b>{100 * expected.consistency[3]:.1f} %</b>" in section.status.text()
    assert section.marker.value() == 3


def test_a_wrapped_gap_classifier_is_fully_consistent_in_the_lab(lab, qtbot):
    lab.consistency.samples.setValue(100)
    with qtbot.waitSignal(lab.consistency.computed, timeout=60000):
        lab.request_consistency()
    assert lab.last_consistency.consistency == [1.0] * 9
    assert "<b>100.0 %</b> unchanged" in lab.consistency_status.text()
    assert not lab.axis_holder.isVisibleTo(lab)  # a signal sweeps along x only
    spec = lab.document.spec
    lab.document.set_network(spec, init_weights(spec, seed=9), text="new weights")
    assert "changed since: Compute again" in lab.consistency_status.text()


def test_the_consistency_runs_off_the_gui_thread_and_the_newest_request_wins(
    lab, qtbot, monkeypatch
):
    threads, asked = [], []
    real = C.consistency

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        asked.append(args[3])
        return real(*args, **kwargs)

    monkeypatch.setattr(C, "consistency", spy)
    lab.consistency.samples.setValue(300)
    for n in (2, 3, 4, 6):
        lab.consistency.shifts.setValue(n)
        lab.request_consistency()
    qtbot.waitUntil(lambda: lab.consistency.worker.idle, timeout=60000)
    qtbot.waitUntil(lambda: lab.last_consistency is not None, timeout=60000)
    assert lab.last_consistency.shifts == list(range(7))  # the newest request's answer
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert len(asked) < 4 or asked[-1] == 6  # pending requests were replaced


def test_a_running_request_is_cancelled_by_a_newer_one(lab, qtbot):
    section = lab.consistency
    started = threading.Event()
    real_cancelled = []

    def slow_job(*args):
        cancelled = args[-1]
        started.set()
        real_cancelled.append(cancelled)
        while not cancelled():
            threading.Event().wait(0.005)
        return None

    token = section._asked + 1
    section._asked = token
    section.worker.submit(slow_job, lambda: section._asked != token, tag="consistency", token=token)
    assert started.wait(10)
    section.samples.setValue(50)
    with qtbot.waitSignal(section.computed, timeout=60000):
        section.request()
    assert real_cancelled[0]() is True and section.last.samples == 50


def test_a_network_without_class_scores_gets_a_clear_message(qtbot):
    conv = {"out_channels": 2, "kernel_size": 3, "padding": 1}
    spec = NetworkSpec((LayerSpec("c", "conv", conv),), (1, 40))
    panel = make_lab(qtbot, spec, np.zeros((1, 40), np.float32))
    messages = []
    panel.document.message.connect(lambda level, text: messages.append(text))
    panel.consistency.samples.setValue(20)
    panel.request_consistency()
    qtbot.waitUntil(lambda: "cannot compute" in panel.consistency_status.text(), timeout=60000)
    assert "not in class scores" in panel.consistency_status.text()
    assert any("not in class scores" in m for m in messages)
    panel.shutdown()


def test_data_that_does_not_fit_the_network_gets_a_clear_message(lab, qtbot):
    lab.consistency.data.setCurrentIndex(lab.consistency.data.findData("shapes"))
    lab.request_consistency()
    qtbot.waitUntil(lambda: "cannot compute" in lab.consistency_status.text(), timeout=60000)
    assert "samples are (1, 32, 32) but the network takes (1, 40)" in lab.consistency_status.text()


def test_the_users_data_is_a_choice(lab, qtbot, tmp_path):
    rows = ["label," + ",".join(f"x{i}" for i in range(40))]
    rng = np.random.default_rng(0)
    for i in range(30):
        rows.append(f"{i % 3}," + ",".join(f"{v:.3f}" for v in rng.normal(size=40)))
    path = tmp_path / "signals.csv"
    path.write_text("\n".join(rows) + "\n")
    lab.consistency.set_user_data(str(path))
    assert lab.consistency.data.currentData() == str(path)
    with qtbot.waitSignal(lab.consistency.computed, timeout=60000):
        lab.request_consistency()
    assert lab.last_consistency.consistency == [1.0] * 9  # wrapped GAP classifier


def test_the_sweep_runs_along_the_chosen_axis(qtbot):
    conv = {"out_channels": 2, "kernel_size": 3, "padding": 1, "padding_mode": "circular"}
    spec = NetworkSpec(
        (LayerSpec("c", "conv", conv), LayerSpec("p", "max_pool", {"kernel_size": 2})), (1, 16, 16)
    )
    x = np.random.default_rng(0).normal(size=(1, 16, 16)).astype(np.float32)
    panel = make_lab(qtbot, spec, x)
    assert panel.axis_holder.isVisibleTo(panel)
    for axis, direction in (("y", (1, 0)), ("diagonal", (1, 1))):
        with qtbot.waitSignal(
            panel.swept, timeout=30000, check_params_cb=lambda s, d=direction: s.direction == d
        ):
            panel.sweep_axis.setCurrentText(axis)
    assert (
        "diagonal"
        in panel.sweep_plots.plots["equivariance"].getPlotItem().getAxis("bottom").labelText
    )
    panel.shutdown()
