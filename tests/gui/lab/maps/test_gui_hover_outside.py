"""Pointing at a map where the document's layer has no value (a map still drawn from the pass
before an edit shrank the layer) is simply no probe: no message, no pinned probe."""

from __future__ import annotations

import pytest

from gui.state.document import Probe
from tests.gui.lab.maps.test_gui_maps import _current

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture
def view_1d(lab_1d, qtbot, show_maps):
    document, scheduler = lab_1d
    view = show_maps(document, scheduler)
    qtbot.waitUntil(lambda: _current(view), timeout=20_000)
    return document, scheduler, view


def _messages(document):
    seen: list[tuple[str, str]] = []
    document.message.connect(lambda level, text: seen.append((level, text)))
    return seen


def test_hovering_a_position_the_edited_layer_no_longer_has_is_no_probe(view_1d, qtbot):
    document, scheduler, view = view_1d
    relu = view.maps["relu1"]
    assert document.layer_shape("relu1") == (4, 64)
    stale = relu.locate(50.0, 1.0)  # the map as drawn: 64 positions
    assert stale == (1, (50,))
    document.set_layer_params(0, {"stride": 2, "padding": 0})  # relu1: 30 positions
    assert document.layer_shape("relu1") == (4, 30)
    assert relu.display.shape == (4, 64)  # not redrawn yet
    seen = _messages(document)
    relu.hovered.emit(stale)  # "relu1: channel 1 at (50,) is outside" before
    relu.clicked.emit(stale)
    assert seen == [] and document.probe is None
    relu.hovered.emit((1, (20,)))  # a position it has still probes
    assert document.probe == Probe("relu1", 1, (20,)) and seen == []
    relu.hovered.emit(stale)  # leaving the data clears the hover probe, silently
    assert document.probe is None and seen == []
    qtbot.waitUntil(lambda: _current(view), timeout=20_000)


def test_a_click_outside_does_not_unpin_the_pinned_probe(view_1d, qtbot):
    document, scheduler, view = view_1d
    relu = view.maps["relu1"]
    relu.clicked.emit((0, (10,)))
    pinned = document.probe
    assert pinned == Probe("relu1", 0, (10,))
    seen = _messages(document)
    relu.clicked.emit((0, (10_000,)))
    relu.hovered.emit((9, (3,)))  # no channel 9
    assert document.probe == pinned and seen == []
