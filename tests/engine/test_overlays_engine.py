"""engine.overlays: which task an output fits, the mask it predicts, its colours, its boxes."""

import numpy as np

from engine import overlays as eo
from engine.detection import decode_detections


def test_task_of_output_by_shape():
    image = (1, 32, 32)
    assert eo.task_of_output((5, 32, 32), image) == "segmentation"
    assert eo.task_of_output((9, 8, 8), image) == "detection"
    assert eo.task_of_output((9, 32, 32), image) == "detection"  # S = 32 divides 32
    assert eo.task_of_output((5, 16, 16), image) is None  # not at the input's size
    assert eo.task_of_output((9, 6, 6), image) is None  # 6 does not divide 32
    assert eo.task_of_output((9, 8, 4), image) is None  # not a square grid
    assert eo.task_of_output((4, 32, 32), image) is None  # lab-2d's 4 maps
    assert eo.task_of_output((10,), image) is None  # a classifier
    assert eo.task_of_output((9, 8, 8), (1, 32, 40)) is None  # a grid needs a square image
    assert eo.task_of_output((5, 64), (1, 64)) is None  # a signal


def test_predict_mask_is_the_argmax_and_colours_leave_background_clear():
    scores = np.zeros((5, 2, 3), np.float32)
    scores[0, 0, 0] = 1  # background
    scores[1, 0, 1] = 1  # circle
    scores[4, 0, 2] = 1  # cross
    scores[2, 1, :] = 1  # square row
    labels = eo.predict_mask(scores)
    np.testing.assert_array_equal(labels, [[0, 1, 4], [2, 2, 2]])
    rgba = eo.mask_colours(labels)
    assert rgba.dtype == np.uint8 and rgba.shape == (2, 3, 4)
    assert tuple(rgba[0, 0]) == (0, 0, 0, 0)
    assert tuple(rgba[0, 1]) == (*eo.CLASS_COLOURS[0], 255)
    assert tuple(rgba[0, 2]) == (*eo.CLASS_COLOURS[3], 255)
    assert tuple(rgba[1, 0]) == (*eo.CLASS_COLOURS[1], 255)
    assert eo.SEGMENTATION_CLASSES == ("background", "circle", "square", "triangle", "cross")


def test_detect_decodes_at_the_input_size():
    output = np.random.default_rng(0).standard_normal((9, 8, 8)).astype(np.float32)
    got = eo.detect(output, (1, 64, 64), 0.1, 0.5)
    want = decode_detections(output, 0.1, 0.5, 64)[0]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(got[0]) and got[0].max() > 40  # pixels of a 64-pixel image, not 32
