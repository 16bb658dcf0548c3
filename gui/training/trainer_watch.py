"""Watch learning: the first conv layer's kernels and one sample's channel maps, per checkpoint.

The view only draws what it is given. :func:`checkpoint_images` makes everything it shows
(kernels and the sample's maps from ``engine.network.forward``, already coloured) off the
GUI thread; the GUI thread only hands finished RGB images to items made once, at
construction, so a new checkpoint while training costs a few ``setImage`` calls and no
layout work. A slider scrubs through the checkpoints; at its right end it follows new ones
as training goes on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
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
from gui.compute.colormaps import lookup_table
from gui.compute.display import GAP, grid_for, levels_for, quantize_numpy
from gui.widgets.themes import colours

MAX_MAP_LAYERS = 4  # input + the first layers with channel maps (more would be unreadable)
BAND_GAP = 0.15  # space between the layers' bands, as a fraction of a band's height


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


@dataclass(frozen=True)
class Palettes:
    """The lookup tables the images are coloured with (made on the GUI thread, read-only)."""

    diverging: np.ndarray
    sequential: np.ndarray

    @classmethod
    def default(cls) -> Palettes:
        return cls(lookup_table("auto", True), lookup_table("auto", False))

    def colour(self, image: np.ndarray, symmetric: bool) -> np.ndarray:
        """uint8 indices -> (h, w, 3) uint8 RGB, C-contiguous."""
        return np.ascontiguousarray((self.diverging if symmetric else self.sequential)[image])


@dataclass(frozen=True)
class CheckpointImages:
    """What :class:`WatchView` shows for one checkpoint, ready to draw."""

    step: int
    kernel_text: str
    kernels: np.ndarray | None  # RGB, or None when the network has no convolution
    maps: list[tuple[str, np.ndarray]]  # (layer name, RGB image)


def checkpoint_images(
    spec, layer: str | None, weights, x: np.ndarray, step: int, palettes: Palettes
) -> CheckpointImages:
    """Kernels of ``layer`` and the maps of sample ``x`` at a checkpoint (off the GUI thread)."""
    kernels, text = None, "no convolution to show"
    if layer is not None and layer in weights:
        weight = weights[layer]["weight"]
        kernels = palettes.colour(kernel_image(weight), True)
        text = f"{layer} {'×'.join(str(s) for s in weight.shape)}"
    maps = [(name, palettes.colour(im, sym)) for name, im, sym in sample_maps(spec, weights, x)]
    return CheckpointImages(step, text, kernels, maps)


def _still_box() -> pg.ViewBox:
    box = pg.ViewBox(lockAspect=False, enableMenu=False)
    box.invertY(True)
    box.setMouseEnabled(False, False)
    return box


class WatchView(QWidget):
    """Kernels and sample maps of one checkpoint, a checkpoint slider and a sample chooser.

    Signals: ``checkpointChosen(step)`` when the slider moves; ``sampleChosen(index)``.
    """

    checkpointChosen = Signal(int)
    sampleChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.palettes = Palettes.default()
        self._steps: list[int] = []
        self.kernel_layer: str | None = None
        self.kernel_weights: np.ndarray | None = None  # the kernels of the shown checkpoint
        self.shown_step: int | None = None  # the checkpoint on the slider
        self.maps_step: int | None = None  # the checkpoint whose images are drawn
        self.map_names: list[str] = []

        # Every item is made here, once: building view boxes while training would stall
        # the GUI thread (it shares the GIL with the trainer).
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(colours().plot)
        self.graphics.setMinimumSize(220, 90)
        self._kernel_label = self.graphics.addLabel("kernels", row=0, col=0)
        self._kernel_box = _still_box()
        self.graphics.addItem(self._kernel_box, row=1, col=0)
        self._kernel_item = pg.ImageItem(axisOrder="row-major")
        self._kernel_box.addItem(self._kernel_item)
        self._kernel_shape: tuple[int, ...] | None = None
        self._maps_label = self.graphics.addLabel("maps of the sample", row=0, col=1, colspan=2)
        self._maps_axis = pg.AxisItem("left")
        self._maps_axis.setWidth(64)
        self._maps_axis.setStyle(tickLength=0)
        self._maps_box = _still_box()
        self._maps_axis.linkToView(self._maps_box)
        self.graphics.addItem(self._maps_axis, row=1, col=1)
        self.graphics.addItem(self._maps_box, row=1, col=2)
        self._map_items = [pg.ImageItem(axisOrder="row-major") for _ in range(MAX_MAP_LAYERS)]
        self._map_shapes: list[tuple[int, ...] | None] = [None] * MAX_MAP_LAYERS
        for item in self._map_items:
            self._maps_box.addItem(item)
        self.graphics.ci.layout.setColumnStretchFactor(0, 1)
        self.graphics.ci.layout.setColumnStretchFactor(2, 3)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self._slider_moved)
        self.step_label = QLabel("no checkpoints")
        self.step_label.setMinimumWidth(110)
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
    def set_checkpoint(self, layer: str | None, weights: dict, step: int) -> None:
        """The checkpoint now chosen; its images follow in :meth:`show_images`."""
        self.shown_step = step
        self.kernel_layer = layer
        entry = weights.get(layer) if layer is not None else None
        self.kernel_weights = None if entry is None else entry["weight"]

    def show_images(self, images: CheckpointImages) -> None:
        """Draw a checkpoint's images (from :func:`checkpoint_images`)."""
        self.maps_step = images.step
        if self._kernel_label.text != images.kernel_text:  # a label change re-lays out
            self._kernel_label.setText(images.kernel_text)
        if images.kernels is None:
            self._kernel_item.clear()
            self._kernel_shape = None
        else:
            self._kernel_item.setImage(images.kernels, levels=None)
            if images.kernels.shape != self._kernel_shape:
                self._kernel_shape = images.kernels.shape
                h, w = images.kernels.shape[:2]
                self._kernel_box.setRange(xRange=(0, w), yRange=(0, h), padding=0.02)
        names = [name for name, _ in images.maps]
        if names != self.map_names:
            self._name_bands(names)
        pitch = 1.0 + BAND_GAP
        for i, (item, (_, image)) in enumerate(zip(self._map_items, images.maps, strict=False)):
            item.setImage(image, levels=None)
            if image.shape != self._map_shapes[i]:  # stretch it over band i
                self._map_shapes[i] = image.shape
                item.setRect(QRectF(0.0, i * pitch, 1.0, 1.0))
        for i in range(len(images.maps), MAX_MAP_LAYERS):
            self._map_items[i].clear()
            self._map_shapes[i] = None

    def _name_bands(self, names: list[str]) -> None:
        """One band of equal height per layer, named on the axis (only when layers change)."""
        self.map_names = names
        pitch = 1.0 + BAND_GAP
        self._maps_axis.setTicks([[(i * pitch + 0.5, name) for i, name in enumerate(names)], []])
        bottom = max(1, len(names)) * pitch - BAND_GAP
        self._maps_box.setRange(xRange=(0, 1), yRange=(0, bottom), padding=0.01)

    def map_image_of(self, index: int) -> np.ndarray | None:
        """The RGB image drawn in band ``index`` (for tests)."""
        return self._map_items[index].image


def steps_text(step: int, total: int, rate: float, left: float) -> str:
    """'step 1200 / 3000 · 540 steps/s · 3 s left' for the status line."""
    parts = [f"step {step} / {total}"]
    if rate > 0:
        parts.append(f"{rate:.0f} steps/s")
    if math.isfinite(left) and step < total:
        parts.append(f"{left:.0f} s left")
    return " · ".join(parts)
