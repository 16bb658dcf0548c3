"""engine.transforms: translate, flip, scale and noise, exact cases and properties."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine.errors import DataError
from engine.transforms import add_noise, flip, scale, translate

signals = hnp.arrays(
    np.float32,
    st.tuples(st.integers(1, 3), st.integers(1, 20)),
    elements=st.floats(-10, 10, width=32),
)
images = hnp.arrays(
    np.float32,
    st.tuples(st.integers(1, 3), st.integers(1, 9), st.integers(1, 9)),
    elements=st.floats(-10, 10, width=32),
)


def test_translate_wrap_versus_zero_fill_exact():
    x = np.array([[1, 2, 3, 4, 5]], np.float32)
    np.testing.assert_array_equal(translate(x, 2, "wrap"), [[4, 5, 1, 2, 3]])
    np.testing.assert_array_equal(translate(x, 2), [[0, 0, 1, 2, 3]])
    np.testing.assert_array_equal(translate(x, -1), [[2, 3, 4, 5, 0]])
    np.testing.assert_array_equal(translate(x, 7), [[0, 0, 0, 0, 0]])
    np.testing.assert_array_equal(translate(x, -7, "wrap"), [[3, 4, 5, 1, 2]])
    image = np.arange(9, dtype=np.float32).reshape(1, 3, 3)
    np.testing.assert_array_equal(translate(image, (1, -1))[0], [[0, 0, 0], [1, 2, 0], [4, 5, 0]])


@given(images, st.integers(-12, 12), st.integers(-12, 12))
def test_translate_wrap_is_undone_and_zero_fill_keeps_the_overlap(x, dy, dx):
    back = translate(translate(x, (dy, dx), "wrap"), (-dy, -dx), "wrap")
    np.testing.assert_array_equal(back, x)
    shifted = translate(x, (dy, dx))
    _, h, w = x.shape
    for i in range(h):
        for j in range(w):
            si, sj = i - dy, j - dx
            inside = 0 <= si < h and 0 <= sj < w
            np.testing.assert_array_equal(shifted[:, i, j], x[:, si, sj] if inside else 0)


@given(signals, st.integers(-5, 5))
def test_circular_convolution_commutes_with_wrap_translation(x, shift):
    # equivariance, the reason the lab exists: f(t(x)) == t(f(x)) for circular padding
    kernel = torch.tensor([[[0.5, -1.0, 2.0]]]).expand(1, x.shape[0], 3).contiguous()

    def f(a):
        t = F.pad(torch.from_numpy(a)[None], (1, 1), mode="circular")
        return F.conv1d(t, kernel)[0].numpy()

    np.testing.assert_allclose(
        f(translate(x, shift, "wrap")), translate(f(x), shift, "wrap"), atol=1e-4
    )


def test_flip_axes():
    image = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    np.testing.assert_array_equal(flip(image, 1)[0], [[2, 1, 0], [5, 4, 3]])
    np.testing.assert_array_equal(flip(image, 0)[0], [[3, 4, 5], [0, 1, 2]])
    np.testing.assert_array_equal(flip(image), flip(image, 1))
    np.testing.assert_array_equal(flip(np.array([[1, 2, 3]], np.float32)), [[3, 2, 1]])
    with pytest.raises(DataError, match="spatial axis"):
        flip(image, 2)


@given(images)
def test_flip_twice_and_scale_one_are_identities(x):
    np.testing.assert_array_equal(flip(flip(x, 0), 0), x)
    np.testing.assert_array_equal(scale(x, 1.0), x)


def test_scale_zooms_about_the_centre():
    x = np.array([[0, 0, 0, 4, 0, 0, 0]], np.float32)  # centre index 3
    np.testing.assert_allclose(scale(x, 2.0), [[0, 0, 2, 4, 2, 0, 0]])
    ramp = np.array([[0, 1, 2, 3, 4]], np.float32)
    np.testing.assert_allclose(scale(ramp, 2.0), [[1, 1.5, 2, 2.5, 3]])
    np.testing.assert_allclose(scale(ramp, 0.5), [[0, 0, 2, 4, 0]])  # outside reads 0
    image = np.zeros((1, 5, 5), np.float32)
    image[0, 2, 2] = 1
    zoomed = scale(image, 2.0)[0]
    np.testing.assert_allclose(
        zoomed[1:4, 1:4], [[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]]
    )
    assert zoomed.sum() == pytest.approx(4.0)


def test_noise_is_seeded_and_has_sigma():
    x = np.zeros((1, 100, 100), np.float32)
    a, b = add_noise(x, 0.5, seed=1), add_noise(x, 0.5, seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, add_noise(x, 0.5, seed=2))
    assert a.std() == pytest.approx(0.5, rel=0.05)
    np.testing.assert_array_equal(add_noise(x, 0.0), x)


def test_transforms_are_pure_and_keep_dtype():
    x = np.ones((1, 4, 4), np.float32)
    for out in (translate(x, (1, 1)), flip(x, 0), scale(x, 1.5), add_noise(x, 0.1)):
        assert out.dtype == np.float32 and out.shape == x.shape and out.flags.c_contiguous
        assert out is not x
    np.testing.assert_array_equal(x, 1)


def test_bad_arguments():
    x = np.zeros((1, 4, 4), np.float32)
    with pytest.raises(DataError, match="2 whole numbers"):
        translate(x, 1)
    with pytest.raises(DataError, match="2 whole numbers"):
        translate(x, (1.5, 0))
    with pytest.raises(DataError, match="mode must be one of zeros, wrap"):
        translate(x, (1, 0), "reflect")
    with pytest.raises(DataError, match="positive number"):
        scale(x, 0)
    with pytest.raises(DataError, match="positive number"):
        scale(x, float("nan"))
    with pytest.raises(DataError, match=">= 0"):
        add_noise(x, -1)
    with pytest.raises(DataError, match=r"\(C, L\) or \(C, H, W\)"):
        flip(np.zeros(4), 0)
