"""The inspector's dropout box: training mode on or off and a new mask with one click.

Training mode and the mask's seed are the layer's own parameters (``train``, ``seed``), so
they are undoable edits kept in the document and saved with the network: a map shown once
can be shown again, and equals a fresh engine pass. *Resample* sets the next seed.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine.spec import DROPOUT_SEED_MAX


class DropoutControls(QWidget):
    """Shown for a selected dropout layer; hidden for any other."""

    def __init__(self, document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.train = QCheckBox("training mode")
        self.train.setToolTip(
            "Apply dropout as in training: each unit is dropped with probability p (drawn in "
            "magenta on the map) and the survivors are scaled by 1/(1 − p)"
        )
        self.train.toggled.connect(self._toggle)
        self.resample = QPushButton("Resample")
        self.resample.setToolTip("Draw another mask (the next seed); undo brings the last back")
        self.resample.clicked.connect(self.next_mask)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: palette(mid);")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.train)
        row.addWidget(self.resample)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.note)
        document.layerSelected.connect(self.refresh)
        document.specChanged.connect(self.refresh)
        document.networkChanged.connect(lambda _: self.refresh())
        self.refresh()

    def _layer(self):
        doc = self.document
        name = doc.selected_layer
        if name is None or name not in doc.spec.names():
            return None
        layer = doc.spec.layer(name)
        return layer if layer.type == "dropout" else None

    def refresh(self) -> None:
        layer = self._layer()
        self.setVisible(layer is not None)
        if layer is None:
            return
        on = bool(layer.param("train"))
        self.train.blockSignals(True)
        self.train.setChecked(on)
        self.train.blockSignals(False)
        self.resample.setEnabled(on)
        p = float(layer.param("p"))
        if on:
            scale = "0 (everything dropped)" if p >= 1 else f"{1 / (1 - p):.3g}"
            self.note.setText(
                f"Mask of seed {layer.param('seed')}: units dropped with probability "
                f"{p:g} (magenta), survivors × {scale}. Same seed, same mask."
            )
        else:
            self.note.setText("Off: every value passes unchanged (as at test time).")

    def _apply(self, params: dict) -> None:
        layer = self._layer()
        if layer is not None:
            self.document.set_layer_params(self.document.spec.index(layer.name), params)

    def _toggle(self, on: bool) -> None:
        self._apply({"train": bool(on)})

    def next_mask(self) -> None:
        """The next seed's mask (training mode stays on)."""
        layer = self._layer()
        if layer is None:
            return
        seed = (int(layer.param("seed")) + 1) % (DROPOUT_SEED_MAX + 1)
        self._apply({"seed": seed, "train": True})
