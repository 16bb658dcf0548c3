"""Load and save network inputs: images (PNG, JPEG, BMP, TIFF) and signals (CSV, NPY, WAV).

An input is a float32 C-contiguous array: ``(C, L)`` for a 1D signal, ``(C, H, W)`` for a 2D
image. Images are scaled to [0, 1]; signals keep their values (WAV is scaled to [-1, 1]).
Every bad file raises :class:`~engine.errors.DataError` whose message starts with the file's
name; nothing is ever clamped or cut silently: a change is reported in ``LoadedInput.notice``.

Rules worth knowing
-------------------
- Images: grayscale (also palette images whose colours are all gray) -> 1 channel, anything
  else -> 3 channels (alpha dropped); 16-bit images are divided by 65535, float images are
  min-max scaled to [0, 1] (with a notice). An image whose longer side exceeds ``max_side`` is
  scaled down (Lanczos, which averages like an area filter when shrinking) to exactly that
  side. JPEGs are first decoded at a reduced size (``Image.draft``); any image whose decoded
  size would exceed :data:`MAX_IMAGE_PIXELS` is refused before decoding (no gigabytes).
- CSV: one column per channel, one row per sample; an optional header row (any cell that is
  not a number); without a header, a single row of several numbers is one channel written
  across. Blank lines and lines starting with ``#`` are skipped. Separator: comma, else
  semicolon, else tab, else whitespace.
- NPY: 1-D -> ``(1, L)``; 2-D -> ``(C, L)`` taking the shorter axis as channels (rows when
  square); 3-D -> an image ``(C, H, W)`` as stored. Object arrays are refused (no pickle).
- WAV: 8/16/24/32-bit PCM, channels -> channels, scaled to [-1, 1].
- Long signals (any source) are shortened to at most ``max_length`` samples by averaging
  blocks of ``ceil(L / max_length)`` samples (keeps the whole signal's shape), with a notice.
"""

from __future__ import annotations

import csv
import io
import math
import os
import warnings
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from . import limits
from .errors import DataError, short

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
SIGNAL_SUFFIXES = (".csv", ".txt", ".npy", ".wav")
IMAGE_FORMATS = ("PNG", "JPEG", "BMP", "TIFF")
MAX_IMAGE_PIXELS = 40_000_000  # decoded pixels we accept (an 8k x 5k photo); larger is refused
MAX_SIGNAL_LENGTH = 4096


@dataclass(frozen=True)
class LoadedInput:
    """A loaded input: the array, ``'1d'`` or ``'2d'``, what was changed (or None), the file."""

    array: np.ndarray
    kind: str
    notice: str | None
    source: Path


def load_input(
    path: str | os.PathLike,
    *,
    max_side: int = 512,
    max_length: int = MAX_SIGNAL_LENGTH,
    watch: limits.Watch | None = None,
) -> LoadedInput:
    """Load an image or a signal file as a network input (see the module notes for the rules).

    ``watch`` (:class:`engine.limits.Watch`): asked between chunks of reading and parsing
    (every 4 MiB read, every 64 KiB of an image decoded, every 16k CSV lines); a Cancel
    there raises :class:`engine.limits.Cancelled` within one chunk's time.
    """
    path = Path(path)
    if max_side < 1 or max_length < 1:
        raise DataError(f"{path.name}: max_side and max_length must be at least 1")
    try:
        return _load_input(path, max_side, max_length, watch or limits.NO_WATCH)
    except MemoryError:
        raise DataError(f"{path.name}: too large to load (out of memory)") from None


