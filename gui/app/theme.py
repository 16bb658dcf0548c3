"""The themes (dark, light, high-contrast for projectors) with large fonts, and the larger
presentation size.

A theme is a set of colours (:mod:`gui.widgets.themes`) turned into a Qt palette, the
application style sheet and pyqtgraph's colours; :func:`set_theme` switches all of them at
once, :func:`saved_theme` / :func:`remember_theme` keep the choice in QSettings.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from gui.widgets.themes import THEMES, Colours, colours, rgb, set_current

BASE_POINT_SIZE = 12
PRESENTATION_POINT_SIZE = 17  # View ▸ Presentation mode: readable from the back of a hall
THEME_NAMES = tuple(THEMES)  # dark, light, high-contrast (engine.lessons.THEMES)
THEME_TITLES = {"dark": "&Dark", "light": "&Light", "high-contrast": "&High contrast (projector)"}
SETTINGS_KEY = "view/theme"

# Sizes in px scale with the point size, colours come from the theme (see style_sheet).
_STYLE = """
QLabel#layerTitle {{ font-size: {title}px; color: {c.text}; padding: 2px 2px 0 2px; }}
QLabel#readout {{ font-size: {readout}px; color: {c.readout}; }}
QStatusBar QLabel {{ font-size: {status}px; padding: 2px 6px; }}
QScrollArea {{ border: none; }}
QDockWidget > QWidget {{ border: none; }}
QTabBar::tab {{ padding: 3px 14px; }}
QLabel[tone="error"] {{ color: {c.error}; }}
QLabel[tone="warning"] {{ color: {c.warning}; }}
QLabel[tone="muted"] {{ color: {c.muted}; }}
QLabel[tone="readout"] {{ color: {c.readout}; }}
QCheckBox::indicator, QGroupBox::indicator, QRadioButton::indicator {{
    width: {box}px; height: {box}px; border: 2px solid {c.indicator}; background: {c.base}; }}
QCheckBox::indicator, QGroupBox::indicator {{ border-radius: 3px; }}
QRadioButton::indicator {{ border-radius: {radius}px; }}
QCheckBox::indicator:hover, QRadioButton::indicator:hover {{ border-color: {c.text}; }}
QCheckBox::indicator:checked, QGroupBox::indicator:checked {{
    background: {c.checked}; border-color: {c.indicator}; image: url({check}); }}
