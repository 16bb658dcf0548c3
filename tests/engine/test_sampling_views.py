"""The sampling lab's views: source windows, colour range, size formula, checkerboard
overlap, zero insertion, max-unpool index maps, 1×1 mixing."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import layers as L
from engine import ops, receptive, sampling
from engine.spec import LAYER_TYPES, LayerSpec, LayerType, NetworkSpec

FEW = settings(max_examples=30)
RNG = np.random.default_rng(0)


def _evaluate(text: str) -> float:
    """The left side of 'formula = number', evaluated (true minus, middle dot as times)."""
    left, _, right = text.rpartition(" = ")
    value = eval(left.replace("−", "-").replace("·", "*"), {"__builtins__": {}})  # noqa: S307
    assert value == int(right)
    return value


@pytest.mark.parametrize("shape", [(2, 11), (3, 7, 9)])
def test_down_views_read_the_windows_the_receptive_field_module_finds(shape):
    x = RNG.standard_normal(shape)
    n = len(shape) - 1
    down = sampling.downsample_views(x, 2, np.arange(1.0, 3**n + 1).reshape((3,) * n))
    assert [v.name for v in down.views][:4] == [
        "subsample",
        "max_pool",
        "mean_pool",
        "strided_conv",
    ]
    for view in down.views:
        spec = NetworkSpec((view.layer,), shape)
        for position in [(0,) * (len(shape) - 1), tuple(s - 1 for s in view.output.shape[1:])]:
            field = receptive.receptive_field(spec, shape, view.layer.name, position)["input"]
            np.testing.assert_array_equal(view.source_window(position), field)
    lo, hi = down.levels
    everything = np.concatenate([x.ravel(), *(v.output.ravel() for v in down.views)])
    assert (lo, hi) == (everything.min(), everything.max())


def test_down_views_are_the_layers_outputs_at_one_factor():
    x = RNG.standard_normal((2, 9, 8)).astype(np.float32)
    down = sampling.downsample_views(x, 3, np.ones((3, 3)))
    np.testing.assert_array_equal(down.view("max_pool").output, ops.max_pool2d(x, 3))
    np.testing.assert_array_equal(down.view("subsample").output, ops.subsample2d(x, 3))
    np.testing.assert_array_equal(down.view("mean_pool").output, ops.avg_pool2d(x, 3))
    depthwise = np.ones((2, 1, 3, 3), np.float32)
    np.testing.assert_allclose(
        down.view("strided_conv").output, ops.conv2d(x, depthwise, None, 3, 1, groups=2)
    )
    assert down.view("strided_conv").size_text == "3×3"
    assert down.view("strided_conv").source_channels(1) == (1,)


def test_a_full_weight_strided_conv_reads_every_channel_of_its_group():
    w = RNG.standard_normal((4, 1, 3))  # groups = 2 channels / 1 per group
    down = sampling.downsample_views(RNG.standard_normal((2, 10)), 2, w)
    view = down.view("strided_conv")
    assert view.output.shape == (4, 5)
    assert view.source_channels(3) == (1,) and view.source_channels(0) == (0,)


def test_a_sampler_that_cannot_work_is_left_out_with_a_note():
    down = sampling.downsample_views(RNG.standard_normal((1, 3)), 4, np.ones(3))
    names = [v.name for v in down.views]
    assert "max_pool" not in names and "subsample" in names
    assert any(note.startswith("max pool:") and "window 4" in note for note in down.notes)


def test_blur_pool_is_looked_up_when_called(monkeypatch):
    assert sampling.blur_pool_available() == ("blur_pool" in LAYER_TYPES)
    if "blur_pool" in LAYER_TYPES:
        assert "blur_pool" in [v.name for v in sampling.downsample_views(np.ones((1, 8))).views]
        return
    assert any("blur" in note for note in sampling.downsample_views(np.ones((1, 8))).notes)
    # a blur_pool type that appears later is picked up (this fake one cannot run: a note)
    fake = LayerType("blur_pool", "Blur pool", {"stride": LAYER_TYPES["conv"].params["stride"]})
    monkeypatch.setitem(LAYER_TYPES, "blur_pool", fake)
    assert sampling.blur_pool_available()
    down = sampling.downsample_views(np.ones((1, 8)))
    assert any(note.startswith("blur pool:") for note in down.notes)


def test_up_views_and_the_transposed_size_formula():
    small = RNG.standard_normal((2, 3, 4))
    up = sampling.upsample_views(small, 2, kernel_size=3, stride=2, padding=1, output_padding=1)
    names = [v.name for v in up.views]
    assert names == ["duplicate", "bilinear", "transposed_conv"] and up.unpool is None
    view = up.view("transposed_conv")
    assert up.transposed_lengths == view.output.shape[1:] == (6, 8)
    assert tuple(_evaluate(t) for t in up.transposed_formula) == (6, 8)
    np.testing.assert_allclose(
        view.output,
        ops.conv_transpose2d(small, np.ones((2, 1, 3, 3)), None, 2, 1, 1, groups=2),
    )
    # output (2, 3) of the transposed conv gathers from inputs (1, 1) and (1, 2) only
    assert view.source_positions((2, 3)) == [(1, 1), (1, 2)]
    everything = np.concatenate([small.ravel(), *(v.output.ravel() for v in up.views)])
    assert up.levels == (everything.min(), everything.max())


@FEW
@given(
    length=st.integers(1, 9),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 4),
    padding=st.integers(0, 3),
    extra=st.integers(0, 3),
)
def test_every_size_formula_text_evaluates_to_the_length_produced(
    length, kernel, stride, padding, extra
):
    output_padding = extra % stride
    try:
        text = sampling.transposed_formula(length, kernel, stride, padding, output_padding)
    except sampling.SamplingError:
        assume(False)
    y = ops.conv_transpose1d(
        np.ones((1, length)), np.ones((1, 1, kernel)), None, stride, padding, output_padding
    )
    assert _evaluate(text) == y.shape[1]


@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("k", range(1, 6))
@pytest.mark.parametrize("s", range(1, 6))
def test_overlap_is_even_exactly_when_the_stride_divides_the_kernel(k, s, dims):
    board = sampling.checkerboard(k, s, dims=dims)
    assert board.even == (k % s == 0)
    inner = board.overlap[board.interior]
    assert inner.size and (np.unique(inner).size == 1) == (k % s == 0)
    # with the all-ones kernel the transposed output counts the taps
    np.testing.assert_array_equal(board.transposed[0], board.overlap)
    assert board.resize_even and board.resized.shape[1:] == (board.constant.shape[1] * s,) * dims
    assert ("not divisible" in board.caption) == (k % s != 0)


def test_checkerboard_with_a_kernel_and_bilinear_resize():
    board = sampling.checkerboard(3, 2, kernel=[1.0, 2.0, 1.0], resize_mode="bilinear", size=6)
    # the interior starts at output K - 1 - P = 2: even outputs get the two outer taps
    # (1 + 1), odd ones the middle tap (2): the overlap is uneven, yet this kernel's phases
    # sum alike, so its output on a constant is even
    np.testing.assert_array_equal(board.overlap[board.interior], [2, 1] * 4 + [2])
    np.testing.assert_array_equal(board.transposed[0][board.interior], [2.0] * 9)
    assert not board.even and board.resize_even and board.resize_mode == "linear"
    np.testing.assert_array_equal(board.resized[0][board.resize_interior], 4.0)


def test_zero_inserted_puts_stride_minus_one_zeros_between_positions():
    x = np.arange(1.0, 7.0).reshape(1, 2, 3)
    np.testing.assert_array_equal(
        sampling.zero_inserted(x, (2, 3))[0],
        [[1, 0, 0, 2, 0, 0, 3], [0, 0, 0, 0, 0, 0, 0], [4, 0, 0, 5, 0, 0, 6]],
    )


@FEW
@given(st.data())
def test_a_strided_transposed_conv_is_a_stride_one_conv_over_the_zero_inserted_input(data):
    n = data.draw(st.sampled_from([1, 2]))
    groups = data.draw(st.sampled_from([1, 2]))
    c_in = groups * data.draw(st.integers(1, 2))
    per_out = data.draw(st.integers(1, 2))
    k = tuple(data.draw(st.integers(1, 4)) for _ in range(n))
    s = tuple(data.draw(st.integers(1, 3)) for _ in range(n))
    d = tuple(data.draw(st.integers(1, 2)) for _ in range(n))
    p = tuple(data.draw(st.integers(0, 4)) for _ in range(n))
    op = tuple(data.draw(st.integers(0, max(ss, dd) - 1)) for ss, dd in zip(s, d, strict=True))
    x = RNG.standard_normal((c_in, *(data.draw(st.integers(1, 5)) for _ in range(n))))
    w = RNG.standard_normal((c_in, per_out, *k))
    try:
        proof = sampling.zero_insertion(x, w, s, p, op, d, groups)
    except sampling.EngineError:
        assume(False)  # the padding removes everything
    assert proof.inserted.shape[1:] == tuple(
        (m - 1) * ss + 1 for m, ss in zip(x.shape[1:], s, strict=True)
    )
    assert proof.pad_before == tuple(dd * (kk - 1) - pp for dd, kk, pp in zip(d, k, p, strict=True))
    np.testing.assert_allclose(proof.convolved, proof.transposed, atol=1e-10)
    assert proof.max_difference < 1e-10
    assert f"{s[0] - 1} zero" in proof.text


def test_max_unpool_pair_maps_both_ways():
    big = RNG.standard_normal((2, 6, 4))
    pair = sampling.max_unpool_pair(big, 2)
    for c in range(2):
        for pooled_pos, source in pair.arrows(c):
            assert big[(c, *source)] == pair.pooled[(c, *pooled_pos)]  # came from there
            assert pair.unpooled[(c, *source)] == pair.pooled[(c, *pooled_pos)]  # goes back
            flat = np.ravel_multi_index(pooled_pos, pair.pooled.shape[1:])
            assert pair.came_from[(c, *source)] == flat
    assert (pair.came_from >= 0).sum() == pair.pooled.size
    assert np.all(pair.unpooled[pair.came_from < 0] == 0)
    with pytest.raises(sampling.SamplingError, match="max pool's output has"):
        sampling.max_unpool_pair(big, 2, values=np.ones((2, 2, 2)))


def test_mixing_presets_and_the_grey_of_a_photograph():
    image = RNG.random((3, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(
        sampling.apply_mixing(image, sampling.mixing_preset("identity")), image
    )
    grey = sampling.apply_mixing(image, sampling.mixing_preset("grey"))
    assert grey.shape == (1, 4, 5)
    np.testing.assert_allclose(
        grey[0], 0.299 * image[0] + 0.587 * image[1] + 0.114 * image[2], rtol=1e-6
    )
    swapped = sampling.apply_mixing(image, sampling.mixing_preset("swap_rb"))
    np.testing.assert_array_equal(swapped, image[[2, 1, 0]])
    a = sampling.mixing_preset("random", c_out=4, seed=7)
    assert a.shape == (4, 3) and np.array_equal(
        a, sampling.mixing_preset("random", c_out=4, seed=7)
    )
    assert not np.array_equal(a, sampling.mixing_preset("random", c_out=4, seed=8))
    with pytest.raises(sampling.SamplingError, match="expected \\(C_out, 3\\)"):
        sampling.apply_mixing(image, np.ones((2, 4)))


@pytest.mark.parametrize("c_in, c_out, bias", [(3, 3, True), (3, 1, False), (4, 8, True)])
def test_mixing_counts_are_the_engines_and_their_texts_add_up(c_in, c_out, bias):
    counts = sampling.mixing_counts(c_in, c_out, bias)
    assert counts.one_by_one == c_out * c_in + c_out * bias
    assert counts.three_by_three == 9 * c_out * c_in + c_out * bias
    assert _evaluate(counts.one_by_one_text) == counts.one_by_one
    assert _evaluate(counts.three_by_three_text) == counts.three_by_three
    layer = LayerSpec("m", "conv", {"out_channels": c_out, "kernel_size": 1, "bias": bias})
    assert counts.one_by_one == L.parameter_count(layer, L.validate_params(layer), [(c_in, 2, 2)])


def test_bad_calls_give_one_clear_message():
    with pytest.raises(sampling.SamplingError, match="must be \\(C, L\\) or \\(C, H, W\\)"):
        sampling.downsample_views(np.ones(5))
    with pytest.raises(sampling.SamplingError, match="factor must be at least 1"):
        sampling.downsample_views(np.ones((1, 5)), 0)
    with pytest.raises(sampling.SamplingError, match="output_padding 2 must be smaller"):
        sampling.upsample_views(np.ones((1, 3)), 2, output_padding=2)
    with pytest.raises(sampling.SamplingError, match="lies outside"):
        sampling.downsample_views(np.ones((1, 8))).view("max_pool").source_window((4,))
    with pytest.raises(sampling.SamplingError, match="needs 3 input channels"):
        sampling.mixing_preset("grey", c_in=4)
