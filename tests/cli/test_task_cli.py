"""``app.py train --task segmentation|detection``: the JSON's scores, dataset_args that
regenerate the test set, and predictions in the issue's formats."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.cli import main as cli_main
from engine.data.shapes import make_shapes
from engine.detection import ground_truth
from engine.metrics import average_precision


def _train(tmp_path, task, predictions, *extra):
    out = tmp_path / "out.json"
    pred = tmp_path / predictions
    argv = ["train", "--task", task, "--dataset", "shapes", "--steps", "3", "--eval-every", "3"]
    argv += ["--progress-every", "0", "--json", str(out), "--predictions", str(pred), *extra]
    assert cli_main(argv) == 0
    return json.loads(out.read_text()), pred


def test_segmentation_json_and_masks(tmp_path):
    data, pred = _train(tmp_path, "segmentation", "masks.npz")
    assert data["network"] == "shapes-segmenter" and data["task"] == "segmentation"
    args = data["dataset_args"]
    assert args["n_test"] >= 500 and args["max_objects"] >= 3
    masks = np.load(pred)["masks"]
    truth = make_shapes(**args).masks_test
    assert masks.shape == truth.shape and masks.dtype == np.int64
    assert data["pixel_accuracy"] == pytest.approx(float((masks == truth).mean()))
    assert len(data["per_class_iou"]) == 5 and 0 <= data["mean_iou"] <= 1


def test_detection_json_and_coco_results(tmp_path):
    data, pred = _train(tmp_path, "detection", "dets.json", "--lr", "0.01")
    assert data["network"] == "shapes-detector" and len(data["per_class_ap"]) == 4
    rows = json.loads(pred.read_text())
    assert rows and set(rows[0]) == {"image_id", "category_id", "bbox", "score"}
    # the written detections, scored against the regenerated test set, give the JSON's mAP
    test = make_shapes(**data["dataset_args"])
    n = len(test.x_test)
    dets = [([], [], []) for _ in range(n)]
    for r in rows:
        x, y, w, h = r["bbox"]
        dets[r["image_id"]][0].append([x, y, x + w, y + h])
        dets[r["image_id"]][1].append(r["score"])
        dets[r["image_id"]][2].append(r["category_id"])
    ap = average_precision(dets, ground_truth(test.boxes_test, test.box_labels_test), 4)
    assert np.nanmean(ap) == pytest.approx(data["map50"], abs=2e-3)  # JSON rounds boxes


@pytest.mark.parametrize(
    "args, message",
    [
        (["--task", "segmentation", "--network", "udl-mnist1d-cnn"], "2D images"),
        (
            ["--task", "detection", "--network", "shapes-segmenter"],
            "a grid detector needs (9, S, S)",
        ),
        (["--task", "detection", "--dataset", "mnist1d"], "only the shapes data set has"),
        (["--network", "lenet", "--predictions", "p.npz"], "--predictions is for segmentation"),
    ],
)
def test_task_mismatch_gives_one_clear_line(tmp_path, capsys, args, message):
    argv = ["train", "--steps", "1", "--progress-every", "0", "--json", str(tmp_path / "x.json")]
    if "--dataset" not in args:
        argv += ["--dataset", "shapes"]
    assert cli_main(argv + args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and err.startswith("error:")
    assert not (tmp_path / "x.json").exists()
