"""Autosave: a recovery file while there are unsaved changes; restore after a crash."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from engine.workspace import load_workspace
from gui.autosave import RECOVERY_ENV, RECOVERY_NAME, recovery_dir
from gui.main_window import MainWindow
from gui.scheduler import ComputeScheduler
from gui.workspace_actions import install_workspace
from tests.test_gui_workspace import FakeDialogs, edit, small_document, state

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


class Lab:
    """One running app: document, scheduler, window and workspace actions."""

    def __init__(self, qtbot, tmp_path, autosave_ms=None):
        self.doc = small_document()
        self.scheduler = ComputeScheduler(self.doc, threads=1)
        self.window = MainWindow(self.doc, self.scheduler)
        qtbot.addWidget(self.window)
        self.dialogs = FakeDialogs()
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


@pytest.fixture
def labs(qtbot, tmp_path):
    made: list[Lab] = []

    def make(**kwargs) -> Lab:
        made.append(Lab(qtbot, tmp_path, **kwargs))
        return made[-1]

    yield make
    for lab in made:
        lab.stop()


def test_recovery_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(RECOVERY_ENV, str(tmp_path / "here"))
    assert recovery_dir() == tmp_path / "here"


def test_nothing_written_while_clean(labs):
    lab = labs()
    assert not lab.autosaver.tick()
    assert not lab.autosaver.path.exists()


def test_autosave_writes_a_file_that_restores_the_workspace(qtbot, labs):
    lab = labs()
    edit(lab.doc)
    with qtbot.waitSignal(lab.autosaver.written, timeout=10_000) as blocker:
        assert lab.autosaver.tick()
    assert blocker.args[0].endswith(RECOVERY_NAME)
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


def test_clean_close_removes_the_recovery_file(qtbot, labs):
    lab = labs()
    edit(lab.doc)
    with qtbot.waitSignal(lab.autosaver.written, timeout=10_000):
        lab.autosaver.tick()
    assert lab.autosaver.path.is_file()
    lab.dialogs.answers.append("discard")
    assert lab.window.close()
    assert not lab.autosaver.path.exists()


def test_saving_makes_the_recovery_file_go(qtbot, labs, tmp_path):
    lab = labs()
    edit(lab.doc)
    with qtbot.waitSignal(lab.autosaver.written, timeout=10_000):
        lab.autosaver.tick()
    with qtbot.waitSignal(lab.actions.saved, timeout=10_000):
        lab.actions.save_to(tmp_path / "kept.convscope")
    lab.autosaver.writer.wait()
    assert not lab.autosaver.path.exists()


def test_after_a_crash_the_next_start_offers_to_restore(qtbot, labs, tmp_path):
    crashed = labs()
    edit(crashed.doc)
    crashed.actions.path = tmp_path / "work.convscope"
    with qtbot.waitSignal(crashed.autosaver.written, timeout=10_000):
        crashed.autosaver.tick()
    expected = state(crashed.doc)
    # no clean exit: the recovery file stays; a new app starts with the same directory
    second = labs()
    assert state(second.doc) != expected
    second.dialogs.restore = False
    assert not second.actions.offer_recovery()
    assert state(second.doc) != expected and "restore" in second.dialogs.asked
    second.dialogs.restore = True
    assert second.actions.offer_recovery()
    assert state(second.doc) == expected
    assert second.window.isWindowModified()  # restored work is unsaved until saved
    assert second.actions.path == tmp_path / "work.convscope"


def test_damaged_recovery_file_is_reported_and_changes_nothing(labs):
    lab = labs()
    lab.autosaver.directory.mkdir(parents=True, exist_ok=True)
    lab.autosaver.path.write_bytes(b"PK\x03\x04 broken")
    before = state(lab.doc)
    messages = []
    lab.doc.message.connect(lambda level, text: messages.append((level, text)))
    assert not lab.actions.offer_recovery()
    assert state(lab.doc) == before
    assert messages[-1][0] == "error" and "cannot be restored" in messages[-1][1]


def test_failed_autosave_warns_and_retries(qtbot, labs, tmp_path):
    lab = labs()
    blocker_file = tmp_path / "not-a-dir"
    blocker_file.write_text("x")
    lab.autosaver.directory = blocker_file / "recovery"  # cannot be created
    edit(lab.doc)
    with qtbot.waitSignal(lab.autosaver.failed, timeout=10_000):
        lab.autosaver.tick()
    assert lab.autosaver._dirty  # will try again on the next tick
