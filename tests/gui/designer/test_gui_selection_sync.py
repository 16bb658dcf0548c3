"""The layer table and the document agree on the selection without calling each other back.

A random 1,200-action run found a segmentation fault: with a probe pinned on channel 10 of
lab-2d's 16-channel ``up`` layer, moving ``up`` below the 4-channel ``conv3`` dropped the
probe (announcing the selection) before the spec change, so the table selected a row of its
stale model, whose name differed, and the two selected each other until RecursionError.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.presets import get_preset
from gui.designer.layer_stack import LayerStack
from gui.state.document import Document, Probe

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture
def lab(qtbot):
    spec = get_preset("lab-2d")
    x = np.random.default_rng(0).random((1, 32, 32), dtype=np.float32)
    document = Document(x, spec)
    stack = LayerStack(document)
    qtbot.addWidget(stack)
    return document, stack


def test_moving_a_probed_layer_below_a_narrower_one_keeps_both_in_step(lab):
    document, stack = lab
    names = document.spec.names()
    assert names.index("up") < names.index("conv3")
    document.set_probe(Probe("up", 10, (3, 4)))
    document.select_layer("up")
    order = []
    for signal in ("specChanged", "layerSelected", "probeChanged"):
        getattr(document, signal).connect(lambda s=signal: order.append(s))
    while document.spec.names().index("up") < document.spec.names().index("conv3"):
        assert stack.move_down()
    assert document.probe is None  # conv3 has 4 channels: the pinned channel 10 is gone
    assert document.selected_layer == "up"
    selected = stack.table.selectionModel().selectedRows()
    assert [stack.model.layer_name(i.row()) for i in selected] == ["up"]
    # the spec is announced before the selection it invalidated
    assert order.index("specChanged") < order.index("probeChanged")


def test_the_tables_own_echo_does_not_select_again(lab, qtbot):
    document, stack = lab
    selections = []
    document.layerSelected.connect(lambda: selections.append(document.selected_layer))
    document.select_layer("conv2")
    document.select_layer("conv1")
    assert selections == ["conv2", "conv1"]  # one announcement each, no echo
    rows = stack.table.selectionModel().selectedRows()
    assert [stack.model.layer_name(i.row()) for i in rows] == ["conv1"]


def test_hover_moves_do_not_refresh_the_layer_views(lab):
    document, _stack = lab
    refreshed = []
    document.layerSelected.connect(lambda: refreshed.append("layer"))
    document.kernelIndexChanged.connect(lambda: refreshed.append("pair"))
    probes = []
    document.probeChanged.connect(lambda: probes.append(document.probe))
    for i in range(100):
        document.set_probe(Probe("conv1", 0, (i % 32, 3)))
    assert refreshed == []
    assert len(probes) == 100
