"""File ▸ Import network… / Import weights… and Compare's "From file…" read off the GUI
thread: the call returns at once and the result comes through the event loop, the file
becomes one undo step on completion, and a Cancel or a failure leaves the document exactly
as it was."""

from __future__ import annotations

import numpy as np
import pytest

from engine.serialize import save_weights
from engine.spec import LayerSpec, NetworkSpec
from engine.workspace import Workspace, save_workspace

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

WAIT = 120_000  # ms: the machine is shared; nothing here sleeps


def _big_workspace(path, side: int = 2500) -> NetworkSpec:
    """A legal workspace whose input is 25 MB of noise (slow to read, quick to build)."""
    noise = np.random.default_rng(5).random((1, side, side), dtype=np.float32)
    spec = NetworkSpec(
        (
            LayerSpec("wide", "conv", {"out_channels": 4, "kernel_size": 5, "padding": 2}),
            LayerSpec("act", "activation", {"function": "tanh"}),
        ),
        noise.shape,
    )
    save_workspace(path, Workspace(noise, spec))
    return spec


def _snapshot(doc):
    return (doc.input, doc.spec, doc.weights, doc.undo_stack.count(), doc.undo_stack.index())


def _unchanged(before, doc) -> bool:
    after = _snapshot(doc)
    return all(a is b for a, b in zip(before[:3], after[:3], strict=True)) and (
        before[3:] == after[3:]
    )


def _settle(qtbot, loader):
    """The worker stopped; whatever it would have delivered has been handled (ignored)."""
    qtbot.waitUntil(lambda: loader.jobs.idle, timeout=WAIT)
    for _ in range(5):
        qtbot.wait(0)


def test_import_network_reads_off_the_gui_thread_and_is_one_undo_step(qtbot, open_window, tmp_path):
    path = tmp_path / "big.convscope"
    _big_workspace(path)
    window = open_window("shapes")
    doc, imports = window.document, window.import_actions
    before = _snapshot(doc)
    with qtbot.waitSignal(imports.loader.ended, timeout=WAIT) as ended:
        assert imports.import_network(path)  # returns at once: the read started
        assert imports.loader.busy and _unchanged(before, doc)
    # (the result arrives through the event loop; a tick count during a 25 MB read would
    # depend on how the worker shares the GIL, so it is not asserted here)
    assert ended.args == ["done"]
    assert list(doc.spec.names()) == ["wide", "act"]
    assert doc.input is before[0]  # a network import keeps the input
    assert doc.undo_stack.count() == before[3] + 1
    doc.undo_stack.undo()
    assert doc.spec == before[1]


def test_cancel_of_an_import_leaves_the_document_exactly_as_it_was(qtbot, open_window, tmp_path):
    path = tmp_path / "big.convscope"
    _big_workspace(path)
    window = open_window("shapes")
    doc, imports = window.document, window.import_actions
    before = _snapshot(doc)
    messages = []
    doc.message.connect(lambda level, text: messages.append((level, text)))
    with qtbot.waitSignal(imports.loader.ended, timeout=WAIT) as ended:
        imports.import_network(path)
        imports.loader.cancel()
    assert ended.args == ["cancelled"]
    _settle(qtbot, imports.loader)
    assert _unchanged(before, doc)
    assert messages == [("info", "Importing big.convscope cancelled")]


def test_import_weights_off_the_gui_thread_and_a_network_edited_meanwhile(
    qtbot, open_window, tmp_path
):
    window = open_window("shapes")
    doc, imports = window.document, window.import_actions
    wanted = {
        name: {key: np.full(a.shape, 0.125, np.float32) for key, a in arrays.items()}
        for name, arrays in doc.weights.items()
    }
    path = tmp_path / "trained.safetensors"
    save_weights(path, wanted)
    before = _snapshot(doc)
    with qtbot.waitSignal(imports.loader.ended, timeout=WAIT) as ended:
        assert imports.import_weights(path)
        assert _unchanged(before, doc)
    assert ended.args == ["done"]
    for name, arrays in wanted.items():
        for key, array in arrays.items():
            np.testing.assert_array_equal(doc.weights[name][key], array)
    assert doc.undo_stack.count() == before[3] + 1

    # the network changes while the file is read: the weights were checked against the old
    messages = []
    doc.message.connect(lambda level, text: messages.append((level, text)))
    with qtbot.waitSignal(imports.loader.ended, timeout=WAIT) as ended:
        imports.import_weights(path)
        assert doc.set_layer_params(0, {"out_channels": 7})
        edited = _snapshot(doc)
    assert ended.args == ["done"]
    assert _unchanged(edited, doc)
    assert messages[-1][0] == "error" and "changed while" in messages[-1][1]


def test_a_broken_weights_file_fails_off_the_gui_thread_with_one_message(
    qtbot, open_window, tmp_path
):
    window = open_window("shapes")
    doc, imports = window.document, window.import_actions
    path = tmp_path / "bomb.safetensors"
    path.write_bytes((2**40).to_bytes(8, "little") + b"{}")  # a header of a terabyte
    before = _snapshot(doc)
    messages = []
    doc.message.connect(lambda level, text: messages.append((level, text)))
    with qtbot.waitSignal(imports.loader.ended, timeout=WAIT) as ended:
        imports.import_weights(path)
    assert ended.args == ["failed"]
    assert _unchanged(before, doc)
    assert len(messages) == 1 and messages[0][0] == "error" and "bomb.safetensors" in messages[0][1]


def test_compare_reads_its_file_off_the_gui_thread_and_cancel_keeps_b(qtbot, open_window, tmp_path):
    from gui.lab.compare_view import CompareView

    path = tmp_path / "big.convscope"
    _big_workspace(path)
    window = open_window("shapes")
    view = CompareView(window.document, window.scheduler)
    qtbot.addWidget(view)
    assert view.load_preset(view.choice.itemText(1))
    label, other = view.other_label, view.other
    with qtbot.waitSignal(view.loader.ended, timeout=WAIT) as ended:
        assert view.load_file(path)
        view.loader.cancel()
    assert ended.args == ["cancelled"]
    _settle(qtbot, view.loader)
    assert (view.other_label, view.other) == (label, other)

    with qtbot.waitSignal(view.loader.ended, timeout=WAIT) as ended:
        assert view.load_file(path)  # returns at once: B is still the old one
        assert view.loader.busy and (view.other_label, view.other) == (label, other)
    assert ended.args == ["done"]
    assert view.other_label == "big.convscope"
    view.shutdown()
