"""Preview of the augmentation: a training sample and augmented versions of it, side by side.

:func:`preview_image` makes the picture off the GUI thread; :class:`AugmentPreview` shows it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg  # noqa: I001 - PySide6 is imported first by the gui package
from PySide6.QtWidgets import QWidget

from gui.compute.colormaps import lookup_table
from gui.compute.display import GAP, quantize_numpy

SAMPLES = 8  # the sample and SAMPLES - 1 augmented versions


def preview_image(x: np.ndarray, aug, seed: int, n: int = SAMPLES) -> np.ndarray:
    """The sample and ``n - 1`` augmented versions side by side, as one uint8 image."""
    from engine.augment import preview

    batch = np.concatenate([x[None], preview(x, aug, n - 1, seed)])
    lo, hi = float(batch.min()), float(batch.max())
    levels = (lo, hi) if hi > lo else (lo, lo + 1.0)
    if batch.ndim == 3:  # 1D signals: one row each
        return np.ascontiguousarray(quantize_numpy(batch[:, 0, :], levels))
    tiles = quantize_numpy(batch[:, 0], levels)
    n, h, w = tiles.shape
    image = np.full((h, n * (w + 1) - 1), GAP, dtype=np.uint8)
    for i in range(n):
        image[:, i * (w + 1) : i * (w + 1) + w] = tiles[i]
    return image


class AugmentPreview(pg.GraphicsLayoutWidget):
    """Hidden until the first preview arrives."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumHeight(70)
        self.setVisible(False)
        self._box = self.addViewBox(lockAspect=False, enableMenu=False)
        self._box.invertY(True)
        self._box.setMouseEnabled(False, False)
        self.item = pg.ImageItem(axisOrder="row-major")
        self._box.addItem(self.item)

    @property
    def image(self) -> np.ndarray | None:
        return self.item.image

    def show_image(self, image: np.ndarray) -> None:
        self.setVisible(True)
        self.item.setImage(image, levels=(0, 255), lut=lookup_table("gray", False))
        self._box.autoRange(padding=0.01)
