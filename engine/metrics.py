"""Detection and segmentation metrics: box IoU, non-maximum suppression, average precision
(COCO's AP50 and VOC's all-point AP), confusion matrix, per-class and mean IoU.

Conventions
-----------
- Boxes are (x0, y0, x1, y1) in pixel units, as in ``engine.data`` (pixel ``j`` spans
  [j, j+1)); a box's area is ``(x1 - x0) * (y1 - y0)`` (no "+1" as in old VOC code), the
  same as pycocotools computes from ``[x, y, w, h]``.
- Classes are 0-based. Detections of an image are ``(boxes (K, 4), scores (K,), labels (K,))``;
  its ground truth ``(boxes (G, 4), labels (G,))``.
- Average precision follows pycocotools' ``COCOeval`` with one IoU threshold, area "all",
  no crowd boxes: per image and class, detections in descending score order (at most
  ``max_detections`` of them) each take the unmatched ground-truth box of highest IoU
  >= the threshold; over the data set, detections in descending score order (a stable sort)
  give the precision/recall curve, precision is made non-increasing from the right, and
  ``interpolation="coco"`` averages it at the 101 recalls 0, 0.01, ..., 1 (0 where the
  recall is never reached) while ``"all"`` integrates it over every recall step (VOC 2010+).
  A class with no ground truth has AP ``nan`` and is left out of the mean.
- Segmentation: ``confusion[t, p]`` counts pixels of true class ``t`` predicted as ``p``;
  IoU of class ``k`` is ``C[k,k] / (row_k + col_k - C[k,k])``, ``nan`` for a class that is
  neither present nor predicted (left out of the mean).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

INTERPOLATIONS = ("coco", "all")
_EPS = float(np.spacing(1))  # pycocotools' guard in tp / (tp + fp)


def _as_boxes(boxes) -> torch.Tensor:
    t = torch.as_tensor(
        np.asarray(boxes, dtype=np.float64) if not torch.is_tensor(boxes) else boxes
    )
    return t.to(torch.float64).reshape(-1, 4)


# --------------------------------------------------------------------------- boxes


def box_area(boxes) -> torch.Tensor:
    b = _as_boxes(boxes)
    return (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)


def box_iou(a, b) -> torch.Tensor:
    """(N, M) float64 intersection over union of every box in ``a`` with every box in ``b``.

    Two empty boxes (zero area) have IoU 0, not nan.
    """
    a, b = _as_boxes(a), _as_boxes(b)
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-300), torch.zeros_like(inter))


def nms(boxes, scores, iou_threshold: float) -> torch.Tensor:
    """Indices of the boxes kept by greedy non-maximum suppression, highest score first.

    The highest-scoring box is kept and every box overlapping it with IoU > ``iou_threshold``
    is dropped; repeat with the rest. Ties in score keep the earlier box first.
    """
    b = _as_boxes(boxes)
    s = torch.as_tensor(np.asarray(scores) if not torch.is_tensor(scores) else scores).reshape(-1)
    if len(b) != len(s):
        raise ValueError(f"nms: {len(b)} boxes but {len(s)} scores")
    order = torch.as_tensor(np.argsort(-s.double().numpy(), kind="stable"))
    iou = box_iou(b, b)
    keep = []
    suppressed = torch.zeros(len(b), dtype=torch.bool)
    for i in order.tolist():
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_threshold
    return torch.tensor(keep, dtype=torch.int64)


def batched_nms(boxes, scores, labels, iou_threshold: float) -> torch.Tensor:
    """NMS within each class separately (boxes of different classes never suppress)."""
    lab = torch.as_tensor(np.asarray(labels) if not torch.is_tensor(labels) else labels)
    s = torch.as_tensor(np.asarray(scores) if not torch.is_tensor(scores) else scores)
    b = _as_boxes(boxes)
    keep = []
    for k in torch.unique(lab).tolist():
        idx = torch.nonzero(lab == k).flatten()
        keep.append(idx[nms(b[idx], s[idx], iou_threshold)])
    if not keep:
        return torch.zeros(0, dtype=torch.int64)
    kept = torch.cat(keep)
    order = np.argsort(-s[kept].double().numpy(), kind="stable")
    return kept[torch.as_tensor(order)]


# --------------------------------------------------------------------------- average precision


def _match_image(det_boxes, det_scores, gt_boxes, iou_threshold, max_detections):
    """COCO's greedy matching for one image and class: (scores, is-true-positive) arrays."""
    order = np.argsort(-np.asarray(det_scores, dtype=np.float64), kind="mergesort")
    order = order[:max_detections]
    scores = np.asarray(det_scores, dtype=np.float64)[order]
    tp = np.zeros(len(order), dtype=bool)
    if len(gt_boxes) == 0 or len(order) == 0:
        return scores, tp
    iou = box_iou(np.asarray(det_boxes)[order], gt_boxes).numpy()
    taken = np.zeros(len(gt_boxes), dtype=bool)
    threshold = min(iou_threshold, 1 - 1e-10)
    for d in range(len(order)):
        best, best_g = threshold, -1
        for g in range(len(gt_boxes)):
            if taken[g] or iou[d, g] < best:
                continue
            best, best_g = iou[d, g], g
        if best_g >= 0:
            taken[best_g] = True
            tp[d] = True
    return scores, tp


