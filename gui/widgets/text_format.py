"""How numbers, shapes and errors look wherever ConvScope shows them in text."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor

ERROR_COLOR = QColor(200, 30, 30)  # the one red of every error text


def fmt_count(value: Any) -> str:
    """12345 -> '12,345'; None -> '—'."""
    if value is None:
        return "—"
    return f"{int(value):,}"


def fmt_shape(shape: Any) -> str:
    """(4, 28, 28) -> '4×28×28'; None -> '—'."""
    if shape is None:
        return "—"
    return "×".join(str(int(s)) for s in shape)
