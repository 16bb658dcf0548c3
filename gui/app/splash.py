"""The start-up splash: on screen within half a second of launch, saying what is loading.

torch's import alone takes about a second, Qt's and pyqtgraph's another half: before this
splash nothing was on screen for over two seconds. It imports nothing but PySide6 (so it can
be shown before the heavy modules are imported) and closes itself when the window it was
given to :meth:`Splash.finish` is shown.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QSplashScreen

SIZE = (520, 240)
BACKGROUND = QColor(38, 38, 43)
ACCENT = QColor(76, 201, 240)
TEXT = QColor(230, 230, 230)
MUTED = QColor(160, 160, 170)


def _picture(version: str) -> QPixmap:
    w, h = SIZE
    pixmap = QPixmap(w, h)
    pixmap.fill(BACKGROUND)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    # a 3x3 kernel over a grid, the app's subject in one glance
    cell = 16
    for r in range(5):
        for c in range(5):
            shade = 60 + 25 * ((r * 5 + c) % 4)
            painter.fillRect(
                28 + c * (cell + 2),
                40 + r * (cell + 2),
                cell,
                cell,
                QColor(shade, shade, 80 + shade // 2),
            )
    painter.setPen(ACCENT)
    painter.drawRect(
        28 + 1 * (cell + 2) - 2, 40 + 1 * (cell + 2) - 2, 3 * (cell + 2) + 2, 3 * (cell + 2) + 2
    )
    title = QFont()
    title.setPointSize(26)
    title.setBold(True)
    painter.setFont(title)
    painter.setPen(TEXT)
    painter.drawText(QRect(150, 34, w - 160, 50), Qt.AlignmentFlag.AlignLeft, "ConvScope")
    small = QFont()
    small.setPointSize(11)
    painter.setFont(small)
    painter.setPen(MUTED)
    painter.drawText(
        QRect(150, 86, w - 160, 40),
        Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap,
        f"see inside a convolutional network · {version}",
    )
    painter.setPen(QColor(60, 60, 68))
    painter.drawLine(20, h - 50, w - 20, h - 50)
    painter.end()
    return pixmap


class Splash(QSplashScreen):
    """The splash; ``shown_s`` is when it was first painted (``time.perf_counter``)."""

    def __init__(self, version: str = ""):
        super().__init__(_picture(version))
        self.setObjectName("splash")
        self.shown_s: float | None = None
        self.finished = False
        font = QFont()
        font.setPointSize(11)
        self.setFont(font)

    def say(self, text: str) -> None:
        """Show ``text`` (what is loading now) and paint it at once: the GUI thread is about
        to be busy importing."""
        self.showMessage(text, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft, TEXT)
        QApplication.processEvents()

    def drawContents(self, painter) -> None:  # noqa: N802 - Qt's name
        painter.setPen(TEXT)
        rect = self.rect().adjusted(24, 0, -24, -16)
        painter.drawText(
            rect, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft, self.message()
        )

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if self.shown_s is None:
            self.shown_s = time.perf_counter()

    def finish(self, window) -> None:  # noqa: D102 - QSplashScreen's
        self.finished = True
        super().finish(window)


def show_splash(app: QApplication, version: str = "") -> Splash:
    """Show the splash now (painted before this returns)."""
    splash = Splash(version)
    screen = app.primaryScreen()
    if screen is not None:
        splash.move(screen.availableGeometry().center() - splash.rect().center())
    splash.show()
    splash.say("Starting…")
    splash.repaint()
    QApplication.processEvents()
    return splash
