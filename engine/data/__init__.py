"""Data sets for training: MNIST-1D, generated shapes, and the user's own folders and CSVs.

Every loader returns a :class:`Dataset`; :func:`load_dataset` picks the loader from a name or
a path (the trainer calls it). Bad data raises :class:`~engine.errors.DataError` naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import DataError

from .dataset import Dataset, split_indices

__all__ = ["DATASET_NAMES", "Dataset", "load_dataset", "split_indices"]

DATASET_NAMES = ("mnist1d", "shapes")


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
