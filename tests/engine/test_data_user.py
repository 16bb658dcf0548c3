"""engine.data.user: image folders and signal CSVs, their splits and every bad case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.data import load_dataset, split_indices
from engine.data.user import load_image_folder, load_signal_csv
from engine.errors import DataError


def _save(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def _folder(root: Path, n: int = 5, size=(6, 8)) -> Path:
    for k, cls in enumerate(("cats", "dogs")):
        for i in range(n):
            _save(root / cls / f"{i}.png", np.full(size, 40 * k + i, np.uint8))
    return root


def test_image_folder_classes_values_and_split(tmp_path):
    data = load_image_folder(_folder(tmp_path / "pets"))
    assert data.class_names == ("cats", "dogs") and data.input_shape == (1, 6, 8)
    assert len(data.y_train) == 8 and len(data.y_test) == 2
    assert sorted(data.y_test.tolist()) == [0, 1]  # stratified: one of each
    values = np.concatenate([data.x_train, data.x_test])[:, 0, 0, 0] * 255
    labels = np.concatenate([data.y_train, data.y_test])
    np.testing.assert_allclose(np.sort(values[labels == 1]), [40, 41, 42, 43, 44], atol=1e-4)
    again = load_image_folder(tmp_path / "pets")
    np.testing.assert_array_equal(again.x_test, data.x_test)  # deterministic
    assert load_dataset(tmp_path / "pets").class_names == ("cats", "dogs")


def test_image_folder_mixed_colour_becomes_rgb_and_notes_are_ignored(tmp_path):
    root = _folder(tmp_path / "mix", n=2)
    _save(root / "dogs" / "colour.png", np.full((6, 8, 3), (255, 0, 0), np.uint8))
    (root / "dogs" / "readme.txt").write_text("not an image")
    data = load_image_folder(root)
    assert data.input_shape == (3, 6, 8)
    x = np.concatenate([data.x_train, data.x_test])
    assert any(np.array_equal(s[:, 0, 0], [1, 0, 0]) for s in x)
    gray = [s for s in x if np.allclose(s[:, 0, 0], 1 / 255)]
    assert gray and np.array_equal(gray[0][0], gray[0][2])  # gray repeated over channels


def test_mixed_sizes_name_the_odd_file_unless_a_size_is_given(tmp_path):
    root = _folder(tmp_path / "set", n=3)
    _save(root / "dogs" / "big.png", np.zeros((12, 20), np.uint8))
    with pytest.raises(DataError, match=r"^set/dogs/big\.png: 20 x 12 pixels, but 0\.png is 8 x 6"):
        load_image_folder(root)
    data = load_image_folder(root, size=(10, 10))
    assert data.input_shape == (1, 10, 10)


def test_bad_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"^empty: the folder is empty$"):
        load_image_folder(tmp_path / "empty")
    _save(tmp_path / "flat" / "a.png", np.zeros((2, 2), np.uint8))
    with pytest.raises(DataError, match=r"^flat: no class subfolders"):
        load_image_folder(tmp_path / "flat")
    _save(tmp_path / "one" / "cats" / "a.png", np.zeros((2, 2), np.uint8))
    with pytest.raises(DataError, match=r"^one: only one class \('cats'\)"):
        load_image_folder(tmp_path / "one")
    root = _folder(tmp_path / "broken", n=2)
    (root / "cats" / "bad.png").write_text("text, not pixels")
    with pytest.raises(DataError, match=r"^broken/cats/bad\.png: not an image file"):
        load_image_folder(root)
    root = _folder(tmp_path / "hollow", n=2)
    (root / "birds").mkdir()
    with pytest.raises(DataError, match=r"^hollow/birds: no images"):
        load_image_folder(root)
    with pytest.raises(DataError, match=r"^nowhere\.bin: no such file or folder"):
        load_dataset(tmp_path / "nowhere.bin")


CSV = "label,t0,t1,t2\n" + "".join(
    f"{cls},{i},{i + 1},{i + 2}\n" for i in range(10) for cls in ("up", "down")
)


def test_signal_csv(tmp_path):
    path = tmp_path / "signals.csv"
    path.write_text(CSV)
    data = load_signal_csv(path)
    assert data.class_names == ("down", "up") and data.input_shape == (1, 3)
    assert data.x_train.shape == (16, 1, 3) and data.x_test.shape == (4, 1, 3)
    x = np.concatenate([data.x_train, data.x_test])[:, 0]
    np.testing.assert_array_equal(x[:, 1] - x[:, 0], 1)
    assert load_dataset(path).class_names == ("down", "up")


def test_signal_csv_numeric_labels_sort_numerically(tmp_path):
    rows = "".join(f"{v},{lab}\n" for lab in (10, 2, 1) for v in range(3))
    (tmp_path / "n.csv").write_text("x,digit\n" + rows)
    data = load_signal_csv(tmp_path / "n.csv", label_column="digit")
    assert data.class_names == ("1", "2", "10")


@pytest.mark.parametrize(
    "text, message",
    [
        ("a,b\n1,2\n", r"^s\.csv: no column named 'label' \(the header has: a, b\)$"),
        ("label,a\nx,1\ny,2\nx,abc\n", r"^s\.csv line 4, column 2: 'abc' is not a number$"),
        ("label,a,b\nx,1,2\ny,2\n", r"^s\.csv line 3: 2 values, but the header has 3$"),
        ("label,a\nx,1\nx,2\n", r"^s\.csv: only one class \('x'\)"),
        ("label,a\nx,1\ny,nan\n", r"^s\.csv line 3: NaN is not allowed$"),
        ("label,a\nx,1\n,2\n", r"^s\.csv line 3: the label is missing$"),
        ("label,a\n", r"^s\.csv: has a header but no signals$"),
        ("", r"^s\.csv: the file is empty$"),
    ],
)
def test_bad_signal_csv(tmp_path, text, message):
    (tmp_path / "s.csv").write_text(text)
    with pytest.raises(DataError, match=message):
        load_signal_csv(tmp_path / "s.csv")


def test_split_is_seeded_stratified_and_complete():
    labels = np.repeat([0, 1, 2], [10, 5, 2])
    train, test = split_indices(labels, 0.2, seed=0)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(17))
    assert np.bincount(labels[test]).tolist() == [2, 1, 1]
    again = split_indices(labels, 0.2, seed=0)
    np.testing.assert_array_equal(again[1], test)
    assert not np.array_equal(split_indices(labels, 0.2, seed=1)[1], test)


def test_unknown_dataset_name():
    with pytest.raises(DataError, match="no such data set"):
        load_dataset("imagenet")
