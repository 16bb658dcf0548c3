"""The first window fits the screen and comes back where the user left it.

``first_geometry(available, saved)`` is the rule (pure, tested without a screen): the saved
rectangle if there is one, else most of the screen; either way never larger than the
screen's available geometry (``QScreen.availableGeometry``: without the task bars) and moved
inside it. ``place_window`` applies the rule to a window before it is shown;
``remember_geometry`` saves the window's rectangle into QSettings when it closes.
After the first show, ``fit_frame`` shrinks the window if its frame (title bar) made the
whole thing taller than the screen.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QSettings, QTimer
from PySide6.QtWidgets import QWidget

KEY = "window/geometry"  # x, y, width, height of the client area (ints)
KEY_MAXIMIZED = "window/maximized"
FIRST_SHARE = 0.92  # a first window takes this share of each side of the screen
# Before the window manager has framed the window its frame is unknown: leave this much
# for a title bar and borders (fit_frame corrects it after the first show).
FRAME_GUESS_TOP, FRAME_GUESS_SIDE = 40, 8
MIN_W, MIN_H = 640, 480


def default_settings() -> QSettings:
    return QSettings("ConvScope", "ConvScope")


def first_geometry(available: QRect, saved: QRect | None = None) -> QRect:
    """The client rectangle of the first window on a screen with ``available`` geometry."""
    room_w = max(1, available.width() - 2 * FRAME_GUESS_SIDE)
    room_h = max(1, available.height() - FRAME_GUESS_TOP - FRAME_GUESS_SIDE)
    if saved is not None and saved.width() > 0 and saved.height() > 0:
        w, h = min(saved.width(), room_w), min(saved.height(), room_h)
        x, y = saved.x(), saved.y()
    else:
        w = min(room_w, max(min(MIN_W, room_w), int(available.width() * FIRST_SHARE)))
        h = min(room_h, max(min(MIN_H, room_h), int(available.height() * FIRST_SHARE)))
        x = available.x() + (available.width() - w) // 2
        y = available.y() + (available.height() - h) // 2
    # inside the screen: the frame's left/top edge too
    left, top = available.x() + FRAME_GUESS_SIDE, available.y() + FRAME_GUESS_TOP
    right = available.x() + available.width() - FRAME_GUESS_SIDE - w
    bottom = available.y() + available.height() - FRAME_GUESS_SIDE - h
    x = min(max(x, left), max(left, right))
    y = min(max(y, top), max(top, bottom))
    return QRect(x, y, w, h)


def saved_geometry(settings: QSettings) -> QRect | None:
    value = settings.value(KEY)
    if value is None:
        return None
    try:
        x, y, w, h = (int(v) for v in (value if isinstance(value, list) else str(value).split(",")))
    except (TypeError, ValueError):
        return None  # a damaged entry: the default, not an error
    return QRect(x, y, w, h)


def _available(window: QWidget) -> QRect:
    from PySide6.QtGui import QGuiApplication

    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def place_window(window: QWidget, settings: QSettings | None = None) -> QRect:
    """Give ``window`` (not yet shown) its first geometry; returns it."""
    settings = settings if settings is not None else default_settings()
    rect = first_geometry(_available(window), saved_geometry(settings))
    window.setGeometry(rect)
    window._start_maximized = settings.value(KEY_MAXIMIZED, False) in (True, "true")
    return rect


def fit_frame(window: QWidget) -> None:
    """Shrink a shown window whose frame (title bar, borders) leaves the screen."""
    available = _available(window)
    frame, inner = window.frameGeometry(), window.geometry()
    if available.contains(frame):
        return
    extra_w, extra_h = frame.width() - inner.width(), frame.height() - inner.height()
    w = min(inner.width(), available.width() - extra_w)
    h = min(inner.height(), available.height() - extra_h)
    window.resize(max(1, w), max(1, h))
    frame = window.frameGeometry()
    x = min(max(frame.x(), available.x()), available.right() - frame.width() + 1)
    y = min(max(frame.y(), available.y()), available.bottom() - frame.height() + 1)
    window.move(x, y)


def save_geometry(window: QWidget, settings: QSettings) -> None:
    maximized = window.isMaximized() or window.isFullScreen()
    settings.setValue(KEY_MAXIMIZED, bool(window.isMaximized()))
    if not maximized:  # the normal rectangle comes back when un-maximized
        g = window.geometry()
        settings.setValue(KEY, f"{g.x()},{g.y()},{g.width()},{g.height()}")
    settings.sync()


class _Keeper(QObject):
    def __init__(self, window: QWidget, settings: QSettings):
        super().__init__(window)
        self.settings = settings
        self._fitted = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.Close:
            save_geometry(watched, self.settings)
        elif kind == QEvent.Type.Show and not self._fitted:
            self._fitted = True
            QTimer.singleShot(0, lambda: fit_frame(watched))  # once the frame is known
        return False


def remember_geometry(window: QWidget, settings: QSettings | None = None) -> QSettings:
    """Place ``window`` now and save its geometry when it closes (into ``settings``)."""
    settings = settings if settings is not None else default_settings()
    place_window(window, settings)
    window.installEventFilter(_Keeper(window, settings))
    return settings


def show_placed(window: QWidget) -> None:
    """Show a window placed by :func:`place_window` (maximized if it was left so)."""
    if getattr(window, "_start_maximized", False):
        window.showMaximized()
    else:
        window.show()


def fit_size(window: QWidget, width: int, height: int) -> None:
    """Resize ``window`` to ``width`` x ``height``, no larger than its screen allows."""
    available = _available(window)
    rect = first_geometry(available, QRect(window.x(), window.y(), width, height))
    window.setGeometry(rect)
