"""Small cases worked by hand from the book's formulas; exact arrays, both modules."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from engine import ops
from engine import reference as ref
from engine.errors import OpError

MODULES = pytest.mark.parametrize("mod", [ops, ref], ids=["ops", "reference"])


def row(*values) -> np.ndarray:
    """A one-channel 1D signal (1, L) in float64."""
    return np.array([values], dtype=np.float64)


def kernel(*values) -> np.ndarray:
    """A 1 -> 1 channel 1D kernel (1, 1, K)."""
    return np.array([[values]], dtype=np.float64)


def same(actual: np.ndarray, expected) -> None:
    np.testing.assert_array_equal(actual, np.asarray(expected, dtype=actual.dtype))


# --------------------------------------------------------------------------- convolution


@MODULES
def test_stride_two_reads_every_other_window(mod):
    # z_i = x[2i] + 2 x[2i+1] + 3 x[2i+2]; length floor((7 - 2 - 1) / 2) + 1 = 3
    z = mod.conv1d(row(1, 2, 3, 4, 5, 6, 7), kernel(1, 2, 3), stride=2)
    same(z, [[1 + 4 + 9, 3 + 8 + 15, 5 + 12 + 21]])


@MODULES
def test_dilation_two_skips_one_position_between_taps(mod):
    # z_i = x[i] + 2 x[i+2] + 3 x[i+4]; the kernel spans 5 positions, length 7 - 4 = 3
    z = mod.conv1d(row(1, 2, 3, 4, 5, 6, 7), kernel(1, 2, 3), dilation=2)
    same(z, [[1 + 6 + 15, 2 + 8 + 18, 3 + 10 + 21]])


@MODULES
def test_output_length_formula(mod):
    # floor((10 + 2*1 - 2*(3-1) - 1) / 3) + 1 = floor(7 / 3) + 1 = 3
    z = mod.conv1d(np.ones((1, 10)), kernel(1, 1, 1), stride=3, padding=1, dilation=2)
    assert z.shape == (1, 3)


@MODULES
def test_even_kernel_is_a_difference(mod):
    same(mod.conv1d(row(1, 4, 9, 16), kernel(1, -1)), [[-3, -5, -7]])


@MODULES
def test_same_with_an_even_kernel_pads_the_extra_position_on_the_right(mod):
    # total padding 1: none on the left, one zero on the right -> [1 2 3 4 0]
    z = mod.conv1d(row(1, 2, 3, 4), kernel(1, 10), padding="same")
    same(z, [[1 + 20, 2 + 30, 3 + 40, 4 + 0]])
    # K = 4: total 3, one on the left and two on the right -> [0 1 2 3 0 0]
    z = mod.conv1d(row(1, 2, 3), kernel(1, 0, 0, 0), padding="same")
    same(z, [[0, 1, 2]])
    z = mod.conv1d(row(1, 2, 3), kernel(0, 0, 0, 1), padding="same")
    same(z, [[3, 0, 0]])


@MODULES
def test_same_2d_even_kernel_pads_bottom_and_right(mod):
    x = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    # the bottom-right tap reads x[y+1, x+1]: the extra row and column are zeros after
    z = mod.conv2d(x, np.array([[[[0.0, 0.0], [0.0, 1.0]]]]), padding="same")
    same(z, [[[4, 0], [0, 0]]])
    z = mod.conv2d(x, np.array([[[[1.0, 0.0], [0.0, 0.0]]]]), padding="same")
    same(z, x)


@MODULES
@pytest.mark.parametrize(
    "mode, padded",
    [
        ("zeros", [0, 0, 1, 2, 3, 4, 0, 0]),
        ("reflect", [3, 2, 1, 2, 3, 4, 3, 2]),
        ("replicate", [1, 1, 1, 2, 3, 4, 4, 4]),
        ("circular", [3, 4, 1, 2, 3, 4, 1, 2]),
    ],
)
def test_padding_modes_fill_the_border(mod, mode, padded):
    # a 1-tap kernel of weight 1 shows the padded signal itself
    same(mod.conv1d(row(1, 2, 3, 4), kernel(1), padding=2, padding_mode=mode), [padded])


@MODULES
def test_true_convolution_flips_an_asymmetric_kernel(mod):
    impulse = row(0, 0, 1, 0, 0)
    # cross-correlation answers an impulse with the kernel backwards ...
    same(mod.conv1d(impulse, kernel(1, 2, 3)), [[3, 2, 1]])
    # ... true convolution with the kernel itself
    same(mod.conv1d(impulse, kernel(1, 2, 3), flip=True), [[1, 2, 3]])
    x = np.zeros((1, 3, 3))
    x[0, 1, 1] = 1
    w = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)  # [[1, 2], [3, 4]]
    same(mod.conv2d(x, w, padding=1, flip=True)[0, 1:3, 1:3], [[1, 2], [3, 4]])
    same(mod.conv2d(x, w, padding=1)[0, 1:3, 1:3], [[4, 3], [2, 1]])


@MODULES
def test_bias_and_groups(mod):
    x = np.array([[1.0, 2.0], [10.0, 20.0]])  # two channels
    w = np.array([[[1.0]], [[-1.0]]])  # groups=2: each output sees one channel
    same(mod.conv1d(x, w, np.array([0.5, 100.0]), groups=2), [[1.5, 2.5], [90, 80]])


@MODULES
def test_transposed_convolution_scatters_the_kernel(mod):
    x, w = row(1, 2), kernel(1, 10, 100)
    # position 0 adds [1 10 100] at 0..2, position 1 adds [2 20 200] at 2..4
    same(mod.conv_transpose1d(x, w, stride=2), [[1, 10, 102, 20, 200]])
    same(mod.conv_transpose1d(x, w, stride=2, padding=1), [[10, 102, 20]])
    # output_padding adds a position on the right, keeping what padding would cut
    same(mod.conv_transpose1d(x, w, stride=2, padding=1, output_padding=1), [[10, 102, 20, 200]])
    # dilation 2: taps land at i*1 + 2j
    same(mod.conv_transpose1d(x, w, dilation=2), [[1, 2, 10, 20, 100, 200]])


# --------------------------------------------------------------------------- pooling


@MODULES
def test_max_pool_unpool_round_trip(mod):
    x = row(1, 5, 2, 0, 3, 4)
    pooled, idx = mod.max_pool1d(x, 2, return_indices=True)
    same(pooled, [[5, 2, 4]])
    assert idx.dtype == np.int64
    same(idx, [[1, 2, 5]])
    # each maximum goes back where it was found; zeros everywhere else
    same(mod.max_unpool1d(pooled, idx, 2), [[0, 5, 2, 0, 0, 4]])


@MODULES
def test_max_pool_2d_indices_are_flat_and_unpool_restores_odd_size(mod):
    x = np.array([[[1, 9, 2, 0, 7], [3, 4, 8, 6, 1], [5, 0, 0, 2, 3]]], dtype=np.float32)
    pooled, idx = mod.max_pool2d(x, 2, return_indices=True)  # 3x5 -> 1x2
    same(pooled, [[[9, 8]]])
    same(idx, [[[1, 5 + 2]]])  # row*W + column with W = 5
    back = mod.max_unpool2d(pooled, idx, 2, output_size=(3, 5))
    expected = np.zeros((1, 3, 5), np.float32)
    expected[0, 0, 1], expected[0, 1, 2] = 9, 8
    same(back, expected)
    assert back.dtype == np.float32


@MODULES
def test_max_pool_first_maximum_wins_and_padding_never_does(mod):
    pooled, idx = mod.max_pool1d(row(-1, -1, -3), 2, stride=1, padding=1, return_indices=True)
    same(pooled, [[-1, -1, -1, -3]])
    same(idx, [[0, 0, 1, 2]])


@MODULES
def test_mean_pool_and_its_padding(mod):
    # windows [pad 2] [4 6]; padding counts as a zero or is left out
    same(mod.avg_pool1d(row(2, 4, 6), 2, padding=1), [[1, 5]])
    same(mod.avg_pool1d(row(2, 4, 6), 2, padding=1, count_include_pad=False), [[2, 5]])


@MODULES
def test_global_avg_pool_dims_remove_the_ambiguity(mod):
    x = np.arange(12.0).reshape(2, 2, 3)
    same(mod.global_avg_pool(x, 1), [[1, 4], [7, 10]])  # (N, C, L) -> (N, C)
    same(mod.global_avg_pool(x, 2), [2.5, 8.5])  # (C, H, W) -> (C,)


# --------------------------------------------------------------------------- resampling


@MODULES
def test_subsample_keeps_every_factor_th_position(mod):
    same(mod.subsample1d(row(0, 1, 2, 3, 4, 5, 6), 2), [[0, 2, 4, 6]])
    same(mod.subsample1d(row(0, 1, 2, 3, 4, 5, 6), 3), [[0, 3, 6]])
    x = np.arange(16.0).reshape(1, 4, 4)
    same(mod.subsample2d(x, 2), [[[0, 2], [8, 10]]])


@MODULES
def test_nearest_upsample_duplicates(mod):
    same(mod.upsample(row(1, 2, 3), 2), [[1, 1, 2, 2, 3, 3]])
    x = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    same(
        mod.upsample(x, 2, spatial_dims=2),
        [[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]],
    )
    # also where torch's float32 nearest rounds wrongly (factor 41)
    x32 = np.arange(5, dtype=np.float32)[None]
    same(mod.upsample(x32, 41), np.repeat(x32, 41, axis=1))


@MODULES
def test_linear_upsample_half_pixel_centres(mod):
    # output i reads the input at (i + 0.5)/2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25
    same(mod.upsample(row(0, 4), 2, "linear"), [[0, 1, 3, 4]])


# --------------------------------------------------------------------------- dense layers


@MODULES
def test_dropout_mask_is_reproducible_and_scales_the_kept_units(mod):
    a = mod.dropout_mask((50, 40), 0.5, seed=7)
    assert a.dtype == np.bool_ and a.shape == (50, 40)
    np.testing.assert_array_equal(a, mod.dropout_mask((50, 40), 0.5, seed=7))
    assert not np.array_equal(a, mod.dropout_mask((50, 40), 0.5, seed=8))
    assert 0.4 < a.mean() < 0.6
    assert mod.dropout_mask((3, 3), 0.0, seed=1).all()
    assert not mod.dropout_mask((3, 3), 1.0, seed=1).any()
    x = np.full((50, 40), 3.0)
    z = mod.dropout(x, 0.5, seed=7)
    same(z, np.where(a, 6.0, 0.0))
    same(mod.dropout(x, 0.5, mask=a), z)
    same(mod.dropout(x, 1.0, seed=7), np.zeros_like(x))
    assert mod.dropout(x, 0.5, training=False) is x


def test_same_mask_gives_the_same_output_in_both_modules():
    x = np.random.default_rng(0).standard_normal((4, 9)).astype(np.float32)
    mask = ops.dropout_mask(x.shape, 0.3, seed=3)
    np.testing.assert_allclose(
        ops.dropout(x, 0.3, mask=mask), ref.dropout(x, 0.3, mask=mask), rtol=1e-6
    )
    np.testing.assert_array_equal(ops.dropout(x, 0.3, mask=mask) == 0, ~mask | (x == 0))


@MODULES
def test_linear_flatten_and_activations(mod):
    w = np.array([[1.0, 2.0], [0.0, -1.0]])
    same(mod.linear(np.array([3.0, 4.0]), w, np.array([1.0, 0.0])), [12, -4])
    same(mod.flatten(np.arange(6.0).reshape(1, 2, 3)), [0, 1, 2, 3, 4, 5])
    same(mod.flatten(np.arange(6.0).reshape(2, 1, 3), batched=True), [[0, 1, 2], [3, 4, 5]])
    x = np.array([-2.0, 0.0, 3.0])
    same(mod.relu(x), [0, 0, 3])
    same(mod.leaky_relu(x, 0.5), [-1, 0, 3])
    same(mod.sigmoid(np.array([0.0, -1000.0])), [0.5, 0.0])
    same(mod.tanh(np.array([0.0])), [0.0])


# --------------------------------------------------------------------------- the live path


def test_ops_takes_read_only_and_reversed_arrays_without_warnings():
    x = np.arange(8.0).reshape(1, 8)
    x.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same(ops.conv1d(x, kernel(1, -1)), [[-1] * 7])
        same(ops.conv1d(x[:, ::-1], kernel(1, -1)), [[1] * 7])
    assert x[0, 0] == 0  # the input is left alone


@MODULES
def test_batched_and_float32_keep_their_layout(mod):
    x = np.ones((2, 1, 5), dtype=np.float32)
    z = mod.conv1d(x, kernel(1, 1))
    assert z.shape == (2, 1, 4) and z.dtype == np.float32
    same(z, np.full((2, 1, 4), 2))


# --------------------------------------------------------------------------- bad calls

X1 = np.zeros((3, 9))
W3 = np.zeros((2, 3, 3))
BAD_CALLS = [
    (
        "conv1d",
        (X1, np.zeros((2, 3, 7))),
        {"dilation": 2},
        "kernel 7 with dilation 2 spans 13 positions but the padded input has 9",
    ),
    (
        "conv1d",
        (X1, np.zeros((2, 3, 12))),
        {"padding": 1},
        "kernel 12 is larger than the padded input 11",
    ),
    (
        "conv1d",
        (X1, np.zeros((2, 4, 3))),
        {},
        "weight expects 4 input channels but the input has 3",
    ),
    ("conv1d", (X1, W3), {"groups": 2}, "groups 2 does not divide the 3 input channels"),
    (
        "conv1d",
        (np.zeros((4, 9)), np.zeros((3, 2, 3))),
        {"groups": 2},
        "groups 2 does not divide the 3 output channels",
    ),
    ("conv1d", (X1, W3), {"stride": 0}, "stride must be at least 1, got 0"),
    ("conv1d", (X1, W3), {"stride": float("nan")}, "stride must be a whole number, got nan"),
    ("conv1d", (X1, W3), {"dilation": 1.5}, "dilation must be a whole number, got 1.5"),
    ("conv1d", (X1, W3), {"padding": -1}, "padding must be at least 0, got -1"),
    ("conv1d", (X1, W3), {"padding": "full"}, "padding must be a number, 'same' or 'valid'"),
    (
        "conv1d",
        (X1, W3),
        {"padding": "same", "stride": 2},
        "padding 'same' needs stride 1, got stride 2",
    ),
    (
        "conv1d",
        (X1, W3),
        {"padding": 9, "padding_mode": "reflect"},
        "reflect padding 9 must be smaller than the input length 9",
    ),
    (
        "conv1d",
        (X1, W3),
        {"padding": 10, "padding_mode": "circular"},
        "circular padding 10 must not exceed the input length 9",
    ),
    ("conv1d", (X1, W3), {"padding_mode": "mirror"}, "padding_mode must be one of"),
    ("conv1d", (X1, W3, np.zeros(3)), {}, "bias has shape (3,); expected (2,)"),
    ("conv1d", (np.zeros(9), W3), {}, "input has shape (9,); expected 2 axes (C, L)"),
    (
        "conv1d",
        (np.zeros((3, 9), dtype=np.int64), W3),
        {},
        "input has dtype int64; expected float32 or float64",
    ),
    (
        "conv2d",
        (np.zeros((1, 4, 4)), np.zeros((1, 1, 3, 3))),
        {"padding": (1, 2, 3)},
        "padding (1, 2, 3) has 3 values; expected 2",
    ),
    (
        "conv2d",
        (np.zeros((1, 4, 5)), np.zeros((1, 1, 5, 3))),
        {},
        "kernel 5 is larger than the padded input height 4",
    ),
    (
        "conv_transpose1d",
        (X1, np.zeros((3, 1, 3))),
        {"stride": 2, "output_padding": 2},
        "output_padding 2 must be smaller than the stride 2 or the dilation 1",
    ),
    (
        "conv_transpose1d",
        (np.zeros((3, 1)), np.zeros((3, 1, 1))),
        {"padding": 1},
        "padding 1 removes everything",
    ),
    (
        "conv_transpose1d",
        (X1, np.zeros((2, 1, 3))),
        {},
        "weight expects 2 input channels but the input has 3",
    ),
    ("max_pool1d", (X1, 4), {"padding": 3}, "padding 3 must be at most half the window 4"),
    ("max_pool1d", (X1, 12), {}, "kernel 12 is larger than the padded input 9"),
    ("avg_pool2d", (np.zeros((1, 4, 4)), 2), {"stride": -1}, "stride must be at least 1, got -1"),
    (
        "max_unpool1d",
        (np.zeros((1, 3)), np.zeros((1, 2), dtype=np.int64), 2),
        {},
        "indices have shape (1, 2) but the input has (1, 3)",
    ),
    (
        "max_unpool1d",
        (np.zeros((1, 3)), np.array([[0, 1, 6]]), 2),
        {},
        "index 6 lies outside the 6 output (6 positions)",
    ),
    (
        "max_unpool1d",
        (np.zeros((1, 3)), np.zeros((1, 3), dtype=np.float64), 2),
        {},
        "indices have dtype float64; expected integers",
    ),
    (
        "max_unpool1d",
        (np.zeros((1, 3)), np.zeros((1, 3), dtype=np.int64), 2),
        {"output_size": 9},
        "output_size 9 is impossible",
    ),
    (
        "upsample",
        (np.zeros((2, 3, 4)), 2),
        {},
        "a 3-axis input is (N, C, L) or (C, H, W): pass spatial_dims=1 or 2",
    ),
    (
        "upsample",
        (np.zeros((2, 3, 4)), 2, "bilinear"),
        {"spatial_dims": 1},
        "mode 'bilinear' is 2D but spatial_dims is 1",
    ),
    ("upsample", (np.zeros((2, 3)), 0), {}, "scale_factor must be at least 1, got 0"),
    ("upsample", (np.zeros((2, 3)), 2, "cubic"), {}, "mode must be 'nearest', 'linear'"),
    ("subsample1d", (X1, 0), {}, "factor must be at least 1, got 0"),
    ("global_avg_pool", (X1, 3), {}, "spatial_dims must be 1 or 2, got 3"),
    (
        "linear",
        (np.zeros(4), np.zeros((2, 5))),
        {},
        "weight takes 5 inputs but the input has 4 features",
    ),
    ("dropout", (X1, 1.5), {}, "p must lie in [0.0, 1.0], got 1.5"),
    (
        "dropout",
        (X1, 0.5),
        {"mask": np.ones((3, 8), bool)},
        "mask has shape (3, 8) but the input has (3, 9)",
    ),
    ("dropout", (X1, 0.5, np.ones((3, 9), bool)), {}, "training must be True or False"),
    ("dropout_mask", ((3, -1), 0.5), {}, "shape must be at least 0, got -1"),
    ("leaky_relu", (X1, float("inf")), {}, "negative_slope must be a finite number"),
]


@MODULES
@pytest.mark.parametrize(
    "name, args, kwargs, message", BAD_CALLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_CALLS)]
)
def test_bad_calls_raise_op_error_naming_the_numbers(mod, name, args, kwargs, message):
    with pytest.raises(OpError) as caught:
        getattr(mod, name)(*args, **kwargs)
    assert message in str(caught.value)


@pytest.mark.parametrize("name, args, kwargs, message", BAD_CALLS[:12])
def test_both_modules_refuse_with_the_same_message(name, args, kwargs, message):
    messages = []
    for mod in (ops, ref):
        with pytest.raises(OpError) as caught:
            getattr(mod, name)(*args, **kwargs)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
