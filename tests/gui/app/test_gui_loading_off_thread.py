"""Opening huge but legal files: read and parsed off the GUI thread (the event loop keeps
ticking), with Cancel that leaves the document exactly as it was, and one message on failure."""

from __future__ import annotations

import threading

import numpy as np
from PIL import Image
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QPushButton

from engine.inputs import CSV_CHUNK_LINES
from engine.limits import Watch
from gui.lab.input import input_panel as input_panel_module

WAIT = 120_000  # ms: the machine is shared; nothing here sleeps


def _big_png(path, side: int = 6000) -> None:
    """A 6000 x 6000 RGB PNG (36 megapixels: under the 40-megapixel limit)."""
    y, x = np.mgrid[0:side, 0:side]
    pixels = np.stack([(x * y) % 251, (x + y) % 256, (x ^ y) % 256], -1).astype(np.uint8)
    Image.fromarray(pixels).save(path, compress_level=1)


class Ticks:
    """Counts a 5 ms timer's ticks while a load runs (none when the GUI thread is blocked)."""

    def __init__(self, loader):
        self.loader = loader
        self.during = 0
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self):
        if self.loader.busy:
            self.during += 1


def _messages(document) -> list:
    got = []
    document.message.connect(lambda level, text: got.append((level, text)))
    return got


def test_a_36_megapixel_png_loads_off_the_gui_thread_and_ends_scaled(qtbot, open_window, tmp_path):
    _big_png(tmp_path / "big.png")
    window = open_window("shapes")
    doc, panel = window.document, window.input_panel
    steps = doc.undo_stack.count()
    ticks = Ticks(panel.loader)
    with qtbot.waitSignal(panel.loader.ended, timeout=WAIT) as ended:
        assert panel.load_path(tmp_path / "big.png")  # returns at once: the load started
        assert panel.loader.busy and doc.undo_stack.count() == steps
    ticks.timer.stop()
    assert ended.args == ["done"]
    assert ticks.during >= 3  # the event loop ran while the file was decoded
    assert doc.input.shape == (3, 512, 512)
    assert doc.undo_stack.count() == steps + 1  # one undoable step
    scheduler = window.scheduler
    qtbot.waitUntil(
        lambda: (
            scheduler.latest is not None
            and scheduler.latest.generation == scheduler.generation
            and scheduler.idle
        ),
        timeout=WAIT,
    )
    assert scheduler.latest.trace.outputs  # the maps are drawn from the scaled input


def test_cancel_during_a_large_csv_leaves_the_document_exactly_as_it_was(
    qtbot, open_window, tmp_path, monkeypatch
):
    """The parse is held at its first check until Cancel was pressed, so the dialog is
    sure to show (a fast machine could otherwise finish the 2 M lines first)."""
    path = tmp_path / "long.csv"
    path.write_text("channel\n" + "0.25\n" * 2_000_000)  # legal: 2 M values
    gate, checks = threading.Event(), []
    real_read = input_panel_module._read_input

    def held_read(read_path, watch):
        def cancelled():
            checks.append(1)
            gate.wait(WAIT / 1000)
            return watch.cancelled()

        return real_read(read_path, Watch(cancelled, watch.progress))

    monkeypatch.setattr(input_panel_module, "_read_input", held_read)
    window = open_window("sine")
    doc, panel = window.document, window.input_panel
    before = (doc.input, doc.spec, doc.weights, doc.undo_stack.count(), doc.undo_stack.index())
    messages = _messages(doc)
    assert panel.load_path(path)
    qtbot.waitUntil(lambda: panel.loader.dialog is not None, timeout=WAIT)  # shown when slow
    with qtbot.waitSignal(panel.loader.ended, timeout=WAIT) as ended:
        panel.loader.dialog.findChild(QPushButton).click()  # the dialog's Cancel button
    gate.set()  # the parse goes on, sees the Cancel at its next check and stops there
    assert ended.args == ["cancelled"]
    assert not panel.loader.busy and panel.loader.dialog is None
    # whatever the worker delivers later changes nothing
    qtbot.waitUntil(lambda: panel.loader.jobs.idle, timeout=WAIT)
    for _ in range(5):
        qtbot.wait(0)
    assert len(checks) == 1  # it stopped at the first check after the Cancel
    after = (doc.input, doc.spec, doc.weights, doc.undo_stack.count(), doc.undo_stack.index())
    assert all(a is b for a, b in zip(before[:3], after[:3], strict=True))
    assert before[3:] == after[3:]
    assert [level for level, _ in messages] == ["info"] and "cancelled" in messages[0][1]


def test_a_failing_load_gives_one_message_and_changes_nothing(qtbot, open_window, tmp_path):
    lines = ["0.5"] * (3 * CSV_CHUNK_LINES)
    lines[2 * CSV_CHUNK_LINES + 5] = "oops"
    (tmp_path / "bad.csv").write_text("\n".join(lines))
    png = tmp_path / "cut.png"
    _big_png(png, 2000)
    png.write_bytes(png.read_bytes()[: 1 << 19])  # truncated inside its pixel data
    window = open_window("sine")
    doc, panel = window.document, window.input_panel
    for path, where in ((tmp_path / "bad.csv", "line 32774, column 1"), (png, "cut.png")):
        before = (doc.input, doc.undo_stack.count())
        messages = _messages(doc)
        with qtbot.waitSignal(panel.loader.ended, timeout=WAIT) as ended:
            panel.load_path(path)
        assert ended.args == ["failed"]
        assert len(messages) == 1 and messages[0][0] == "error", messages
        assert where in messages[0][1]
        assert panel.error_label.text() == messages[0][1]
        assert (doc.input, doc.undo_stack.count()) == before


def test_a_workspace_opens_off_the_gui_thread_and_a_cancel_keeps_the_work(
    qtbot, open_window, tmp_path
):
    from engine.spec import LayerSpec, NetworkSpec
    from engine.workspace import Workspace, save_workspace

    noise = np.random.default_rng(3).random((1, 3000, 3000), dtype=np.float32)
    conv = LayerSpec("conv1", "conv", {"out_channels": 2, "kernel_size": 3})
    save_workspace(tmp_path / "w.convscope", Workspace(noise, NetworkSpec((conv,), noise.shape)))
    window = open_window("sine")
    doc, actions = window.document, window.workspace_actions
    before = (doc.input, doc.spec, doc.undo_stack.count())
    with qtbot.waitSignal(actions.loader.ended, timeout=WAIT) as ended:
        assert actions.open_file(tmp_path / "w.convscope")
        actions.loader.cancel()
    assert ended.args == ["cancelled"]
    qtbot.waitUntil(lambda: actions.loader.jobs.idle, timeout=WAIT)
    for _ in range(5):
        qtbot.wait(0)
    assert (doc.input, doc.spec, doc.undo_stack.count()) == before

    ticks = Ticks(actions.loader)
    with qtbot.waitSignal(actions.opened, timeout=WAIT):
        actions.open_file(tmp_path / "w.convscope")
    ticks.timer.stop()
    assert ticks.during >= 1
    np.testing.assert_array_equal(doc.input, noise)
