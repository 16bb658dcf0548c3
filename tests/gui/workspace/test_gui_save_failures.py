"""Saving under failure: a state the file could not hold, a failed Save As, a full disk or a
read-only folder (injected OSError) give one message, write nothing (the previous file stays
byte for byte), keep the work unsaved and keep the window's file and title as they were."""

from __future__ import annotations

import errno
import os
from dataclasses import replace

import numpy as np
import pytest

from engine.workspace import load_workspace
from tests.gui.workspace.test_gui_workspace import edit, save
from tests.gui.workspace.test_gui_workspace import env as env  # noqa: F401 - the fixture

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def _with_inf_weight(actions):
    """Make the snapshot hold a weight that became inf (what a typed 1e39 used to do):
    a state the workspace reader refuses."""
    real = actions.snapshot

    def snapshot(*args):
        workspace = real(*args)
        weight = np.array(workspace.weights["conv1"]["weight"], copy=True)
        weight.flat[0] = np.inf
        weights = {**workspace.weights, "conv1": {**workspace.weights["conv1"], "weight": weight}}
        return replace(workspace, weights=weights)

    actions.snapshot = snapshot


def _failing(monkeypatch, code: int):
    """Every atomic write fails the way a full disk (ENOSPC) or a read-only folder
    (EACCES/EROFS) does: at the temp file's creation or at its flush."""
    import tempfile

    def fail(*_args, **_kwargs):
        raise OSError(code, os.strerror(code))

    if code == errno.ENOSPC:
        monkeypatch.setattr(os, "fsync", fail)
    else:
        monkeypatch.setattr(tempfile, "mkstemp", fail)


def _save_waiting(actions, path) -> bool:
    return actions.save_to(path, wait=True)


def test_save_refuses_to_write_a_workspace_the_app_could_not_open(qtbot, env, tmp_path):
    doc, window, actions, dialogs, messages = env
    edit(doc)
    good = tmp_path / "lab.convscope"
    save(qtbot, actions, good)
    before = good.read_bytes()
    doc.set_kernel_value("conv1", (0, 0, 0), 0.5)
    _with_inf_weight(actions)
    assert not _save_waiting(actions, good)
    assert good.read_bytes() == before  # the previous file is intact
    load_workspace(good)  # and still opens
    assert window.isWindowModified() and actions.modified()
    level, text = messages[-1]
    assert level == "error" and "would not open again" in text and "not finite" in text
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_failed_save_as_keeps_the_window_s_file_and_title(qtbot, env, tmp_path, monkeypatch):
    doc, window, actions, dialogs, messages = env
    first = tmp_path / "first.convscope"
    edit(doc)
    save(qtbot, actions, first)
    doc.set_kernel_value("conv1", (0, 0, 0), 0.5)
    title = window.windowTitle()
    _failing(monkeypatch, errno.EACCES)
    dialogs.paths.append(str(tmp_path / "second"))
    assert not actions.save_as(wait=True)
    assert not (tmp_path / "second.convscope").exists()
    assert actions.path == first and window.windowTitle() == title  # not renamed
    assert window.isWindowModified() and messages[-1][0] == "error"
    assert "second.convscope" in messages[-1][1] and "Permission denied" in messages[-1][1]
    monkeypatch.undo()
    with qtbot.waitSignal(actions.saved, timeout=10_000) as blocker:
        actions.save_action.trigger()  # Ctrl+S still means the first file
    assert blocker.args == [os.fspath(first)]
    assert load_workspace(first).weights["conv1"]["weight"][0, 0, 0] == 0.5


def test_a_failed_first_save_leaves_the_document_untitled(qtbot, env, tmp_path, monkeypatch):
    doc, window, actions, dialogs, messages = env
    edit(doc)
    _failing(monkeypatch, errno.EROFS)
    dialogs.paths.append(str(tmp_path / "nowhere.convscope"))
    assert not actions.save(wait=True)
    assert actions.path is None and window.windowTitle().startswith("Untitled")
    assert "Read-only file system" in messages[-1][1]


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_a_disk_failure_keeps_the_previous_file_and_the_work_unsaved(
    qtbot, env, tmp_path, monkeypatch, code
):
    doc, window, actions, dialogs, messages = env
    path = tmp_path / "lab.convscope"
    edit(doc)
    save(qtbot, actions, path)
    before = path.read_bytes()
    doc.set_kernel_value("conv1", (0, 0, 0), -0.75)
    _failing(monkeypatch, code)
    with qtbot.waitSignal(doc.message, timeout=10_000) as blocker:
        assert actions.save_to(path)  # in the background: the message follows
    monkeypatch.undo()
    assert blocker.args[0] == "error" and os.strerror(code) in blocker.args[1]
    assert path.read_bytes() == before
    assert window.isWindowModified() and not doc.undo_stack.isClean()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_autosave_never_writes_a_file_that_cannot_be_restored(qtbot, env):
    doc, window, actions, dialogs, messages = env
    edit(doc)
    _with_inf_weight(actions)
    autosaver = actions.autosaver
    autosaver.snapshot = actions.snapshot
    with qtbot.waitSignal(autosaver.failed, timeout=10_000) as blocker:
        assert autosaver.write_now()
    assert "would not open again" in blocker.args[0]
    assert not autosaver.path.exists()
    assert messages[-1][0] == "warning"
