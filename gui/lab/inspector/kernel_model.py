"""The table model behind the kernel editor: a 2D array of weights as editable cells.

Cells are coloured on a diverging scale symmetric about 0 (blue negative, white 0, red
positive); what a person types is parsed leniently ('−0,5' works) and anything that is not a
finite number a float32 weight can hold (1e39 is not) is refused with ``refused(text)``;
edits leave as ``edited(row, col, value)`` and the editor passes them to the document.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from gui.compute.colormaps import colormap

_LUT = colormap("diverging").getLookupTable(nPts=256)  # (256, 3) uint8


def parse_number(text: str) -> float | None:
    """A float from what a person types ('−0,5' and '-0.5' alike), or None."""
    t = text.strip().replace("−", "-")
    if "," in t and "." not in t:
        t = t.replace(",", ".")
    try:
        return float(t)
    except ValueError:
        return None


FLOAT32_MAX = float(np.finfo(np.float32).max)


def weight_refusal(text: str) -> str | None:
    """Why ``text`` cannot be a weight ("is not a number", "is too large ..."), or None.

    A weight is stored as float32: a value it cannot hold (1e39, -1e308) would become ±inf
    silently, so it is refused as firmly as text that is not a number, and so are inf, NaN.
    """
    number = parse_number(text)
    if number is None or math.isnan(number):
        return "is not a number"
    if math.isinf(number) or abs(number) > FLOAT32_MAX:
        return f"is beyond what a weight can hold (float32: at most ±{FLOAT32_MAX:.3g})"
    return None


def value_colour(value: float, magnitude: float) -> QColor:
    """The diverging colour of ``value`` on a scale symmetric about 0 up to ``magnitude``."""
    t = 0.5 if magnitude <= 0 else 0.5 + 0.5 * max(-1.0, min(1.0, value / magnitude))
    r, g, b = (int(c) for c in _LUT[min(int(t * 255.999), 255)][:3])
    return QColor(r, g, b)


class KernelModel(QAbstractTableModel):
    """A 2D array of kernel values as an editable table; edits become ``edited(row, col, v)``."""

    edited = Signal(int, int, float)
    refused = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._values = np.zeros((0, 0), np.float32)
        self._magnitude = 1.0

    @property
    def values(self) -> np.ndarray:
        return self._values

    def set_values(self, values: np.ndarray) -> None:
        values = np.atleast_2d(np.asarray(values))
        magnitude = float(np.abs(values).max()) if values.size else 1.0
        if values.shape == self._values.shape:
            old, old_magnitude = self._values, self._magnitude
            self._magnitude = magnitude
            self._values = values
            if not values.size:
                return
            if magnitude == old_magnitude:
                # Colours are relative to the magnitude: while it stands, only the cells
                # whose values differ repaint (one cell for one edit).
                rows, cols = np.nonzero(values != old)
                if rows.size == 0:
                    return
                top_left = self.index(int(rows.min()), int(cols.min()))
                bottom_right = self.index(int(rows.max()), int(cols.max()))
            else:
                top_left = self.index(0, 0)
                bottom_right = self.index(values.shape[0] - 1, values.shape[1] - 1)
            self.dataChanged.emit(top_left, bottom_right)
        else:
            self.beginResetModel()
            self._values, self._magnitude = values, magnitude
            self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802 - Qt's API
        return 0 if parent.isValid() else self._values.shape[0]

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802 - Qt's API
        return 0 if parent.isValid() else self._values.shape[1]

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        v = float(self._values[index.row(), index.column()])
        if role == Qt.ItemDataRole.DisplayRole:
            # 3 significant digits (1, −4, 0.125) while they fit; 2 in wider kernels
            digits = 3 if self._values.shape[1] <= 3 else 2
            return f"{v:.{digits}g}".replace("-", "−")
        if role == Qt.ItemDataRole.EditRole:
            return f"{v:.6g}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{v:.9g}"
        if role == Qt.ItemDataRole.BackgroundRole:
            return value_colour(v, self._magnitude)
        if role == Qt.ItemDataRole.ForegroundRole:
            c = value_colour(v, self._magnitude)
            light = 0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue() > 140
            return QColor(0, 0, 0) if light else QColor(255, 255, 255)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        # 0-based like every other index in the app (weights, positions, channels)
        if role == Qt.ItemDataRole.DisplayRole:
            return str(section)
        return super().headerData(section, orientation, role)

    def flags(self, index):
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if index.isValid() else base

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        text = repr(value) if isinstance(value, int | float) else str(value)
        if weight_refusal(text) is not None:
            self.refused.emit(text)
            return False
        number = parse_number(text)
        self.edited.emit(index.row(), index.column(), float(number))
        return True
