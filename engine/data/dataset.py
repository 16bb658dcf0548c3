"""The :class:`Dataset` every loader returns, and the seeded stratified train/test split.

Its own module so the loaders (``mnist1d``, ``shapes``, ``user``) import it without
importing the package that picks between them (no import cycle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
