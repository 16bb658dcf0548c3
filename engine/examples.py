"""Built-in example inputs, by name: signals (C, L) and images (C, H, W), float32.

1D examples have length 128 unless ``size`` says otherwise, except ``mnist1d-0`` ...
``mnist1d-9``: one MNIST-1D training signal of each digit, always length 40 (the data set's
length, which the book's network expects), from ``resources/signals/mnist1d_digits.npy``.
2D examples are 128 x 128 unless ``size`` (an int or (H, W)) says otherwise; the photographs
keep their stored size (longer side 256) unless ``size`` gives their longer side.
Signals lie in [-1, 1] (``noise`` is N(0, 0.5^2), seed 0); images in [0, 1].
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from .data.shapes import coverage, grid, signed_distance
from .errors import DataError

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
DEFAULT_LENGTH = 128
DEFAULT_SIDE = 128
MAX_SIZE = 4096
MNIST1D_LENGTH = 40

PHOTOS = {  # example name -> file in resources/images (licenses in resources/LICENSES.md)
    "cameraman": "cameraman.png",
    "cat": "cat.png",
    "coffee": "coffee.png",
    "astronaut": "astronaut.png",
}

EXAMPLES_1D: tuple[str, ...] = (
    "impulse",
    "step",
    "box",
    "ramp",
    "sine",
    "chirp",
    "noise",
) + tuple(f"mnist1d-{d}" for d in range(10))

EXAMPLES_2D: tuple[str, ...] = (
    "dot",
    "checkerboard",
    "edge",
    "gradient",
    "circle",
    "square",
    "triangle",
    "shapes",
    "digit-3",
    "digit-7",
) + tuple(PHOTOS)

# Strokes of hand-drawn digits: polylines in unit coordinates (x, y), y pointing down.
_DIGITS = {
    "3": [
        [
            (0.30, 0.24),
            (0.38, 0.16),
            (0.52, 0.13),
            (0.64, 0.17),
            (0.69, 0.27),
            (0.65, 0.38),
            (0.56, 0.45),
            (0.46, 0.48),
        ],
        [
            (0.46, 0.48),
            (0.60, 0.52),
            (0.70, 0.61),
            (0.71, 0.73),
            (0.63, 0.83),
            (0.49, 0.87),
            (0.36, 0.84),
            (0.28, 0.76),
        ],
    ],
    "7": [
        [(0.27, 0.20), (0.73, 0.17), (0.62, 0.37), (0.53, 0.58), (0.46, 0.86)],
        [(0.40, 0.52), (0.66, 0.50)],
    ],
}


def example_names(kind: str) -> tuple[str, ...]:
    """The example names for ``'1d'`` or ``'2d'``, in menu order."""
    if kind == "1d":
        return EXAMPLES_1D
    if kind == "2d":
        return EXAMPLES_2D
    raise DataError(f"example kind must be '1d' or '2d', not {kind!r}")


def example_kind(name: str) -> str:
    """``'1d'`` or ``'2d'`` for a known example name."""
    if name in EXAMPLES_1D:
        return "1d"
    if name in EXAMPLES_2D:
        return "2d"
    raise _unknown(name)


def make_example(name: str, size: int | tuple[int, int] | None = None) -> np.ndarray:
    """A new float32 C-contiguous array for the named example (see the module notes)."""
    kind = example_kind(name)
    if kind == "1d":
        if name.startswith("mnist1d-"):
            if size is not None and size != MNIST1D_LENGTH:
                raise DataError(
                    f"{name} has length {MNIST1D_LENGTH} (the MNIST-1D length); "
                    "leave the size unset"
                )
            return _mnist1d_digits()[int(name[-1])][None].copy()
        length = DEFAULT_LENGTH if size is None else _check_length(name, size)
        return np.ascontiguousarray(_signal(name, length)[None], dtype=np.float32)
    if name in PHOTOS:
        return _photo(name, None if size is None else _check_length(name, size))
    h, w = _check_side(name, size)
    image = _image(name, h, w)
    return np.ascontiguousarray(image[None], dtype=np.float32)


def _unknown(name: str) -> DataError:
    return DataError(
        f"there is no example named {name!r}; 1D: {', '.join(EXAMPLES_1D)}; "
        f"2D: {', '.join(EXAMPLES_2D)}"
    )


def _check_length(name: str, size) -> int:
    if (
        isinstance(size, bool)
        or not isinstance(size, int | np.integer)
        or not 1 <= size <= MAX_SIZE
    ):
        raise DataError(
            f"{name}: the size must be a whole number from 1 to {MAX_SIZE}, not {size!r}"
        )
    return int(size)


def _check_side(name: str, size) -> tuple[int, int]:
    if size is None:
        return DEFAULT_SIDE, DEFAULT_SIDE
    if isinstance(size, tuple | list):
        if len(size) != 2:
            raise DataError(f"{name}: an image size is one number or (height, width), not {size!r}")
        return _check_length(name, size[0]), _check_length(name, size[1])
    side = _check_length(name, size)
    return side, side


def _signal(name: str, n: int) -> np.ndarray:
    i = np.arange(n, dtype=np.float64)
    t = i / n
    if name == "impulse":
        return (i == n // 2).astype(np.float64)
    if name == "step":
        return (i >= n // 2).astype(np.float64)
    if name == "box":
        return (np.abs(i - n // 2 + 0.5) < n / 8).astype(np.float64)
    if name == "ramp":
        return np.linspace(-1.0, 1.0, n)
    if name == "sine":
        return np.sin(2 * np.pi * 4 * t)  # four periods
    if name == "chirp":
        # frequency rises linearly from 1 to n/8 cycles per signal length
        f0, f1 = 1.0, max(n / 8.0, 1.0)
        return np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t * t / 2))
    if name == "noise":
        return np.random.default_rng(0).normal(0.0, 0.5, n)
    raise _unknown(name)


def _image(name: str, h: int, w: int) -> np.ndarray:
    y, x = grid(h, w)
    side = min(h, w)
    cy, cx = h / 2, w / 2
    if name == "dot":
        return ((np.abs(y - 0.5 - h // 2) < 0.5) & (np.abs(x - 0.5 - w // 2) < 0.5)).astype(
            np.float32
        )
    if name == "checkerboard":
        cell = max(side // 8, 1)
        return (((y // cell) + (x // cell)) % 2).astype(np.float32)
    if name == "edge":
        return (x >= w / 2).astype(np.float32)
    if name == "gradient":
        return np.broadcast_to((x - 0.5) / max(w - 1, 1), (h, w)).astype(np.float32)
    kinds = {"circle": 0, "square": 1, "triangle": 2}
    if name in kinds:
        return coverage(signed_distance(kinds[name], y, x, cy, cx, 0.3 * side))
    if name == "shapes":
        r = 0.15 * side
        picture = np.zeros((h, w), np.float32)
        for kind, (py, px), level in (
            (0, (0.3, 0.3), 1.0),
            (1, (0.3, 0.72), 0.7),
            (2, (0.72, 0.5), 0.85),
        ):
            cover = coverage(signed_distance(kind, y, x, py * h, px * w, r))
            picture += cover * (level - picture)
        return picture
    if name.startswith("digit-"):
        return _digit(name[-1], y, x, h, w)
    raise _unknown(name)


def _digit(digit: str, y: np.ndarray, x: np.ndarray, h: int, w: int) -> np.ndarray:
    """Thick anti-aliased strokes: distance from each pixel to the nearest polyline segment."""
    half_width = 0.06 * min(h, w)
    nearest = np.full((h, w), np.inf, np.float32)
    for stroke in _DIGITS[digit]:
        points = np.asarray(stroke, np.float32) * np.array([w, h], np.float32)
        for (ax, ay), (bx, by) in zip(points[:-1], points[1:], strict=True):
            abx, aby = bx - ax, by - ay
            t = np.clip(((x - ax) * abx + (y - ay) * aby) / (abx * abx + aby * aby), 0.0, 1.0)
            d = np.hypot(x - (ax + t * abx), y - (ay + t * aby))
            np.minimum(nearest, d, out=nearest)
    return coverage(nearest - half_width)


@functools.cache
def _mnist1d_digits() -> np.ndarray:
    path = RESOURCES / "signals" / "mnist1d_digits.npy"
    try:
        digits = np.load(path, allow_pickle=False)
    except OSError:
        digits = None
    if digits is None or digits.shape != (10, MNIST1D_LENGTH):
        # Resources missing (e.g. an unusual install): generate them (about 1.2 s).
        from .data.mnist1d import load_mnist1d

        data = load_mnist1d()
        digits = np.stack(
            [data.x_train[int(np.flatnonzero(data.y_train == d)[0]), 0] for d in range(10)]
        )
    digits = np.ascontiguousarray(digits, dtype=np.float32)
    digits.setflags(write=False)
    return digits


@functools.cache
def _photo_full(name: str) -> np.ndarray:
    from .inputs import load_input

    array = load_input(RESOURCES / "images" / PHOTOS[name]).array
    array.setflags(write=False)
    return array


def _photo(name: str, longer_side: int | None) -> np.ndarray:
    photo = _photo_full(name)
    if longer_side is None or longer_side == max(photo.shape[1:]):
        return photo.copy()
    from PIL import Image

    _, h, w = photo.shape
    scale = longer_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    channels = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(ch, dtype=np.float32)).resize(
                size, Image.Resampling.LANCZOS
            )
        )
        for ch in photo
    ]
    return np.ascontiguousarray(np.clip(np.stack(channels), 0.0, 1.0), dtype=np.float32)
