"""Help ▸ Keyboard and mouse / Getting started / About, in the window app.py opens."""

from __future__ import annotations

import pytest

from gui.app import launch

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CONVSCOPE_RECOVERY_DIR", str(tmp_path / "recovery"))
    win = launch.create_window(launch.resolve_input("sine"), remember=False)
    qtbot.addWidget(win)
    win.workspace_actions.ask_on_close = False
    yield win
    for page in getattr(win, "help_pages", {}).values():
        page.close()
    win.close()
    win.trainer_panel.shutdown()


def test_help_is_the_last_menu_and_has_its_pages(window):
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles[-1] == "Help"
    window.menu("Later")  # a menu added afterwards goes before Help
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles[-1] == "Help" and "Later" in titles
    assert set(window.help_actions) == {"keys", "start", "about"}


def test_keyboard_and_mouse_lists_the_gestures_and_the_real_shortcuts(window, qtbot):
    window.help_actions["keys"].trigger()
    page = window.help_pages["keys"]
    assert page.isVisible()
    text = page.browser.toPlainText()
    for words in ("Ctrl + wheel", "pan", "pins the probe", "Alt+Up", "Enter"):
        assert words in text, words
    # read from the window's actions: undo, presentation mode, full screen
    for key, what in (("Ctrl+Z", "Undo"), ("F5", "Presentation mode"), ("F11", "Full screen")):
        assert key in text and what in text, (key, what)


def test_getting_started_and_about_with_the_version(window):
    window.help_actions["start"].trigger()
    assert "Select a layer" in window.help_pages["start"].browser.toPlainText()
    window.help_actions["about"].trigger()
    about = window.help_pages["about"].browser.toPlainText()
    assert f"ConvScope {launch.app_version()}" in about
    assert launch.app_version() != "unknown"