def precision_recall(scores, tp, n_gt: int) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall after each detection in descending score order (stable)."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="mergesort")
    hits = np.asarray(tp, dtype=np.float64)[order]
    tps, fps = np.cumsum(hits), np.cumsum(1.0 - hits)
    recall = tps / n_gt if n_gt else np.zeros_like(tps)
    precision = tps / (tps + fps + _EPS)
    return precision, recall


def ap_from_curve(precision, recall, interpolation: str = "coco") -> float:
    """Area under a precision/recall curve (recall non-decreasing), interpolated.

    ``"coco"``: mean of the right-maximum precision at recalls 0, 0.01, ..., 1;
    ``"all"``: sum of (recall step) x (right-maximum precision), VOC 2010+.
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, not {interpolation!r}")
    p = np.asarray(precision, dtype=np.float64)
    r = np.asarray(recall, dtype=np.float64)
    if len(p) == 0:
        return 0.0
    p = np.maximum.accumulate(p[::-1])[::-1]  # non-increasing from the right
    if interpolation == "coco":
        thresholds = np.linspace(0.0, 1.0, 101)
        idx = np.searchsorted(r, thresholds, side="left")
        q = np.where(idx < len(p), p[np.minimum(idx, len(p) - 1)], 0.0)
        return float(q.mean())
    steps = np.diff(np.concatenate([[0.0], r]))
    return float(np.sum(steps * p))


def average_precision(
    detections: Sequence[tuple],
    ground_truth: Sequence[tuple],
    n_classes: int,
    iou_threshold: float = 0.5,
    interpolation: str = "coco",
    max_detections: int = 100,
) -> np.ndarray:
    """Per-class AP (n_classes,) over a data set: ``detections[i]`` = (boxes, scores, labels)
    and ``ground_truth[i]`` = (boxes, labels) of image ``i``; nan for a class with no ground
    truth. With the defaults this is pycocotools' AP at IoU 0.5 (AP50) per category."""
    if len(detections) != len(ground_truth):
        raise ValueError(
            f"{len(detections)} images of detections but {len(ground_truth)} of ground truth"
        )
    per_class_scores: list[list[np.ndarray]] = [[] for _ in range(n_classes)]
    per_class_tp: list[list[np.ndarray]] = [[] for _ in range(n_classes)]
    n_gt = np.zeros(n_classes, dtype=np.int64)
    for (d_boxes, d_scores, d_labels), (g_boxes, g_labels) in zip(
        detections, ground_truth, strict=True
    ):
        d_boxes = np.asarray(d_boxes, dtype=np.float64).reshape(-1, 4)
        d_scores = np.asarray(d_scores, dtype=np.float64).reshape(-1)
        d_labels = np.asarray(d_labels).reshape(-1)
        g_boxes = np.asarray(g_boxes, dtype=np.float64).reshape(-1, 4)
        g_labels = np.asarray(g_labels).reshape(-1)
        for k in range(n_classes):
            gk = g_boxes[g_labels == k]
            n_gt[k] += len(gk)
            sel = d_labels == k
            if not sel.any():
                continue
            scores, tp = _match_image(
                d_boxes[sel], d_scores[sel], gk, iou_threshold, max_detections
            )
            per_class_scores[k].append(scores)
            per_class_tp[k].append(tp)
    ap = np.full(n_classes, np.nan)
    for k in range(n_classes):
        if n_gt[k] == 0:
            continue
        if not per_class_scores[k]:
            ap[k] = 0.0
            continue
        precision, recall = precision_recall(
            np.concatenate(per_class_scores[k]), np.concatenate(per_class_tp[k]), int(n_gt[k])
        )
        ap[k] = ap_from_curve(precision, recall, interpolation)
    return ap


