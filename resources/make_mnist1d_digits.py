"""Make resources/signals/mnist1d_digits.npy: one MNIST-1D training signal of each digit.

Run once (output committed): ``python resources/make_mnist1d_digits.py``. Uses
``mnist1d.data.make_dataset(get_dataset_args())`` (generated locally, no download; seed 42,
the standard data set) and keeps the first training signal of each class 0..9, so row ``d``
is a digit ``d``: a float32 array of shape (10, 40).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.data.mnist1d import load_mnist1d  # noqa: E402


def main() -> None:
    data = load_mnist1d()
    rows = [data.x_train[int(np.flatnonzero(data.y_train == d)[0]), 0] for d in range(10)]
    out = Path(__file__).parent / "signals" / "mnist1d_digits.npy"
    np.save(out, np.stack(rows).astype(np.float32), allow_pickle=False)
    print(out, np.stack(rows).shape)


if __name__ == "__main__":
    main()
