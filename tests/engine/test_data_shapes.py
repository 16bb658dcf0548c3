"""engine.data.shapes: seeded, boxes contain masks, classes match what is drawn."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data import load_dataset
from engine.data.shapes import CLASS_NAMES, make_shapes
from engine.errors import DataError


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(n_train=300, n_test=100, size=32, seed=0, max_objects=3)


def test_shapes_and_types(shapes):
    assert shapes.x_train.shape == (300, 1, 32, 32) and shapes.x_test.shape == (100, 1, 32, 32)
    assert shapes.x_train.dtype == np.float32 and shapes.y_train.dtype == np.int64
    assert shapes.class_names == CLASS_NAMES and shapes.input_shape == (1, 32, 32)
    assert shapes.masks_train.shape == (300, 32, 32) and shapes.boxes_train.shape == (300, 3, 4)
    assert set(np.unique(shapes.y_train)) == {0, 1, 2, 3}
    np.testing.assert_array_equal(shapes.box_labels_train[:, 0], shapes.y_train)


def test_same_seed_same_data_other_seed_other_data():
    a, b = make_shapes(50, 20, seed=4), make_shapes(50, 20, seed=4)
    for field in ("x_train", "y_train", "x_test", "masks_test", "boxes_train"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.x_train, make_shapes(50, 20, seed=5).x_train)


def test_every_mask_pixel_lies_in_a_box_of_its_class(shapes):
    for masks, boxes, labels in (
        (shapes.masks_train, shapes.boxes_train, shapes.box_labels_train),
        (shapes.masks_test, shapes.boxes_test, shapes.box_labels_test),
    ):
        for mask, image_boxes, image_labels in zip(masks, boxes, labels, strict=True):
            ys, xs = np.nonzero(mask)
            cy, cx = ys + 0.5, xs + 0.5  # pixel centres
            inside_any = np.zeros(len(ys), bool)
            for (x0, y0, x1, y1), label in zip(image_boxes, image_labels, strict=True):
                if label < 0:
                    continue
                inside = (cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)
                inside_any |= inside & (mask[ys, xs] == label + 1)
            assert inside_any.all()


def test_main_object_is_visible_with_its_class_in_the_mask(shapes):
    for mask, label, box in zip(
        shapes.masks_train, shapes.y_train, shapes.boxes_train, strict=True
    ):
        assert (mask == label + 1).sum() >= 10
        x0, y0, x1, y1 = box[0]
        assert 0 <= x0 < x1 <= 32 and 0 <= y0 < y1 <= 32


def test_object_pixels_are_brighter_than_background_on_average(shapes):
    x = shapes.x_train[:, 0]
    inside = x[shapes.masks_train > 0].mean()
    outside = x[shapes.masks_train == 0].mean()
    assert inside > outside + 0.3


def test_classes_have_their_shapes_fill_ratio():
    # circle fills pi/4 of its box, square 1, triangle 1/2, cross less than 1/2
    data = make_shapes(200, 1, size=48, seed=1)
    ratios = {}
    for k in range(4):
        picks = np.flatnonzero(data.y_train == k)
        r = []
        for i in picks:
            x0, y0, x1, y1 = data.boxes_train[i, 0]
            r.append((data.masks_train[i] == k + 1).sum() / ((x1 - x0) * (y1 - y0)))
        ratios[k] = np.median(r)
    assert ratios[0] == pytest.approx(np.pi / 4, abs=0.06)
    assert ratios[1] == pytest.approx(1.0, abs=0.08)
    assert ratios[2] == pytest.approx(0.5, abs=0.06)
    assert ratios[3] < 0.5


def test_single_object_default_has_no_extra_boxes_and_dispatch():
    data = load_dataset("shapes", seed=2)
    assert data.x_train.shape == (2000, 1, 32, 32) and data.x_test.shape == (500, 1, 32, 32)
    assert (data.box_labels_train[:, 0] >= 0).all() and data.boxes_train.shape[1] == 1


def test_bad_arguments():
    with pytest.raises(DataError, match="n_train must be a whole number"):
        make_shapes(n_train=0)
    with pytest.raises(DataError, match="size must be a whole number of at least 8"):
        make_shapes(size=4)
    with pytest.raises(DataError, match="max_objects"):
        make_shapes(max_objects=0)
