"""Themes: dark, light and high-contrast change Qt's palette and every plot's background;
high-contrast text reaches WCAG's 7:1 (computed here); the choice is remembered."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from gui.app import theme
from gui.compute import colormaps
from gui.compute.display import GAP
from gui.widgets.themes import THEMES, colours

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture
def themed(qtbot):
    app = QApplication.instance()
    saved = app.style().name(), QFont(app.font()), QPalette(app.palette()), app.styleSheet()
    setting = QSettings().value(theme.SETTINGS_KEY)
    theme.apply_theme(app, "dark")
    yield app
    theme.set_theme("dark")
    style, font, palette, sheet = saved
    app.setStyleSheet(sheet)
    app.setStyle(style)
    app.setPalette(palette)
    app.setFont(font)
    if setting is None:
        QSettings().remove(theme.SETTINGS_KEY)
    else:
        QSettings().setValue(theme.SETTINGS_KEY, setting)


def luminance(c: QColor) -> float:
    """WCAG 2.x relative luminance."""

    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())


def contrast(a: QColor, b: QColor) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_is_computed_as_wcag_says():
    assert contrast(QColor("#000000"), QColor("#ffffff")) == pytest.approx(21.0)
    assert contrast(QColor("#777777"), QColor("#ffffff")) == pytest.approx(4.48, abs=0.01)


def plot_backgrounds(window) -> set[str]:
    return {v.backgroundBrush().color().name() for v in window.findChildren(pg.GraphicsView)}


@pytest.mark.parametrize("name", ["light", "high-contrast", "dark"])
def test_switching_changes_the_palette_and_every_plot(themed, open_window, qtbot, name):
    window = open_window("cameraman")  # the trainer's plots are made in the dark theme
    if name == "dark":
        window.set_theme("light", remember=False)  # from another theme back to dark
    window.theme_actions[name].trigger()
    c = THEMES[name]
    assert window.theme == name and colours() is c
    palette = QApplication.instance().palette()
    assert palette.color(QPalette.ColorRole.Window).name() == c.window
    assert palette.color(QPalette.ColorRole.WindowText).name() == c.text
    assert palette.color(QPalette.ColorRole.Base).name() == c.base
    assert plot_backgrounds(window) == {c.plot}
    # the maps' tile gaps are the background too (the worker colours them from the table)
    lut = colormaps.lookup_table("viridis", False)
    assert QColor(*lut[GAP]).name() == c.plot
    axes = [
        i
        for v in window.findChildren(pg.PlotWidget)
        for i in v.scene().items()
        if isinstance(i, pg.AxisItem)
    ]
    assert axes and all(a.textPen().color().name() == c.plot_text for a in axes)
    assert window.theme_actions[name].isChecked()
    # a lab built after the switch starts in the theme
    window.show_lab("Sampling")
    assert plot_backgrounds(window) == {c.plot}


def test_high_contrast_text_reaches_seven_to_one(themed, open_window):
    window = open_window("sine")
    window.set_theme("high-contrast", remember=False)
    palette = QApplication.instance().palette()
    role = QPalette.ColorRole
    pairs = [
        (role.WindowText, role.Window),
        (role.Text, role.Base),
        (role.ButtonText, role.Button),
        (role.HighlightedText, role.Highlight),
        (role.ToolTipText, role.ToolTipBase),
        (role.PlaceholderText, role.Base),
        (role.Mid, role.Window),  # secondary text ("palette(mid)")
    ]
    for fg, bg in pairs:
        ratio = contrast(palette.color(fg), palette.color(bg))
        assert ratio >= 7, (fg, bg, ratio)
    c = colours()
    background = QColor(c.plot)
    for tone in (c.plot_text, c.readout, c.error, c.warning, c.muted, c.plot_line):
        assert contrast(QColor(tone), background) >= 7, tone
    for tone in (c.error, c.warning, c.muted, c.readout):
        assert contrast(QColor(tone), QColor(c.window)) >= 7, tone


@pytest.mark.parametrize("name", ["dark", "light"])
def test_the_other_themes_reach_four_and_a_half_to_one(name):
    c = THEMES[name]
    for tone, bg in [
        (c.text, c.window),
        (c.text, c.base),
        (c.muted, c.window),
        (c.plot_text, c.plot),
        (c.error, c.window),
        (c.readout, c.plot),
    ]:
        assert contrast(QColor(tone), QColor(bg)) >= 4.5, (name, tone, bg)


def test_the_error_tone_follows_the_theme(themed, open_window, qtbot):
    window = open_window("sine")
    window.document.notify("error", "a test error")
    label = window._message
    for name in ("dark", "light", "high-contrast"):
        window.set_theme(name, remember=False)
        label.ensurePolished()
        assert label.palette().color(QPalette.ColorRole.WindowText).name() == THEMES[name].error


def test_the_choice_is_remembered(themed, open_window):
    window = open_window("sine")
    window.set_theme("high-contrast")
    assert QSettings().value(theme.SETTINGS_KEY) == "high-contrast"
    assert theme.saved_theme() == "high-contrast"
    QSettings().setValue(theme.SETTINGS_KEY, "neon")
    assert theme.saved_theme() == "dark"  # an unknown name: the default, no error


def test_presentation_mode_keeps_the_theme_and_back(themed, open_window):
    window = open_window("sine")
    window.set_theme("light", remember=False)
    window.set_presentation(True)
    window.set_theme("high-contrast", remember=False)
    app = QApplication.instance()
    assert THEMES["high-contrast"].readout in app.styleSheet()
    assert THEMES["light"].readout not in app.styleSheet()
    window.set_presentation(False)
    assert THEMES["high-contrast"].readout in app.styleSheet()
    assert THEMES["light"].readout not in app.styleSheet()
    assert app.font().pointSize() == theme.BASE_POINT_SIZE
