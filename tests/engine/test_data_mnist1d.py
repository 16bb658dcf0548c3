"""engine.data.mnist1d: the standard data set, generated locally and cached."""

from __future__ import annotations

import random

import numpy as np

from engine.data import load_dataset
from engine.data.mnist1d import load_mnist1d


def test_standard_mnist1d_shapes_labels_and_cache():
    data = load_mnist1d()
    assert data.x_train.shape == (4000, 1, 40) and data.x_test.shape == (1000, 1, 40)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert data.class_names == tuple("0123456789") and data.input_shape == (1, 40)
    assert np.bincount(np.concatenate([data.y_train, data.y_test])).tolist() == [500] * 10
    # make_dataset standardizes the whole set: mean 0, std 1
    everything = np.concatenate([data.x_train, data.x_test])
    assert abs(everything.mean()) < 1e-4 and abs(everything.std() - 1) < 1e-3
    assert load_mnist1d() is data and load_dataset("mnist1d") is data
    assert not data.x_train.flags.writeable  # shared through the cache


def test_generation_leaves_the_global_random_state_alone():
    np.random.seed(123)
    random.seed(123)
    expected_np, expected_py = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    load_mnist1d(seed=7)  # a new seed: really generates
    assert np.random.random() == expected_np and random.random() == expected_py


def test_other_seed_other_signals():
    assert not np.array_equal(load_mnist1d(seed=7).x_train, load_mnist1d().x_train)
