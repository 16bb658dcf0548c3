"""engine.kernels: preset values, sizes, padding, init, normalize and flip."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.errors import DataError
from engine.kernels import (
    PRESETS_1D,
    PRESETS_2D,
    flip_kernel,
    kaiming,
    kernel_preset_names,
    normalize_kernel,
    preset_kernel,
)

KNOWN_2D = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box": np.full((3, 3), 1 / 9),
    "binomial": np.outer([1, 2, 1], [1, 2, 1]) / 16,
    "sobel-x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel-y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "prewitt-x": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "prewitt-y": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}
KNOWN_1D = {
    "identity": [0, 1, 0],
    "difference": [-1, 1],
    "central-difference": [-1, 0, 1],
    "second-difference": [1, -2, 1],
    "box": [1 / 3, 1 / 3, 1 / 3],
    "binomial": [0.25, 0.5, 0.25],
}


@pytest.mark.parametrize("name", list(KNOWN_2D))
def test_2d_preset_values(name):
    kernel = preset_kernel(name, 3, dims=2)
    assert kernel.dtype == np.float32 and kernel.shape == (3, 3)
    np.testing.assert_allclose(kernel, KNOWN_2D[name], rtol=1e-6)


@pytest.mark.parametrize("name", list(KNOWN_1D))
def test_1d_preset_values(name):
    expected = np.asarray(KNOWN_1D[name], np.float32)
    np.testing.assert_allclose(preset_kernel(name, len(expected)), expected, rtol=1e-6)


def test_gaussian_is_normalized_symmetric_with_the_requested_sigma():
    g = preset_kernel("gaussian", (5, 5), sigma=1.0)
    assert g.sum() == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(g, g.T)
    assert g[2, 2] / g[2, 3] == pytest.approx(math.exp(0.5), rel=1e-5)
    np.testing.assert_allclose(preset_kernel("gaussian", 3, sigma=1e-3), [0, 1, 0], atol=1e-12)
    with pytest.raises(DataError, match="sigma must be a positive number"):
        preset_kernel("gaussian", 3, sigma=0.0)


def test_sobel_x_responds_positively_where_the_image_brightens_to_the_right():
    image = torch.tensor([[0.0, 0, 1, 1]] * 3)[None, None]
    kernel = torch.from_numpy(preset_kernel("sobel-x", 3, dims=2))[None, None]
    out = F.conv2d(image, kernel)  # cross-correlation, as in the book
    assert (out > 0).all()


def test_fixed_presets_are_padded_centrally_extra_zero_after():
    np.testing.assert_array_equal(preset_kernel("central-difference", 5), [0, -1, 0, 1, 0])
    np.testing.assert_array_equal(preset_kernel("central-difference", 4), [-1, 0, 1, 0])
    np.testing.assert_array_equal(preset_kernel("difference", 3), [-1, 1, 0])
    big = preset_kernel("laplacian", (5, 4))
    assert big.shape == (5, 4)
    np.testing.assert_array_equal(big[1:4, 0:3], KNOWN_2D["laplacian"])
    assert np.abs(big).sum() == 8


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_identity_at_even_size_works_with_same_padding():
    x = torch.arange(8.0)[None, None]
    for k in (2, 4, 6):
        w = torch.from_numpy(preset_kernel("identity", k))[None, None]
        np.testing.assert_array_equal(F.conv1d(x, w, padding="same"), x)


def test_presets_that_cannot_fit_and_unknown_names():
    with pytest.raises(DataError, match=r"the sobel-x kernel is 3 x 3 and cannot fit a 2 x 2"):
        preset_kernel("sobel-x", 2, dims=2)
    with pytest.raises(DataError, match="no 1D kernel preset 'sobel-x'"):
        preset_kernel("sobel-x", 3)
    with pytest.raises(DataError, match="whole number from 1 to 4096"):
        preset_kernel("box", 0)
    with pytest.raises(DataError, match="does not have 2 axes"):
        preset_kernel("box", (3,), dims=2)
    assert kernel_preset_names(1) == PRESETS_1D and kernel_preset_names(2) == PRESETS_2D
    with pytest.raises(DataError):
        kernel_preset_names(3)


def test_every_preset_builds_at_size_five():
    for dims, names in ((1, PRESETS_1D), (2, PRESETS_2D)):
        for name in names:
            kernel = preset_kernel(name, 5, dims=dims)
            assert kernel.shape == (5,) * dims and kernel.dtype == np.float32


def test_kaiming_matches_torchs_default_bound_and_is_seeded():
    w = kaiming((16, 4, 3, 3), seed=3)
    bound = 1 / math.sqrt(4 * 3 * 3)
    assert w.dtype == np.float32 and np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.9 * bound
    conv = torch.nn.Conv2d(4, 16, 3)
    assert np.abs(conv.weight.detach().numpy()).max() <= bound + 1e-7
    np.testing.assert_array_equal(w, kaiming((16, 4, 3, 3), seed=3))
    assert not np.array_equal(w, kaiming((16, 4, 3, 3), seed=4))
    assert np.abs(kaiming((3, 3), 0)).max() <= 1 / 3
    assert np.abs(kaiming((10, 400), 0, fan_in=400)).max() <= 0.05


def test_normalize_sum_to_one_else_max_abs_one():
    np.testing.assert_allclose(normalize_kernel(np.array([1.0, 2.0, 1.0])), [0.25, 0.5, 0.25])
    np.testing.assert_allclose(normalize_kernel(np.array([-2.0, 0.0, 2.0])), [-1, 0, 1])
    np.testing.assert_allclose(
        normalize_kernel(KNOWN_2D["laplacian"]), np.asarray(KNOWN_2D["laplacian"]) / 4
    )
    with pytest.raises(DataError, match="all-zero"):
        normalize_kernel(np.zeros(3))


def test_flip_turns_cross_correlation_into_convolution():
    k = np.array([[1, 2], [3, 4]], np.float32)
    np.testing.assert_array_equal(flip_kernel(k), [[4, 3], [2, 1]])
    w = np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 1, 3, 3)
    np.testing.assert_array_equal(flip_kernel(w), w[:, :, ::-1, ::-1])
    # convolution (flipped kernel) of an impulse reproduces the kernel itself
    x = np.zeros(7, np.float32)
    x[3] = 1
    kernel = np.array([1, 2, 5], np.float32)
    out = F.conv1d(
        torch.from_numpy(x)[None, None],
        torch.from_numpy(flip_kernel(kernel))[None, None],
        padding=1,
    )
    np.testing.assert_array_equal(out[0, 0, 2:5], kernel)
