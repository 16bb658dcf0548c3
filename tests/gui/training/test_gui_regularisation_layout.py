"""The comparison's curves at 1280x800, normal and presentation: while it runs the curves
take the tabs' width and the dock at least COMPARE_HEIGHT of the window, the plots keep most
of the curves' height (key and summary scroll below them); the next Start puts the columns
back."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from engine.data.shapes import make_shapes
from gui.app import launch
from gui.training.curves_view import TEXT_SHARE
from gui.training.trainer_panel import COMPARE_HEIGHT

WAIT = 120_000


def _process():
    for _ in range(3):
        QCoreApplication.sendPostedEvents()
        QApplication.processEvents()


@pytest.mark.parametrize("presenting", [False, True])
def test_the_comparison_curves_have_room_at_1280x800(qtbot, tmp_path, monkeypatch, presenting):
    monkeypatch.setenv("CONVSCOPE_RECOVERY_DIR", str(tmp_path / "recovery"))
    window = launch.create_window(launch.resolve_input(None), remember=False)
    qtbot.addWidget(window)
    window.workspace_actions.ask_on_close = False
    panel = window.trainer_panel
    try:
        window.resize(1280, 800)
        window.show()
        qtbot.waitExposed(window)
        if presenting:
            window.presentation_action.trigger()
        panel.set_up()
        qtbot.waitUntil(lambda: panel.jobs.idle and "mnist1d" in panel._datasets, timeout=WAIT)
        dock = window.bottom_docks()[1]
        dock.show()
        dock.raise_()
        _process()
        before = panel.splitter.sizes()
        panel._datasets["shapes"] = make_shapes(n_train=40, n_test=20, seed=2)
        form = panel.form
        form.data.setCurrentIndex(form.data.findData("shapes"))
        form._set_data("shapes")
        form.steps.setValue(4)
        form.eval_every.setValue(2)
        form.batch_size.setValue(16)
        with qtbot.waitSignal(panel.document.trainingChanged, timeout=WAIT):
            panel.regularise_button.click()
        _process()
        sizes = panel.splitter.sizes()
        assert sizes[2] == 0 and sizes[0] >= before[0] - 2  # the tabs fold, the settings stay
        assert sizes[1] >= sum(before) - sizes[0] - 2  # the curves take the rest
        assert dock.height() >= 330  # presentation: grown from about 200 px (COMPARE_HEIGHT)
        assert COMPARE_HEIGHT * window.height() >= 330
        curves = panel.curves
        plot = curves.loss_plot
        assert curves.text_area.height() <= TEXT_SHARE * curves.height() + 1
        assert plot.height() >= 0.6 * curves.height() - 10 and plot.height() >= 150
        assert plot.width() >= 300 and curves.accuracy_plot.width() >= 300
        # the summary is all there, scrolling when it is longer than its strip
        assert "gap" in curves.summary.text() and "shapes-cnn" in curves.summary.text()
        form.steps.setValue(2)
        form.network.setCurrentIndex(form.network.findData("shapes-cnn"))
        with qtbot.waitSignal(panel.worker.finished, timeout=WAIT):
            panel.start_button.click()
        assert panel.splitter.sizes()[2] > 0  # the kernels and maps are back
    finally:
        window.set_presentation(False)
        window.close()
        panel.shutdown()
