"""Watch learning: the first conv layer's kernels and one sample's channel maps, per checkpoint.

The view only draws what it is given: the panel hands it a checkpoint's weights (kernels
are drawn from them directly) and display images of the sample's maps, which
:func:`sample_maps` makes off the GUI thread from ``engine.network.forward``. A slider scrubs
through the checkpoints; at its right end it follows new ones as training goes on.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.spec import INPUT

from .colormaps import BACKGROUND, lookup_table
from .render import GAP, grid_for, levels_for, quantize_numpy

MAX_MAP_LAYERS = 4  # input + the first layers with channel maps (more would be unreadable)


def first_conv(spec) -> str | None:
    """The name of the first convolution in ``spec`` (whose kernels are shown), or None."""
    return next((layer.name for layer in spec.layers if layer.type == "conv"), None)


def _tiles(values: np.ndarray, levels: tuple[float, float], columns: int) -> np.ndarray:
    """(N, h, w) float -> one uint8 image of N tiles with 1-px GAP gaps."""
    n, h, w = values.shape
    rows, cols = grid_for(n, columns)
    image = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), GAP, dtype=np.uint8)
    q = quantize_numpy(values, levels)
    for i in range(n):
        r, c = divmod(i, cols)
        image[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = q[i]
    return image


def map_image(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """A layer output (C, L) or (C, H, W) as a uint8 image (rows of channels or tiles)."""
    vmin, vmax = float(values.min()), float(values.max())
    symmetric = vmin < 0
    levels = levels_for(vmin, vmax, symmetric)
    if values.ndim == 2:  # 1D: one row per channel
        return np.ascontiguousarray(quantize_numpy(values, levels)), symmetric
    return _tiles(values, levels, 8), symmetric


def kernel_image(weight: np.ndarray) -> np.ndarray:
    """Kernels (C_out, C_in, K) -> rows of K values; (C_out, C_in, K, K) -> tiles."""
    m = float(np.abs(weight).max()) or 1.0
    levels = (-m, m)
    if weight.ndim == 3:
        return np.ascontiguousarray(quantize_numpy(weight.reshape(-1, weight.shape[-1]), levels))
    flat = weight.reshape(-1, *weight.shape[-2:])
    return _tiles(flat, levels, max(weight.shape[1], 8) if weight.shape[1] > 1 else 8)


def sample_maps(spec, weights, x: np.ndarray) -> list[tuple[str, np.ndarray, bool]]:
    """(name, uint8 image, diverging) for the input and the first layers with channel maps.

    Runs ``engine.network.forward`` (call it off the GUI thread).
    """
    from engine.network import forward

    trace = forward(spec, weights, x)
    out = []
    for name in [INPUT, *trace.order]:
        values = trace.outputs.get(name)
        if values is None or values.ndim < 2:
            continue
        image, symmetric = map_image(values)
        out.append((name, image, symmetric))
        if len(out) == MAX_MAP_LAYERS:
            break
    return out


class WatchView(QWidget):
    """Kernels and sample maps of one checkpoint, a checkpoint slider and a sample chooser.

    Signals: ``checkpointChosen(step)`` when the slider moves; ``sampleChosen(index)``.
    """

    checkpointChosen = Signal(int)
    sampleChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._steps: list[int] = []
        self.kernel_layer: str | None = None
        self.kernel_weights: np.ndarray | None = None  # the array the kernel image shows
        self.shown_step: int | None = None

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(BACKGROUND)
        self.graphics.setMinimumSize(220, 160)
        self._kernel_item = pg.ImageItem(axisOrder="row-major")
        self._kernel_label = self.graphics.addLabel("kernels", row=0, col=0)
        self._kernel_box = self.graphics.addViewBox(row=1, col=0, lockAspect=False)
        self._kernel_box.invertY(True)
        self._kernel_box.setMouseEnabled(False, False)
        self._kernel_box.addItem(self._kernel_item)
        self._maps_label = self.graphics.addLabel("maps of the sample", row=0, col=1)
        self._maps_layout = self.graphics.addLayout(row=1, col=1)
        self.graphics.ci.layout.setColumnStretchFactor(0, 1)
        self.graphics.ci.layout.setColumnStretchFactor(1, 3)
        self._map_items: dict[str, pg.ImageItem] = {}
        self._map_shapes: list[tuple[str, tuple[int, ...]]] = []

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self._slider_moved)
        self.step_label = QLabel("no checkpoints")
        self.step_label.setMinimumWidth(120)
        self.follow = QCheckBox("follow")
        self.follow.setChecked(True)
        self.follow.setToolTip("Show each new checkpoint while training")
        self.sample = QSpinBox()
        self.sample.setPrefix("test sample ")
        self.sample.setRange(0, 0)
        self.sample.valueChanged.connect(self.sampleChosen)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("checkpoint"))
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.step_label)
        controls.addWidget(self.follow)
        controls.addWidget(self.sample)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics, 1)
        layout.addLayout(controls)

    # ---------------------------------------------------------------- checkpoints
    @property
    def steps(self) -> list[int]:
        return list(self._steps)

    def reset(self, n_samples: int) -> None:
        self._steps = []
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(False)
        self.step_label.setText("no checkpoints")
        self.sample.setRange(0, max(0, n_samples - 1))

    def add_checkpoint(self, step: int) -> None:
        """A new checkpoint: extend the slider; move to it when following."""
        at_end = self.slider.value() == self.slider.maximum()
        self._steps.append(step)
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self._steps) - 1)
        self.slider.blockSignals(False)
        self.slider.setEnabled(len(self._steps) > 1)
        if self.follow.isChecked() and (at_end or len(self._steps) == 1):
            self.slider.setValue(len(self._steps) - 1)
            self._slider_moved(len(self._steps) - 1)
        else:
            self._update_label()

    def choose_step(self, step: int) -> None:
        """Move the slider to checkpoint ``step`` (emits checkpointChosen)."""
        index = self._steps.index(step)
        if self.slider.value() == index:
            self._slider_moved(index)
        else:
            self.slider.setValue(index)

    def _slider_moved(self, index: int) -> None:
        if 0 <= index < len(self._steps):
            self._update_label()
            self.checkpointChosen.emit(self._steps[index])

    def _update_label(self) -> None:
        if self._steps:
            step = self._steps[self.slider.value()]
            self.step_label.setText(f"step {step} of {self._steps[-1]}")

    # ---------------------------------------------------------------- drawing
    def show_kernels(self, layer: str | None, weights: dict, step: int) -> None:
        """Draw ``weights[layer]['weight']`` (a checkpoint's first conv kernels)."""
        self.shown_step = step
        self.kernel_layer = layer
        if layer is None or layer not in weights:
            self.kernel_weights = None
            self._kernel_item.clear()
            self._kernel_label.setText("no convolution to show")
            return
        weight = weights[layer]["weight"]
        self.kernel_weights = weight
        self._kernel_item.setImage(
            kernel_image(weight), levels=(0, 255), lut=lookup_table("diverging", True)
        )
        shape = "×".join(str(s) for s in weight.shape)
        self._kernel_label.setText(f"{layer} {shape}")
        self._kernel_box.autoRange(padding=0.02)

    def show_maps(self, maps: list[tuple[str, np.ndarray, bool]], step: int) -> None:
        """Draw a sample's maps (from :func:`sample_maps`); rebuilt only when shapes change."""
        shapes = [(name, image.shape) for name, image, _ in maps]
        if shapes != self._map_shapes:
            self._maps_layout.clear()
            self._map_items = {}
            for row, (name, image, _) in enumerate(maps):
                label = self._maps_layout.addLabel(name, row=row, col=0)
                label.setFixedWidth(70)
                box = self._maps_layout.addViewBox(row=row, col=1, lockAspect=False)
                box.invertY(True)
                box.setMouseEnabled(False, False)
                item = pg.ImageItem(axisOrder="row-major")
                box.addItem(item)
                self._map_items[name] = item
                box.setRange(xRange=(0, image.shape[1]), yRange=(0, image.shape[0]), padding=0)
            self._map_shapes = shapes
        for name, image, symmetric in maps:
            lut = lookup_table("auto", symmetric)
            self._map_items[name].setImage(image, levels=(0, 255), lut=lut)
        self._maps_label.setText(f"test sample {self.sample.value()} · step {step}")


def steps_text(step: int, total: int, rate: float, left: float) -> str:
    """'step 1200 / 3000 · 540 steps/s · 3 s left' for the status line."""
    parts = [f"step {step} / {total}"]
    if rate > 0:
        parts.append(f"{rate:.0f} steps/s")
    if math.isfinite(left) and step < total:
        parts.append(f"{left:.0f} s left")
    return " · ".join(parts)
