"""Fields take typing and the wheel only when the user means them.

- A spin box applies what is typed on Enter or when it loses focus, not at each keystroke
  (typing "12" into kernel size applied kernel size 1 first): Qt's keyboard tracking off.
  Its arrows, arrow keys and the wheel still apply at once.
- The wheel changes a spin box, combo box or slider only when it has the keyboard focus;
  otherwise the wheel scrolls what the field sits in (the inspector, a side panel).

``install_field_input(app)`` does both for every field of the application, present and
future (an application event filter; installed once).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollBar,
    QWidget,
)

FIELDS = (QAbstractSpinBox, QComboBox, QAbstractSlider)


def _field(obj: QObject) -> QWidget | None:
    """The field ``obj`` is or belongs to (a spin box's line edit), else None."""
    widget = obj if isinstance(obj, QWidget) else None
    for _ in range(2):
        if widget is None:
            return None
        if isinstance(widget, QScrollBar):
            return None  # a scroll bar scrolls (a scroll area passes it its wheel events)
        if isinstance(widget, FIELDS):
            return widget
        widget = widget.parentWidget()
    return None


def _scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea) and not isinstance(parent, FIELDS):
            return parent
        parent = parent.parentWidget()
    return None


class FieldInput(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.Polish and isinstance(watched, QAbstractSpinBox):
            watched.setKeyboardTracking(False)
            if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a wheel is no click
        elif kind == QEvent.Type.Polish and isinstance(watched, (QComboBox, QAbstractSlider)):
            if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif kind == QEvent.Type.Wheel:
            field = _field(watched)
            if field is not None and not field.hasFocus() and field.isEnabled():
                # not for this field: for the scroll area it sits in, if any (Qt passes
                # an ignored event to the parent only if it came from the window system)
                area = _scroll_area(field)
                if area is not None:
                    QApplication.sendEvent(area.viewport(), event)
                else:
                    event.ignore()
                return True
        return False


_installed: list[FieldInput] = []  # at most one, on the application


def install_field_input(app: QApplication | None = None) -> FieldInput:
    """Install the filter on the application (once); returns it."""
    if not _installed:
        app = app or QApplication.instance()
        guard = FieldInput(app)
        app.installEventFilter(guard)
        _installed.append(guard)
    return _installed[0]
