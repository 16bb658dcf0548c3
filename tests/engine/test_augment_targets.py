"""Augmentation for segmentation and detection: masks and boxes move exactly with the image."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.augment import (
    Augmentation,
    augment_with_targets,
    move_boxes,
    move_pixels,
)
from engine.data.shapes import make_shapes
from engine.errors import DataError
from engine.presets import get_preset
from engine.training import TrainConfig, Trainer


def _rect_scene(rects, size=(12, 16)):
    """Images with filled rectangles (value 1 + class), their masks and exact boxes."""
    h, w = size
    img = np.zeros((len(rects), 1, h, w), np.float32)
    masks = np.zeros((len(rects), h, w), np.int64)
    boxes = np.zeros((len(rects), 1, 4), np.float32)
    labels = np.full((len(rects), 1), -1, np.int64)
    for n, (x0, y0, x1, y1, k) in enumerate(rects):
        img[n, 0, y0:y1, x0:x1] = 1 + k
        masks[n, y0:y1, x0:x1] = 1 + k
        boxes[n, 0] = (x0, y0, x1, y1)
        labels[n, 0] = k
    return torch.from_numpy(img), torch.from_numpy(masks), boxes, labels


def _box_of(mask: np.ndarray):
    ys, xs = np.nonzero(mask)
    return (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


def test_a_flipped_image_has_the_flipped_mask_and_box():
    img, masks, boxes, labels = _rect_scene([(1, 2, 5, 7, 0)])
    flip = torch.tensor([True])
    no = torch.tensor([False])
    zero = torch.tensor([0])
    out = move_pixels(img, flip, no, zero, zero)
    np.testing.assert_array_equal(out.numpy(), img.flip(-1).numpy())
    m = move_pixels(masks, flip, no, zero, zero)
    np.testing.assert_array_equal(m.numpy(), masks.flip(-1).numpy())
    b, k = move_boxes(boxes, labels, [True], [False], [0], [0], (12, 16))
    # width 16: x in [1, 5) mirrors to [11, 15)
    np.testing.assert_array_equal(b[0, 0], [11, 2, 15, 7])
    assert k[0, 0] == 0
    b, _ = move_boxes(boxes, labels, [False], [True], [0], [0], (12, 16))
    np.testing.assert_array_equal(b[0, 0], [1, 5, 5, 10])  # height 12: [2, 7) -> [5, 10)


def test_a_shift_moves_pixels_masks_and_boxes_and_cuts_them_at_the_edge():
    img, masks, boxes, labels = _rect_scene([(1, 2, 5, 7, 2)])
    no = torch.tensor([False])
    out = move_pixels(img, no, no, torch.tensor([3]), torch.tensor([-2]))
    want = np.zeros_like(img.numpy())
    want[0, 0, 5:10, 0:3] = 3  # x [1,5)-2 -> [-1,3) cut to [0,3); y [2,7)+3 -> [5,10)
    np.testing.assert_array_equal(out.numpy(), want)
    b, k = move_boxes(boxes, labels, [False], [False], [3], [-2], (12, 16))
    np.testing.assert_array_equal(b[0, 0], [0, 5, 3, 10])
    b, k = move_boxes(boxes, labels, [False], [False], [0], [-6], (12, 16))
    assert k[0, 0] == -1  # pushed out of the image: dropped


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 14),
            st.integers(0, 10),
            st.integers(1, 8),
            st.integers(1, 8),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=6,
    ),
    st.floats(0, 0.5),
    st.booleans(),
    st.booleans(),
    st.integers(0, 1000),
)
def test_after_any_flip_and_shift_the_mask_is_the_image_and_the_box_the_mask(
    raw, translate, flip, flip_v, seed
):
    rects = [(x, y, min(x + w, 16), min(y + h, 12), k) for x, y, w, h, k in raw]
    img, masks, boxes, labels = _rect_scene(rects)
    aug = Augmentation(translate=translate, flip=flip, flip_vertical=flip_v)
    gen = torch.Generator().manual_seed(seed)
    out, m, b, k = augment_with_targets(img, aug, gen, masks=masks, boxes=boxes, labels=labels)
    out, m = out.numpy(), m.numpy()
    np.testing.assert_array_equal(m, out[:, 0].round().astype(np.int64))  # mask = image
    for n in range(len(rects)):
        if m[n].any():
            assert k[n, 0] == rects[n][4]
            np.testing.assert_array_equal(b[n, 0], _box_of(m[n]))
        else:
            assert k[n, 0] == -1


def test_the_draws_repeat_with_the_seed_and_photometric_changes_leave_targets_alone():
    data = make_shapes(n_train=8, n_test=4, size=32, seed=0, max_objects=3)
    x = torch.from_numpy(data.x_train)
    masks = torch.from_numpy(data.masks_train)
    aug = Augmentation(translate=0.2, flip=True, brightness=0.2, noise=0.1)
    one = augment_with_targets(x, aug, torch.Generator().manual_seed(5), masks=masks)
    two = augment_with_targets(x, aug, torch.Generator().manual_seed(5), masks=masks)
    assert torch.equal(one[0], two[0]) and torch.equal(one[1], two[1])
    assert not torch.equal(one[0], x)


def test_rotation_is_refused_with_targets():
    img, masks, _, _ = _rect_scene([(1, 2, 5, 7, 0)])
    with pytest.raises(DataError, match="rotate cannot be used for segmentation"):
        augment_with_targets(img, Augmentation(rotate=5.0), torch.Generator(), masks=masks)


@pytest.mark.parametrize(
    "task, preset", [("segmentation", "shapes-segmenter"), ("detection", "shapes-detector")]
)
def test_training_with_flips_and_shifts_runs_and_moves_the_targets(task, preset):
    data = make_shapes(n_train=64, n_test=16, size=32, seed=3, max_objects=3)
    config = TrainConfig(
        task=task,
        optimizer="adam",
        lr=0.01,
        batch_size=8,
        steps=4,
        eval_every=4,
        checkpoint_every=4,
        eval_train_samples=8,
        seed=1,
        augmentation=Augmentation(flip=True, translate=0.15),
    )
    trainer = Trainer(get_preset(preset), data, config, device="cpu")
    x, y = trainer._next_batch()
    plain = Trainer(
        get_preset(preset),
        data,
        TrainConfig(**{**config.to_dict(), "augmentation": None}),
        device="cpu",
    )
    x0, y0 = plain._next_batch()
    assert not torch.equal(x, x0) and not torch.equal(y, y0)  # targets moved with the images
    if task == "segmentation":
        # the augmented batch's masks still cover the bright shapes, as before
        bright = x[:, 0] > 0.45
        assert (y[bright] > 0).float().mean() > 0.9
    trainer.run()
