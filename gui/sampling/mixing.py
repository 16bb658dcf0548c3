"""The 1×1 convolution section: a channel-mixing matrix editor on an RGB photograph.

Each output channel is the weighted sum of the colour channels at every position (the same
small fully connected network applied at each position); the parameter counts of the 1×1
convolution and of a 3×3 one between the same channels come from the engine.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QComboBox, QHeaderView, QTableWidget, QTableWidgetItem

from engine import sampling as S
from gui.sampling.section import Section, spin, wrapping

CAPTION = (
    "A 1×1 convolution mixes channels: output channel o at every position is "
    "Σ_c w[o, c]·x[c], the same small fully connected network applied at each position. "
    "Edit the matrix (rows: output channels, columns: R, G, B) or pick a preset."
)
PRESET_TITLES = {
    "identity": "identity",
    "grey": "grey from RGB",
    "swap_rb": "swap R and B",
    "random": "random",
}


class MixingSection(Section):
    """Matrix editor | the photograph | one map per output channel | parameter counts."""

    edited = Signal()

    def __init__(self):
        super().__init__("1×1 convolution: channel mixing", CAPTION)
        self.preset = self.control("preset", QComboBox())
        for key, title in PRESET_TITLES.items():
            self.preset.addItem(title, key)
        self.outputs = self.control("output channels", spin(1, 4, 3, "rows of the matrix"))
        self.table = QTableWidget(3, 3)
        self.table.setHorizontalHeaderLabels(["R", "G", "B"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("w[o, c]: edit a cell (a number)")
        self.maps.addWidget(self.table)
        self.counts = wrapping(name="samplingFormula")
        self.layout().insertWidget(3, self.counts)
        self.plot("image", "input (RGB)")
        self._filling = False
        self.preset.activated.connect(lambda _i: self.apply_preset())
        self.outputs.valueChanged.connect(lambda _v: self.apply_preset())
        self.table.itemChanged.connect(self._cell_edited)
        self.apply_preset()

    def matrix(self) -> np.ndarray | None:
        """The matrix in the table, or None (and an error line) if a cell is not a number."""
        rows = []
        for r in range(self.table.rowCount()):
            row = []
            for c in range(3):
                item = self.table.item(r, c)
                text = item.text().strip() if item is not None else ""
                try:
                    value = float(text.replace("−", "-"))
                except ValueError:
                    self.show_error(f"cell ({r}, {'RGB'[c]}) is {text!r}, not a number")
                    return None
                if not np.isfinite(value):
                    self.show_error(f"cell ({r}, {'RGB'[c]}) must be a finite number")
                    return None
                row.append(value)
            rows.append(row)
        self.show_error(None)
        return np.array(rows, dtype=np.float32)

    def apply_preset(self) -> None:
        key = self.preset.currentData()
        try:
            m = S.mixing_preset(key, 3, self.outputs.value())
        except S.SamplingError as error:
            self.show_error(str(error))
            return
        self.set_matrix(m)
        self.edited.emit()

    def set_matrix(self, m: np.ndarray) -> None:
        self._filling = True
        self.table.setRowCount(m.shape[0])
        self.table.setVerticalHeaderLabels([f"out {i}" for i in range(m.shape[0])])
        for (r, c), v in np.ndenumerate(m):
            self.table.setItem(r, c, QTableWidgetItem(f"{v:.3g}"))
        self._filling = False
        self.outputs.blockSignals(True)
        self.outputs.setValue(m.shape[0])
        self.outputs.blockSignals(False)
        self.table.setFixedHeight(
            self.table.horizontalHeader().height()
            + 2
            + sum(self.table.rowHeight(r) for r in range(m.shape[0]))
        )

    def _cell_edited(self, _item) -> None:
        if not self._filling:
            self.edited.emit()

    def show_result(self, image: np.ndarray, out: np.ndarray, counts: S.MixingCounts) -> None:
        plot = self.plots["image"]
        plot.set_map(image[0], (0.0, 1.0), "gray")
        rgb = np.clip(np.moveaxis(image[:3], 0, -1), 0, 1)
        plot.image.setImage((rgb * 255).astype(np.uint8), autoLevels=False, levels=(0, 255))
        plot.image.setRect(QRectF(0, 0, image.shape[2], image.shape[1]))
        plot.set_title(f"input (RGB)  {image.shape[1]}×{image.shape[2]}")
        lo, hi = float(out.min()), float(out.max())
        for o in range(max(out.shape[0], len(self._out_keys()))):
            key = f"out{o}"
            if o >= out.shape[0]:
                self.plots[key].hide()
                continue
            p = self.plots.get(key) or self.plot(key)
            p.show()
            p.set_title(f"output channel {o}")
            p.set_map(out[o], (lo, hi), "gray")
        self.counts.setText(
            f"parameters ({counts.c_in} → {counts.c_out} channels, with biases): 1×1 "
            f"convolution {counts.one_by_one_text}; a 3×3 convolution {counts.three_by_three_text}"
            f" ({counts.three_by_three / counts.one_by_one:.1f}× as many)."
        )

    def _out_keys(self) -> list[str]:
        return [k for k in self.plots if k.startswith("out")]
