"""Fuzz: engine.ops and engine.reference called with absurd integers and odd arguments.

Each call gives a valid result or the engine's error (OpError, an EngineError) — never
numpy's or torch's OverflowError / TypeError / MemoryError — and the two modules accept
exactly the same calls, with equal results when they accept.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from engine import ops
from engine import reference as ref
from engine.errors import EngineError

ABSURD = [10**30, -(10**30), 2**63, 2**63 - 1, -(2**63), 2**31, 2**32 + 1, (1 << 20) + 1, 1 << 20]
INTS = st.one_of(st.integers(-2, 6), st.sampled_from(ABSURD))
ARG = st.one_of(
    INTS,
    st.tuples(INTS, INTS),
    st.sampled_from(["same", "valid", 2.0, 2.5, float("nan"), float("inf"), None, True, "x"]),
)


def _calls(draw):
    """(function name, args, kwargs) of one op call on a small input."""
    x1 = np.linspace(-1, 1, 8).reshape(1, 8)
    x2 = np.linspace(-1, 1, 36).reshape(1, 6, 6)
    name = draw(
        st.sampled_from(
            [
                "conv1d",
                "conv2d",
                "conv_transpose1d",
                "conv_transpose2d",
                "max_pool1d",
                "max_pool2d",
                "avg_pool1d",
                "avg_pool2d",
                "subsample1d",
                "subsample2d",
                "upsample",
            ]
        )
    )
    two = name.endswith("2d")
    x = x2 if two else x1
    if name.startswith("conv"):
        k = draw(st.integers(1, 3))
        w = np.ones((1, 1, k, k) if two else (1, 1, k))
        kwargs = {
            key: draw(ARG) for key in ("stride", "padding", "dilation") if draw(st.booleans())
        }
        if name.startswith("conv_transpose") and draw(st.booleans()):
            kwargs["output_padding"] = draw(ARG)
        return name, (x, w), kwargs
    if "pool" in name:
        kwargs = {key: draw(ARG) for key in ("stride", "padding") if draw(st.booleans())}
        return name, (x, draw(ARG)), kwargs
    if name.startswith("subsample"):
        return name, (x, draw(ARG)), {}
    mode = draw(st.sampled_from(["nearest", "linear"]))
    return "upsample", (x1, draw(ARG), mode), {}


def _outcome(module, name, args, kwargs):
    try:
        return np.asarray(getattr(module, name)(*args, **kwargs))
    except EngineError as error:
        return error


@given(st.data())
def test_absurd_op_arguments_give_the_engines_error_and_both_modules_agree(data):
    name, args, kwargs = _calls(data.draw)
    fast = _outcome(ops, name, args, kwargs)  # anything but EngineError fails the test here
    book = _outcome(ref, name, args, kwargs)
    assert isinstance(fast, EngineError) == isinstance(book, EngineError), (
        f"{name}{kwargs}: ops gave {fast!r:.200}, reference gave {book!r:.200}"
    )
    if isinstance(fast, EngineError):
        assert len(str(fast)) <= 450 and len(str(book)) <= 450
    else:
        np.testing.assert_allclose(fast, book, rtol=1e-9, atol=1e-9)


def test_the_worst_integers_are_refused_by_name():
    x = np.ones((1, 8))
    for bad in (10**30, 2**63):
        for module in (ops, ref):
            for call in (
                lambda m, bad=bad: m.conv1d(x, np.ones((1, 1, 3)), stride=bad),
                lambda m, bad=bad: m.conv1d(x, np.ones((1, 1, 3)), padding=bad),
                lambda m, bad=bad: m.conv1d(x, np.ones((1, 1, 3)), dilation=bad),
                lambda m, bad=bad: m.subsample1d(x, bad),
                lambda m, bad=bad: m.max_pool1d(x, 2, stride=bad),
            ):
                try:
                    call(module)
                except EngineError as error:
                    assert "must be at most" in str(error) or "at most" in str(error)
                else:
                    raise AssertionError(f"{module.__name__} accepted {bad}")
