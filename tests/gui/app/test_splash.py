"""The start-up splash: shown before the lab is built, saying what loads, closed once the
window is up; a bad target closes it and says why on one line."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from gui.app import launch, window_geometry
from gui.app import splash as splash_module


@pytest.fixture
def own_settings(tmp_path, monkeypatch):
    """Settings in a temporary file, never the user's; recovery files there too."""
    monkeypatch.setenv("CONVSCOPE_RECOVERY_DIR", str(tmp_path / "recovery"))
    path = str(tmp_path / "settings.ini")
    monkeypatch.setattr(
        window_geometry, "default_settings", lambda: QSettings(path, QSettings.Format.IniFormat)
    )


def test_the_splash_shows_first_and_closes_when_the_window_is_up(own_settings, qtbot, monkeypatch):
    said: list[tuple[str, bool]] = []  # (message, the window exists yet)
    made = []
    real_say = splash_module.Splash.say

    def say(self, text):
        said.append((text, bool(made)))
        real_say(self, text)

    real_create = launch.create_window

    def create(*args, **kwargs):
        assert said and any(
            s.isVisible()
            for s in QApplication.topLevelWidgets()
            if isinstance(s, splash_module.Splash)
        )
        window = real_create(*args, **kwargs)
        made.append(window)
        return window

    monkeypatch.setattr(splash_module.Splash, "say", say)
    monkeypatch.setattr(launch, "create_window", create)
    window = launch.open_lab(QApplication.instance(), "checkerboard")
    qtbot.addWidget(window)
    window.workspace_actions.ask_on_close = False
    splash = window.splash
    assert splash.shown_s is not None  # painted
    assert [text for text, _ in said][:3] == [
        "Starting…",
        "Reading checkerboard…",
        "Loading torch and building the lab…",
    ]
    assert not any(window_made for _, window_made in said[:3])
    assert splash.finished
    qtbot.waitUntil(lambda: not splash.isVisible(), timeout=10_000)
    assert window.isVisible()
    window.close()
    window.trainer_panel.shutdown()


def test_a_bad_target_closes_the_splash_with_one_line(own_settings, qtbot, capsys):
    before = {id(w) for w in QApplication.topLevelWidgets()}
    assert launch.open_lab(QApplication.instance(), "no-such-example") is None
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")
    splashes = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, splash_module.Splash) and id(w) not in before
    ]
    assert all(not s.isVisible() for s in splashes)
