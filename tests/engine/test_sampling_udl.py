"""UDL notebook 10.4 ("Downsampling and upsampling"), worked by hand, against the engine.

The notebook's 4×4 patch [[1,3,5,3],[6,2,0,8],[4,6,1,4],[2,8,0,3]] is cut into 2×2 blocks
[[1,3],[6,2]], [[5,3],[0,8]], [[4,6],[2,8]], [[1,4],[0,3]]:
- subsample keeps each block's top-left value: [[1,5],[4,1]];
- max pool keeps each block's maximum: [[6,8],[8,4]], found at (1,0), (1,3), (3,1), (2,3),
  i.e. flat positions 4, 7, 13, 11 (row*4 + column);
- mean pool: (1+3+6+2)/4 = 3, (5+3+0+8)/4 = 4, (4+6+2+8)/4 = 5, (1+4+0+3)/4 = 2.
Its 2×2 map orig_2_2 = [[6,8],[8,4]] (the max-pooled patch) is then upsampled:
- duplicate: every value into a 2×2 block;
- max unpool with the 4×4 patch's maxima: each value back where it came from, zeros else.
Each check runs the torch path (engine.ops), the reference path (engine.reference) and the
lab's own views (engine.sampling).
"""

import numpy as np
import pytest

from engine import ops, reference, sampling

PATCH = np.array([[1, 3, 5, 3], [6, 2, 0, 8], [4, 6, 1, 4], [2, 8, 0, 3]], dtype=np.float64)[None]
SMALL = np.array([[6, 8], [8, 4]], dtype=np.float64)[None]
PATHS = pytest.mark.parametrize("path", [ops, reference], ids=["torch", "reference"])


@PATHS
def test_subsample_keeps_the_top_left_of_each_block(path):
    np.testing.assert_array_equal(path.subsample2d(PATCH, 2)[0], [[1, 5], [4, 1]])


@PATHS
def test_max_pool_and_where_each_maximum_came_from(path):
    pooled, indices = path.max_pool2d(PATCH, 2, return_indices=True)
    np.testing.assert_array_equal(pooled[0], [[6, 8], [8, 4]])
    np.testing.assert_array_equal(indices[0], [[4, 7], [13, 11]])


@PATHS
def test_mean_pool(path):
    np.testing.assert_array_equal(path.avg_pool2d(PATCH, 2)[0], [[3, 4], [5, 2]])


def test_the_lab_shows_the_same_three_down_views():
    down = sampling.downsample_views(PATCH, 2)
    np.testing.assert_array_equal(down.view("subsample").output[0], [[1, 5], [4, 1]])
    np.testing.assert_array_equal(down.view("max_pool").output[0], [[6, 8], [8, 4]])
    np.testing.assert_array_equal(down.view("mean_pool").output[0], [[3, 4], [5, 2]])
    # the window of pooled value (1, 0) is the block of rows 2-3, columns 0-1
    assert down.view("max_pool").source_positions((1, 0)) == [(2, 0), (2, 1), (3, 0), (3, 1)]
    assert down.view("subsample").source_positions((1, 1)) == [(2, 2)]


DUPLICATED = [[6, 6, 8, 8], [6, 6, 8, 8], [8, 8, 4, 4], [8, 8, 4, 4]]
UNPOOLED = [[0, 0, 0, 0], [6, 0, 0, 8], [0, 0, 0, 4], [0, 8, 0, 0]]


@PATHS
def test_duplicate(path):
    np.testing.assert_array_equal(path.upsample(SMALL, 2, "nearest", spatial_dims=2)[0], DUPLICATED)


@PATHS
def test_max_unpool_with_the_indices_of_that_max_pool(path):
    _, indices = path.max_pool2d(PATCH, 2, return_indices=True)
    np.testing.assert_array_equal(path.max_unpool2d(SMALL, indices, 2)[0], UNPOOLED)


def test_the_lab_pairs_the_unpool_with_its_max_pool():
    up = sampling.upsample_views(SMALL, 2, pool_input=PATCH)
    np.testing.assert_array_equal(up.view("duplicate").output[0], DUPLICATED)
    np.testing.assert_array_equal(up.view("max_unpool").output[0], UNPOOLED)
    # where each maximum came from is where the unpool puts it back
    assert up.unpool.arrows(0) == [
        ((0, 0), (1, 0)),
        ((0, 1), (1, 3)),
        ((1, 0), (3, 1)),
        ((1, 1), (2, 3)),
    ]
    assert up.view("max_unpool").source_positions((3, 1)) == [(1, 0)]  # value 8 of SMALL[1, 0]
    assert up.view("max_unpool").source_positions((0, 0)) == []  # a zero: nothing came here


# Bilinear. The engine uses torch's align_corners=False: output position i of an axis
# upsampled by 2 reads the input at u = (i + 0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped
# to [0, 1], so along one axis [a, b] -> [a, 0.75a + 0.25b, 0.25a + 0.75b, b]. Rows first:
# [6, 8] -> [6, 6.5, 7.5, 8] and [8, 4] -> [8, 7, 5, 4]; then each column the same way,
# e.g. column 1: [6.5, 7] -> [6.5, 6.625, 6.875, 7].
BILINEAR = [
    [6, 6.5, 7.5, 8],
    [6.5, 6.625, 6.875, 7],
    [7.5, 6.875, 5.625, 5],
    [8, 7, 5, 4],
]


@PATHS
def test_bilinear_align_corners_false_by_hand(path):
    np.testing.assert_allclose(path.upsample(SMALL, 2, "bilinear")[0], BILINEAR, rtol=0, atol=1e-12)


def test_the_lab_bilinear_view_is_the_same():
    up = sampling.upsample_views(SMALL, 2)
    np.testing.assert_allclose(up.view("bilinear").output[0], BILINEAR, atol=1e-12)


# The notebook's own bilinear is another convention: input (i, j) sits at output (2i, 2j),
# in-between positions average their neighbours, positions off the image are zeros and
# fractions round up (np.ceil). By hand, with orig_2_2 padded by a zero row and column:
# row 0: 6, ceil(14/2)=7, 8, ceil(8/2)=4; row 1: ceil(14/2)=7, ceil(26/4)=7, ceil(12/2)=6,
# ceil(12/4)=3; row 2: 8, 6, 4, 2; row 3: ceil(8/2)=4, ceil(12/4)=3, 2, 1.
NOTEBOOK_BILINEAR = [[6, 7, 8, 4], [7, 7, 6, 3], [8, 6, 4, 2], [4, 3, 2, 1]]


@PATHS
def test_the_notebooks_bilinear_is_a_rounded_up_transposed_convolution(path):
    """Before rounding, the notebook's scheme is a transposed convolution with the kernel
    [0.5, 1, 0.5] ⊗ [0.5, 1, 0.5], stride 2, padding 1, output_padding 1 (the output is
    (2 − 1)·2 − 2·1 + (3 − 1) + 1 + 1 = 4 long)."""
    tent = np.array([0.5, 1.0, 0.5])
    weight = np.outer(tent, tent)[None, None]
    out = path.conv_transpose2d(SMALL, weight, None, stride=2, padding=1, output_padding=1)
    assert out[0, 1, 1] == 6.5  # (6 + 8 + 8 + 4)/4 before rounding
    np.testing.assert_array_equal(np.ceil(out[0]), NOTEBOOK_BILINEAR)
    assert not np.allclose(NOTEBOOK_BILINEAR, BILINEAR)  # the two conventions differ
