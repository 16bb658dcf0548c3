"""engine.sampling additions for the lab's panel: target_window is the inverse of
source_window (hovering a source shows every output that reads it), centre_crop."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import sampling as S


@given(
    dims=st.sampled_from([1, 2]),
    n=st.integers(4, 9),
    factor=st.integers(2, 3),
    seed=st.integers(0, 5),
)
def test_target_window_is_the_inverse_of_source_window(dims, n, factor, seed):
    x = np.random.default_rng(seed).standard_normal((2, *(n,) * dims)).astype(np.float32)
    down = S.downsample_views(x, factor)
    pair = S.max_unpool_pair(x, factor)
    up = S.upsample_views(
        pair.pooled, factor, kernel_size=3, padding=1, output_padding=1, pool_input=x
    )
    for view in (*down.views, *up.views):
        for channel in (0, 1):
            for source in np.ndindex(*view.source_shape[1:]):
                targets = view.target_window(source, channel)
                for out in np.ndindex(*view.output.shape[1:]):
                    assert targets[out] == view.source_window(out, channel)[source]


def test_target_window_refuses_a_position_outside_the_source():
    view = S.downsample_views(np.ones((1, 6, 6)), 2).view("max_pool")
    with pytest.raises(S.SamplingError, match="outside"):
        view.target_window((6, 0))


def test_centre_crop_takes_the_middle_and_keeps_short_axes():
    x = np.arange(2 * 7 * 4, dtype=np.float32).reshape(2, 7, 4)
    np.testing.assert_array_equal(S.centre_crop(x, 3), x[:, 2:5, 0:3])
    np.testing.assert_array_equal(S.centre_crop(x, 10), x)
    np.testing.assert_array_equal(S.centre_crop(np.arange(9.0)[None], 4), [[2, 3, 4, 5]])
    with pytest.raises(S.SamplingError):
        S.centre_crop(x, 0)


def test_the_down_row_has_the_blur_pool_and_it_is_the_engines():
    from engine import ops
    from engine.sampling import blur_pool_available, downsample_views

    assert blur_pool_available()
    x = np.random.default_rng(3).standard_normal((2, 12, 10)).astype(np.float32)
    down = downsample_views(x, 2)
    blur = down.view("blur_pool")
    expected = ops.blur_pool2d(x[None], kernel_size=3, stride=2, padding_mode="reflect")[0]
    np.testing.assert_allclose(blur.output, expected, rtol=1e-6, atol=1e-6)
    assert blur.output.shape == (2, 6, 5)  # ceil(12/2), ceil(10/2)
