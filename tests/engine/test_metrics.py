"""engine.metrics: hand-worked cases and pycocotools' COCOeval on fixed predictions."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
import torch

from engine.metrics import (
    ap_from_curve,
    average_precision,
    batched_nms,
    box_iou,
    confusion_matrix,
    mask_iou,
    mean_average_precision,
    mean_iou,
    nms,
    per_class_iou,
    pixel_accuracy,
)

# ---------------------------------------------------------------- box IoU and NMS


def test_box_iou_hand_worked():
    a = [[0, 0, 2, 2]]
    b = [[1, 1, 3, 3], [0, 0, 2, 2], [2, 2, 4, 4], [0, 0, 1, 2]]
    # overlap 1 / (4 + 4 - 1); identical; touching corner only; half of it
    assert box_iou(a, b).numpy() == pytest.approx(np.array([[1 / 7, 1.0, 0.0, 0.5]]))


def test_box_iou_empty_boxes_are_zero_not_nan():
    iou = box_iou([[1, 1, 1, 1]], [[1, 1, 1, 1], [0, 0, 2, 2]])
    assert iou.tolist() == [[0.0, 0.0]]


def test_nms_drops_only_overlaps_above_threshold():
    boxes = [[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30], [0, 0, 10, 5]]
    scores = [0.9, 0.8, 0.7, 0.95]
    # box 3 (0.95) vs box 0: IoU 0.5 -> kept at threshold 0.5, dropped at 0.4
    # box 1 vs box 0: IoU 90/110 = 0.818 -> dropped
    assert nms(boxes, scores, 0.5).tolist() == [3, 0, 2]
    assert nms(boxes, scores, 0.4).tolist() == [3, 2]
    assert nms(boxes, scores, 0.9).tolist() == [3, 0, 1, 2]


def test_batched_nms_keeps_overlaps_of_other_classes():
    boxes = [[0, 0, 10, 10], [1, 0, 11, 10]]
    assert batched_nms(boxes, [0.9, 0.8], [0, 1], 0.5).tolist() == [0, 1]
    assert batched_nms(boxes, [0.9, 0.8], [1, 1], 0.5).tolist() == [0]


# ---------------------------------------------------------------- AP, hand-worked

GT_BOX = [0, 0, 10, 10]


def test_ap_perfect_detector_is_one():
    dets = [([GT_BOX], [0.9], [0])]
    gts = [([GT_BOX], [0])]
    assert average_precision(dets, gts, 1).tolist() == [pytest.approx(1.0)]


def test_ap_hand_worked_all_point_and_101_point():
    # Two images, two ground-truth boxes; detections by score: TP, FP, TP.
    gts = [([GT_BOX], [0]), ([[20, 20, 30, 30]], [0])]
    dets = [
        ([GT_BOX, [50, 50, 60, 60]], [0.9, 0.8], [0, 0]),
        ([[20, 20, 30, 30]], [0.7], [0]),
    ]
    # precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1 -> right maximum 1, 2/3, 2/3
    # all-point: 0.5 * 1 + 0.5 * 2/3 = 5/6
    ap_all = average_precision(dets, gts, 1, interpolation="all")[0]
    assert ap_all == pytest.approx(5 / 6, abs=1e-12)
    # 101-point: recalls 0..0.5 (51 of them) -> 1, 0.51..1 (50) -> 2/3
    ap_coco = average_precision(dets, gts, 1)[0]
    assert ap_coco == pytest.approx((51 * 1 + 50 * 2 / 3) / 101, abs=1e-12)


def test_ap_duplicate_detection_is_a_false_positive():
    gts = [([GT_BOX], [0])]
    dets = [([GT_BOX, [0, 0, 10, 9]], [0.9, 0.8], [0, 0])]
    # the second (IoU 0.9) finds its box taken: precision 1 then 1/2, recall stays 1
    assert average_precision(dets, gts, 1, interpolation="all")[0] == pytest.approx(1.0)
    dets_low_first = [([GT_BOX, [0, 0, 10, 9]], [0.8, 0.9], [0, 0])]
    assert average_precision(dets_low_first, gts, 1)[0] == pytest.approx(1.0)


def test_ap_iou_threshold_is_inclusive_and_wrong_class_misses():
    half = [0, 0, 10, 5]  # IoU exactly 0.5 with GT_BOX
    gts = [([GT_BOX], [0])]
    assert average_precision([([half], [1.0], [0])], gts, 1)[0] == pytest.approx(1.0)
    assert average_precision([([half], [1.0], [0])], gts, 1, iou_threshold=0.51)[0] == 0.0
    ap = average_precision([([GT_BOX], [1.0], [1])], gts, 2)
    assert ap[0] == 0.0 and np.isnan(ap[1])  # class 1 has no ground truth: left out


def test_map_is_mean_over_classes_with_ground_truth():
    gts = [([GT_BOX, [20, 20, 30, 30]], [0, 1])]
    dets = [([GT_BOX], [0.9], [0])]
    assert mean_average_precision(dets, gts, 3) == pytest.approx(0.5)


def test_ap_from_curve_makes_precision_monotone():
    # a dip in the middle is lifted to the later maximum
    assert ap_from_curve([1.0, 0.5, 0.75], [0.25, 0.5, 0.75], "all") == pytest.approx(
        0.25 * 1 + 0.25 * 0.75 + 0.25 * 0.75
    )


# ---------------------------------------------------------------- AP against pycocotools


def _coco_ap50(dets, gts, n_classes):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, annotations, results = [], [], []
    for i, (boxes, labels) in enumerate(gts):
        images.append({"id": i, "width": 64, "height": 64})
        for box, label in zip(boxes, labels, strict=True):
            x0, y0, x1, y1 = map(float, box)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": i,
                    "category_id": int(label),
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "area": (x1 - x0) * (y1 - y0),
                    "iscrowd": 0,
                }
            )
    for i, (boxes, scores, labels) in enumerate(dets):
        for box, score, label in zip(boxes, scores, labels, strict=True):
            x0, y0, x1, y1 = map(float, box)
            results.append(
                {
                    "image_id": i,
                    "category_id": int(label),
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "score": float(score),
                }
            )
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {
            "images": images,
            "annotations": annotations,
            "categories": [{"id": k} for k in range(n_classes)],
        }
        gt.createIndex()
        dt = gt.loadRes(results)
        ev = COCOeval(gt, dt, "bbox")
        ev.params.iouThrs = np.array([0.5])
        ev.params.areaRng = [[0, 1e10]]
        ev.params.areaRngLbl = ["all"]
        ev.params.maxDets = [100]
        ev.evaluate()
        ev.accumulate()
    precision = ev.eval["precision"][0, :, :, 0, 0]  # (101 recalls, classes)
    return np.array([p.mean() if (p > -1).all() else np.nan for p in precision.T])


def _random_case(seed, n_images=30, n_classes=3):
    rng = np.random.default_rng(seed)
    gts, dets = [], []
    for _ in range(n_images):
        g = int(rng.integers(0, 4))
        xy = rng.uniform(0, 48, (g, 2))
        wh = rng.uniform(4, 16, (g, 2))
        g_boxes = np.concatenate([xy, xy + wh], 1)
        g_labels = rng.integers(0, n_classes, g)
        gts.append((g_boxes, g_labels))
        # detections: jittered copies of the truth (some with the wrong class) plus clutter
        jitter = g_boxes + rng.normal(0, 2.0, g_boxes.shape)
        d_labels = np.where(rng.uniform(size=g) < 0.8, g_labels, rng.integers(0, n_classes, g))
        c = int(rng.integers(0, 3))
        cxy = rng.uniform(0, 48, (c, 2))
        clutter = np.concatenate([cxy, cxy + rng.uniform(4, 16, (c, 2))], 1)
        boxes = np.concatenate([jitter, clutter]).reshape(-1, 4)
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 0.5)
        labels = np.concatenate([d_labels, rng.integers(0, n_classes, c)])
        scores = np.round(rng.uniform(0, 1, len(boxes)), 2)  # rounded: ties happen
        dets.append((boxes, scores, labels))
    return dets, gts


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_ap50_equals_pycocotools(seed):
    dets, gts = _random_case(seed)
    ours = average_precision(dets, gts, 3)
    theirs = _coco_ap50(dets, gts, 3)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    assert 0.05 < np.nanmean(ours) < 0.95  # a case where matching matters


def test_ap50_equals_pycocotools_with_a_class_without_ground_truth():
    dets, gts = _random_case(7, n_classes=3)
    gts = [(b[l != 2], l[l != 2]) for b, l in gts]
    ours = average_precision(dets, gts, 3)
    theirs = _coco_ap50(dets, gts, 3)
    assert np.isnan(ours[2]) and np.isnan(theirs[2])
    np.testing.assert_allclose(ours[:2], theirs[:2], atol=1e-12)


# ---------------------------------------------------------------- segmentation


def test_confusion_matrix_and_ious_hand_worked():
    target = np.array([[0, 0, 1], [1, 2, 2]])
    pred = np.array([[0, 1, 1], [1, 2, 0]])
    c = confusion_matrix(pred, target, 4)
    expected = np.zeros((4, 4), np.int64)
    expected[0, 0], expected[0, 1] = 1, 1
    expected[1, 1] = 2
    expected[2, 2], expected[2, 0] = 1, 1
    assert c.numpy().tolist() == expected.tolist()
    iou = per_class_iou(c)
    # class 0: 1 / (2 + 2 - 1); class 1: 2 / (2 + 3 - 2); class 2: 1 / 2; class 3 absent
    np.testing.assert_allclose(iou[:3], [1 / 3, 2 / 3, 1 / 2])
    assert np.isnan(iou[3])
    assert mean_iou(c) == pytest.approx((1 / 3 + 2 / 3 + 1 / 2) / 3)
    assert pixel_accuracy(c) == pytest.approx(4 / 6)


def test_confusion_matrix_refuses_out_of_range_classes():
    with pytest.raises(ValueError, match="0..2"):
        confusion_matrix(np.array([3]), np.array([0]), 3)


def test_confusion_matrix_accepts_torch_and_batches():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 5, (4, 8, 8))
    p = rng.integers(0, 5, (4, 8, 8))
    c = confusion_matrix(torch.tensor(p), torch.tensor(t), 5).numpy()
    for i in range(5):
        for j in range(5):
            assert c[i, j] == np.sum((t == i) & (p == j))


def test_mask_iou():
    a = np.zeros((4, 4), bool)
    b = np.zeros((4, 4), bool)
    a[:2] = True
    b[1:3] = True
    assert mask_iou(a, b) == pytest.approx(4 / 12)
    assert mask_iou(np.zeros(3, bool), np.zeros(3, bool)) == 1.0
