"""The augmentation preview for segmentation and detection: the mask (each class in its
colour) and the boxes move with the image, and what is drawn is what engine.augment gave."""

from __future__ import annotations

import numpy as np
import pytest

from engine.augment import Augmentation, preview_with_targets
from engine.data.shapes import make_shapes
from engine.overlays import CLASS_COLOURS, mask_colours
from engine.presets import get_preset
from gui.state.document import Document
from gui.training.trainer_panel import TrainerPanel
from gui.training.trainer_preview import SAMPLES
from gui.training.trainer_setup import MULTI_SHAPES

WAIT = 120_000  # ms


@pytest.fixture
def panel(qtbot):
    data = make_shapes(n_train=8, n_test=4, seed=3, max_objects=3)
    panel = TrainerPanel(Document(np.array(data.x_test[0]), get_preset("lab-2d")))
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.jobs.idle, timeout=WAIT)
    panel._datasets[MULTI_SHAPES] = data
    yield panel
    panel.shutdown()


def _preview(qtbot, panel, task: str):
    form = panel.form
    form.task_chosen(task)
    qtbot.waitUntil(lambda: panel.jobs.idle, timeout=WAIT)
    form.augmentation.setChecked(True)
    form.aug_fields["translate"].setValue(0.25)
    form.aug_fields["flip"].setChecked(True)
    form.aug_fields["flip_vertical"].setChecked(True)
    with qtbot.waitSignal(
        panel.jobs.done, timeout=WAIT, check_params_cb=lambda tag, _: tag == "preview"
    ):
        form.preview_button.click()
    aug = Augmentation(translate=0.25, flip=True, flip_vertical=True)
    return panel.preview_plot.task, panel._datasets[MULTI_SHAPES], aug, int(form.seed.value())


def test_segmentation_preview_draws_the_engines_masks_below_the_images(qtbot, panel):
    shown, data, aug, seed = _preview(qtbot, panel, "segmentation")
    images, masks, _, _ = preview_with_targets(
        data.x_train[0], aug, SAMPLES - 1, seed, mask=data.masks_train[0]
    )
    assert shown is not None and shown.boxes == ()
    np.testing.assert_array_equal(shown.masks[0], data.masks_train[0])  # the sample itself
    np.testing.assert_array_equal(shown.masks[1:], masks)
    h, w = data.masks_train.shape[1:]
    drawn = panel.preview_plot.item.image
    assert drawn.shape == (2 * h + 1, SAMPLES * (w + 1) - 1, 3)
    moved = 0
    for i, (x0, _) in enumerate(shown.origins):
        want = mask_colours(shown.masks[i])[..., :3]
        np.testing.assert_array_equal(drawn[h + 1 :, x0 : x0 + w], want)
        # the image above moved the same way: its object pixels are brighter than the ground
        tile = drawn[:h, x0 : x0 + w, 0].astype(float)
        inside = shown.masks[i] > 0
        assert tile[inside].mean() > tile[~inside].mean()
        moved += not np.array_equal(shown.masks[i], shown.masks[0])
    assert moved >= SAMPLES // 2  # the masks really move


def test_detection_preview_outlines_the_engines_boxes_in_class_colours(qtbot, panel):
    shown, data, aug, seed = _preview(qtbot, panel, "detection")
    _, _, boxes, labels = preview_with_targets(
        data.x_train[0],
        aug,
        SAMPLES - 1,
        seed,
        boxes=data.boxes_train[0],
        labels=data.box_labels_train[0],
    )
    np.testing.assert_array_equal(shown.engine_boxes[1:], boxes)
    np.testing.assert_array_equal(shown.labels[1:], labels)
    want = []
    for i, (x0, _) in enumerate(shown.origins):
        for box, label in zip(shown.engine_boxes[i], shown.labels[i], strict=True):
            if label >= 0:
                want.append((box[0] + x0, box[1], box[2] - box[0], box[3] - box[1], label))
    items = panel.preview_plot.box_items
    assert len(items) == len(want) >= SAMPLES
    for item, (x, y, bw, bh, label) in zip(items, want, strict=True):
        rect = item.rect()
        assert (rect.x(), rect.y(), rect.width(), rect.height()) == pytest.approx((x, y, bw, bh))
        assert item.pen().color().getRgb()[:3] == CLASS_COLOURS[label]
        assert item.parentItem() is not None  # in the view
    assert panel.preview_plot.item.image.ndim == 3  # one RGB row of images


def test_rotation_is_refused_for_a_task_preview_with_a_message(qtbot, panel):
    panel.form.task_chosen("detection")
    panel.form.augmentation.setChecked(True)
    panel.form.aug_fields["rotate"].setValue(10)
    panel.form.preview_button.click()
    assert "rotate cannot be used for detection" in panel.form.error_label.text()
    assert panel.preview_plot.task is None
