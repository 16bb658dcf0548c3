"""The input panel's "Transform" group: shift, wrap, flip, scale and noise of the input.

Transforms are applied to the *source* (the input as it was before the first transform), so
moving a control back returns the original exactly; any other change of the input (drawing,
loading, undo) makes the new input the source and resets the controls. A slider drag, or a
run of spin-box steps on one control, is one undo step.
"""

from __future__ import annotations

import itertools

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QWidget,
)

from engine import transforms
from engine.errors import EngineError

_gestures = itertools.count(1)


class TranslateAxis(QWidget):
    """A slider and a spin box for one axis's shift, kept in step."""

    def __init__(self, label: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.spin = QSpinBox()
        self.spin.setToolTip(f"Shift along {label} (positive: towards higher indices)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.slider.valueChanged.connect(self.spin.setValue)
        self.spin.valueChanged.connect(self.slider.setValue)

    def set_limit(self, limit: int) -> None:
        for w in (self.slider, self.spin):
            w.blockSignals(True)
            w.setRange(-limit, limit)
            w.setValue(0)
            w.blockSignals(False)


class TransformBox(QGroupBox):
    """Controls that set ``document.input`` to a transform of the source.

    ``failed(message)`` is emitted when a transform cannot be applied; the input stays.
    """

    failed = Signal(str)

    def __init__(self, document, parent: QWidget | None = None):
        super().__init__("Transform", parent)
        self.document = document
        self._source: np.ndarray = document.input
        self._applied: np.ndarray | None = None  # the last input this box set by transform
        self._gesture = next(_gestures)

        self.axes = [TranslateAxis("x (width)"), TranslateAxis("y (height)")]
        self.axis_labels = [QLabel("shift"), QLabel("shift y")]
        self.wrap_check = QCheckBox("wrap around")
        self.wrap_check.setToolTip("What leaves one edge comes back at the other (else: zeros)")
        self.flip_checks = [QCheckBox("flip ↔"), QCheckBox("flip ↕")]
        self.scale_spin = QDoubleSpinBox()
        self.scale_spin.setRange(0.25, 4.0)
        self.scale_spin.setSingleStep(0.05)
        self.scale_spin.setValue(1.0)
        self.scale_spin.setSuffix(" ×")
        self.scale_spin.setToolTip("Zoom about the centre (the size stays)")
        self.sigma_spin = QDoubleSpinBox()
        self.sigma_spin.setRange(0.0, 10.0)
        self.sigma_spin.setSingleStep(0.02)
        self.sigma_spin.setDecimals(3)
        self.sigma_spin.setToolTip("Standard deviation of added Gaussian noise")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 99_999)
        self.seed_spin.setToolTip("Noise seed: the same seed gives the same noise")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to the untransformed input")

        tf = QFormLayout(self)
        # a field too wide beside its label goes below it (narrow panel, large fonts)
        tf.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        tf.addRow(self.axis_labels[0], self.axes[0])
        tf.addRow(self.axis_labels[1], self.axes[1])
        tf.addRow("", self.wrap_check)
        flips = QHBoxLayout()
        for check in self.flip_checks:
            flips.addWidget(check)
        flips.addStretch(1)
        tf.addRow("", flips)
        tf.addRow("scale", self.scale_spin)
        tf.addRow("noise σ", self.sigma_spin)
        tf.addRow("seed", self.seed_spin)  # of the noise (the row above); short: narrow panel
        tf.addRow("", self.reset_button)

        for i, axis in enumerate(self.axes):
            axis.slider.sliderPressed.connect(self._new_gesture)
            axis.slider.sliderReleased.connect(self._new_gesture)
            axis.spin.valueChanged.connect(lambda _v, i=i: self._transform(f"shift{i}"))
        self.wrap_check.toggled.connect(lambda _: self._transform("wrap"))
        for i, check in enumerate(self.flip_checks):
            check.toggled.connect(lambda _c, i=i: self._transform(f"flip{i}"))
        self.scale_spin.valueChanged.connect(lambda _: self._transform("scale"))
        self.sigma_spin.valueChanged.connect(lambda _: self._transform("sigma"))
        self.seed_spin.valueChanged.connect(lambda _: self._transform("seed"))
        self.reset_button.clicked.connect(self.reset_transforms)
        # connected here, so before any slot of the owner made later: the owner sees the new
        # source when it handles the same inputChanged
        document.inputChanged.connect(self._input_changed)
        self._reset_controls()

    @property
    def source(self) -> np.ndarray:
        """The untransformed input the controls apply to."""
        return self._source

    def transformed(self) -> np.ndarray:
        """The source with the current transform controls applied (engine.transforms)."""
        x = self._source
        dims = x.ndim - 1
        # flip and scale first, then shift, then noise: a shift moves the scaled content
        for i, check in enumerate(self.flip_checks[:dims]):
            if check.isChecked():
                x = transforms.flip(x, axis=dims - 1 - i)  # check 0 mirrors the last axis
        if self.scale_spin.value() != 1.0:
            x = transforms.scale(x, float(self.scale_spin.value()))
        shift = [self.axes[dims - 1 - a].spin.value() for a in range(dims)]
        if any(shift):
            mode = "wrap" if self.wrap_check.isChecked() else "zeros"
            x = transforms.translate(x, shift[0] if dims == 1 else tuple(shift), mode)
        if self.sigma_spin.value() > 0:
            x = transforms.add_noise(x, float(self.sigma_spin.value()), self.seed_spin.value())
        return x

    def reset_transforms(self) -> None:
        changed = self.document.input is not self._source
        self._reset_controls()
        if changed:
            self._applied = self._source
            self.document.set_input(self._source, text="Reset transform")

    def _new_gesture(self) -> None:
        self._gesture = next(_gestures)

    def _transform(self, control: str) -> None:
        try:
            x = self.transformed()
        except EngineError as error:
            self.failed.emit(str(error))
            return
        if x.flags.writeable:
            x.flags.writeable = False  # read-only: the document keeps this very array
        self._applied = x  # so _input_changed knows the change came from here
        self.document.set_input(
            x, text="Transform input", merge_key=("transform", control, self._gesture)
        )

    def _input_changed(self) -> None:
        x = self.document.input
        if x is not self._applied:  # drawn, loaded or undone: that is the new source
            self._source = x
            self._applied = None
            self._reset_controls()

    def _reset_controls(self) -> None:
        x = self.document.input
        dims = x.ndim - 1
        widgets = [*self.flip_checks, self.scale_spin, self.sigma_spin, self.wrap_check]
        for w in widgets:
            w.blockSignals(True)
        for check in self.flip_checks:
            check.setChecked(False)
        self.scale_spin.setValue(1.0)
        self.sigma_spin.setValue(0.0)
        for w in widgets:
            w.blockSignals(False)
        sizes = x.shape[1:][::-1]  # axis 0 of the controls is the last (x) axis
        for i, axis in enumerate(self.axes):
            axis.set_limit(sizes[i] - 1 if i < dims else 0)
            axis.setVisible(i < dims)
            self.axis_labels[i].setVisible(i < dims)
        self.axis_labels[0].setText("shift" if dims == 1 else "shift x")
        self.flip_checks[0].setText("flip" if dims == 1 else "flip ↔")
        self.flip_checks[1].setVisible(dims == 2)
