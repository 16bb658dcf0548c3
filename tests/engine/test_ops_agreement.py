"""engine.ops and engine.reference agree with torch.nn.functional, computed here directly.

Every property draws small random shapes and parameters, computes the expected result with
torch (F.conv*, nn.Conv* for padding modes, F.interpolate, F.max_unpool*, ...) and checks
both modules against it: float64 to 1e-9, float32 to 1e-5, batched and unbatched.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from engine import ops
from engine import reference as ref
from engine.errors import OpError

DTYPES = st.sampled_from([np.float32, np.float64])
PADDING_MODES = st.sampled_from(["zeros", "reflect", "replicate", "circular"])


def assert_agrees(actual, expected: torch.Tensor, dtype) -> None:
    """Same shape and dtype as torch's result, equal to 1e-9 (float64) or 1e-5 (float32)."""
    want = expected.detach().numpy()
    assert isinstance(actual, np.ndarray)
    assert actual.dtype == np.dtype(dtype)
    assert actual.shape == want.shape
    tol = 1e-9 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(actual, want, rtol=tol, atol=tol)


def rand(seed: int, shape, dtype) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def unbatch(t: torch.Tensor, batched: bool) -> torch.Tensor:
    return t if batched else t[0]


@st.composite
def batch(draw, shape):
    """(x as numpy (maybe without the batch axis), the same as a batched tensor, batched)."""
    batched = draw(st.booleans())
    n = draw(st.integers(1, 2)) if batched else 1
    dtype = draw(DTYPES)
    x = rand(draw(st.integers(0, 2**31)), (n, *shape), dtype)
    return (x if batched else x[0]), torch.from_numpy(x), batched, dtype


# --------------------------------------------------------------------------- convolution


