"""A dark theme with large fonts (readable on a projector), and a larger presentation size."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

BASE_POINT_SIZE = 12
PRESENTATION_POINT_SIZE = 17  # View ▸ Presentation mode: readable from the back of a hall

# Sizes in px scale with the point size (see style_sheet).
_STYLE = """
QLabel#layerTitle {{ font-size: {title}px; color: #e6e6e6; padding: 2px 2px 0 2px; }}
QLabel#readout {{ font-size: {readout}px; color: #ffd75e; }}
QStatusBar QLabel {{ font-size: {status}px; padding: 2px 6px; }}
QScrollArea {{ border: none; }}
QDockWidget > QWidget {{ border: none; }}
QTabBar::tab {{ padding: 3px 14px; }}
QCheckBox::indicator, QGroupBox::indicator, QRadioButton::indicator {{
    width: {box}px; height: {box}px; border: 2px solid #9a9aa8; background: #1c1c20; }}
QCheckBox::indicator, QGroupBox::indicator {{ border-radius: 3px; }}
QRadioButton::indicator {{ border-radius: {radius}px; }}
QCheckBox::indicator:hover, QRadioButton::indicator:hover {{ border-color: #d0d0dc; }}
QCheckBox::indicator:checked, QGroupBox::indicator:checked {{
    background: #4080c8; border-color: #6aa6e8; image: url({check}); }}
QRadioButton::indicator:checked {{ border-color: #6aa6e8; background: qradialgradient(
    cx: 0.5, cy: 0.5, radius: 0.5, fx: 0.5, fy: 0.5,
    stop: 0 #ffffff, stop: 0.45 #ffffff, stop: 0.55 #4080c8, stop: 1 #4080c8); }}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{
    border-color: #55555e; background: #2a2a30; }}
"""
# Unchecked boxes and radio buttons drawn by Fusion were nearly invisible on the dark
# theme: a light edge on a dark fill, a blue fill with a white mark when checked.
_CHECK = (Path(__file__).resolve().parents[2] / "resources" / "icons" / "check.svg").as_posix()


def style_sheet(point_size: int = BASE_POINT_SIZE) -> str:
    """The application style sheet for a base font of ``point_size``."""
    scale = point_size / BASE_POINT_SIZE
    return _STYLE.format(
        title=round(15 * scale),
        readout=round(14 * scale),
        status=round(14 * scale),
        box=round(13 * scale),
        radius=round(13 * scale) // 2 + 2,
        check=_CHECK,
    )


STYLE = style_sheet()


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: QColor(38, 38, 43),
        QPalette.ColorRole.WindowText: QColor(230, 230, 230),
        QPalette.ColorRole.Base: QColor(28, 28, 32),
        QPalette.ColorRole.AlternateBase: QColor(44, 44, 50),
        QPalette.ColorRole.Text: QColor(230, 230, 230),
        QPalette.ColorRole.Button: QColor(52, 52, 58),
        QPalette.ColorRole.ButtonText: QColor(230, 230, 230),
        QPalette.ColorRole.Highlight: QColor(64, 128, 200),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.ToolTipBase: QColor(50, 50, 56),
        QPalette.ColorRole.ToolTipText: QColor(235, 235, 235),
        QPalette.ColorRole.PlaceholderText: QColor(150, 150, 160),
    }
    for role, colour in colours.items():
        palette.setColor(role, colour)
    app.setPalette(palette)
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(STYLE)


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
        # keep whatever else the style sheet says; only the sizes grow (style sheet first:
        # setting it repolishes the widgets, which would keep their old fonts)
        app.setStyleSheet(
            app.styleSheet().replace(STYLE, "") + style_sheet(PRESENTATION_POINT_SIZE)
        )
        font = QFont(app.font())
        font.setPointSize(PRESENTATION_POINT_SIZE)
        app.setFont(font)
    elif not on and "font" in _saved:
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