def _load_input(path: Path, max_side: int, max_length: int, watch: limits.Watch) -> LoadedInput:
    _check_readable(path)
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        array, notice = _load_image(path, max_side, watch)
    elif suffix in (".csv", ".txt"):
        array, notice = _shorten(path, _load_csv(path, watch), max_length)
    elif suffix == ".npy":
        array = _load_npy(path, watch)
        watch.check()
        if array.ndim == 3:
            array, notice = _resize_float_image(path, array, max_side)
        else:
            array, notice = _shorten(path, array, max_length)
    elif suffix == ".wav":
        array, notice = _shorten(path, _load_wav(path, watch), max_length)
    else:
        known = ", ".join(IMAGE_SUFFIXES + SIGNAL_SUFFIXES)
        raise DataError(f"{path.name}: unsupported file type '{path.suffix}' (use {known})")
    array = np.ascontiguousarray(array, dtype=np.float32)
    return LoadedInput(array, "2d" if array.ndim == 3 else "1d", notice, path)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """An image file as (C, H, W) float32 in [0, 1] at its full size (for data sets).

    Same rules and messages as :func:`load_input`, without scaling down.
    """
    path = Path(path)
    _check_readable(path)
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise DataError(f"{path.name}: not an image file name (use {', '.join(IMAGE_SUFFIXES)})")
    array, _ = _load_image(path, max_side=1 << 30)
    return np.ascontiguousarray(array, dtype=np.float32)


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise DataError(f"{path.name}: no such file")
    if path.is_dir():
        raise DataError(f"{path.name}: is a folder, not a file")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise DataError(f"{path.name}: cannot read ({error.strerror})") from error
    if size == 0:
        raise DataError(f"{path.name}: the file is empty")
    csv_like = path.suffix.lower() in (".csv", ".txt")
    limits.check_file_size(
        size,
        limits.MAX_CSV_BYTES if csv_like else limits.MAX_FILE_BYTES,
        lambda text: DataError(f"{path.name}: {text}"),
    )


def _read_bytes(path: Path, watch: limits.Watch = limits.NO_WATCH) -> bytes:
    return limits.read_file(path, lambda text: DataError(f"{path.name}: {text}"), watch)


class _WatchedFile(io.BufferedReader):
    """A file whose every read first asks a :class:`~engine.limits.Watch` (Pillow decodes
    between reads of 64 KiB, so a Cancel stops a decode within one block)."""

    def __init__(self, path: Path, watch: limits.Watch):
        super().__init__(io.FileIO(path, "rb"), 1 << 16)
        self._size = max(1, os.fstat(self.fileno()).st_size)
        self._watch = watch

    def read(self, size: int | None = -1) -> bytes:
        self._watch.check(self.tell() / self._size)
        return super().read(size)


# ----------------------------------------------------------------------------- images


def _load_image(
    path: Path, max_side: int, watch: limits.Watch = limits.NO_WATCH
) -> tuple[np.ndarray, str | None]:
    try:
        data = _WatchedFile(path, watch.part(0.0, 0.9))
    except OSError as error:
        raise DataError(f"{path.name}: cannot read ({error.strerror or error})") from None
    with data:
        return _decode_image(path, data, max_side, watch)


def _decode_image(
    path: Path, data, max_side: int, watch: limits.Watch
) -> tuple[np.ndarray, str | None]:
    """Open lazily (the header's size is checked first), decode, scale down."""
    name = path.name
    try:
        with warnings.catch_warnings():
            # We check the pixel count ourselves (lower limit, clear message).
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(data)
    except Image.DecompressionBombError as error:
        raise DataError(f"{name}: the image is far too large to load ({error})") from error
    except UnidentifiedImageError as error:
        raise DataError(f"{name}: not an image file (cannot identify its format)") from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise DataError(f"{name}: damaged image file ({error})") from error
    if img.format not in IMAGE_FORMATS:
        raise DataError(f"{name}: {img.format} images are not supported (use PNG, JPEG, BMP, TIFF)")
    original = img.size
    if img.format == "JPEG" and max(original) > max_side:
        # Decode at 1/2, 1/4 or 1/8 scale straight from the DCT: cheap for huge photos.
        scale = max_side / max(original)
        img.draft(
            "RGB" if img.mode not in ("L", "1") else "L",
            (math.ceil(original[0] * scale), math.ceil(original[1] * scale)),
        )
    w, h = img.size
    if w * h > MAX_IMAGE_PIXELS:
        raise DataError(
            f"{name}: {original[0]} x {original[1]} pixels is too large to load "
            f"(at most {MAX_IMAGE_PIXELS // 1_000_000} megapixels); scale it down first"
        )
    try:
        img = _standard_mode(img)
        if img.mode in ("L", "RGB"):
            # Resize 8-bit images natively: a float copy of a large photo would be huge.
            notice = None
            if max(w, h) > max_side:
                scale = max_side / max(w, h)
                size = (max(1, round(w * scale)), max(1, round(h * scale)))
                img.load()
                watch.check(0.9)
                img = img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
                notice = _scaled_notice(name, original, size)
            pixels = np.asarray(img, dtype=np.float32) / 255.0
            array = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
            return array, notice
        array, value_notice = _numeric_image(img)
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise DataError(f"{name}: damaged or truncated image file ({error})") from error
    watch.check(0.9)
    array, notice = _resize_float_image(path, array, max_side, original)
    notices = [n for n in (value_notice and f"{name}: {value_notice}", notice) if n]
    return array, "; ".join(notices) or None


