"""What a task network says about the current input: a per-pixel mask or boxes.

The lab's overlays draw these over the input. The engine decides which task a network's
output fits (the same shapes :mod:`engine.tasks` checks before training) and reads it:

- segmentation: an output of (1 + C, H, W), one score per class per pixel at the input's
  size (background + the C shapes classes); the mask is the argmax over classes.
- detection: a YOLOv1-style (5 + C, S, S) grid whose S divides the input's side
  (:mod:`engine.detection`); the boxes are :func:`engine.detection.decode_detections`.

Any other output fits no task: no overlay.
"""

from __future__ import annotations

import numpy as np

from .data.shapes import CLASS_NAMES
from .detection import decode_detections, grid_channels

SEGMENTATION_CLASSES = ("background", *CLASS_NAMES)
# One colour per shapes class (RGB), the same in the mask, the boxes and the legend.
# Background has none: it is drawn transparent.
CLASS_COLOURS: tuple[tuple[int, int, int], ...] = (
    (230, 25, 75),  # circle: red
    (60, 180, 75),  # square: green
    (67, 99, 216),  # triangle: blue
    (255, 200, 25),  # cross: yellow
)


def task_of_output(output_shape, input_shape, n_classes: int = len(CLASS_NAMES)) -> str | None:
    """Which task an output of ``output_shape`` (no batch axis) fits, for an input of
    ``input_shape`` (C, H, W): "segmentation", "detection" or None."""
    output_shape, input_shape = tuple(output_shape), tuple(input_shape)
    if len(input_shape) != 3 or len(output_shape) != 3:
        return None
    channels, h, w = output_shape
    if channels == n_classes + 1 and (h, w) == input_shape[1:]:
        return "segmentation"
    side = input_shape[1]
    square = h == w and input_shape[1] == input_shape[2]
    if channels == grid_channels(n_classes) and square and 0 < h <= side and side % h == 0:
        return "detection"
    return None


def predict_mask(output) -> np.ndarray:
    """(H, W) int64 class labels: the argmax over the (classes, H, W) scores."""
    return np.asarray(output).argmax(0).astype(np.int64)


def mask_colours(labels: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8 RGBA of a label mask: each class in its colour, background clear."""
    table = np.zeros((len(SEGMENTATION_CLASSES), 4), np.uint8)
    for k, colour in enumerate(CLASS_COLOURS, start=1):
        table[k] = (*colour, 255)
    return table[labels]


def detect(output, input_shape, score_threshold: float, nms_iou: float):
    """(boxes (K, 4) x0 y0 x1 y1 pixels, scores (K,), labels (K,)) for one (5 + C, S, S)
    output over an input of ``input_shape`` (C, H, W)."""
    return decode_detections(output, score_threshold, nms_iou, int(input_shape[-1]))[0]


__all__ = [
    "CLASS_COLOURS",
    "SEGMENTATION_CLASSES",
    "detect",
    "mask_colours",
    "predict_mask",
    "task_of_output",
]
