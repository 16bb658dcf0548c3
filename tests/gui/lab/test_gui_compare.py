"""Compare view: both networks' shapes, counts and totals; B's maps computed off the GUI thread."""

from __future__ import annotations

import numpy as np
import pytest

from engine.examples import make_example
from engine.network import analyze
from engine.presets import get_preset
from engine.serialize import save_network
from engine.spec import LayerSpec, NetworkSpec
from gui.compute.scheduler import ComputeScheduler
from gui.lab.compare_view import CompareView, ratio_text
from gui.state.document import Document
from gui.widgets.text_format import fmt_count, fmt_shape

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture
def mnist_doc():
    x = np.asarray(make_example("mnist1d-3"), dtype=np.float32)
    return Document(x, get_preset("udl-mnist1d-cnn"))


@pytest.fixture
def view(qtbot, mnist_doc):
    scheduler = ComputeScheduler(mnist_doc, threads=1)
    widget = CompareView(mnist_doc, scheduler, maps=False)
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()
    scheduler.shutdown()


def test_totals_show_book_figures(view):
    assert "2,050" in view.totals_text() and "choose network B" in view.totals_text()
    assert view.load_preset("udl-mnist1d-fc")
    text = view.totals.text()
    assert "2,050" in text and "59,065" in text
    assert "28.8× as many" in text  # 59,065 / 2,050


def test_table_rows_are_both_analyses(view, mnist_doc):
    view.load_preset("udl-mnist1d-fc")
    a = analyze(mnist_doc.spec, mnist_doc.input.shape).layers
    b = analyze(get_preset("udl-mnist1d-fc"), mnist_doc.input.shape).layers
    assert view.table.rowCount() == max(len(a), len(b))
    for row in range(view.table.rowCount()):
        for col, infos in ((0, a), (3, b)):
            cells = [view.table.item(row, col + k).text() for k in range(3)]
            if row < len(infos):
                info = infos[row]
                assert cells == [info.name, fmt_shape(info.out_shape), fmt_count(info.parameters)]
            else:
                assert cells == ["", "", ""]


def test_table_follows_document_edits(view, mnist_doc):
    view.load_preset("udl-mnist1d-fc")
    mnist_doc.set_layer_params(0, {"out_channels": 5})
    total = analyze(mnist_doc.spec, mnist_doc.input.shape).total.parameters
    assert f"{total:,}" in view.totals.text()


def test_b_from_file_and_bad_file(view, tmp_path):
    path = tmp_path / "wide.json"
    wide = NetworkSpec((LayerSpec("big", "conv", {"kernel_size": 99}),), (1, 40), name="wide")
    save_network(path, wide)
    assert view.load_file(path, wait=True)
    # a 99-tap kernel cannot work on 40 positions: B reports the engine's error at its layer
    error = analyze(wide, (1, 40)).layers[0].error
    assert error is not None and "B on this input" in view.totals.text()
    assert view.table.item(0, 4).toolTip() == str(error)
    assert view.table.item(0, 1).text() == "15×19"  # A untouched
    messages = []
    view.document.message.connect(lambda level, text: messages.append((level, text)))
    bad = tmp_path / "bad.json"
    bad.write_text("{ nope")
    assert not view.load_file(bad, wait=True)
    assert messages[-1][0] == "error" and "bad.json" in messages[-1][1]
    assert view.other_label == "wide.json"  # the previous B stays


def test_ratio_text():
    assert ratio_text(2050, 59065) == "B has 28.8× as many parameters as A"
    assert ratio_text(10, 5) == "A has 2.0× as many parameters as B"
    assert ratio_text(3, 3) == "the same number of parameters"


def test_maps_of_both_networks_are_computed(qtbot, mnist_doc):
    scheduler = ComputeScheduler(mnist_doc, threads=1)
    widget = CompareView(mnist_doc, scheduler)
    qtbot.addWidget(widget)
    try:
        widget.resize(1000, 700)
        assert widget.load_preset("udl-mnist1d-fc")
        qtbot.waitUntil(
            lambda: (
                widget.other_scheduler.latest is not None
                and widget.mirror_scheduler.latest is not None
            ),
            timeout=20_000,
        )
        trace_b = widget.other_scheduler.latest.trace
        assert set(get_preset("udl-mnist1d-fc").names()) <= set(trace_b.outputs)
        np.testing.assert_array_equal(trace_b.outputs["input"], mnist_doc.input)
        assert trace_b.outputs["fc4"].shape == (10,)
        # a new input reaches B too (computed again, off the GUI thread)
        new = np.roll(mnist_doc.input, 3, axis=1)
        mnist_doc.set_input(new)
        qtbot.waitUntil(
            lambda: np.array_equal(widget.other_scheduler.latest.trace.outputs["input"], new),
            timeout=20_000,
        )
        assert set(widget.maps_b.maps) >= {"input", "fc4"}
    finally:
        widget.shutdown()
        scheduler.shutdown()
