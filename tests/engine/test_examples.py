"""engine.examples: every example by name, its shape and known values; bad names."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import DataError
from engine.examples import EXAMPLES_1D, EXAMPLES_2D, example_names, make_example
from engine.inputs import load_input


@pytest.mark.parametrize("name", EXAMPLES_1D + EXAMPLES_2D)
def test_every_example_is_float32_contiguous_and_finite(name):
    array = make_example(name)
    assert array.dtype == np.float32 and array.flags.c_contiguous and array.flags.writeable
    assert np.isfinite(array).all()
    if name in EXAMPLES_1D:
        assert array.ndim == 2 and array.shape[0] == 1
        assert array.shape[1] == (40 if name.startswith("mnist1d") else 128)
    else:
        assert array.ndim == 3 and array.shape[0] in (1, 3)
        assert 0.0 <= array.min() and array.max() <= 1.0
        assert array.max() > array.min()  # not blank


def test_known_1d_values():
    np.testing.assert_array_equal(make_example("impulse", 8), [[0, 0, 0, 0, 1, 0, 0, 0]])
    np.testing.assert_array_equal(make_example("step", 6), [[0, 0, 0, 1, 1, 1]])
    np.testing.assert_array_equal(make_example("box", 16)[0].nonzero()[0], [6, 7, 8, 9])
    np.testing.assert_allclose(make_example("ramp", 5), [[-1, -0.5, 0, 0.5, 1]])
    sine = make_example("sine", 16)[0]
    np.testing.assert_allclose(sine[[0, 1, 2]], [0, 1, 0], atol=1e-6)  # 4 periods in 16
    np.testing.assert_array_equal(make_example("noise"), make_example("noise"))  # seeded


def test_mnist1d_digits_are_the_data_sets_first_training_signal_of_each_class():
    from engine.data.mnist1d import load_mnist1d

    data = load_mnist1d()
    for digit in range(10):
        first = data.x_train[np.flatnonzero(data.y_train == digit)[0]]
        np.testing.assert_array_equal(make_example(f"mnist1d-{digit}"), first)


def test_mnist1d_refuses_another_length():
    with pytest.raises(DataError, match="mnist1d-3 has length 40"):
        make_example("mnist1d-3", 128)
    assert make_example("mnist1d-3", 40).shape == (1, 40)


def test_known_2d_values():
    dot = make_example("dot", 5)[0]
    assert dot.sum() == 1 and dot[2, 2] == 1
    board = make_example("checkerboard", 16)[0]
    np.testing.assert_array_equal(
        board[:4, :4], [[0, 0, 1, 1], [0, 0, 1, 1], [1, 1, 0, 0], [1, 1, 0, 0]]
    )
    edge = make_example("edge", (2, 4))[0]
    np.testing.assert_array_equal(edge, [[0, 0, 1, 1], [0, 0, 1, 1]])
    np.testing.assert_allclose(make_example("gradient", (1, 3))[0], [[0, 0.5, 1]])
    circle = make_example("circle", 64)[0]
    assert circle[32, 32] == 1 and circle[0, 0] == 0
    # area of a disc of radius 0.3 * 64, anti-aliased: within half a percent
    assert abs(circle.sum() - np.pi * (0.3 * 64) ** 2) / (np.pi * (0.3 * 64) ** 2) < 0.005


def test_digits_are_drawn_with_thick_strokes_and_differ():
    three, seven = make_example("digit-3")[0], make_example("digit-7")[0]
    assert 0.08 < (three > 0.5).mean() < 0.35
    assert 0.05 < (seven > 0.5).mean() < 0.35
    assert np.abs(three - seven).sum() > 500


def test_photos_keep_stored_size_or_take_a_longer_side():
    cat = make_example("cat")
    assert cat.shape == (3, 170, 256)
    np.testing.assert_array_equal(cat, load_input("resources/images/cat.png").array)
    assert make_example("cat", 128).shape == (3, 85, 128)
    assert make_example("cameraman").shape == (1, 256, 256)
    cat[:] = 0  # a copy: the cache is not changed
    assert make_example("cat").max() > 0


def test_names_and_errors():
    assert example_names("1d") == EXAMPLES_1D and example_names("2d") == EXAMPLES_2D
    assert {"impulse", "chirp", "mnist1d-9"} <= set(EXAMPLES_1D)
    assert {"checkerboard", "triangle", "digit-3", "cameraman"} <= set(EXAMPLES_2D)
    with pytest.raises(DataError, match=r"no example named 'zebra'; 1D: impulse, .*2D: dot"):
        make_example("zebra")
    with pytest.raises(DataError, match="'1d' or '2d'"):
        example_names("3d")
    for bad in (0, -5, 5000, 2.5, "8", True):
        with pytest.raises(DataError, match="the size must be a whole number"):
            make_example("sine", bad)
    with pytest.raises(DataError, match=r"one number or \(height, width\)"):
        make_example("edge", (1, 2, 3))
