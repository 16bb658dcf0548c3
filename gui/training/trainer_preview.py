"""Preview of the augmentation: a training sample and augmented versions of it, side by side.

:func:`preview_image` makes the picture off the GUI thread; :class:`AugmentPreview` shows it.
For segmentation and detection :func:`task_preview` shows what training sees: the images
with their masks (a second row, each class in its colour) or their boxes (outlines in the
class colours), moved together by ``engine.augment.preview_with_targets``.
"""

from __future__ import annotations

from dataclasses import dataclass

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


GAP_RGB = (90, 90, 90)  # the 1-px lines between tiles of a task preview


@dataclass(frozen=True)
class TaskPreview:
    """A task's preview: ``image`` (H', W', 3) uint8 RGB of the tiles; ``boxes`` to outline,
    rows (x0, y0, x1, y1, label) in that image's pixels; what the engine gave (``masks``
    (n, H, W), ``engine_boxes`` (n, K, 4), ``labels`` (n, K)) and the tiles' ``origins``."""

    image: np.ndarray
    boxes: tuple[tuple[float, float, float, float, int], ...]
    masks: np.ndarray | None
    engine_boxes: np.ndarray | None
    labels: np.ndarray | None
    origins: tuple[tuple[int, int], ...]  # per tile: (x, y) of its top-left pixel


def task_preview(x, aug, seed: int, mask=None, boxes=None, labels=None, n: int = SAMPLES):
    """The sample with its mask or boxes and ``n - 1`` augmented versions, as a
    :class:`TaskPreview` (the mask row below the images for segmentation)."""
    from engine.augment import preview_with_targets
    from engine.overlays import mask_colours

    images, masks, moved, moved_labels = preview_with_targets(
        x, aug, n - 1, seed, mask=mask, boxes=boxes, labels=labels
    )
    images = np.concatenate([np.asarray(x, np.float32)[None], images])
    if masks is not None:
        masks = np.concatenate([np.asarray(mask, np.int64)[None], masks])
    if moved is not None:
        moved = np.concatenate([np.asarray(boxes, np.float32)[None], moved])
        moved_labels = np.concatenate([np.asarray(labels, np.int64)[None], moved_labels])
    lo, hi = float(images.min()), float(images.max())
    grey = quantize_numpy(images[:, 0], (lo, hi) if hi > lo else (lo, lo + 1.0))
    n, h, w = grey.shape
    rows = 1 if masks is None else 2
    image = np.empty((rows * (h + 1) - 1, n * (w + 1) - 1, 3), np.uint8)
    image[:] = GAP_RGB
    origins, outlines = [], []
    for i in range(n):
        x0 = i * (w + 1)
        origins.append((x0, 0))
        image[:h, x0 : x0 + w] = grey[i][..., None]
        if masks is not None:
            image[h + 1 :, x0 : x0 + w] = mask_colours(masks[i])[..., :3]
        if moved is not None:
            for box, label in zip(moved[i], moved_labels[i], strict=True):
                if label >= 0:
                    a, b, c, d = (float(v) for v in box)
                    outlines.append((a + x0, b, c + x0, d, int(label)))
    return TaskPreview(image, tuple(outlines), masks, moved, moved_labels, tuple(origins))


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
        self.box_items: list = []  # the outlines of a detection preview's boxes
        self.task: TaskPreview | None = None

    @property
    def image(self) -> np.ndarray | None:
        return self.item.image

    def show_image(self, image) -> None:
        """A grey uint8 image (:func:`preview_image`) or a :class:`TaskPreview`."""
        self.setVisible(True)
        for item in self.box_items:
            self._box.removeItem(item)
        self.box_items = []
        self.task = image if isinstance(image, TaskPreview) else None
        if self.task is None:
            self._box.setAspectLocked(False)
            self.setMinimumHeight(70)
            self.setMaximumHeight(16_777_215)
            self.item.setImage(image, levels=(0, 255), lut=lookup_table("gray", False))
        else:  # square pixels, so a box is drawn where it is; as tall as the width needs
            self._box.setAspectLocked(True)
            self.item.setImage(self.task.image, levels=(0, 255), lut=None)
            self._outline(self.task.boxes)
            self._fit_height()
        self._box.autoRange(padding=0.01)

    def _fit_height(self) -> None:
        """As tall as the tiles need at the column's width (square pixels)."""
        h, w = self.task.image.shape[:2]
        self.setFixedHeight(max(70, min(400, int(self.width() * h / w) + 8)))

    def _outline(self, boxes) -> None:
        from PySide6.QtCore import QRectF
        from PySide6.QtWidgets import QGraphicsRectItem

        from engine.overlays import CLASS_COLOURS

        for x0, y0, x1, y1, label in boxes:
            item = QGraphicsRectItem(QRectF(x0, y0, x1 - x0, y1 - y0))
            pen = pg.mkPen(CLASS_COLOURS[label], width=1.5)
            pen.setCosmetic(True)
            item.setPen(pen)
            self._box.addItem(item)
            self.box_items.append(item)
