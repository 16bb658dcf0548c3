"""engine.tasks / engine.detection: segmentation and detection train, reproduce, decode right,
and a network that does not fit the task is refused with one message naming what it needs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.augment import Augmentation
from engine.data import load_dataset
from engine.data.shapes import make_shapes
from engine.detection import (
    coco_results,
    decode_detections,
    detection_loss,
    encode_targets,
    ground_truth,
)
from engine.metrics import average_precision
from engine.presets import get_preset
from engine.training import TrainConfig, Trainer, TrainingError


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(n_train=128, n_test=48, size=32, seed=3, max_objects=3)


def _config(task, **changes):
    base = dict(
        task=task,
        optimizer="adam",
        lr=0.01,
        batch_size=16,
        steps=30,
        eval_every=30,
        checkpoint_every=30,
        eval_train_samples=32,
        seed=1,
    )
    return TrainConfig(**{**base, **changes})


@pytest.mark.parametrize(
    "task, preset, score",
    [("segmentation", "shapes-segmenter", "mean_iou"), ("detection", "shapes-detector", "map50")],
)
def test_a_short_training_lowers_the_loss(shapes, task, preset, score):
    trainer = Trainer(get_preset(preset), shapes, _config(task), device="cpu")
    result = trainer.run()[0]
    first, last = result.curves[0], result.curves[-1]
    assert last["train_loss"] < 0.8 * first["train_loss"]
    assert last["test_loss"] < first["test_loss"]
    assert result.task == task and score in result.metrics
    assert f"test_{score}" in last and f"train_{score}" in last


def test_segmentation_scores_agree_with_the_predictions(shapes):
    trainer = Trainer(get_preset("shapes-segmenter"), shapes, _config("segmentation"), device="cpu")
    result = trainer.run()[0]
    masks = trainer.test_predictions()
    assert masks.shape == shapes.masks_test.shape and masks.dtype == np.int64
    pixel_acc = float((masks == shapes.masks_test).mean())
    assert result.metrics["pixel_accuracy"] == pytest.approx(pixel_acc)
    assert result.curves[-1]["test_accuracy"] == pytest.approx(pixel_acc)
    ious = result.metrics["per_class_iou"]
    k = 0  # background, always present
    inter = np.sum((masks == k) & (shapes.masks_test == k))
    union = np.sum((masks == k) | (shapes.masks_test == k))
    assert ious[0] == pytest.approx(inter / union)


def test_same_seed_same_numbers_for_detection(shapes):
    runs = []
    for _ in range(2):
        trainer = Trainer(
            get_preset("shapes-detector"),
            shapes,
            _config("detection", steps=8, eval_every=4),
            device="cpu",
        )
        result = trainer.run()[0]
        runs.append((result.curves, result.metrics, trainer.test_predictions()))
    assert runs[0] == runs[1]
    other = Trainer(
        get_preset("shapes-detector"),
        shapes,
        _config("detection", steps=8, eval_every=4, seed=2),
        device="cpu",
    ).run()[0]
    assert other.curves != runs[0][0]


@pytest.mark.parametrize(
    "task, preset, message",
    [
        (
            "segmentation",
            "shapes-detector",
            "segmentation needs one score per class per pixel: (5, 32, 32)",
        ),
        ("detection", "shapes-segmenter", "a grid detector needs (9, S, S)"),
        ("classification", "shapes-segmenter", "a classifier must end in 4 class scores"),
    ],
)
def test_a_network_that_does_not_fit_the_task_is_refused(shapes, task, preset, message):
    with pytest.raises(TrainingError) as caught:
        Trainer(get_preset(preset), shapes, _config(task), device="cpu")
    assert message in str(caught.value)
    assert "shapes-" in str(caught.value)  # names the network


def test_data_without_masks_or_boxes_is_refused():
    mnist = load_dataset("mnist1d")
    for task, needs in (("segmentation", "per-pixel masks"), ("detection", "needs boxes")):
        with pytest.raises(TrainingError, match=needs):
            Trainer(get_preset("udl-mnist1d-cnn"), mnist, _config(task), device="cpu")


def test_rotation_and_zoom_are_refused_where_they_would_not_move_the_targets_exactly():
    for task in ("segmentation", "detection"):
        with pytest.raises(TrainingError, match="rotate cannot be used for " + task):
            _config(task, augmentation=Augmentation(rotate=10.0)).validate()
        with pytest.raises(TrainingError, match="scale cannot be used"):
            _config(task, augmentation=Augmentation(scale=0.2, flip=True)).validate()
        _config(task, augmentation=Augmentation(flip=True, translate=0.1)).validate()


# ---------------------------------------------------------------- the grid read as boxes


def _perfect_output(target: torch.Tensor, n_classes=4) -> torch.Tensor:
    """The logits a perfect detector gives for these targets."""
    obj = target[:, 0]
    out = torch.zeros(len(target), 5 + n_classes, *target.shape[2:])
    out[:, 0] = torch.where(obj > 0, 12.0, -12.0)
    out[:, 1:3] = torch.logit(target[:, 1:3].clamp(1e-6, 1 - 1e-6))
    out[:, 3:5] = target[:, 3:5]
    out[:, 5:] = (
        torch.nn.functional.one_hot(target[:, 5].long(), n_classes).permute(0, 3, 1, 2) * 12.0
    )
    return out


def test_decoding_perfect_maps_gives_back_the_boxes(shapes):
    target = encode_targets(shapes.boxes_test, shapes.box_labels_test, 32, 8)
    found = decode_detections(_perfect_output(target), 0.5, 0.5, size=32)
    truth = ground_truth(shapes.boxes_test, shapes.box_labels_test)
    for (boxes, scores, labels), (g_boxes, g_labels) in zip(found, truth, strict=True):
        # every decoded box is one of the truth, to float precision, with its class
        for box, label in zip(boxes, labels, strict=True):
            err = np.abs(g_boxes - box).max(1)
            assert err.min() < 1e-3 and g_labels[err.argmin()] == label
        assert np.all(scores > 0.99)
    ap = average_precision(found, truth, 4)
    assert sum(len(b) for b, _, _ in found) == int(target[:, 0].sum())  # one box per object cell
    assert np.mean(ap) > 0.9  # only objects whose centres share a cell are lost
    assert detection_loss(_perfect_output(target), target) < 0.05


def test_encode_puts_the_object_in_the_cell_of_its_centre():
    boxes = np.array([[[4.0, 8.0, 12.0, 12.0], [0, 0, 0, 0]]], np.float32)  # centre (8, 10)
    target = encode_targets(boxes, np.array([[2, -1]]), 32, 8)
    assert target[0, 0].sum() == 1 and target[0, 0, 2, 2] == 1  # row 10 // 4, column 8 // 4
    assert target[0, 1:, 2, 2].tolist() == pytest.approx([0.0, 0.5, 0.5, np.sqrt(4 / 32), 2.0])


def test_score_threshold_and_nms_of_the_decoder():
    out = torch.full((1, 9, 8, 8), -12.0)
    out[0, 3:5] = np.sqrt(8 / 32)  # 8x8 boxes
    out[0, 5] = 12.0  # class 0
    out[0, 0, 2, 2], out[0, 0, 2, 3] = 2.0, 1.0  # neighbours: IoU of 8x8 boxes 4 px apart = 1/3
    boxes, scores, labels = decode_detections(out, 0.5, 0.5)[0]
    assert len(boxes) == 2 and scores[0] > scores[1] and labels.tolist() == [0, 0]
    assert len(decode_detections(out, 0.5, 0.3)[0][0]) == 1  # NMS at 0.3 drops the weaker
    assert len(decode_detections(out, 0.8, 0.5)[0][0]) == 1  # sigmoid(1) = 0.73 < 0.8
    rows = coco_results(decode_detections(out, 0.5, 0.5))
    # offsets sigmoid(-12) ~ 0: the centre is cell (2, 2)'s corner (8, 8), the box 8 x 8 around it
    assert (
        rows[0]["bbox"] == pytest.approx([4.0, 4.0, 8.0, 8.0], abs=1e-3)
        and rows[0]["image_id"] == 0
    )
