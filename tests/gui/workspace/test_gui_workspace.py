"""Workspace files from the GUI: save/open round trip, title mark, damaged files, recent, export."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage

from engine.serialize import load_weights
from engine.spec import LayerSpec, NetworkSpec
from engine.workspace import load_workspace, workspace_to_bytes
from gui.app.main_window import MainWindow
from gui.compute.scheduler import ComputeScheduler
from gui.state.document import Document
from gui.workspace.workspace_actions import MAX_RECENT, install_workspace

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


class FakeDialogs:
    """Scripted answers instead of modal dialogs."""

    def __init__(self):
        self.paths: list[str | None] = []
        self.answers: list[str] = []
        self.restore = True
        self.asked: list[str] = []

    def open_path(self, parent, title, filter):
        return self.paths.pop(0)

    def save_path(self, parent, title, filter, suggested):
        return self.paths.pop(0)

    def ask_save_changes(self, parent, name):
        self.asked.append(name)
        return self.answers.pop(0) if self.answers else "discard"

    def ask_restore(self, parent, path, saved):
        self.asked.append("restore")
        return self.restore


def small_document() -> Document:
    spec = NetworkSpec(
        (
            LayerSpec("conv1", "conv", {"out_channels": 3, "kernel_size": 3, "padding": 1}),
            LayerSpec("relu1", "activation", {"function": "relu"}),
            LayerSpec("pool1", "max_pool", {"kernel_size": 2}),
        ),
        (1, 32),
    )
    x = np.cos(np.linspace(0, 5, 32, dtype=np.float32))[None]
    return Document(x, spec)


@pytest.fixture
def env(qtbot, tmp_path):
    doc = small_document()
    scheduler = ComputeScheduler(doc, threads=1)
    window = MainWindow(doc, scheduler)
    qtbot.addWidget(window)
    dialogs = FakeDialogs()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    actions = install_workspace(
        window, settings=settings, dialogs=dialogs, recovery_directory=tmp_path / "recovery"
    )
    messages: list[tuple[str, str]] = []
    doc.message.connect(lambda level, text: messages.append((level, text)))
    yield doc, window, actions, dialogs, messages
    actions.shutdown()
    scheduler.shutdown()


def edit(doc: Document) -> None:
    doc.set_layer_params(0, {"kernel_size": 5, "padding": 2})
    doc.set_kernel_value("conv1", (1, 0, 2), 0.25)
    doc.set_view(colormap="magma", shared_levels=True)


def save(qtbot, actions, path) -> None:
    with qtbot.waitSignal(actions.saved, timeout=10_000):
        assert actions.save_to(path)


def state(doc: Document):
    return (
        doc.input.tobytes(),
        doc.input.shape,
        doc.spec,
        {k: {kk: vv.tobytes() for kk, vv in v.items()} for k, v in doc.weights.items()},
        doc.view,
    )


def test_save_then_open_restores_everything(qtbot, env, tmp_path):
    doc, window, actions, dialogs, _ = env
    edit(doc)
    expected = state(doc)
    path = tmp_path / "lab.convscope"
    save(qtbot, actions, path)
    assert actions.new()
    assert state(doc) != expected
    assert actions.open_file(path, wait=True)
    assert state(doc) == expected
    assert doc.undo_stack.count() == 0  # an opened file starts a fresh history
    assert not window.isWindowModified()
    assert "lab.convscope" in window.windowTitle()


def test_open_via_menu_action_with_chosen_file(qtbot, env, tmp_path):
    doc, window, actions, dialogs, _ = env
    edit(doc)
    expected = state(doc)
    path = tmp_path / "a.convscope"
    save(qtbot, actions, path)
    actions.new()
    dialogs.paths.append(str(path))
    with qtbot.waitSignal(actions.opened, timeout=30_000):  # read off the GUI thread
        actions.open_action.trigger()
    assert state(doc) == expected


def test_title_marks_unsaved_changes_until_saved(qtbot, env, tmp_path):
    doc, window, actions, dialogs, _ = env
    assert "[*]" in window.windowTitle() and not window.isWindowModified()
    doc.set_layer_params(0, {"out_channels": 5})
    assert window.isWindowModified()
    dialogs.paths.append(str(tmp_path / "named"))  # Save As adds the suffix
    with qtbot.waitSignal(actions.saved, timeout=10_000):
        actions.save_action.trigger()
    assert not window.isWindowModified()
    assert actions.path == tmp_path / "named.convscope"
    assert "named.convscope" in window.windowTitle()
    doc.undo_stack.undo()  # back past the saved state: modified again
    assert window.isWindowModified()


def bad_files(tmp_path) -> dict[str, bytes]:
    good = workspace_to_bytes(load_workspace_bytes_source())
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    header = json.loads(members["workspace.json"])
    header["version"] = 3
    newer = io.BytesIO()
    with zipfile.ZipFile(newer, "w") as archive:
        archive.writestr("workspace.json", json.dumps(header))
        archive.writestr("arrays.safetensors", members["arrays.safetensors"])
    return {
        "garbage.convscope": b"\x00\x01 definitely not a workspace" * 10,
        "newer.convscope": newer.getvalue(),
        "truncated.convscope": good[: len(good) // 2],
        "foreign.convscope": b'{"something": "else"}',
    }


def load_workspace_bytes_source():
    from engine.workspace import Workspace

    doc = small_document()
    return Workspace(doc.input, doc.spec, {k: dict(v) for k, v in doc.weights.items()})


@pytest.mark.parametrize(
    "name",
    [
        "garbage.convscope",
        "newer.convscope",
        "truncated.convscope",
        "foreign.convscope",
        "missing.convscope",
    ],
)
def test_damaged_file_leaves_document_and_mark_unchanged(env, tmp_path, name):
    doc, window, actions, dialogs, messages = env
    edit(doc)
    path = tmp_path / name
    if name != "missing.convscope":
        path.write_bytes(bad_files(tmp_path)[name])
    before = state(doc)
    count = doc.undo_stack.count()
    assert not actions.open_file(path, wait=True)
    assert state(doc) == before
    assert doc.undo_stack.count() == count
    assert window.isWindowModified()  # the unsaved mark stays
    assert actions.path is None
    level, text = messages[-1]
    assert level == "error" and name in text
    if name == "newer.convscope":
        assert "newer ConvScope (version 3)" in text
    assert text in window.message_text  # shown in the status bar


def test_close_asks_and_cancel_keeps_window(qtbot, env, tmp_path):
    doc, window, actions, dialogs, _ = env
    window.show()
    doc.set_layer_params(0, {"out_channels": 2})
    dialogs.answers.append("cancel")
    assert not window.close()
    assert window.isVisible() and dialogs.asked == ["Untitled"]
    dialogs.answers.append("save")
    dialogs.paths.append(str(tmp_path / "closing.convscope"))
    assert window.close()
    saved = load_workspace(tmp_path / "closing.convscope")
    assert saved.spec == doc.spec


def test_open_while_modified_asks_first(qtbot, env, tmp_path):
    doc, window, actions, dialogs, _ = env
    path = tmp_path / "x.convscope"
    save(qtbot, actions, path)
    doc.set_layer_params(0, {"out_channels": 7})
    dialogs.answers.append("cancel")
    assert not actions.open(path, wait=True)
    assert doc.spec.layers[0].param("out_channels") == 7
    dialogs.answers.append("discard")
    assert actions.open(path, wait=True)
    assert doc.spec.layers[0].param("out_channels") == 3


def test_new_starts_clean_untitled(env):
    doc, window, actions, dialogs, _ = env
    edit(doc)
    assert actions.new()
    assert doc.undo_stack.count() == 0 and not window.isWindowModified()
    assert actions.path is None and "Untitled" in window.windowTitle()
    assert doc.spec.names() == ["conv1", "relu1"]


def test_recent_files_are_remembered_capped_and_pruned(qtbot, env, tmp_path):
    doc, window, actions, dialogs, messages = env
    paths = [tmp_path / f"r{i}.convscope" for i in range(MAX_RECENT + 2)]
    for p in paths:
        save(qtbot, actions, p)
    recent = actions.recent_files()
    assert len(recent) == MAX_RECENT
    assert recent[0] == str(paths[-1].resolve())
    paths[-1].unlink()
    actions.recent_menu.aboutToShow.emit()
    assert str(paths[-1].resolve()) not in actions.recent_files()
    assert "r9.convscope" in messages[-1][1]
    entries = [a.text() for a in actions.recent_menu.actions()]
    assert entries[0] == "r8.convscope" and len(entries) == MAX_RECENT - 1


def test_exports_write_usable_files(env, tmp_path):
    doc, window, actions, dialogs, _ = env
    exports = window.export_actions
    window.resize(900, 600)
    source = tmp_path / "net.py"
    assert exports.export_source(source)
    compile(source.read_text(), str(source), "exec")  # valid Python
    weights = tmp_path / "w.safetensors"
    assert exports.export_weights(weights)
    back = load_weights(weights)
    for layer, arrays in doc.weights.items():
        for key, array in arrays.items():
            np.testing.assert_array_equal(back[layer][key], array)
    npz = tmp_path / "w.npz"
    dialogs.paths.append(str(npz))
    exports.weights_action.trigger()
    assert set(load_weights(npz)) == set(doc.weights)
    png = tmp_path / "maps.png"
    assert exports.export_png(png)
    image = QImage(str(png))
    assert not image.isNull() and image.width() == window.maps_view.width()
    svg = tmp_path / "maps.svg"
    assert exports.export_svg(svg)
    assert "<svg" in svg.read_text()


def test_export_weights_refuses_unknown_suffix(env, tmp_path):
    doc, window, actions, dialogs, messages = env
    exports = window.export_actions
    assert not exports.export_weights(tmp_path / "w.pkl")
    assert not (tmp_path / "w.pkl").exists()
    assert messages[-1][0] == "error" and ".pkl" in messages[-1][1]


def test_export_menu_sits_in_the_file_menu(env):
    doc, window, actions, dialogs, messages = env
    menus = [a.menu() for a in window.file_menu.actions() if a.menu() is not None]
    assert window.export_actions.menu in menus
    texts = [a.text() for a in window.export_actions.menu.actions()]
    assert texts == [
        "PyTorch source…",
        "Weights (safetensors / npz)…",
        "Maps as PNG…",
        "Maps as SVG…",
    ]


def test_a_destroyed_document_does_not_break_the_title(qtbot, tmp_path, monkeypatch):
    # A script that never closes its window: at exit the undo stack is destroyed while it
    # still has changes, and clears itself (emitting) on the way out.
    import shiboken6

    errors: list[BaseException] = []
    monkeypatch.setattr("sys.excepthook", lambda kind, value, tb: errors.append(value))
    doc = small_document()
    scheduler = ComputeScheduler(doc, threads=1)
    window = MainWindow(doc, scheduler)
    qtbot.addWidget(window)
    actions = install_workspace(
        window,
        dialogs=FakeDialogs(),
        settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
        recovery_directory=tmp_path / "recovery",
    )
    edit(doc)
    assert window.isWindowModified()
    scheduler.shutdown()
    shiboken6.delete(doc)
    assert errors == []
    assert window.windowTitle().startswith("Untitled")
    actions.shutdown()  # still safe


def test_closing_without_asking(env):
    doc, window, actions, dialogs, messages = env
    window.show()
    edit(doc)
    actions.ask_on_close = False
    assert window.close()
    assert dialogs.asked == []
