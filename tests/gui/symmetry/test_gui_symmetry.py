"""The symmetry lab panel: the controls ask the engine (off the GUI thread) and the views follow."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from engine import symmetry as S
from engine.network import init_weights
from engine.spec import LayerSpec, NetworkSpec
from gui.state.document import Document
from gui.symmetry.symmetry_panel import SymmetryLab, _fmt, to_uint8


def circular_pool_net() -> NetworkSpec:
    conv = {"out_channels": 2, "kernel_size": 3, "padding": 1, "padding_mode": "circular"}
    return NetworkSpec(
        (LayerSpec("c", "conv", conv), LayerSpec("p", "max_pool", {"kernel_size": 2})), (1, 16, 16)
    )


@pytest.fixture
def lab(qtbot):
    spec = circular_pool_net()
    x = np.random.default_rng(0).normal(size=(1, 16, 16)).astype(np.float32)
    document = Document(x, spec, init_weights(spec))
    panel = SymmetryLab(document)
    qtbot.addWidget(panel)
    panel.resize(1100, 800)
    panel.show()
    qtbot.waitUntil(
        lambda: panel.last_measure is not None and panel.last_sweep is not None, timeout=20000
    )
    yield panel
    panel.shutdown()
    panel.close()


def test_moving_the_shift_slider_updates_the_maps_and_numbers(lab, qtbot):
    with qtbot.waitSignal(
        lab.measured, timeout=20000, check_params_cb=lambda r: r["report"].transform.shift == (0, 2)
    ):
        lab.dx_slider.setValue(2)
    report = lab.last_measure["report"]
    assert report.layer("p").shift == (0, 1)
    assert report.layer("c").equivariance_error <= 1e-6
    shown = _fmt(report.layer("c").equivariance_error)
    assert f"equivariance error <b>{shown}</b>" in lab.numbers.text()
    maps = lab.last_measure["maps"]
    # drawn as uint8 made on the worker (pyqtgraph's fast path), linear in f(t(x))
    shown = lab.maps.images[0].image
    assert shown.dtype == np.uint8
    np.testing.assert_array_equal(shown, to_uint8(maps["f_tx"], maps["levels"]))
    low, high = maps["levels"]
    np.testing.assert_allclose(
        shown / 255 * (high - low) + low, maps["f_tx"], atol=(high - low) / 255
    )
    with qtbot.waitSignal(
        lab.measured, timeout=20000, check_params_cb=lambda r: r["report"].transform.shift == (0, 3)
    ):
        lab.dx.setValue(3)
    lab.layer.setCurrentText("p")
    qtbot.waitUntil(
        lambda: (
            lab.last_measure["layer"] == "p"
            and lab.last_measure["report"].transform.shift == (0, 3)
        ),
        timeout=20000,
    )
    assert "shift 3 is 3/2 positions here" in lab.numbers.text()
    assert lab.last_measure["maps"]["t_fx"] is None
    assert lab.table.item(1, 3).text() == "—"


def test_the_sweep_plot_has_a_point_per_shift(lab, qtbot):
    with qtbot.waitSignal(lab.swept, timeout=20000):
        lab.sweep_n.setValue(6)
    sweep = lab.last_sweep
    assert sweep.shifts == list(range(7))
    assert lab.sweep_plots.points["equivariance"] == 7  # layer c: every shift
    assert lab.sweep_plots.points["invariance"] == 7
    curves = lab.sweep_plots.plots["equivariance"].getPlotItem().listDataItems()
    pool_x, _ = curves[1].getData()
    assert list(pool_x) == [0, 2, 4, 6]  # odd shifts: not defined at the pool


def test_the_lab_transform_is_its_own(lab, qtbot):
    before = lab.document.input
    lab.flip_x.setChecked(True)
    lab.rotation.setCurrentIndex(1)
    qtbot.waitUntil(lambda: lab.last_measure["report"].transform.quarter_turns == 1, timeout=20000)
    assert lab.transform() == S.Transform(shift=(0, 1), flips=(False, True), quarter_turns=1)
    assert lab.document.input is before


def test_the_work_runs_off_the_gui_thread(lab, qtbot, monkeypatch):
    threads = []
    real = S.measure

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(S, "measure", spy)
    with qtbot.waitSignal(lab.measured, timeout=20000):
        lab.dx.setValue(5)
    assert threads and all(t is not threading.main_thread() for t in threads)


def test_newest_request_wins(lab, qtbot):
    for s in range(1, 9):
        lab.dx.setValue(s)
    qtbot.waitUntil(
        lambda: lab.worker.idle and lab.last_measure["report"].transform.shift == (0, 8),
        timeout=20000,
    )
    assert lab.worker.delivered("measure") == lab.worker.generation("measure")


def test_a_transform_that_cannot_apply_is_reported_not_raised(qtbot):
    spec = circular_pool_net().with_input_shape((1, 16, 12))
    document = Document(np.ones((1, 16, 12), np.float32), spec, init_weights(spec))
    messages = []
    document.message.connect(lambda level, text: messages.append(text))
    panel = SymmetryLab(document)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.last_measure is not None, timeout=20000)
    panel.rotation.setCurrentIndex(1)
    qtbot.waitUntil(lambda: "cannot measure" in panel.numbers.text(), timeout=20000)
    assert any("square" in m for m in messages)
    qtbot.waitUntil(lambda: panel.worker.idle, timeout=20000)
    panel.shutdown()


def test_launch_installs_it_as_a_lab_tab(open_window, qtbot):
    window = open_window(None)
    assert window.lab("Symmetry") is None  # built lazily, the first time it is shown
    panel = window.show_lab("Symmetry")
    assert isinstance(panel, SymmetryLab)
    qtbot.waitUntil(lambda: panel.last_measure is not None, timeout=60000)
    assert [r.name for r in panel.last_measure["report"].layers] == window.document.spec.names()
    panel.shutdown()
    qtbot.waitUntil(lambda: window.scheduler.idle, timeout=60000)


def test_a_lesson_loads_its_network_in_one_click(lab, qtbot):
    index = lab.lesson.findData("pooling-stack")
    lab.lesson.setCurrentIndex(index)
    lab.load_lesson.click()
    assert lab.document.spec.names() == [layer.name for layer in S.lesson("pooling-stack").layers]
    assert "divisible by 4" in lab.caption.text()
    lab.dx.setValue(4)
    qtbot.waitUntil(
        lambda: (
            lab.last_measure["report"].transform.shift == (0, 4)
            and lab.last_measure["report"].layers[-1].name == "pool2"
        ),
        timeout=20000,
    )
    assert lab.last_measure["report"].layer("pool2").equivariance_error <= 1e-6
    lab.document.undo_stack.undo()
    assert lab.document.spec.names() == ["c", "p"]


def test_the_blur_pool_lesson_shows_blur_lowering_the_shift_error(lab, qtbot):
    lab.lesson.setCurrentIndex(lab.lesson.findData("blur-pool"))
    lab.load_lesson.click()
    assert "blur" in lab.document.spec.names() and "Zhang" in lab.caption.text()
    lab.dx.setValue(1)
    qtbot.waitUntil(
        lambda: (
            lab.last_measure["report"].transform.shift == (0, 1)
            and lab.last_measure["report"].layers[-1].name == "blur"
        ),
        timeout=20000,
    )
    report = lab.last_measure["report"]
    assert report.layer("blur").invariance_error < report.layer("maxpool").invariance_error