QRadioButton::indicator:checked {{ border-color: {c.indicator}; background: qradialgradient(
    cx: 0.5, cy: 0.5, radius: 0.5, fx: 0.5, fy: 0.5,
    stop: 0 #ffffff, stop: 0.45 #ffffff, stop: 0.55 {c.checked}, stop: 1 {c.checked}); }}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{
    border-color: {c.grid}; background: {c.alternate}; }}
"""
# Unchecked boxes and radio buttons drawn by Fusion were nearly invisible on the dark
# theme: a light edge on a dark fill, a blue fill with a white mark when checked.
_CHECK = (Path(__file__).resolve().parents[2] / "resources" / "icons" / "check.svg").as_posix()


def style_sheet(point_size: int = BASE_POINT_SIZE, theme: str | None = None) -> str:
    """The application style sheet for a base font of ``point_size`` in ``theme``
    (default: the current one)."""
    scale = point_size / BASE_POINT_SIZE
    return _STYLE.format(
        title=round(15 * scale),
        readout=round(14 * scale),
        status=round(14 * scale),
        box=round(13 * scale),
        radius=round(13 * scale) // 2 + 2,
        check=_CHECK,
        c=THEMES[theme] if theme else colours(),
    )


STYLE = style_sheet(theme="dark")
_applied = [STYLE]  # the theme part of the application's style sheet, as last set


def palette_for(c: Colours) -> QPalette:
    """The Qt palette of a theme (Fusion draws every widget from it)."""
    palette = QPalette()
    roles = QPalette.ColorRole
    colours_ = {
        roles.Window: c.window,
        roles.WindowText: c.text,
        roles.Base: c.base,
        roles.AlternateBase: c.alternate,
        roles.Text: c.text,
        roles.Button: c.button,
        roles.ButtonText: c.text,
        roles.BrightText: c.error,
        roles.Highlight: c.highlight,
        roles.HighlightedText: c.highlighted_text,
        roles.ToolTipBase: c.tooltip,
        roles.ToolTipText: c.text,
        roles.PlaceholderText: c.muted,
        roles.Link: c.accent,
        roles.Mid: c.muted,  # "color: palette(mid)" texts are secondary text
    }
    for role, colour in colours_.items():
        palette.setColor(role, QColor(colour))
    disabled = QColor(c.grid)
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def apply_theme(app: QApplication, name: str = "dark") -> None:
    """Fusion, the theme ``name``'s palette and style sheet, the base font size."""
    app.setStyle("Fusion")
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    set_theme(name)


def saved_theme() -> str:
    """The theme chosen last time (QSettings), dark when none or unknown."""
    from PySide6.QtCore import QSettings

    name = QSettings().value(SETTINGS_KEY, "dark")
    return name if name in THEMES else "dark"


def remember_theme(name: str) -> None:
    from PySide6.QtCore import QSettings

    QSettings().setValue(SETTINGS_KEY, name)


def set_theme(name: str, root: QWidget | None = None) -> None:
    """Switch the application to theme ``name``: palette, style sheet (at the current font
    size), pyqtgraph's defaults and every plot under ``root``, the maps' lookup tables."""
    import pyqtgraph as pg

    app = QApplication.instance()
    c = THEMES[name]
    presenting = "font" in _saved
    if app is not None:
        app.setPalette(palette_for(c))
        size = PRESENTATION_POINT_SIZE if presenting else BASE_POINT_SIZE
        sheet = style_sheet(size, name)
        app.setStyleSheet(app.styleSheet().replace(_applied[0], "") + sheet)
        _applied[0] = sheet
        if presenting:  # leaving presentation mode restores the new theme, not the old
            _saved["style"] = str(_saved["style"]).replace(_saved.get("theme_style", ""), "")
            _saved["style"] = str(_saved["style"]) + style_sheet(BASE_POINT_SIZE, name)
            _saved["theme_style"] = style_sheet(BASE_POINT_SIZE, name)
    pg.setConfigOption("background", c.plot)
    pg.setConfigOption("foreground", c.plot_text)
    set_current(name)
    # The maps' tables read the theme when first imported; importing them here would pull
    # torch in before the start-up splash is on screen.
    colormaps = sys.modules.get("gui.compute.colormaps")
    if colormaps is not None:
        colormaps.set_background(rgb(c.plot))
    if root is not None:
        restyle_plots(root)


def restyle_plots(root: QWidget) -> None:
    """Give every pyqtgraph view under ``root`` the current theme's background, axes and
    titles (views made later read the theme themselves)."""
    import pyqtgraph as pg

    c = colours()
    for view in root.findChildren(pg.GraphicsView):
        view.setBackground(c.plot)
        scene = view.scene()
        if scene is None:
            continue
        for item in scene.items():
            if isinstance(item, pg.AxisItem):
                item.setPen(c.plot_text)
                item.setTextPen(c.plot_text)
            elif isinstance(item, pg.LabelItem):
                item.setText(item.text, color=c.plot_text)


_saved: dict[str, object] = {}


def set_presentation_fonts(on: bool, root: QWidget | None = None) -> None:
    """Switch the application's fonts to the presentation size, or back to what they were.

    ``root`` (the main window) and its widgets are told at once; widgets made later get the
    new fonts anyway.
    """
    app = QApplication.instance()
    if app is None:
        return
    if on and "font" not in _saved:
        _saved["font"], _saved["style"] = QFont(app.font()), app.styleSheet()
        _saved["theme_style"] = _applied[0]
        # keep whatever else the style sheet says; only the sizes grow (style sheet first:
        # setting it repolishes the widgets, which would keep their old fonts)
        big = style_sheet(PRESENTATION_POINT_SIZE)
        app.setStyleSheet(app.styleSheet().replace(_applied[0], "") + big)
        _applied[0] = big
        font = QFont(app.font())
        font.setPointSize(PRESENTATION_POINT_SIZE)
        app.setFont(font)
    elif not on and "font" in _saved:
        _applied[0] = str(_saved.pop("theme_style"))
        app.setStyleSheet(_saved.pop("style"))
        app.setFont(_saved.pop("font"))
    else:
        return
    # Outside exec() Qt does not tell existing widgets. Only the live tree of ``root`` is
    # told: QApplication.allWidgets() also lists widgets whose deletion is pending, and
    # wrapping one of those crashed shiboken (seen in the test suite).
    if root is not None:
        for widget in (root, *root.findChildren(QWidget)):
            QApplication.sendEvent(widget, QEvent(QEvent.Type.ApplicationFontChange))