def _standard_mode(img: Image.Image) -> Image.Image:
    """Gray 'L' or 'RGB' (alpha dropped, palette expanded), or a numeric 'I*'/'F' image."""
    mode = img.mode
    if mode == "P" or mode == "PA":
        rgb = img.convert("RGB")
        r, g, b = (np.asarray(band) for band in rgb.split())
        return rgb.convert("L") if np.array_equal(r, g) and np.array_equal(r, b) else rgb
    if mode in ("1", "L", "LA", "La"):
        return img.convert("L")
    if mode.startswith("I") or mode == "F":
        return img
    return img.convert("RGB")


def _numeric_image(img: Image.Image) -> tuple[np.ndarray, str | None]:
    """(1, H, W) float32 in [0, 1] from a 16/32-bit or float image, and a notice if rescaled."""
    values = np.asarray(img).astype(np.float32)
    if not np.isfinite(values).all():
        raise ValueError("the image holds NaN or infinite values")
    lo, hi = float(values.min()), float(values.max())
    if img.mode == "F":
        if lo >= 0.0 and hi <= 1.0:
            return values[None], None
        return _minmax(values, lo, hi), f"floating-point values {lo:g}..{hi:g} scaled to [0, 1]"
    if lo < 0 or hi > 65535:
        return _minmax(values, lo, hi), f"32-bit values {lo:g}..{hi:g} scaled to [0, 1]"
    return values[None] / 65535.0, None


def _minmax(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    scaled = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
    return scaled[None].astype(np.float32)


def _scaled_notice(name: str, original: tuple[int, int], size: tuple[int, int]) -> str:
    return f"{name}: scaled down from {original[0]} x {original[1]} to {size[0]} x {size[1]} pixels"


def _resize_float_image(
    path: Path, array: np.ndarray, max_side: int, original: tuple[int, int] | None = None
) -> tuple[np.ndarray, str | None]:
    """Scale a (C, H, W) array down so its longer side is ``max_side`` (Lanczos per channel)."""
    _, h, w = array.shape
    if max(h, w) <= max_side:
        return array, None
    scale = max_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    channels = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(ch, dtype=np.float32)).resize(
                size, Image.Resampling.LANCZOS, reducing_gap=3.0
            )
        )
        for ch in array
    ]
    out = np.stack(channels)
    # Lanczos rings slightly past the input's range at sharp edges; keep the input's range.
    np.clip(out, float(array.min()), float(array.max()), out=out)
    return out, _scaled_notice(path.name, original or (w, h), size)


# ----------------------------------------------------------------------------- signals


def _shorten(path: Path, signal: np.ndarray, max_length: int) -> tuple[np.ndarray, str | None]:
    length = signal.shape[-1]
    if length <= max_length:
        return signal, None
    factor = math.ceil(length / max_length)
    n = length // factor
    out = signal[:, : n * factor].reshape(signal.shape[0], n, factor).mean(axis=2)
    notice = f"{path.name}: {length} samples shortened to {n} by averaging every {factor} samples"
    return out, notice


def _parse_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _data_lines(text: str):
    return (
        line for line in io.StringIO(text) if line.strip() and not line.lstrip().startswith("#")
    )


