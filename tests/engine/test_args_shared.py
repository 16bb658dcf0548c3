"""engine.layers and engine.ops size a layer with the same engine._args formulas.

A layer's declared output shape must be the shape its op produces, and a layer must refuse
exactly the parameters its op refuses, with the op's words (a pool's kernel is called its
window at the layer) and the layer-level error kind (ShapeError or SpecError).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import layers as L
from engine import ops
from engine.errors import OpError, ShapeError, SpecError
from engine.network import analyze
from engine.spec import LayerSpec, NetworkSpec


def per_axis(n, values):
    """An int, or (in 2D) sometimes one value per axis."""
    one = values.map(int)
    return one if n == 1 else st.one_of(one, st.tuples(values, values))


@st.composite
def conv_cases(draw):
    n = draw(st.sampled_from([1, 2]))
    groups = draw(st.sampled_from([1, 2]))
    stride = draw(per_axis(n, st.integers(1, 3)))
    padding = draw(st.one_of(per_axis(n, st.integers(0, 4)), st.sampled_from(["same", "valid"])))
    params = {
        "out_channels": groups * draw(st.integers(1, 2)),
        "kernel_size": draw(per_axis(n, st.integers(1, 6))),
        "stride": stride,
        "padding": padding,
        "dilation": draw(per_axis(n, st.integers(1, 3))),
        "groups": groups,
        "padding_mode": draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"])),
    }
    return "conv", params, (groups * draw(st.integers(1, 2)), *draw(spatial(n)))


@st.composite
def transpose_cases(draw):
    n = draw(st.sampled_from([1, 2]))
    params = {
        "out_channels": draw(st.integers(1, 2)),
        "kernel_size": draw(per_axis(n, st.integers(1, 4))),
        "stride": draw(per_axis(n, st.integers(1, 3))),
        "padding": draw(per_axis(n, st.integers(0, 4))),
        "output_padding": draw(per_axis(n, st.integers(0, 3))),
        "dilation": draw(per_axis(n, st.integers(1, 3))),
    }
    return "conv_transpose", params, (draw(st.integers(1, 2)), *draw(spatial(n)))


@st.composite
def pool_cases(draw):
    n = draw(st.sampled_from([1, 2]))
    params = {
        "kernel_size": draw(per_axis(n, st.integers(1, 6))),
        "stride": draw(st.one_of(st.none(), per_axis(n, st.integers(1, 3)))),
        "padding": draw(per_axis(n, st.integers(0, 2))),
    }
    kind = draw(st.sampled_from(["max_pool", "avg_pool"]))
    return kind, params, (draw(st.integers(1, 2)), *draw(spatial(n)))


def spatial(n):
    return st.tuples(*[st.integers(1, 8)] * n)


def layer_result(kind, params, in_shape):
    """The layer's output shape, or its refusal."""
    layer = LayerSpec("x", kind, params)
    try:
        return L.output_shape(layer, L.validate_params(layer), [in_shape])
    except (ShapeError, SpecError) as error:
        return error


def op_result(kind, params, in_shape):
    """The shape engine.ops produces for the same call, or its OpError."""
    n = len(in_shape) - 1
    x = np.zeros(in_shape, dtype=np.float32)
    p = L.validate_params(LayerSpec("x", kind, params))
    try:
        if kind in ("conv", "conv_transpose"):
            w = np.zeros(L.weight_shapes(LayerSpec("x", kind, p), p, [in_shape])["weight"])
            w = w.astype(np.float32)
            if kind == "conv":
                fn = ops.conv1d if n == 1 else ops.conv2d
                keys = ("stride", "padding", "dilation", "groups", "padding_mode")
            else:
                fn = ops.conv_transpose1d if n == 1 else ops.conv_transpose2d
                keys = ("stride", "padding", "output_padding", "dilation")
            return fn(x, w, **{key: p[key] for key in keys}).shape
        fn = {
            ("max_pool", 1): ops.max_pool1d,
            ("max_pool", 2): ops.max_pool2d,
            ("avg_pool", 1): ops.avg_pool1d,
            ("avg_pool", 2): ops.avg_pool2d,
        }[kind, n]
        return fn(x, p["kernel_size"], stride=p["stride"], padding=p["padding"]).shape
    except OpError as error:
        return error


@pytest.mark.parametrize("cases", [conv_cases, transpose_cases, pool_cases])
@given(data=st.data())
def test_layer_shape_is_the_op_shape_or_both_refuse_alike(cases, data):
    kind, params, in_shape = data.draw(cases())
    declared = layer_result(kind, params, in_shape)
    produced = op_result(kind, params, in_shape)
    if isinstance(produced, OpError):
        assert isinstance(declared, (ShapeError, SpecError)), (declared, produced)
        words = produced.detail
        if kind.endswith("pool") and words.startswith("kernel "):
            words = "window " + words.removeprefix("kernel ")
        assert declared.detail == words
    else:
        assert declared == tuple(produced)


# Each refusal keeps its kind: SpecError when the parameters contradict each other, ShapeError
# when they do not fit the input; the network prefixes the layer, the words are the op's.
LOCATED = [
    (
        "conv",
        {"kernel_size": 7, "dilation": 2, "padding": 1},
        (1, 7),
        ShapeError,
        "layer 1 'x': kernel 7 with dilation 2 spans 13 positions but the padded input has 9",
    ),
    (
        "conv",
        {"kernel_size": (5, 3)},
        (1, 4, 5),
        ShapeError,
        "layer 1 'x': kernel 5 is larger than the padded input height 4",
    ),
    (
        "conv",
        {"padding": 3, "padding_mode": "reflect"},
        (1, 3),
        ShapeError,
        "layer 1 'x': reflect padding 3 must be smaller than the input length 3",
    ),
    (
        "conv",
        {"padding": "same", "stride": 2},
        (1, 8),
        SpecError,
        "layer 1 'x': padding 'same' needs stride 1, got stride 2",
    ),
    (
        "conv_transpose",
        {"stride": 2, "output_padding": 2},
        (1, 9),
        SpecError,
        "layer 1 'x': output_padding 2 must be smaller than the stride 2 or the dilation 1",
    ),
    (
        "conv_transpose",
        {"kernel_size": 1, "stride": 1, "padding": 1},
        (1, 1),
        ShapeError,
        "layer 1 'x': padding 1 removes everything: (L-1)*S + D*(K-1) + 1 + output_padding "
        "= 1 positions, minus 2 x 1, leaves -1",
    ),
    (
        "max_pool",
        {"kernel_size": 2, "padding": 2},
        (1, 8),
        SpecError,
        "layer 1 'x': padding 2 must be at most half the window 2",
    ),
    (
        "avg_pool",
        {"kernel_size": (2, 9)},
        (1, 8, 8),
        ShapeError,
        "layer 1 'x': window 9 is larger than the padded input width 8",
    ),
]


@pytest.mark.parametrize("kind, params, in_shape, error_type, message", LOCATED)
def test_refusals_are_located_with_the_ops_words(kind, params, in_shape, error_type, message):
    error = analyze(NetworkSpec((LayerSpec("x", kind, params),), in_shape)).layers[0].error
    assert type(error) is error_type
    assert str(error) == message