def mean_average_precision(detections, ground_truth, n_classes: int, **kwargs) -> float:
    """The mean of :func:`average_precision` over classes with ground truth (nan if none)."""
    ap = average_precision(detections, ground_truth, n_classes, **kwargs)
    return float(np.nanmean(ap)) if np.isfinite(ap).any() else float("nan")


# --------------------------------------------------------------------------- segmentation


def confusion_matrix(predicted, target, n_classes: int) -> torch.Tensor:
    """(n_classes, n_classes) int64 counts: ``[t, p]`` = pixels of true ``t`` predicted ``p``."""
    p = torch.as_tensor(np.asarray(predicted) if not torch.is_tensor(predicted) else predicted)
    t = torch.as_tensor(np.asarray(target) if not torch.is_tensor(target) else target)
    if p.shape != t.shape:
        raise ValueError(f"predicted shape {tuple(p.shape)} differs from target {tuple(t.shape)}")
    p, t = p.reshape(-1).long().cpu(), t.reshape(-1).long().cpu()
    for name, v in (("predicted", p), ("target", t)):
        if len(v) and (int(v.min()) < 0 or int(v.max()) >= n_classes):
            raise ValueError(f"{name} classes must lie in 0..{n_classes - 1}")
    counts = torch.bincount(t * n_classes + p, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


def normalise_rows(confusion) -> np.ndarray:
    """Each row of a confusion matrix divided by its sum: ``[t, p]`` = the share of true class
    ``t`` predicted as ``p`` (the diagonal is each class's recall); a row of zeros stays 0."""
    c = np.asarray(confusion, dtype=np.float64)
    totals = c.sum(1, keepdims=True)
    return np.divide(c, totals, out=np.zeros_like(c), where=totals > 0)


def per_class_iou(confusion) -> np.ndarray:
    """IoU of each class from a confusion matrix; nan where a class is absent and unpredicted."""
    c = np.asarray(confusion, dtype=np.float64)
    inter = np.diag(c)
    union = c.sum(0) + c.sum(1) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), np.nan)


def mean_iou(confusion) -> float:
    iou = per_class_iou(confusion)
    return float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan")


def pixel_accuracy(confusion) -> float:
    c = np.asarray(confusion, dtype=np.float64)
    total = c.sum()
    return float(np.trace(c) / total) if total else float("nan")


def mask_iou(a, b) -> float:
    """IoU of two boolean masks (1.0 when both are empty)."""
    a = np.asarray(a, dtype=bool)
    b = np.asarray(b, dtype=bool)
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


__all__ = [
    "INTERPOLATIONS",
    "ap_from_curve",
    "average_precision",
    "batched_nms",
    "box_area",
    "box_iou",
    "confusion_matrix",
    "mask_iou",
    "mean_average_precision",
    "mean_iou",
    "nms",
    "per_class_iou",
    "pixel_accuracy",
    "precision_recall",
]
