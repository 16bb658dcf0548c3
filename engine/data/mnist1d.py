"""The MNIST-1D data set (Greydanus 2020), generated locally, never downloaded.

``mnist1d.data.make_dataset(get_dataset_args())`` builds the standard 4,000 training and
1,000 test signals of length 40 in about 1.2 s; the result is cached in-process per seed.
"""

from __future__ import annotations

import random
import threading

import numpy as np

from .dataset import Dataset

_cache: dict[int, Dataset] = {}
_lock = threading.Lock()
STANDARD_SEED = 42  # mnist1d's default: the data set of the paper and the book


def load_mnist1d(seed: int | None = None) -> Dataset:
    """MNIST-1D as x float32 (N, 1, 40) and y int64; ``seed=None`` is the standard data set."""
    seed = STANDARD_SEED if seed is None else int(seed)
    with _lock:
        if seed not in _cache:
            _cache[seed] = _generate(seed)
        return _cache[seed]


def _generate(seed: int) -> Dataset:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.seed = seed
    # make_dataset reseeds the global random generators; give callers theirs back.
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        raw = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)

    def signals(x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x[:, None, :], dtype=np.float32)
        x.setflags(write=False)  # shared by every caller of the cache
        return x

    def labels(y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=np.int64)
        y.setflags(write=False)
        return y

    x_train = signals(raw["x"])
    return Dataset(
        x_train=x_train,
        y_train=labels(raw["y"]),
        x_test=signals(raw["x_test"]),
        y_test=labels(raw["y_test"]),
        class_names=tuple(str(d) for d in range(10)),
        input_shape=tuple(x_train.shape[1:]),
        name="mnist1d",
    )
