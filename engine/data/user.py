"""The user's own data: a folder of images (one subfolder per class) or a CSV of signals.

Both are split into train and test sets by :func:`engine.data.split_indices`: seeded and
stratified (each class gives ``test_fraction`` of its samples to the test set).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from PIL import Image

from engine import limits
from engine.errors import DataError
from engine.inputs import IMAGE_SUFFIXES, read_image

from .dataset import Dataset, split_indices


def load_image_folder(
    path: str | os.PathLike,
    size: int | tuple[int, int] | None = None,
    seed: int = 0,
    test_fraction: float = 0.2,
) -> Dataset:
    """Images in ``path/<class name>/*.png|jpg|bmp|tif`` as a data set.

    Class names are the subfolder names, sorted. If any image is in colour, all become RGB
    (gray images are repeated over 3 channels); else all are 1-channel gray. Without ``size``
    every image must have the size of the first one; with ``size`` (an int or (H, W)) every
    image is resized to it (Lanczos; the aspect ratio is not kept). Files that are not named
    like images are ignored; a file named like an image that cannot be read is an error.
    """
    folder = Path(path)
    _check_fraction(folder.name, test_fraction)
    if not folder.is_dir():
        raise DataError(f"{folder.name}: no such folder")
    target = _target_size(folder.name, size)
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    if not entries:
        raise DataError(f"{folder.name}: the folder is empty")
    classes = [p for p in entries if p.is_dir()]
    if not classes:
        raise DataError(
            f"{folder.name}: no class subfolders (put each class's images in a subfolder "
            "named after the class)"
        )
    files: list[tuple[int, Path]] = []
    for index, class_dir in enumerate(classes):
        images = sorted(
            p
            for p in class_dir.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not images:
            raise DataError(f"{folder.name}/{class_dir.name}: no images (PNG, JPEG, BMP, TIFF)")
        files += [(index, p) for p in images]
    if len(classes) < 2:
        raise DataError(
            f"{folder.name}: only one class ('{classes[0].name}'); a classifier needs at least two"
        )
    arrays = []
    for _, file in files:
        try:
            arrays.append(read_image(file))
        except DataError as error:
            raise DataError(f"{folder.name}/{file.parent.name}/{error}") from error
    if target is None:
        first_hw = arrays[0].shape[1:]
        for (_, file), array in zip(files, arrays, strict=True):
            if array.shape[1:] != first_hw:
                raise DataError(
                    f"{folder.name}/{file.parent.name}/{file.name}: {_hw(array.shape[1:])} "
                    f"pixels, but {files[0][1].name} is {_hw(first_hw)} "
                    "(give a size to resize every image)"
                )
    else:
        arrays = [_resize(a, target) for a in arrays]
    channels = 3 if any(a.shape[0] == 3 for a in arrays) else 1
    x = np.stack([np.broadcast_to(a, (channels, *a.shape[1:])) for a in arrays])
    y = np.array([label for label, _ in files], dtype=np.int64)
    return _split(x, y, tuple(p.name for p in classes), folder.name, seed, test_fraction)


def load_signal_csv(
    path: str | os.PathLike, label_column: str = "label", seed: int = 0, test_fraction: float = 0.2
) -> Dataset:
    """A CSV with a header row, one signal per row and a label column, as (N, 1, L) signals.

    Labels may be names or numbers; class names are sorted (numerically when all are whole
    numbers). Blank lines and lines starting with ``#`` are skipped.
    """
    file = Path(path)
    name = file.name
    _check_fraction(name, test_fraction)
    if not file.is_file():
        raise DataError(f"{name}: no such file")
    try:
        limits.check_file_size(
            file.stat().st_size, limits.MAX_CSV_BYTES, lambda text: DataError(f"{name}: {text}")
        )
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"{name}: not a text file (cannot decode it as UTF-8)") from error
    except OSError as error:
        raise DataError(f"{name}: cannot read ({error.strerror})") from error
    lines = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise DataError(f"{name}: the file is empty")
    delimiter = ";" if ";" in lines[0][1] and "," not in lines[0][1] else ","
    header = [cell.strip() for cell in lines[0][1].split(delimiter)]
    if label_column not in header:
        raise DataError(
            f"{name}: no column named '{label_column}' (the header has: {', '.join(header)})"
        )
    label_at = header.index(label_column)
    if len(header) < 2:
        raise DataError(f"{name}: no signal columns besides '{label_column}'")
    rows, labels = [], []
    for number, line in lines[1:]:
        cells = [cell.strip() for cell in line.split(delimiter)]
        if len(cells) != len(header):
            raise DataError(
                f"{name} line {number}: {len(cells)} values, but the header has {len(header)}"
            )
        if not cells[label_at]:
            raise DataError(f"{name} line {number}: the label is missing")
        labels.append(cells[label_at])
        rows.append(
            [_number(name, number, c, cell) for c, cell in enumerate(cells) if c != label_at]
        )
    if not rows:
        raise DataError(f"{name}: has a header but no signals")
    names = sorted(set(labels), key=_label_order(labels))
    if len(names) < 2:
        raise DataError(f"{name}: only one class ('{names[0]}'); a classifier needs at least two")
    index = {label: i for i, label in enumerate(names)}
    x = np.asarray(rows, dtype=np.float32)[:, None, :]
    y = np.array([index[label] for label in labels], dtype=np.int64)
    return _split(x, y, tuple(names), name, seed, test_fraction)


def _number(name: str, line: int, column: int, cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        what = "the value is missing" if cell == "" else f"'{cell}' is not a number"
        raise DataError(f"{name} line {line}, column {column + 1}: {what}") from None
    if math.isnan(value):
        raise DataError(f"{name} line {line}: NaN is not allowed")
    if math.isinf(value):
        raise DataError(f"{name} line {line}: an infinite value is not allowed")
    return value


def _label_order(labels: list[str]):
    def is_int(text: str) -> bool:
        try:
            int(text)
        except ValueError:
            return False
        return True

    if all(is_int(label) for label in labels):
        return int
    return str


def _check_fraction(name: str, fraction: float) -> None:
    if not 0.0 <= fraction < 1.0:
        raise DataError(f"{name}: the test fraction must be at least 0 and below 1")


def _target_size(name: str, size) -> tuple[int, int] | None:
    if size is None:
        return None
    hw = (size, size) if isinstance(size, int | np.integer) else tuple(size)
    if len(hw) != 2 or not all(
        isinstance(s, int | np.integer) and not isinstance(s, bool) and 1 <= s <= 4096 for s in hw
    ):
        raise DataError(f"{name}: the image size must be a whole number or (height, width)")
    return int(hw[0]), int(hw[1])


def _hw(shape) -> str:
    return f"{shape[1]} x {shape[0]}"  # width x height, as image viewers say it


def _resize(array: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    if array.shape[1:] == hw:
        return array
    channels = [
        np.asarray(Image.fromarray(ch).resize((hw[1], hw[0]), Image.Resampling.LANCZOS))
        for ch in array
    ]
    return np.clip(np.stack(channels), 0.0, 1.0).astype(np.float32)


def _split(x, y, class_names, name, seed, test_fraction) -> Dataset:
    train, test = split_indices(y, test_fraction, seed)
    return Dataset(
        x_train=np.ascontiguousarray(x[train], dtype=np.float32),
        y_train=y[train],
        x_test=np.ascontiguousarray(x[test], dtype=np.float32),
        y_test=y[test],
        class_names=class_names,
        input_shape=tuple(x.shape[1:]),
        name=name,
    )