def _check_csv_size(name: str, text: str) -> None:
    """Rows x columns against the limit before any line is split or stored (a cheap count of
    line ends first; only a file that might be too large is counted exactly)."""
    first = next(_data_lines(text), None)
    if first is None:
        return
    delimiter = next((d for d in (",", ";", "\t") if d in first), None)
    columns = first.count(delimiter) + 1 if delimiter else len(first.split())
    if (text.count("\n") + 1) * columns <= limits.MAX_CSV_VALUES:
        return
    rows = sum(1 for _ in _data_lines(text))
    limits.check_count(
        rows * columns,
        limits.MAX_CSV_VALUES,
        f"{rows:,} lines x {columns:,} columns",
        lambda message: DataError(f"{name}: {message}"),
    )


CSV_CHUNK_LINES = 16_384  # lines parsed between two checks of a Watch
CSV_SAMPLE_BYTES = 1 << 16  # the head of a CSV its size is estimated from


def _estimate_csv(path: Path) -> None:
    """Refuse a CSV whose head and size say it holds far more values than a CSV input may
    (more than twice :data:`engine.limits.MAX_CSV_VALUES`), before the file is read: a
    10-million-line file is refused in milliseconds. Closer cases get the exact count."""
    name = path.name
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(CSV_SAMPLE_BYTES)
    except OSError as error:
        raise DataError(f"{name}: cannot read ({error.strerror or error})") from None
    if size <= len(head):
        return  # the whole file: its exact count follows
    sample = head[: head.rfind(b"\n") + 1] or head
    all_lines = sample.decode("utf-8", errors="replace").splitlines()
    data = [line for line in all_lines if line.strip() and not line.lstrip().startswith("#")]
    if not data:
        return
    delimiter = next((d for d in (",", ";", "\t") if d in data[0]), None)
    columns = data[0].count(delimiter) + 1 if delimiter else len(data[0].split())
    lines = int(size * len(data) / len(sample))
    if lines * columns > 2 * limits.MAX_CSV_VALUES:
        raise DataError(
            f"{name}: about {lines:,} lines x {columns:,} columns (estimated from its "
            f"{size:,} bytes); at most {limits.MAX_CSV_VALUES:,} values can be loaded"
        )


def _load_csv(path: Path, watch: limits.Watch = limits.NO_WATCH) -> np.ndarray:
    name = path.name
    _estimate_csv(path)
    try:
        text = _read_bytes(path, watch.part(0.0, 0.2)).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"{name}: not a text file (cannot decode it as UTF-8)") from error
    _check_csv_size(name, text)
    raw = text.splitlines()
    del text
    parse = watch.part(0.2, 1.0)

    def data_lines(start: int) -> list[tuple[int, str]]:
        parse.check(start / len(raw))
        chunk = raw[start : start + CSV_CHUNK_LINES]
        return [
            (start + i + 1, line)
            for i, line in enumerate(chunk)
            if line.strip() and not line.lstrip().startswith("#")
        ]

    starts = iter(range(0, len(raw), CSV_CHUNK_LINES))
    lines: list[tuple[int, str]] = []
    for start in starts:  # up to the first chunk that holds a data line
        lines = data_lines(start)
        if lines:
            break
    if not lines:
        raise DataError(f"{name}: holds no numbers")
    first = lines[0][1]
    delimiter = next((d for d in (",", ";", "\t") if d in first), None)

    def split(chunk: list[str]) -> list[list[str]]:
        if delimiter is None:
            return [line.split() for line in chunk]
        return [[cell.strip() for cell in row] for row in csv.reader(chunk, delimiter=delimiter)]

    has_header = any(_parse_number(cell) is None for cell in split([first])[0])
    if has_header:
        lines = lines[1:]
        if not lines:
            lines = next((found for found in map(data_lines, starts) if found), [])
        if not lines:
            raise DataError(f"{name}: has a header row but no numbers")
    first_number = lines[0][0]
    width = len(split([lines[0][1]])[0])
    blocks = []
    while lines:
        blocks.append(_parse_chunk(name, lines, split, delimiter, width, first_number))
        lines = next((found for found in map(data_lines, starts) if found), [])
    parse.check(1.0)
    values = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    if len(values) == 1 and not has_header:
        return values  # one row written across: a single channel
    return values.T


