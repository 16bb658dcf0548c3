"""Any call, however wrong, ends in a result or an OpError, the same in both modules.

Hypothesis throws arbitrary shapes, dtypes and argument values (negative, NaN, strings,
bools, wrong-length tuples) at every operation. Nothing but OpError may escape (no torch
RuntimeError, no IndexError or TypeError), ops and reference must refuse the same calls with
the same message, and when both succeed they agree.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from engine import ops
from engine import reference as ref
from engine.errors import OpError

SCALARS = st.one_of(
    st.integers(-2, 7),
    st.sampled_from([0.5, 2.0, float("nan"), float("inf"), True, None, "same", "valid", "x"]),
)
ARGS = st.one_of(SCALARS, SCALARS, st.lists(st.integers(-1, 5), max_size=3).map(tuple))


@st.composite
def arrays(draw, ranks=(0, 1, 2, 3, 4, 5), max_size: int = 5):
    rank = draw(st.sampled_from(ranks))
    shape = tuple(
        draw(st.integers(0 if draw(st.integers(0, 9)) == 0 else 1, max_size)) for _ in range(rank)
    )
    dtype = draw(st.sampled_from([np.float64, np.float64, np.float32, np.int64]))
    seed = draw(st.integers(0, 999))
    return (np.random.default_rng(seed).standard_normal(shape) * 3).astype(dtype)


def outcome(mod, name: str, args, kwargs):
    """The result, or the refusal's message; anything else fails the test."""
    try:
        return getattr(mod, name)(*args, **kwargs)
    except OpError as error:
        return str(error)


def assert_same_outcome(name: str, args, kwargs) -> None:
    fast, slow = outcome(ops, name, args, kwargs), outcome(ref, name, args, kwargs)
    if isinstance(fast, str) or isinstance(slow, str):
        assert fast == slow
        return
    for a, b in zip(
        np.atleast_1d(fast) if isinstance(fast, tuple) else [fast],
        np.atleast_1d(slow) if isinstance(slow, tuple) else [slow],
        strict=True,
    ):
        assert a.dtype == b.dtype and a.shape == b.shape
        tol = 1e-4 if a.dtype == np.float32 else 1e-9
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@given(name=st.sampled_from(["conv1d", "conv2d"]), x=arrays(), w=arrays(), data=st.data())
def test_convolution_calls(name, x, w, data):
    kwargs = {
        key: data.draw(ARGS)
        for key in data.draw(
            st.sets(st.sampled_from(["stride", "padding", "dilation", "groups"]), max_size=3)
        )
    }
    if data.draw(st.booleans()):
        kwargs["padding_mode"] = data.draw(
            st.sampled_from(["zeros", "reflect", "replicate", "circular", "wrap"])
        )
    bias = data.draw(st.one_of(st.none(), arrays(ranks=(1,))))
    assert_same_outcome(name, (x, w, bias), kwargs)


@given(
    name=st.sampled_from(["conv_transpose1d", "conv_transpose2d"]),
    x=arrays(),
    w=arrays(),
    data=st.data(),
)
def test_transposed_convolution_calls(name, x, w, data):
    keys = ["stride", "padding", "output_padding", "groups", "dilation"]
    kwargs = {key: data.draw(ARGS) for key in data.draw(st.sets(st.sampled_from(keys), max_size=3))}
    assert_same_outcome(name, (x, w), kwargs)


@given(
    name=st.sampled_from(["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d"]),
    x=arrays(),
    kernel=ARGS,
    stride=st.one_of(st.none(), ARGS),
    padding=ARGS,
)
def test_pooling_calls(name, x, kernel, stride, padding):
    assert_same_outcome(name, (x, kernel, stride, padding), {})


@given(
    name=st.sampled_from(["max_unpool1d", "max_unpool2d"]),
    x=arrays(max_size=3),
    kernel=ARGS,
    output_size=st.one_of(st.none(), ARGS),
    data=st.data(),
)
def test_unpool_calls(name, x, kernel, output_size, data):
    if data.draw(st.booleans()):  # indices of the right shape, maybe out of range
        indices = np.random.default_rng(0).integers(-1, 30, size=x.shape)
    else:
        indices = data.draw(arrays(max_size=3))
    assert_same_outcome(name, (x, indices, kernel), {"output_size": output_size})


@given(
    x=arrays(),
    scale=ARGS,
    mode=st.sampled_from(["nearest", "linear", "bilinear", "area"]),
    spatial_dims=st.sampled_from([None, None, 1, 2, 3]),
)
def test_upsample_calls(x, scale, mode, spatial_dims):
    assert_same_outcome("upsample", (x, scale, mode), {"spatial_dims": spatial_dims})


@given(
    name=st.sampled_from(["subsample1d", "subsample2d", "global_avg_pool"]), x=arrays(), arg=ARGS
)
def test_resampling_calls(name, x, arg):
    assert_same_outcome(name, (x, arg), {})


@given(x=arrays(), w=arrays(ranks=(1, 2, 3)), p=ARGS, batched=ARGS, seed=ARGS)
def test_dense_calls(x, w, p, batched, seed):
    assert_same_outcome("linear", (x, w), {})
    assert_same_outcome("flatten", (x,), {"batched": batched})
    # (a seed of None draws a fresh mask in each module, so always pass one)
    assert_same_outcome("dropout", (x, p), {"seed": 0 if seed is None else seed})
    assert_same_outcome("leaky_relu", (x, p), {})
    for name in ("relu", "sigmoid", "tanh"):
        assert_same_outcome(name, (x,), {})