@st.composite
def conv_case(draw, spatial: int):
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(spatial))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(spatial))
    mode = draw(PADDING_MODES)
    kind = draw(st.sampled_from(["int", "tuple", "same", "valid"]))
    if kind == "same":
        stride = (1,) * spatial
        pads = [d * (k - 1) - d * (k - 1) // 2 for k, d in zip(kernel, dilation, strict=True)]
        padding = "same"
    else:
        stride = tuple(draw(st.integers(1, 3)) for _ in range(spatial))
        pads = (
            [draw(st.integers(0, 3))] * spatial
            if kind == "int"
            else [draw(st.integers(0, 3)) for _ in range(spatial)]
        )
        pads = [0] * spatial if kind == "valid" else pads
        padding = {"int": pads[0], "tuple": tuple(pads), "valid": "valid"}[kind]
    sizes = []
    for k, d, p in zip(kernel, dilation, pads, strict=True):
        smallest = max(1, d * (k - 1) + 1 - 2 * p, p + 1)  # kernel fits; reflect needs p < L
        sizes.append(smallest + draw(st.integers(0, 3)))
    x, xt, batched, dtype = draw(batch((c_in, *sizes)))
    seed = draw(st.integers(0, 2**31))
    weight = rand(seed, (c_out, c_in // groups, *kernel), dtype)
    bias = rand(seed + 1, (c_out,), dtype) if draw(st.booleans()) else None
    flip = draw(st.booleans())
    if len(set(stride)) == 1 and draw(st.booleans()):
        stride = stride[0]  # a plain int works too
    kwargs = dict(
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=mode,
        flip=flip,
    )
    return x, xt, batched, dtype, weight, bias, kwargs


def torch_conv(spatial: int, xt, weight, bias, kwargs) -> torch.Tensor:
    """nn.Conv1d/2d with the same settings: torch's own padding modes and 'same'."""
    w = torch.from_numpy(weight)
    if kwargs["flip"]:
        w = w.flip(dims=tuple(range(2, 2 + spatial)))
    cls = torch.nn.Conv1d if spatial == 1 else torch.nn.Conv2d
    layer = cls(
        weight.shape[1] * kwargs["groups"],
        weight.shape[0],
        tuple(weight.shape[2:]),
        stride=kwargs["stride"],
        padding=kwargs["padding"],
        dilation=kwargs["dilation"],
        groups=kwargs["groups"],
        bias=bias is not None,
        padding_mode=kwargs["padding_mode"],
        dtype=xt.dtype,
    )
    with torch.no_grad():
        layer.weight.copy_(w)
        if bias is not None:
            layer.bias.copy_(torch.from_numpy(bias))
        return layer(xt)


@given(case=conv_case(1))
def test_conv1d_agrees_with_torch(case):
    x, xt, batched, dtype, weight, bias, kwargs = case
    expected = unbatch(torch_conv(1, xt, weight, bias, kwargs), batched)
    for mod in (ops, ref):
        assert_agrees(mod.conv1d(x, weight, bias, **kwargs), expected, dtype)


@given(case=conv_case(2))
def test_conv2d_agrees_with_torch(case):
    x, xt, batched, dtype, weight, bias, kwargs = case
    expected = unbatch(torch_conv(2, xt, weight, bias, kwargs), batched)
    for mod in (ops, ref):
        assert_agrees(mod.conv2d(x, weight, bias, **kwargs), expected, dtype)


@given(data=st.data())
def test_zero_padded_conv_matches_functional_padding(data):
    """Explicit F.pad then a valid convolution, for every padding mode (what nn.Conv does)."""
    x, xt, batched, dtype = data.draw(batch((2, data.draw(st.integers(4, 8)))))
    weight = rand(data.draw(st.integers(0, 99)), (3, 2, data.draw(st.integers(1, 4))), dtype)
    p = data.draw(st.integers(0, 3))
    mode = data.draw(PADDING_MODES)
    padded = F.pad(xt, (p, p), mode="constant" if mode == "zeros" else mode)
    expected = unbatch(F.conv1d(padded, torch.from_numpy(weight)), batched)
    for mod in (ops, ref):
        assert_agrees(mod.conv1d(x, weight, padding=p, padding_mode=mode), expected, dtype)


@st.composite
def transpose_case(draw, spatial: int):
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    sizes = [draw(st.integers(1, 5)) for _ in range(spatial)]
    kernel = [draw(st.integers(1, 4)) for _ in range(spatial)]
    stride = [draw(st.integers(1, 3)) for _ in range(spatial)]
    dilation = [draw(st.integers(1, 2)) for _ in range(spatial)]
    out_pad = [draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)]
    padding = []
    for n, k, s, d, op in zip(sizes, kernel, stride, dilation, out_pad, strict=True):
        reach = (n - 1) * s + d * (k - 1) + op  # output length + 2P - 1
        padding.append(min(draw(st.integers(0, 2)), reach // 2))
    x, xt, batched, dtype = draw(batch((c_in, *sizes)))
    seed = draw(st.integers(0, 2**31))
    weight = rand(seed, (c_in, c_out // groups, *kernel), dtype)
    bias = rand(seed + 1, (c_out,), dtype) if draw(st.booleans()) else None
    kwargs = dict(
        stride=tuple(stride),
        padding=tuple(padding),
        output_padding=tuple(out_pad),
        groups=groups,
        dilation=tuple(dilation),
    )
    return x, xt, batched, dtype, weight, bias, kwargs


@pytest.mark.parametrize("spatial", [1, 2])
@given(data=st.data())
def test_conv_transpose_agrees_with_torch(spatial, data):
    x, xt, batched, dtype, weight, bias, kwargs = data.draw(transpose_case(spatial))
    fn = F.conv_transpose1d if spatial == 1 else F.conv_transpose2d
    b = None if bias is None else torch.from_numpy(bias)
    expected = unbatch(fn(xt, torch.from_numpy(weight), b, **kwargs), batched)
    for mod in (ops, ref):
        ours = mod.conv_transpose1d if spatial == 1 else mod.conv_transpose2d
        assert_agrees(ours(x, weight, bias, **kwargs), expected, dtype)


# --------------------------------------------------------------------------- pooling


@st.composite
def pool_case(draw, spatial: int):
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(spatial))
    stride = None if draw(st.booleans()) else tuple(draw(st.integers(1, 3)) for _ in kernel)
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    sizes = [
        max(1, k - 2 * p) + draw(st.integers(0, 4)) for k, p in zip(kernel, padding, strict=True)
    ]
    x, xt, batched, dtype = draw(batch((draw(st.integers(1, 3)), *sizes)))
    return x, xt, batched, dtype, kernel, stride, padding


@pytest.mark.parametrize("spatial", [1, 2])
@given(data=st.data())
def test_max_pool_and_indices_agree_with_torch(spatial, data):
    x, xt, batched, dtype, kernel, stride, padding = data.draw(pool_case(spatial))
    fn = F.max_pool1d if spatial == 1 else F.max_pool2d
    want, want_idx = fn(xt, kernel, stride, padding, return_indices=True)
    for mod in (ops, ref):
        ours = mod.max_pool1d if spatial == 1 else mod.max_pool2d
        got, idx = ours(x, kernel, stride, padding, return_indices=True)
        assert_agrees(got, unbatch(want, batched), dtype)
        assert idx.dtype == np.int64
        np.testing.assert_array_equal(idx, unbatch(want_idx, batched).numpy())
        assert_agrees(ours(x, kernel, stride, padding), unbatch(want, batched), dtype)


@pytest.mark.parametrize("spatial", [1, 2])
@given(data=st.data(), count_include_pad=st.booleans())
def test_avg_pool_agrees_with_torch(spatial, data, count_include_pad):
    x, xt, batched, dtype, kernel, stride, padding = data.draw(pool_case(spatial))
    fn = F.avg_pool1d if spatial == 1 else F.avg_pool2d
    want = fn(xt, kernel, stride, padding, count_include_pad=count_include_pad)
    for mod in (ops, ref):
        ours = mod.avg_pool1d if spatial == 1 else mod.avg_pool2d
        got = ours(x, kernel, stride, padding, count_include_pad=count_include_pad)
        assert_agrees(got, unbatch(want, batched), dtype)


@pytest.mark.parametrize("spatial", [1, 2])
@given(data=st.data(), restore_size=st.booleans())
def test_max_unpool_agrees_with_torch(spatial, data, restore_size):
    x, xt, batched, dtype, kernel, stride, padding = data.draw(pool_case(spatial))
    pool = F.max_pool1d if spatial == 1 else F.max_pool2d
    unpool = F.max_unpool1d if spatial == 1 else F.max_unpool2d
    pooled, idx = pool(xt, kernel, stride, padding, return_indices=True)
    default = [
        (n - 1) * s - 2 * p + k
        for n, k, s, p in zip(pooled.shape[2:], kernel, stride or kernel, padding, strict=True)
    ]
    # the default size can be too small for a maximum found near the end (or in padding)
    fits = int(idx.max()) < int(np.prod(default))
    size = None if fits and not restore_size else tuple(xt.shape[2:])
    want = unpool(pooled, idx, kernel, stride, padding, output_size=size)
    for mod in (ops, ref):
        ours = mod.max_unpool1d if spatial == 1 else mod.max_unpool2d
        got = ours(
            unbatch(pooled, batched).numpy(),
            unbatch(idx, batched).numpy(),
            kernel,
            stride,
            padding,
            output_size=size,
        )
        assert_agrees(got, unbatch(want, batched), dtype)


@pytest.mark.parametrize("spatial", [1, 2])
@given(data=st.data())
def test_global_avg_pool_agrees_with_torch(spatial, data):
    shape = [data.draw(st.integers(1, 3))] + [data.draw(st.integers(1, 6)) for _ in range(spatial)]
    x, xt, batched, dtype = data.draw(batch(tuple(shape)))
    want = xt.mean(dim=tuple(range(2, 2 + spatial)))
    for mod in (ops, ref):
        assert_agrees(mod.global_avg_pool(x, spatial), unbatch(want, batched), dtype)


# --------------------------------------------------------------------------- resampling


@pytest.mark.parametrize("spatial", [1, 2])
@given(data=st.data(), factor=st.integers(1, 4))
def test_subsample_is_pooling_with_window_one(spatial, data, factor):
    shape = [data.draw(st.integers(1, 3))] + [data.draw(st.integers(1, 9)) for _ in range(spatial)]
    x, xt, batched, dtype = data.draw(batch(tuple(shape)))
    fn = F.avg_pool1d if spatial == 1 else F.avg_pool2d
    want = fn(xt, 1, factor)  # a window of one position moved by the factor
    for mod in (ops, ref):
        ours = mod.subsample1d if spatial == 1 else mod.subsample2d
        assert_agrees(ours(x, factor), unbatch(want, batched), dtype)


@given(data=st.data(), mode=st.sampled_from(["nearest", "linear", "bilinear"]))
def test_upsample_agrees_with_interpolate(data, mode):
    spatial = {"linear": 1, "bilinear": 2}.get(mode) or data.draw(st.sampled_from([1, 2]))
    shape = [data.draw(st.integers(1, 3))] + [data.draw(st.integers(1, 6)) for _ in range(spatial)]
    x, xt, batched, dtype = data.draw(batch(tuple(shape)))
    scale = tuple(data.draw(st.integers(1, 4)) for _ in range(spatial))
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    want = F.interpolate(xt, scale_factor=tuple(float(s) for s in scale), mode=mode, **kwargs)
    factor = scale[0] if len(set(scale)) == 1 else scale
    for mod in (ops, ref):
        got = mod.upsample(x, factor, mode, spatial_dims=spatial if mode == "nearest" else None)
        assert_agrees(got, unbatch(want, batched), dtype)


# --------------------------------------------------------------------------- dense layers


@given(data=st.data(), with_bias=st.booleans())
def test_linear_agrees_with_torch(data, with_bias):
    d_in, d_out = data.draw(st.integers(1, 8)), data.draw(st.integers(1, 8))
    dtype = data.draw(DTYPES)
    seed = data.draw(st.integers(0, 2**31))
    x = rand(seed, (d_in,) if data.draw(st.booleans()) else (3, d_in), dtype)
    w, b = rand(seed + 1, (d_out, d_in), dtype), rand(seed + 2, (d_out,), dtype)
    b = b if with_bias else None
    want = F.linear(
        torch.from_numpy(x), torch.from_numpy(w), None if b is None else torch.from_numpy(b)
    )
    for mod in (ops, ref):
        assert_agrees(mod.linear(x, w, b), want, dtype)


@given(data=st.data())
def test_flatten_agrees_with_torch(data):
    shape = tuple(data.draw(st.integers(1, 4)) for _ in range(data.draw(st.integers(2, 4))))
    batched = data.draw(st.booleans())
    x = rand(data.draw(st.integers(0, 99)), shape, data.draw(DTYPES))
    want = torch.flatten(torch.from_numpy(x), start_dim=1 if batched else 0)
    for mod in (ops, ref):
        assert_agrees(mod.flatten(x, batched=batched), want, x.dtype)


@given(data=st.data(), p=st.floats(0.0, 0.95), seed=st.integers(0, 2**31))
def test_dropout_with_a_mask_is_torch_formula(data, p, seed):
    shape = tuple(data.draw(st.integers(1, 5)) for _ in range(data.draw(st.integers(1, 3))))
    x = rand(seed, shape, data.draw(DTYPES))
    mask = ops.dropout_mask(shape, p, seed)
    want = torch.from_numpy(x) * torch.from_numpy(mask) / (1 - p)
    for mod in (ops, ref):
        assert_agrees(mod.dropout(x, p, mask=mask), want, x.dtype)
        # a seed is the same as the mask it draws
        assert_agrees(mod.dropout(x, p, seed=seed), want, x.dtype)
        assert_agrees(mod.dropout(x, p, training=False), torch.from_numpy(x), x.dtype)


@given(data=st.data(), slope=st.floats(-2, 2))
def test_activations_agree_with_torch(data, slope):
    shape = tuple(data.draw(st.integers(1, 5)) for _ in range(data.draw(st.integers(1, 4))))
    dtype = data.draw(DTYPES)
    x = rand(data.draw(st.integers(0, 2**31)), shape, dtype) * 10
    xt = torch.from_numpy(x)
    for mod in (ops, ref):
        assert_agrees(mod.relu(x), F.relu(xt), dtype)
        assert_agrees(mod.leaky_relu(x, slope), F.leaky_relu(xt, slope), dtype)
        assert_agrees(mod.sigmoid(x), torch.sigmoid(xt), dtype)
        assert_agrees(mod.tanh(x), torch.tanh(xt), dtype)


# --------------------------------------------------------------------------- refusals


@st.composite
def any_conv1d_call(draw):
    """Unconstrained small conv1d calls, valid or not."""
    padding = draw(st.one_of(st.integers(0, 4), st.sampled_from(["same", "valid"])))
    return dict(
        length=draw(st.integers(1, 6)),
        kernel=draw(st.integers(1, 6)),
        stride=draw(st.integers(1, 3)),
        dilation=draw(st.integers(1, 3)),
        padding=padding,
        padding_mode=draw(PADDING_MODES),
        c_in=draw(st.integers(1, 4)),
        groups=draw(st.integers(1, 3)),
        c_out=draw(st.integers(1, 4)),
    )


@given(call=any_conv1d_call())
def test_conv1d_refuses_exactly_what_torch_refuses(call):
    """Whatever torch rejects, both modules reject with the same OpError; the rest agrees."""
    x = rand(0, (call["c_in"], call["length"]), np.float64)
    w_in = max(1, call["c_in"] // call["groups"])
    weight = rand(1, (call["c_out"], w_in, call["kernel"]), np.float64)
    kwargs = dict(
        stride=call["stride"],
        padding=call["padding"],
        dilation=call["dilation"],
        groups=call["groups"],
        padding_mode=call["padding_mode"],
    )
    try:
        layer = torch.nn.Conv1d(
            w_in * call["groups"],
            call["c_out"],
            call["kernel"],
            bias=False,
            dtype=torch.float64,
            **kwargs,
        )
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(weight))
            want = layer(torch.from_numpy(x))
    except (RuntimeError, ValueError):
        want = None
    outcomes = []
    for mod in (ops, ref):
        try:
            outcomes.append(mod.conv1d(x, weight, **kwargs))
        except OpError as error:
            outcomes.append(str(error))
    if want is None:
        assert isinstance(outcomes[0], str) and outcomes[0] == outcomes[1]
    else:
        for got in outcomes:
            assert_agrees(got, want, np.float64)


@given(
    length=st.integers(1, 6),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 3),
    padding=st.integers(0, 3),
)
def test_max_pool_refuses_exactly_what_torch_refuses(length, kernel, stride, padding):
    x = rand(2, (2, length), np.float32)
    try:
        want = F.max_pool1d(torch.from_numpy(x), kernel, stride, padding)
    except (RuntimeError, ValueError):
        want = None
    outcomes = []
    for mod in (ops, ref):
        try:
            outcomes.append(mod.max_pool1d(x, kernel, stride, padding))
        except OpError as error:
            outcomes.append(str(error))
    if want is None:
        assert isinstance(outcomes[0], str) and outcomes[0] == outcomes[1]
    else:
        for got in outcomes:
            assert_agrees(got, want, np.float32)


# --------------------------------------------------------------------------- blur pool


def _binomial(k: int) -> np.ndarray:
    """[1, 1] convolved with itself k - 2 times, over its sum: the test's own binomial row."""
    row = np.array([1.0])
    for _ in range(k - 1):
        row = np.convolve(row, [1.0, 1.0])
    return row / row.sum()


@pytest.mark.parametrize("spatial", [1, 2])
@given(data=st.data(), kernel=st.integers(2, 7), stride=st.integers(1, 3), mode=PADDING_MODES)
def test_blur_pool_is_torchs_depthwise_conv_with_the_binomial_filter(
    spatial, data, kernel, stride, mode
):
    low = kernel // 2 + 1  # reflect padding must be shorter than the input
    shape = [data.draw(st.integers(1, 3))]
    shape += [data.draw(st.integers(low, 10)) for _ in range(spatial)]
    x, xt, batched, dtype = data.draw(batch(tuple(shape)))
    taps = torch.from_numpy(_binomial(kernel)).to(xt.dtype)
    w = taps if spatial == 1 else torch.outer(taps, taps)
    w = w.expand(shape[0], 1, *w.shape)
    pads = [(kernel - 1) // 2, kernel // 2] * spatial  # Zhang's layout: the extra one after
    torch_mode = {"zeros": "constant"}.get(mode, mode)
    conv = F.conv1d if spatial == 1 else F.conv2d
    want = conv(F.pad(xt, pads, mode=torch_mode), w, None, stride, 0, 1, shape[0])
    for mod in (ops, ref):
        ours = mod.blur_pool1d if spatial == 1 else mod.blur_pool2d
        assert_agrees(ours(x, kernel, stride, mode), unbatch(want, batched), dtype)


@pytest.mark.parametrize("mod", [ops, ref])
def test_blur_pool_refuses_what_it_cannot_do(mod):
    x = np.ones((1, 4), np.float32)
    with pytest.raises(OpError, match="kernel_size must be at most 7"):
        mod.blur_pool1d(x, 8)
    with pytest.raises(OpError, match="kernel_size must be at least 2"):
        mod.blur_pool1d(x, 1)
    with pytest.raises(OpError, match="reflect padding 3 must be smaller than the input length 3"):
        mod.blur_pool1d(np.ones((1, 3)), 7)
    with pytest.raises(OpError, match="padding_mode"):
        mod.blur_pool2d(np.ones((1, 4, 4)), 3, 2, "mirror")


def test_blur_pool_worked_by_hand():
    # [1, 2, 1]/4 over 0 1 2 3 4 reflected (1 | 0 1 2 3 4 | 3), kept at 0, 2, 4
    x = np.array([[0.0, 1.0, 2.0, 3.0, 4.0]])
    want = [(1 + 0 + 1) / 4, (1 + 4 + 3) / 4, (3 + 8 + 3) / 4]
    for mod in (ops, ref):
        np.testing.assert_allclose(mod.blur_pool1d(x), [want])
