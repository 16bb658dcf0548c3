"""engine.augment.preview_with_targets: one image's augmented versions with its mask or
boxes, moved exactly as training moves them (augment_with_targets on the repeated sample)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.augment import Augmentation, augment_with_targets, preview_with_targets
from engine.errors import DataError


def _sample():
    x = np.zeros((1, 8, 8), np.float32)
    x[0, 1:3, 0:2] = 1.0  # an object at rows 1-2, columns 0-1
    mask = (x[0] > 0).astype(np.int64) * 3
    boxes = np.array([[0, 1, 2, 3], [0, 0, 0, 0]], np.float32)
    return x, mask, boxes, np.array([2, -1])


def test_a_flip_moves_mask_and_box_with_the_image():
    x, mask, boxes, labels = _sample()
    aug = Augmentation(flip=True)
    images, masks, _, _ = preview_with_targets(x, aug, 16, 0, mask=mask)
    _, _, moved, moved_labels = preview_with_targets(x, aug, 16, 0, boxes=boxes, labels=labels)
    flipped = 0
    for image, m, b, k in zip(images, masks, moved, moved_labels, strict=True):
        np.testing.assert_array_equal(m > 0, image[0] > 0)  # the mask is where the object is
        if image[0, 1, 7] > 0:  # mirrored: x -> 8 - x
            flipped += 1
            np.testing.assert_array_equal(b[0], [6, 1, 8, 3])
        else:
            np.testing.assert_array_equal(b[0], boxes[0])
        assert list(k) == [2, -1]
    assert 0 < flipped < 16


def test_equals_augment_with_targets_on_the_repeated_sample():
    x, mask, _, _ = _sample()
    aug = Augmentation(translate=0.25, flip=True, flip_vertical=True, noise=0.1)
    images, masks, _, _ = preview_with_targets(x, aug, 5, 7, mask=mask)
    g = torch.Generator().manual_seed(7)
    batch = torch.from_numpy(x)[None].repeat(5, 1, 1, 1)
    want, want_masks, _, _ = augment_with_targets(
        batch, aug, g, masks=torch.from_numpy(mask)[None].repeat(5, 1, 1)
    )
    np.testing.assert_array_equal(images, want.numpy())
    np.testing.assert_array_equal(masks, want_masks.numpy())


def test_bad_requests_are_refused():
    x, mask, _, _ = _sample()
    with pytest.raises(DataError, match="needs a mask or boxes"):
        preview_with_targets(x, Augmentation(flip=True), 2, 0)
    with pytest.raises(DataError, match="image"):
        preview_with_targets(x[0], Augmentation(flip=True), 2, 0, mask=mask)
    with pytest.raises(DataError, match="rotate"):
        preview_with_targets(x, Augmentation(rotate=5), 2, 0, mask=mask)
