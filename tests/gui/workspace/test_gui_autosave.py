"""Autosave: a recovery file per instance while there are unsaved changes; restore after
a crash (only files whose process is gone, never a running instance's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from engine.workspace import load_workspace
from gui.app.main_window import MainWindow
from gui.compute.scheduler import ComputeScheduler
from gui.workspace.autosave import (
    LEGACY_NAME,
    RECOVERY_ENV,
    claim,
    orphans,
    owner_pid,
    process_alive,
    recovery_dir,
)
from gui.workspace.workspace_actions import install_workspace
from tests.gui.workspace.test_gui_workspace import FakeDialogs, edit, small_document, state

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


class Lab:
    """One running app: document, scheduler, window and workspace actions."""

    def __init__(self, qtbot, tmp_path, autosave_ms=None):
        self.doc = small_document()
        self.scheduler = ComputeScheduler(self.doc, threads=1)
        self.window = MainWindow(self.doc, self.scheduler)
        qtbot.addWidget(self.window)
        self.dialogs = ScriptedDialogs()
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        self.actions = install_workspace(
            self.window,
            settings=settings,
            dialogs=self.dialogs,
            recovery_directory=tmp_path / "recovery",
            autosave_ms=autosave_ms,
        )
        self.autosaver = self.actions.autosaver

    def stop(self):
        self.actions.shutdown()
        self.scheduler.shutdown()


class ScriptedDialogs(FakeDialogs):
    """FakeDialogs that also records which file each restore question was about and can
    answer several questions differently (``restores``, then ``restore``)."""

    def __init__(self):
        super().__init__()
        self.offered: list[str] = []
        self.restores: list[bool] = []

    def ask_restore(self, parent, path, saved):
        super().ask_restore(parent, path, saved)
        self.offered.append(path)
        return self.restores.pop(0) if self.restores else self.restore


@pytest.fixture
def labs(qtbot, tmp_path):
    made: list[Lab] = []

    def make(**kwargs) -> Lab:
        made.append(Lab(qtbot, tmp_path, **kwargs))
        return made[-1]

    yield make
    for lab in made:
        lab.stop()


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The pid of a process that has exited (and been waited for)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid)
    return child.pid


def autosave(qtbot, lab: Lab) -> Path:
    with qtbot.waitSignal(lab.autosaver.written, timeout=10_000):
        assert lab.autosaver.tick()
    return lab.autosaver.path


def crash(qtbot, lab: Lab, pid: int, name: str | None = None) -> Path:
    """Autosave ``lab``, then leave its file as a process ``pid`` that died would."""
    path = autosave(qtbot, lab)
    orphan = path.with_name(name or f"autosave-{pid}.convscope")
    os.replace(path, orphan)
    return orphan


def saved_state(path: Path):
    ws = load_workspace(path)
    weights = {k: {kk: vv.tobytes() for kk, vv in v.items()} for k, v in ws.weights.items()}
    return ws.input.tobytes(), ws.spec, weights


def doc_state(doc):
    return state(doc)[0], state(doc)[2], state(doc)[3]


def test_recovery_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(RECOVERY_ENV, str(tmp_path / "here"))
    assert recovery_dir() == tmp_path / "here"


def test_process_alive(dead_pid):
    assert process_alive(os.getpid())
    assert process_alive(os.getppid())
    assert not process_alive(dead_pid)
    assert not process_alive(0)  # not "my process group"
    assert not process_alive(2**80)


def test_nothing_written_while_clean(labs):
    lab = labs()
    assert not lab.autosaver.tick()
    assert not lab.autosaver.path.exists()


def test_autosave_writes_a_file_that_restores_the_workspace(qtbot, labs):
    lab = labs()
    edit(lab.doc)
    with qtbot.waitSignal(lab.autosaver.written, timeout=10_000) as blocker:
        assert lab.autosaver.tick()
    assert blocker.args[0] == os.fspath(lab.autosaver.path)
    assert owner_pid(lab.autosaver.path) == os.getpid()
    saved = load_workspace(lab.autosaver.path)
    assert saved.spec == lab.doc.spec
    assert saved.input.tobytes() == lab.doc.input.tobytes()
    assert saved.view["colormap"] == "magma"
    np.testing.assert_array_equal(
        saved.weights["conv1"]["weight"], lab.doc.weights["conv1"]["weight"]
    )
    assert not lab.autosaver.tick()  # nothing new since: no second write


def test_timer_autosaves_by_itself(qtbot, labs):
    lab = labs(autosave_ms=20)
    edit(lab.doc)
    with qtbot.waitSignal(lab.autosaver.written, timeout=10_000):
        pass
    assert lab.autosaver.path.is_file()


def test_two_instances_keep_their_own_files(qtbot, labs):
    first, second = labs(), labs()
    edit(first.doc)
    second.doc.set_kernel_value("conv1", (0, 0, 1), -0.5)
    assert doc_state(first.doc) != doc_state(second.doc)
    autosave(qtbot, first)
    autosave(qtbot, second)
    first.doc.set_kernel_value("conv1", (0, 0, 0), 2.0)
    autosave(qtbot, first)  # a later write of one leaves the other's alone
    assert first.autosaver.path != second.autosaver.path
    assert first.autosaver.path.parent == second.autosaver.path.parent
    assert saved_state(first.autosaver.path) == doc_state(first.doc)
    assert saved_state(second.autosaver.path) == doc_state(second.doc)


def test_clean_close_removes_only_its_own_file(qtbot, labs):
    lab, other = labs(), labs()
    edit(lab.doc)
    other.doc.set_kernel_value("conv1", (0, 0, 1), -0.5)
    autosave(qtbot, lab)
    autosave(qtbot, other)
    lab.dialogs.answers.append("discard")
    assert lab.window.close()
    assert not lab.autosaver.path.exists()
    assert saved_state(other.autosaver.path) == doc_state(other.doc)


def test_saving_makes_the_recovery_file_go(qtbot, labs, tmp_path):
    lab = labs()
    edit(lab.doc)
    autosave(qtbot, lab)
    with qtbot.waitSignal(lab.actions.saved, timeout=10_000):
        lab.actions.save_to(tmp_path / "kept.convscope")
    lab.autosaver.writer.wait()
    assert not lab.autosaver.path.exists()


def test_after_a_crash_the_next_start_restores_the_orphan(qtbot, labs, tmp_path, dead_pid):
    crashed = labs()
    edit(crashed.doc)
    crashed.actions.path = tmp_path / "work.convscope"
    orphan = crash(qtbot, crashed, dead_pid)
    expected = state(crashed.doc)
    second = labs()
    assert state(second.doc) != expected
    with qtbot.waitSignal(second.autosaver.written, timeout=10_000):
        assert second.actions.offer_recovery(wait=True)
    assert second.dialogs.asked == ["restore"]
    assert state(second.doc) == expected
    assert second.window.isWindowModified()  # restored work is unsaved until saved
    assert second.actions.path == tmp_path / "work.convscope"
    # the orphan went once its work was in the new instance's own file
    assert saved_state(second.autosaver.path) == doc_state(second.doc)
    assert sorted(p.name for p in orphan.parent.iterdir()) == [second.autosaver.name]


def test_a_declined_orphan_is_removed_and_changes_nothing(qtbot, labs, dead_pid):
    crashed = labs()
    edit(crashed.doc)
    orphan = crash(qtbot, crashed, dead_pid)
    second = labs()
    before = state(second.doc)
    second.dialogs.restore = False
    assert not second.actions.offer_recovery(wait=True)
    assert second.dialogs.asked == ["restore"]
    assert state(second.doc) == before and not second.window.isWindowModified()
    assert list(orphan.parent.iterdir()) == []
    assert not labs().actions.offer_recovery(wait=True)  # not offered again


def test_a_running_instances_file_is_never_offered(qtbot, labs, dead_pid):
    crashed, live, own = labs(), labs(), labs()
    for lab in (crashed, live, own):
        edit(lab.doc)
    orphan = crash(qtbot, crashed, dead_pid)
    alive = crash(qtbot, live, os.getppid())  # another process that is still running
    own_file = autosave(qtbot, own)  # this process's (another window's) file
    starting = labs()
    starting.dialogs.restore = False
    assert orphans(starting.autosaver.directory) == [orphan]
    assert not starting.actions.offer_recovery(wait=True)
    assert len(starting.dialogs.offered) == 1
    assert f"autosave-{os.getpid()}-claimed" in Path(starting.dialogs.offered[0]).name
    assert not orphan.exists()
    assert alive.is_file() and own_file.is_file()


def test_the_legacy_file_is_offered(qtbot, labs):
    crashed = labs()
    edit(crashed.doc)
    legacy = crash(qtbot, crashed, 0, name=LEGACY_NAME)
    expected = state(crashed.doc)
    second = labs()
    with qtbot.waitSignal(second.autosaver.written, timeout=10_000):
        assert second.actions.offer_recovery(wait=True)
    assert state(second.doc) == expected
    assert not legacy.exists()


def test_several_orphans_are_offered_newest_first_one_at_a_time(qtbot, labs, dead_pid):
    old, new = labs(), labs()
    edit(old.doc)
    new.doc.set_kernel_value("conv1", (0, 0, 1), -0.5)
    older = crash(qtbot, old, dead_pid, name=f"autosave-{dead_pid}.convscope")
    newer = crash(qtbot, new, dead_pid, name=f"autosave-{dead_pid}-1.convscope")
    os.utime(older, (1_000_000, 1_000_000))
    assert orphans(older.parent) == [newer, older]
    expected = state(old.doc)
    second = labs()
    second.dialogs.restores = [False, True]  # no to the newest, yes to the next
    with qtbot.waitSignal(second.autosaver.written, timeout=10_000):
        assert second.actions.offer_recovery(wait=True)
    assert second.dialogs.asked == ["restore", "restore"]
    assert state(second.doc) == expected
    assert not older.exists() and not newer.exists()


def test_an_orphan_goes_to_one_instance_only(tmp_path, dead_pid):
    orphan = tmp_path / f"autosave-{dead_pid}.convscope"
    orphan.write_bytes(b"work")
    mine = claim(orphan)
    assert mine is not None and mine.read_bytes() == b"work"
    assert owner_pid(mine) == os.getpid()  # a crash now makes it an orphan again
    assert claim(orphan) is None  # a second instance starting together gets nothing
    assert orphans(tmp_path) == []


def test_damaged_recovery_file_is_reported_kept_and_not_offered_again(labs, dead_pid):
    lab = labs()
    lab.autosaver.directory.mkdir(parents=True, exist_ok=True)
    orphan = lab.autosaver.directory / f"autosave-{dead_pid}.convscope"
    orphan.write_bytes(b"PK\x03\x04 broken")
    before = state(lab.doc)
    messages = []
    lab.doc.message.connect(lambda level, text: messages.append((level, text)))
    assert not lab.actions.offer_recovery(wait=True)
    assert state(lab.doc) == before
    assert messages[-1][0] == "error" and "cannot be restored" in messages[-1][1]
    kept = orphan.with_suffix(".damaged")
    assert kept.read_bytes() == b"PK\x03\x04 broken" and str(kept) in messages[-1][1]
    lab.dialogs.asked.clear()
    assert not lab.actions.offer_recovery(wait=True)
    assert lab.dialogs.asked == []


def test_failed_autosave_warns_and_retries(qtbot, labs, tmp_path):
    lab = labs()
    blocker_file = tmp_path / "not-a-dir"
    blocker_file.write_text("x")
    lab.autosaver.directory = blocker_file / "recovery"  # cannot be created
    edit(lab.doc)
    with qtbot.waitSignal(lab.autosaver.failed, timeout=10_000):
        lab.autosaver.tick()
    assert lab.autosaver._dirty  # will try again on the next tick


def test_a_discard_at_interpreter_exit_runs_in_place(tmp_path, qtbot, monkeypatch):
    # The undo stack clears itself at interpreter exit (a script that never closed its
    # window), which asks the autosaver to discard its file; by then no thread can start
    # ("can't create new thread at interpreter shutdown"), and that used to escape as a
    # traceback.
    import gui.compute.jobs
    from gui.workspace.autosave import BackgroundWriter

    writer = BackgroundWriter()
    stale = tmp_path / "autosave-1.convscope"
    stale.write_text("x")

    def refuse(*_args, **_kwargs):
        raise RuntimeError("can't create new thread at interpreter shutdown")

    monkeypatch.setattr(gui.compute.jobs, "start_thread", refuse)
    future = writer.run(lambda: stale.unlink(), str(stale), token="discard")
    assert future.result() == "" and not stale.exists()
    writer.shutdown()


def test_a_restore_is_read_off_the_gui_thread_and_a_cancel_puts_the_file_back(
    qtbot, labs, dead_pid
):
    crashed = labs()
    edit(crashed.doc)
    orphan = crash(qtbot, crashed, dead_pid)
    expected, saved = state(crashed.doc), orphan.read_bytes()
    second = labs()
    before, count = state(second.doc), second.doc.undo_stack.count()
    loader = second.actions.loader
    with qtbot.waitSignal(loader.ended, timeout=10_000) as ended:
        assert second.actions.offer_recovery()  # the read started
        assert loader.busy and state(second.doc) == before
        loader.cancel()
    assert ended.args == ["cancelled"]
    qtbot.waitUntil(lambda: loader.jobs.idle, timeout=10_000)
    for _ in range(5):
        qtbot.wait(0)
    assert state(second.doc) == before and second.doc.undo_stack.count() == count
    assert orphan.read_bytes() == saved  # put back under its name: offered at the next start
    assert orphans(orphan.parent) == [orphan]

    third = labs()
    with qtbot.waitSignal(third.autosaver.written, timeout=10_000):
        with qtbot.waitSignal(third.actions.loader.ended, timeout=10_000) as ended:
            assert third.actions.offer_recovery()
    assert ended.args == ["done"]
    assert state(third.doc) == expected
