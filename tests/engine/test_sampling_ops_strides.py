"""engine.ops takes arrays numpy calls contiguous but whose strides torch refuses."""

import numpy as np

from engine import ops, reference


def test_a_flipped_one_tap_kernel_is_a_valid_weight():
    w = np.full((1, 1, 1), 2.0)[:, :, ::-1]  # contiguous for numpy, a negative stride
    assert w.flags.c_contiguous and min(w.strides) < 0
    x = np.arange(4.0)[None]
    np.testing.assert_array_equal(ops.conv1d(x, w), reference.conv1d(x, w))
    np.testing.assert_array_equal(ops.conv1d(x, w)[0], [0.0, 2.0, 4.0, 6.0])