def _parse_chunk(name, chunk, split, delimiter, width, first_number) -> np.ndarray:
    """A chunk of numbered data lines as (lines, width) float64: numpy's parse when every
    cell is a plain number, else cell by cell (the first bad cell raises its message)."""
    block = np.empty((len(chunk), width), dtype=np.float64)
    texts = [line for _, line in chunk]
    if delimiter is None and width == 1:  # one number per line: no split needed
        if _fast_rows([t.strip() for t in texts], width, block[:, 0]):
            return block
    rows = split(texts)
    if not _fast_rows(rows, width, block):
        _slow_rows(name, chunk, rows, width, first_number, block)
    return block


def _fast_rows(rows: list[list[str]], width: int, out: np.ndarray) -> bool:
    """Parse a chunk of well-formed rows at numpy's speed; False when any row needs the
    careful path (a ragged row, a word, NaN, inf, a value beyond float32)."""
    if isinstance(rows[0], list) and any(len(cells) != width for cells in rows):
        return False
    try:
        block = np.array(rows, dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        return False
    if block.shape != out.shape or not (np.abs(block) <= limits.FLOAT32_MAX).all():
        return False  # (NaN compares False: it goes the careful way too)
    out[...] = block
    return True


def _slow_rows(name, chunk, rows, width, first_number, out: np.ndarray) -> None:
    """Parse a chunk cell by cell: the first bad cell raises its exact message."""
    for r, ((number, _), cells) in enumerate(zip(chunk, rows, strict=True)):
        if len(cells) != width:
            raise DataError(
                f"{name} line {number}: {len(cells)} values, but line {first_number} has {width}"
            )
        for c, cell in enumerate(cells):
            where = f"{name} line {number}, column {c + 1}"
            if cell == "":
                raise DataError(f"{where}: the value is missing")
            value = _parse_number(cell)
            if value is None:
                raise DataError(f"{where}: '{short(cell, 40)}' is not a number")
            if math.isnan(value):
                raise DataError(f"{name} line {number}: NaN is not allowed")
            if math.isinf(value):
                raise DataError(f"{name} line {number}: an infinite value is not allowed")
            if abs(value) > limits.FLOAT32_MAX:
                raise DataError(f"{where}: {cell[:30]} is beyond float32's range (about 3.4e38)")
            out[r, c] = value


def _load_npy(path: Path, watch: limits.Watch = limits.NO_WATCH) -> np.ndarray:
    name = path.name
    _check_npy_head(path)
    data = _read_bytes(path, watch.part(0.0, 0.9))
    limits.npy_header(data, lambda text: DataError(f"{name}: {text}"))
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise DataError(f"{name}: holds Python objects, which are never loaded") from error
        raise DataError(f"{name}: not a valid NPY file ({error})") from error
    except (OSError, EOFError) as error:
        raise DataError(f"{name}: not a valid NPY file ({error})") from error
    if not isinstance(array, np.ndarray):
        raise DataError(f"{name}: not a single NPY array")
    if array.dtype.kind not in "biuf":
        raise DataError(f"{name}: holds {array.dtype} values; numbers are needed")
    if array.size == 0:
        raise DataError(f"{name}: the array is empty {tuple(array.shape)}")
    limits.finite_float32(array, name, DataError)
    if array.ndim == 1:
        return array[None].astype(np.float32)
    if array.ndim == 2:
        rows, cols = array.shape
        return (array if rows <= cols else array.T).astype(np.float32)
    if array.ndim == 3:
        return array.astype(np.float32)
    raise DataError(
        f"{name}: a {array.ndim}-D array {tuple(array.shape)}; "
        "expected 1-D or 2-D (a signal) or 3-D (C, H, W) (an image)"
    )


def _check_npy_head(path: Path) -> None:
    """The npy header's shape against the limits from the file's head, before the file is
    read (the header is at most 64 KiB in any npy that numpy writes)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 16)
    except OSError as error:
        raise DataError(f"{path.name}: cannot read ({error.strerror or error})") from None
    try:
        limits.npy_header(head, lambda text: DataError(f"{path.name}: {text}"), complete=False)
    except DataError as error:
        if len(head) < 1 << 16 or "not a valid NPY" not in str(error):
            raise
        # a header longer than the head: the whole file's read judges it


def _load_wav(path: Path, watch: limits.Watch = limits.NO_WATCH) -> np.ndarray:
    name = path.name
    try:
        with wave.open(io.BytesIO(_read_bytes(path, watch)), "rb") as reader:
            channels = reader.getnchannels()
            width = reader.getsampwidth()
            frames = reader.getnframes()
            limits.check_count(
                frames * channels,
                limits.MAX_ARRAY_VALUES,
                f"the WAV header ({frames:,} frames x {channels} channels)",
                lambda text: DataError(f"{name}: {text}"),
            )
            raw = reader.readframes(frames)
    except DataError:
        raise
    except wave.Error as error:
        raise DataError(f"{name}: not a PCM WAV file ({error})") from error
    except (EOFError, OSError, ValueError) as error:
        raise DataError(f"{name}: damaged WAV file ({error})") from error
    if frames == 0:
        raise DataError(f"{name}: the WAV file holds no samples")
    got = len(raw) // (width * channels)
    if got < frames:
        raise DataError(f"{name}: truncated: the header says {frames} samples, the file has {got}")
    if width == 1:
        samples = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        samples = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        samples = ints.astype(np.float32) / float(1 << 23)
    elif width == 4:
        samples = (np.frombuffer(raw, "<i4").astype(np.float64) / float(1 << 31)).astype(np.float32)
    else:
        raise DataError(f"{name}: {8 * width}-bit samples are not supported (8, 16, 24, 32)")
    return samples.reshape(frames, channels).T


# ----------------------------------------------------------------------------- saving


def save_input(path: str | os.PathLike, array: np.ndarray) -> None:
    """Save an input atomically: PNG for an image, CSV or NPY for a signal (NPY also images).

    PNG stores 8 bits per value: values are clipped to [0, 1] for the encoding only (the
    array is not changed); only 1 or 3 channels fit a PNG. CSV writes one column per channel
    under a ``channel_1, ...`` header, with 9 significant digits (float32 round-trips exactly).
    """
    path = Path(path)
    array = np.asarray(array)
    name = path.name
    if array.dtype.kind not in "biuf" or array.ndim not in (2, 3) or array.size == 0:
        raise DataError(
            f"{name}: an input is (C, L) or (C, H, W) numbers; got {array.dtype} "
            f"{tuple(array.shape)}"
        )
    if not np.isfinite(array).all():
        raise DataError(f"{name}: the input holds NaN or infinite values")
    suffix = path.suffix.lower()
    if suffix == ".png":
        if array.ndim != 3 or array.shape[0] not in (1, 3):
            raise DataError(
                f"{name}: a PNG holds an image with 1 or 3 channels; "
                f"this input is {tuple(array.shape)}"
            )
        pixels = np.round(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)
        img = (
            Image.fromarray(pixels[0])
            if pixels.shape[0] == 1
            else Image.fromarray(np.ascontiguousarray(pixels.transpose(1, 2, 0)))
        )
        buffer = io.BytesIO()
        img.save(buffer, format="PNG")
        data = buffer.getvalue()
    elif suffix == ".csv":
        if array.ndim != 2:
            raise DataError(
                f"{name}: a CSV holds a 1D signal (C, L); this input is {tuple(array.shape)}"
            )
        lines = [",".join(f"channel_{c + 1}" for c in range(array.shape[0]))]
        lines += [",".join(f"{float(v):.9g}" for v in column) for column in array.T]
        data = ("\n".join(lines) + "\n").encode()
    elif suffix == ".npy":
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)
        data = buffer.getvalue()
    else:
        raise DataError(f"{name}: save as .png (image), .csv (signal) or .npy (either)")
    _atomic_write_bytes(path, data)


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    """engine.serialize's atomic write (temp file in the same folder, then os.replace)."""
    from .serialize import atomic_write_bytes  # imported late: it pulls in the layer code

    try:
        atomic_write_bytes(path, data)
    except OSError as error:
        raise DataError(f"{path.name}: cannot write ({error.strerror or error})") from error
