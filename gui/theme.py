"""A dark theme with large fonts (readable on a projector)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

BASE_POINT_SIZE = 12

STYLE = """
QLabel#layerTitle { font-size: 15px; color: #e6e6e6; padding: 2px 2px 0 2px; }
QLabel#readout { font-size: 15px; color: #ffd75e; }
QStatusBar QLabel { font-size: 14px; padding: 2px 6px; }
QScrollArea { border: none; }
"""


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
        QPalette.ColorRole.PlaceholderText: QColor(140, 140, 150),
    }
    for role, colour in colours.items():
        palette.setColor(role, colour)
    app.setPalette(palette)
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(STYLE)
