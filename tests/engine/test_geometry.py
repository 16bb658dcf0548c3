"""engine.geometry: its lengths and positions are torch's (checked on real torch calls)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from engine import geometry as G
from engine.errors import ShapeError, SpecError

lengths = st.integers(1, 24)
small = st.integers(1, 4)


def _x(*spatial: int) -> torch.Tensor:
    # distinct positive values: a 0 in an output can only come from zero padding
    n = int(np.prod(spatial))
    return (torch.arange(n, dtype=torch.float64) + 1).reshape(1, 1, *spatial)


@given(lengths, small, small, small, st.integers(0, 4))
def test_conv_length_is_torch_conv1d(length, k, s, d, p):
    expected = G.conv_length(length, k, s, p, d)
    x, w = _x(length), torch.ones(1, 1, k, dtype=torch.float64)
    if G.window_span(k, d) > length + 2 * p:
        assert expected < 1  # the formula says: nothing fits
        with pytest.raises(RuntimeError):
            F.conv1d(x, w, stride=s, padding=p, dilation=d)
        return
    assert F.conv1d(x, w, stride=s, padding=p, dilation=d).shape[-1] == expected


@given(st.tuples(lengths, lengths), st.tuples(small, small), st.tuples(small, small),
       st.tuples(small, small), st.tuples(st.integers(0, 3), st.integers(0, 3)))  # fmt: skip
def test_conv_length_is_torch_conv2d_per_axis(size, k, s, d, p):
    if any(G.window_span(kk, dd) > n + 2 * pp for n, kk, dd, pp in zip(size, k, d, p, strict=True)):
        return
    w = torch.ones(1, 1, *k, dtype=torch.float64)
    out = F.conv2d(_x(*size), w, stride=s, padding=p, dilation=d).shape[2:]
    assert tuple(out) == tuple(map(G.conv_length, size, k, s, p, d))


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@given(lengths, st.integers(1, 6), small)
def test_same_padding_keeps_the_length_and_is_torchs_split(length, k, d):
    left, right = G.same_padding(k, d)
    assert left + right == d * (k - 1) and right - left in (0, 1)  # the extra on the right
    assert G.conv_length(length, k, 1, (left, right), d) == length
    x = _x(length)
    w = torch.randn(1, 1, k, dtype=torch.float64, generator=torch.Generator().manual_seed(k))
    same = F.conv1d(x, w, padding="same", dilation=d)
    by_hand = F.conv1d(F.pad(x, (left, right)), w, dilation=d)
    assert same.shape[-1] == length
    torch.testing.assert_close(same, by_hand, rtol=0, atol=0)


def test_even_kernel_pads_the_extra_position_on_the_right():
    assert G.same_padding(4) == (1, 2)
    assert G.same_padding(2, dilation=3) == (1, 2)
    assert G.conv_pads("same", (4, 3), (1, 2)) == ((1, 2), (2, 2))
    assert G.conv_pads("valid", (4,), (1,)) == ((0, 0),)
    assert G.conv_pads((1, 2), (3, 3), (1, 1)) == ((1, 1), (2, 2))
    with pytest.raises(SpecError, match="'same' or 'valid'"):
        G.conv_pads("full", (3,), (1,))


@given(lengths, small, small, small, st.integers(0, 3), st.data())
def test_transposed_length_is_torch_conv_transpose1d(length, k, s, d, p, data):
    op = data.draw(st.integers(0, max(s, d) - 1))
    expected = G.transposed_length(length, k, s, p, op, d)
    x, w = _x(length), torch.ones(1, 1, k, dtype=torch.float64)
    if expected < 1:
        with pytest.raises(RuntimeError):
            F.conv_transpose1d(x, w, stride=s, padding=p, output_padding=op, dilation=d)
        return
    y = F.conv_transpose1d(x, w, stride=s, padding=p, output_padding=op, dilation=d)
    assert y.shape[-1] == expected


@given(st.tuples(lengths, lengths), st.tuples(small, small), st.tuples(small, small),
       st.tuples(st.integers(0, 2), st.integers(0, 2)), st.tuples(small, small))  # fmt: skip
def test_transposed_length_is_torch_conv_transpose2d(size, k, s, p, d):
    expected = tuple(map(G.transposed_length, size, k, s, p, (0, 0), d))
    if min(expected) < 1:
        return
    w = torch.ones(1, 1, *k, dtype=torch.float64)
    y = F.conv_transpose2d(_x(*size), w, stride=s, padding=p, dilation=d)
    assert tuple(y.shape[2:]) == expected


@given(lengths, st.integers(1, 5), st.one_of(st.none(), small), st.data())
def test_pool_length_is_torch_max_and_avg_pool1d(length, k, s, data):
    p = data.draw(st.integers(0, k // 2))
    if k > length + 2 * p:
        return
    expected = G.pool_length(length, k, s, p)
    assert F.max_pool1d(_x(length), k, s, p).shape[-1] == expected
    assert F.avg_pool1d(_x(length), k, s, p).shape[-1] == expected
    assert G.pool_length(length, k, None, p) == G.conv_length(length, k, k, p)  # stride = K


@given(st.tuples(lengths, lengths), st.tuples(st.integers(1, 4), st.integers(1, 4)),
       st.one_of(st.none(), st.tuples(small, small)))  # fmt: skip
def test_pool_length_is_torch_max_and_avg_pool2d(size, k, s):
    if any(kk > n for kk, n in zip(k, size, strict=True)):
        return
    stride = G.pool_stride(k, s)
    expected = tuple(map(G.pool_length, size, k, stride))
    assert tuple(F.max_pool2d(_x(*size), k, s).shape[2:]) == expected
    assert tuple(F.avg_pool2d(_x(*size), k, s).shape[2:]) == expected


@given(lengths, st.integers(1, 5))
def test_subsample_and_upsample_lengths(length, f):
    assert G.subsample_length(length, f) == _x(length)[..., ::f].shape[-1]
    up = F.interpolate(_x(length), scale_factor=f, mode="nearest")
    assert G.upsample_length(length, f) == up.shape[-1]


@given(st.integers(1, 12), small, small, small, st.integers(0, 4))
def test_tap_position_is_what_a_one_hot_kernel_reads(length, k, s, d, p):
    """A kernel that is 1 at tap j copies, at output i, the input at S·i + D·j − P (0-indexed)."""
    if G.window_span(k, d) > length + 2 * p:
        return
    x = _x(length)
    for j in range(k):
        w = torch.zeros(1, 1, k, dtype=torch.float64)
        w[..., j] = 1
        y = F.conv1d(x, w, stride=s, padding=p, dilation=d)[0, 0].numpy()
        pos = G.tap_position(np.arange(y.size), j, s, d, p)
        inside = (pos >= 0) & (pos < length)
        assert np.array_equal(y[inside], pos[inside] + 1.0)  # x[pos] = pos + 1
        assert not y[~inside].any()  # zero padding


@given(st.integers(1, 8), small, small, small, st.integers(0, 3), st.data())
def test_transposed_source_is_where_torch_scatters(length, k, s, d, p, data):
    out_len = G.transposed_length(length, k, s, p, 0, d)
    if out_len < 1:
        return
    j = data.draw(st.integers(0, k - 1))
    w = torch.zeros(1, 1, k, dtype=torch.float64)
    w[..., j] = 1
    y = F.conv_transpose1d(_x(length), w, stride=s, padding=p, dilation=d)[0, 0].numpy()
    for o in range(out_len):
        i = G.transposed_source(o, j, s, d, p, length)
        assert y[o] == (0.0 if i is None else i + 1.0)


@given(st.integers(2, 9), st.sampled_from(["reflect", "replicate", "circular", "zeros"]),
       st.data())  # fmt: skip
def test_source_positions_are_torchs_padding_modes(length, mode, data):
    limit = length - 1 if mode == "reflect" else length  # torch's own limits
    before = data.draw(st.integers(0, limit))
    after = data.draw(st.integers(0, limit))
    x = _x(length)
    torch_mode = "constant" if mode == "zeros" else mode
    padded = F.pad(x, (before, after), mode=torch_mode)[0, 0].numpy()
    src = G.source_positions(np.arange(-before, length + after), length, mode)
    expected = np.where(src >= 0, src + 1.0, 0.0)
    assert np.array_equal(padded, expected)
    one_by_one = [G.source_position(i, length, mode) for i in range(-before, length + after)]
    assert one_by_one == [None if v < 0 else v for v in src]


def test_source_position_examples_and_errors():
    # c b | a b c d | c b ; a a | a b c d | d d ; c d | a b c d | a b
    assert [G.source_position(i, 4, "reflect") for i in (-2, -1, 4, 5)] == [2, 1, 2, 1]
    assert [G.source_position(i, 4, "replicate") for i in (-2, -1, 4, 5)] == [0, 0, 3, 3]
    assert [G.source_position(i, 4, "circular") for i in (-2, -1, 4, 5)] == [2, 3, 0, 1]
    assert [G.source_position(i, 4, "zeros") for i in (-1, 0, 3, 4)] == [None, 0, 3, None]
    with pytest.raises(SpecError, match="padding_mode"):
        G.source_positions([0], 4, "mirror")


def test_per_axis_and_pool_stride():
    assert G.per_axis(3, 2) == (3, 3)
    assert G.per_axis((3, 1), 2) == (3, 1)
    assert G.per_axis([2], 1) == (2,)
    with pytest.raises(ShapeError, match=r"kernel_size \(3, 3\) has 2 values .* 1 spatial axis"):
        G.per_axis((3, 3), 1, "kernel_size")
    assert G.pool_stride(2, None) == 2 and G.pool_stride((2, 3), None) == (2, 3)
    assert G.pool_stride(2, 1) == 1
