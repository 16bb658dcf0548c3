"""Data sets for training: MNIST-1D, generated shapes, and the user's own folders and CSVs.

Every loader returns a :class:`Dataset`; :func:`load_dataset` picks the loader from a name or
a path (the trainer calls it). Bad data raises :class:`~engine.errors.DataError` naming the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import DataError

DATASET_NAMES = ("mnist1d", "shapes")


@dataclass(frozen=True)
class Dataset:
    """Train and test arrays: x float32 (N, C, L) or (N, C, H, W), y int64 class indices.

    Detection and segmentation targets are optional (only the shapes data set has them):
    ``boxes_*`` float32 (N, K, 4) as (x0, y0, x1, y1) in pixel units (pixel ``j`` spans
    [j, j+1)), ``box_labels_*`` int64 (N, K) class index or -1 for an unused slot (its box is
    all zeros), ``masks_*`` int64 (N, H, W) with 0 = background and ``k + 1`` for class ``k``.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    input_shape: tuple[int, ...]
    name: str = ""
    boxes_train: np.ndarray | None = None
    boxes_test: np.ndarray | None = None
    box_labels_train: np.ndarray | None = None
    box_labels_test: np.ndarray | None = None
    masks_train: np.ndarray | None = None
    masks_test: np.ndarray | None = None

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


def split_indices(
    labels: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified split: each class gives ``round(n * test_fraction)`` to the test set
    (at least one when it has two or more samples). Returns sorted train and test indices."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_test = round(len(members) * test_fraction)
        if len(members) >= 2:
            n_test = min(max(n_test, 1), len(members) - 1)
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def load_dataset(name_or_path: str | os.PathLike, seed: int = 0) -> Dataset:
    """``'mnist1d'``, ``'shapes'``, a folder of class subfolders, or a CSV of labelled signals.

    ``seed`` sets the shapes data set and the train/test split of the user's data; MNIST-1D is
    always the standard data set (its own seed 42) so results compare with the book's.
    """
    text = os.fspath(name_or_path)
    if text == "mnist1d":
        from .mnist1d import load_mnist1d

        return load_mnist1d()
    if text == "shapes":
        from .shapes import make_shapes

        return make_shapes(seed=seed)
    path = Path(text)
    if path.is_dir():
        from .user import load_image_folder

        return load_image_folder(path, seed=seed)
    if path.suffix.lower() == ".csv":
        from .user import load_signal_csv

        return load_signal_csv(path, seed=seed)
    if not path.exists() and path.suffix == "":
        raise DataError(
            f"{text}: no such data set (use {', '.join(DATASET_NAMES)}, a folder with one "
            "subfolder of images per class, or a CSV of signals with a label column)"
        )
    if not path.exists():
        raise DataError(f"{path.name}: no such file or folder")
    raise DataError(
        f"{path.name}: not a data set (use a folder with one subfolder of images per class, "
        "or a .csv of signals with a label column)"
    )
