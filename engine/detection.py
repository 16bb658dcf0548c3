"""A YOLOv1-style grid detector read from a conv net's last map: targets, loss, decoding.

The network's last layer is a (5 + C, S, S) map. Per cell (row i, column j) of the S x S
grid over an image of ``size`` pixels (cells of ``size / S`` pixels), its channels are:

- 0: objectness logit: is the centre of an object in this cell?
- 1, 2: the centre's x and y offset inside the cell, through a sigmoid (0..1 of the cell);
- 3, 4: the square roots of the box's width and height as fractions of the image (YOLOv1
  predicts square roots so an error on a small box costs more than on a large one);
- 5 ...: C class logits.

The cell that holds an object's centre is responsible for it; when two centres fall in one
cell, the larger object wins (the other is a miss the grid cannot represent, as in YOLOv1).

Loss (per image, summed over cells): binary cross-entropy of objectness over all cells
(YOLOv1 used a squared error with weight 0.5 for empty cells; the logistic loss trains
faster here), plus for responsible cells ``coord_weight`` x the squared errors of offsets
and square-root sizes and the cross-entropy of the class.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .metrics import batched_nms

COORD_WEIGHT = 5.0  # YOLOv1's lambda_coord


def grid_channels(n_classes: int) -> int:
    return 5 + n_classes


def encode_targets(boxes, labels, size: int, grid: int) -> torch.Tensor:
    """(N, 6, S, S) float32 targets: [has object, x offset, y offset, sqrt w, sqrt h, class].

    ``boxes`` (N, K, 4) as (x0, y0, x1, y1) pixels and ``labels`` (N, K) with -1 for unused.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    labels = np.asarray(labels)
    n = len(boxes)
    target = np.zeros((n, 6, grid, grid), dtype=np.float32)
    best_area = np.zeros((n, grid, grid))
    cell = size / grid
    for slot in range(boxes.shape[1]):
        b, k = boxes[:, slot], labels[:, slot]
        present = k >= 0
        w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
        j = np.clip(np.floor(cx / cell), 0, grid - 1).astype(int)
        i = np.clip(np.floor(cy / cell), 0, grid - 1).astype(int)
        area = w * h
        rows = np.flatnonzero(present & (area > best_area[np.arange(n), i, j]))
        ii, jj = i[rows], j[rows]
        best_area[rows, ii, jj] = area[rows]
        target[rows, 0, ii, jj] = 1.0
        target[rows, 1, ii, jj] = cx[rows] / cell - jj
        target[rows, 2, ii, jj] = cy[rows] / cell - ii
        target[rows, 3, ii, jj] = np.sqrt(np.maximum(w[rows], 0) / size)
        target[rows, 4, ii, jj] = np.sqrt(np.maximum(h[rows], 0) / size)
        target[rows, 5, ii, jj] = k[rows]
    return torch.from_numpy(target)


def detection_loss(output: torch.Tensor, target: torch.Tensor, reduction: str = "mean"):
    """The loss above; ``"mean"`` averages over images, ``"sum"`` sums over them."""
    obj = target[:, 0]
    per_image = F.binary_cross_entropy_with_logits(output[:, 0], obj, reduction="none").sum((1, 2))
    offsets = torch.sigmoid(output[:, 1:3])
    coord = ((offsets - target[:, 1:3]) ** 2).sum(1) + ((output[:, 3:5] - target[:, 3:5]) ** 2).sum(
        1
    )
    classes = F.cross_entropy(output[:, 5:], target[:, 5].long(), reduction="none")
    per_image = per_image + ((COORD_WEIGHT * coord + classes) * obj).sum((1, 2))
    return per_image.mean() if reduction == "mean" else per_image.sum()


def decode_detections(
    output, score_threshold: float = 0.3, nms_iou: float = 0.5, size: int | None = None
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Boxes from grid maps: per image (boxes (K, 4) x0 y0 x1 y1 pixels, scores, labels).

    ``output`` is (N, 5 + C, S, S) or one (5 + C, S, S) map; a cell's score is
    sigmoid(objectness) x its most likely class's probability; cells scoring at least
    ``score_threshold`` become boxes, then per-class NMS at ``nms_iou``. ``size`` is the
    image side in pixels (default: 4 x S, the preset's 32 / 8).
    """
    out = torch.as_tensor(output).detach().float().cpu()
    if out.dim() == 3:
        out = out[None]
    n, _, grid, _ = out.shape
    size = size if size is not None else 4 * grid
    cell = size / grid
    objectness = torch.sigmoid(out[:, 0])
    class_prob, label = torch.softmax(out[:, 5:], 1).max(1)
    score = objectness * class_prob
    offsets = torch.sigmoid(out[:, 1:3])
    wh = out[:, 3:5].clamp(min=0) ** 2 * size
    jj = torch.arange(grid, dtype=torch.float32)[None, None, :]
    ii = torch.arange(grid, dtype=torch.float32)[None, :, None]
    cx = (jj + offsets[:, 0]) * cell
    cy = (ii + offsets[:, 1]) * cell
    boxes = torch.stack(
        [cx - wh[:, 0] / 2, cy - wh[:, 1] / 2, cx + wh[:, 0] / 2, cy + wh[:, 1] / 2], -1
    )  # (N, S, S, 4)
    results = []
    for b in range(n):
        sel = score[b] >= score_threshold
        bx, sc, lb = boxes[b][sel], score[b][sel], label[b][sel]
        keep = batched_nms(bx, sc, lb, nms_iou)
        results.append(
            (
                bx[keep].double().numpy(),
                sc[keep].double().numpy(),
                lb[keep].numpy().astype(np.int64),
            )
        )
    return results


def ground_truth(boxes, labels) -> list[tuple[np.ndarray, np.ndarray]]:
    """The data set's boxes as per-image (boxes, labels), unused slots (-1) left out."""
    out = []
    for b, k in zip(np.asarray(boxes), np.asarray(labels), strict=True):
        sel = k >= 0
        out.append((b[sel].astype(np.float64), k[sel]))
    return out


def coco_results(detections) -> list[dict]:
    """COCO's results format: ``{"image_id", "category_id", "bbox": [x, y, w, h], "score"}``."""
    rows = []
    for image_id, (boxes, scores, labels) in enumerate(detections):
        for box, score, label in zip(boxes, scores, labels, strict=True):
            x0, y0, x1, y1 = (float(v) for v in box)
            rows.append(
                {
                    "image_id": image_id,
                    "category_id": int(label),
                    "bbox": [round(x0, 3), round(y0, 3), round(x1 - x0, 3), round(y1 - y0, 3)],
                    "score": round(float(score), 5),
                }
            )
    return rows


__all__ = [
    "COORD_WEIGHT",
    "coco_results",
    "decode_detections",
    "detection_loss",
    "encode_targets",
    "grid_channels",
    "ground_truth",
]
