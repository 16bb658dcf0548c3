"""What a training run learns: classification, segmentation or detection.

A task turns a data set into targets, checks that a network's output fits them (one clear
message naming what the task needs), gives the loss, and measures a network on samples
(loss, the task's ``accuracy`` and its own scores). ``engine.training`` runs any of them.

- classification: cross-entropy on one score per class; accuracy = share of samples right.
- segmentation: per-pixel cross-entropy on (1 + C) scores per pixel (background + the
  classes, the data set's ``masks_*``); accuracy = pixel accuracy, plus ``mean_iou``.
- detection: the YOLOv1-style grid loss of :mod:`engine.detection` on a (5 + C, S, S) map
  (the data set's ``boxes_*``); accuracy = share of object cells whose class is right, plus
  ``map50`` (COCO's AP at IoU 0.5, detections above score 0.05, per-class NMS at 0.5).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from . import detection as det
from . import metrics
from .errors import EngineError

TASKS = ("classification", "segmentation", "detection")
EVAL_SCORE_THRESHOLD = 0.05  # detections kept when measuring mAP (a full precision/recall curve)
EVAL_NMS_IOU = 0.5


class TrainingError(EngineError):
    """Training cannot start: a bad setting, or a network that does not fit the data."""


def _fmt(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def _output_shape(module, x, device) -> tuple[int, ...]:
    module.eval()
    with torch.no_grad():
        out = module(torch.tensor(np.asarray(x, dtype=np.float32)).to(device))
    module.train()
    return tuple(out.shape[1:])


class Classification:
    name = "classification"
    extra_keys: tuple[str, ...] = ()

    def __init__(self, dataset):
        self.n_classes = len(dataset.class_names)

    def targets(self, dataset, part: str) -> torch.Tensor:
        return torch.tensor(np.asarray(getattr(dataset, f"y_{part}"), dtype=np.int64))

    def check_output(self, module, x, label: str, device) -> None:
        n_classes = self.n_classes
        shape = _output_shape(module, x, device)
        if len(shape) != 1:
            raise TrainingError(
                f"network '{label}' ends in shape {_fmt(shape)}, but a classifier must end in "
                f"{n_classes} class scores (add flatten and a linear layer with {n_classes} units)"
            )
        if shape[0] != n_classes:
            raise TrainingError(
                f"network '{label}' gives {shape[0]} scores but the data set has {n_classes} "
                f"classes (set the last layer's units to {n_classes})"
            )

    def loss(self, output, target):
        return F.cross_entropy(output, target)

    def augmented(self, x, idx, aug, generator, y_all):
        """An augmented training batch (CPU images ``x`` of the samples ``idx``) and its
        targets; here the labels do not move (``y_all`` holds every training target)."""
        from .augment import augment

        return augment(x, aug, generator), y_all[idx.to(y_all.device)]

    def measure(self, outputs, targets, part="test", index=None) -> dict[str, float]:
        n = sum(len(t) for t in targets)
        loss = sum(
            float(F.cross_entropy(o, t, reduction="sum"))
            for o, t in zip(outputs, targets, strict=True)
        )
        correct = sum(int((o.argmax(1) == t).sum()) for o, t in zip(outputs, targets, strict=True))
        return {"loss": loss / n, "accuracy": correct / n}

    def final(self, outputs, targets) -> dict:
        return {}

    def confusion(self, outputs, targets) -> np.ndarray:
        """(C, C) counts over samples: ``[t, p]`` = samples of true class t predicted p."""
        total = torch.zeros(self.n_classes, self.n_classes, dtype=torch.int64)
        for o, t in zip(outputs, targets, strict=True):
            total += metrics.confusion_matrix(o.argmax(1), t, self.n_classes)
        return total.numpy()

    def class_names(self, dataset) -> list[str]:
        return [str(c) for c in dataset.class_names]


class Segmentation(Classification):
    name = "segmentation"
    extra_keys = ("mean_iou",)

    def __init__(self, dataset):
        if dataset.masks_train is None or dataset.masks_test is None:
            raise TrainingError(
                f"segmentation needs per-pixel masks, and the data set "
                f"'{dataset.name or 'chosen'}' has none (use the shapes data set)"
            )
        self.n_classes = len(dataset.class_names) + 1  # background + the classes
        self.size = tuple(int(s) for s in np.asarray(dataset.masks_train).shape[1:])

    def targets(self, dataset, part):
        masks = torch.tensor(np.asarray(getattr(dataset, f"masks_{part}"), dtype=np.int64))
        if part == "train":
            self._train_masks = masks  # the CPU copy augmentation moves with the images
        return masks

    def augmented(self, x, idx, aug, generator, y_all):
        """Images and their masks flipped and shifted together (engine.augment)."""
        from .augment import augment_with_targets

        out, masks, _, _ = augment_with_targets(x, aug, generator, masks=self._train_masks[idx])
        return out, masks.to(y_all.device)

    def check_output(self, module, x, label, device):
        shape = _output_shape(module, x, device)
        need = (self.n_classes, *self.size)
        if shape != need:
            raise TrainingError(
                f"network '{label}' ends in shape {_fmt(shape)}, but segmentation needs one "
                f"score per class per pixel: {_fmt(need)} (background + "
                f"{self.n_classes - 1} classes at the input's size; end in a 1x1 conv with "
                f"{self.n_classes} channels after upsampling back to {self.size[0]}x{self.size[1]})"
            )

    def _confusion(self, outputs, targets):
        return torch.from_numpy(self.confusion(outputs, targets))

    def class_names(self, dataset) -> list[str]:
        return ["background", *(str(c) for c in dataset.class_names)]

    def measure(self, outputs, targets, part="test", index=None):
        n = sum(t.numel() for t in targets)
        loss = sum(
            float(F.cross_entropy(o, t, reduction="sum"))
            for o, t in zip(outputs, targets, strict=True)
        )
        c = self._confusion(outputs, targets)
        return {
            "loss": loss / n,
            "accuracy": metrics.pixel_accuracy(c),
            "mean_iou": metrics.mean_iou(c),
        }

    def final(self, outputs, targets):
        c = self._confusion(outputs, targets)
        return {
            "mean_iou": metrics.mean_iou(c),
            "per_class_iou": [None if np.isnan(v) else float(v) for v in metrics.per_class_iou(c)],
            "pixel_accuracy": metrics.pixel_accuracy(c),
            "confusion": c.tolist(),
        }

    def predictions(self, outputs) -> np.ndarray:
        return torch.cat([o.argmax(1) for o in outputs]).cpu().numpy().astype(np.int64)


class Detection(Classification):
    name = "detection"
    extra_keys = ("map50",)

    def __init__(self, dataset):
        if dataset.boxes_train is None or dataset.boxes_test is None:
            raise TrainingError(
                f"detection needs boxes, and the data set '{dataset.name or 'chosen'}' has "
                "none (use the shapes data set)"
            )
        self.n_classes = len(dataset.class_names)
        self.channels = det.grid_channels(self.n_classes)
        self.size = int(np.asarray(dataset.x_train).shape[-1])
        self.grid: int | None = None
        self._truth: dict[str, list] = {}

    def check_output(self, module, x, label, device):
        shape = _output_shape(module, x, device)
        ok = len(shape) == 3 and shape[0] == self.channels and shape[1] == shape[2]
        if not ok or self.size % shape[1]:
            raise TrainingError(
                f"network '{label}' ends in shape {_fmt(shape)}, but a grid detector needs "
                f"({self.channels}, S, S): per cell objectness, x, y, w, h and "
                f"{self.n_classes} class scores, on an S x S grid that divides the "
                f"{self.size}-pixel image (e.g. S = {self.size // 4})"
            )
        if self.grid is not None and self.grid != shape[1]:
            raise TrainingError(
                f"network '{label}' has a {shape[1]}x{shape[1]} grid but the others "
                f"{self.grid}x{self.grid}; networks compared on detection share one grid"
            )
        self.grid = shape[1]

    def targets(self, dataset, part):
        boxes = getattr(dataset, f"boxes_{part}")
        labels = getattr(dataset, f"box_labels_{part}")
        self._truth[part] = det.ground_truth(boxes, labels)
        if part == "train":
            self._train_boxes = (np.asarray(boxes), np.asarray(labels))
        return det.encode_targets(boxes, labels, self.size, self.grid)

    def augmented(self, x, idx, aug, generator, y_all):
        """Images flipped and shifted with their boxes; the grid targets encoded anew."""
        from .augment import augment_with_targets

        rows = idx.numpy()
        boxes, labels = self._train_boxes[0][rows], self._train_boxes[1][rows]
        out, _, boxes, labels = augment_with_targets(x, aug, generator, boxes=boxes, labels=labels)
        target = det.encode_targets(boxes, labels, self.size, self.grid)
        return out, target.to(y_all.device)

    def loss(self, output, target):
        return det.detection_loss(output, target)

    def decode(self, outputs):
        found = []
        for o in outputs:
            found += det.decode_detections(o, EVAL_SCORE_THRESHOLD, EVAL_NMS_IOU, self.size)
        return found

    def measure(self, outputs, targets, part="test", index=None):
        n = sum(len(t) for t in targets)
        loss = sum(
            float(det.detection_loss(o, t, reduction="sum"))
            for o, t in zip(outputs, targets, strict=True)
        )
        cells = sum(float(t[:, 0].sum()) for t in targets)
        right = sum(
            float(((o[:, 5:].argmax(1) == t[:, 5].long()).float() * t[:, 0]).sum())
            for o, t in zip(outputs, targets, strict=True)
        )
        truth = self._truth[part]
        if index is not None:
            truth = [truth[i] for i in index]
        mean_ap = metrics.mean_average_precision(self.decode(outputs), truth, self.n_classes)
        return {"loss": loss / n, "accuracy": right / max(cells, 1.0), "map50": mean_ap}

    def final(self, outputs, targets):
        found = self.decode(outputs)
        ap = metrics.average_precision(found, self._truth["test"], self.n_classes)
        return {
            "map50": float(np.nanmean(ap)),
            "per_class_ap": [None if np.isnan(v) else float(v) for v in ap],
        }

    confusion = None  # boxes, not one class per sample or pixel: per-class AP instead

    def predictions(self, outputs) -> list[dict]:
        return det.coco_results(self.decode(outputs))


def make_task(name: str, dataset):
    if name not in TASKS:
        raise TrainingError(f"unknown task '{name}' (choose {', '.join(TASKS)})")
    return {"classification": Classification, "segmentation": Segmentation, "detection": Detection}[
        name
    ](dataset)


__all__ = ["TASKS", "Classification", "Detection", "Segmentation", "TrainingError", "make_task"]
