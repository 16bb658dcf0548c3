"""Every size limit of ConvScope's readers, in one place, and the bounded readers that use them.

A hostile or damaged file must never make ConvScope allocate what it cannot hold: each reader
checks the size a file *declares* (an npy header's shape, a safetensors header, a WAV frame
count, a CSV's rows x columns, an image's dimensions, a zip member's size) against these
limits before it allocates, and zip members are inflated through :func:`read_zip_member`,
which stops as soon as more comes out than the directory promised or the cap allows.

Limits (all refusals are :class:`~engine.errors.EngineError` with a short message):

======================  =================  ===============================================
name                    value              what it bounds
======================  =================  ===============================================
MAX_FILE_BYTES          1 GiB              any file read whole (input, weights, workspace)
MAX_ARRAY_VALUES        2**26 (67 M)       values in one array from a file (256 MiB f32)
MAX_CSV_BYTES           64 MiB             a CSV input or data set file
MAX_CSV_VALUES          2**21 (2.1 M)      rows x columns of a CSV input
MAX_MEMBER_BYTES        1 GiB              one inflated zip member (npz array, workspace)
MAX_JSON_BYTES          64 MiB             a JSON document (network file, workspace.json)
MAX_RATIO               200                inflated / compressed size of a zip member over
                                           RATIO_FLOOR bytes (deflate of real data: < 20)
MAX_HEADER_BYTES        16 MiB             an npy or safetensors header
MAX_MESSAGE_CHARS       400                an error message (longer ones are cut)
MAX_OP_INT              2**20              a stride, padding, dilation or factor of an op
MAX_OP_VALUES           2**26              an array one op call makes (output, padded input)
======================  =================  ===============================================
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
import zlib
from collections.abc import Callable

import numpy as np

from .errors import MAX_MESSAGE_CHARS, EngineError, short  # noqa: F401 - the one message cap, re-exported

MAX_FILE_BYTES = 1 << 30
MAX_ARRAY_VALUES = 1 << 26
MAX_CSV_BYTES = 64 << 20
MAX_CSV_VALUES = 1 << 21
MAX_MEMBER_BYTES = 1 << 30
MAX_JSON_BYTES = 64 << 20
MAX_RATIO = 200
RATIO_FLOOR = 1 << 20
MAX_HEADER_BYTES = 16 << 20
MAX_OP_INT = 1 << 20
MAX_OP_VALUES = 1 << 26  # an array one op call makes (output, padded input)
FLOAT32_MAX = float(np.finfo(np.float32).max)

_CHUNK = 1 << 20


class Cancelled(Exception):  # noqa: N818 - a person's choice, not an error
    """A load stopped because the person pressed Cancel; nothing was changed.

    Deliberately not an :class:`EngineError` (nor a ``ValueError``): no reader's handler for
    damaged files may turn a Cancel into a "damaged file" message.
    """


class Watch:
    """Cancel and progress of one long read, checked between chunks.

    ``cancelled()`` is asked at every :meth:`check`; when it says True, :class:`Cancelled`
    is raised there. ``progress(fraction)`` hears how far the read is (0..1) at most every
    1 % of the way. :meth:`part` gives a watch whose 0..1 maps to a part of this one's.
    """

    def __init__(
        self,
        cancelled: Callable[[], bool] | None = None,
        progress: Callable[[float], None] | None = None,
        lo: float = 0.0,
        hi: float = 1.0,
    ):
        self.cancelled = cancelled
        self.progress = progress
        self.lo, self.hi = lo, hi
        self._last = -1.0

    def check(self, fraction: float | None = None) -> None:
        if self.cancelled is not None and self.cancelled():
            raise Cancelled("cancelled")
        if self.progress is not None and fraction is not None:
            value = self.lo + (self.hi - self.lo) * min(1.0, max(0.0, fraction))
            if value - self._last >= 0.01 or value >= self.hi:
                self._last = value
                self.progress(value)

    def part(self, lo: float, hi: float) -> Watch:
        span = self.hi - self.lo
        return Watch(self.cancelled, self.progress, self.lo + span * lo, self.lo + span * hi)


NO_WATCH = Watch()

READ_CHUNK = 4 << 20  # bytes read between two checks of a Watch


def read_file(path, fail: Callable[[str], Exception], watch: Watch = NO_WATCH) -> bytes:
    """A whole file's bytes, read in :data:`READ_CHUNK` pieces with ``watch`` checked
    between them (the caller has checked the file's size against its limit)."""
    try:
        with open(path, "rb") as handle:
            size = max(1, _file_size(handle))
            out = bytearray()
            watch.check(0.0)
            while True:
                chunk = handle.read(READ_CHUNK)
                if not chunk:
                    break
                out += chunk
                watch.check(len(out) / size)
    except OSError as error:
        raise fail(f"cannot read ({error.strerror or error})") from None
    return bytes(out)


def _file_size(handle) -> int:
    import os

    return os.fstat(handle.fileno()).st_size


def check_count(count: int, limit: int, what: str, fail: Callable[[str], Exception]) -> None:
    """Raise ``fail(message)`` when ``count`` (declared, not yet allocated) exceeds ``limit``."""
    if count > limit:
        raise fail(f"{what} declares {count:,} values; at most {limit:,} can be loaded")


def check_file_size(size: int, limit: int, fail: Callable[[str], Exception]) -> None:
    if size > limit:
        raise fail(f"the file is {size:,} bytes; at most {limit:,} can be loaded")


def finite_float32(values: np.ndarray, what: str, fail: Callable[[str], Exception]) -> None:
    """Refuse values that are NaN/inf or would overflow float32 (checked before the cast)."""
    if values.dtype.kind != "f":
        if values.dtype.kind in "iu" and values.size and np.abs(values).max() > FLOAT32_MAX:
            raise fail(f"{what}: a value is beyond float32's range (about 3.4e38)")
        return
    finite = np.isfinite(values)
    if not finite.all():
        bad = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise fail(f"{what}: NaN or infinite value at index {bad}")
    if values.dtype.itemsize > 4 and values.size and np.abs(values).max() > FLOAT32_MAX:
        bad = tuple(int(i) for i in np.argwhere(np.abs(values) > FLOAT32_MAX)[0])
        raise fail(f"{what}: the value at index {bad} is beyond float32's range (about 3.4e38)")


# --------------------------------------------------------------------------- npy


def npy_header(
    data: bytes, fail: Callable[[str], Exception], *, complete: bool = True
) -> tuple[tuple, np.dtype, int]:
    """(shape, dtype, offset of the data) of the npy file in ``data``, checked against the
    limits and (when ``data`` is the ``complete`` file) against the bytes actually present,
    before anything is allocated."""
    buffer = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(buffer)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(buffer)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(buffer)
        else:
            raise ValueError(f"npy version {version} is not known")
    except (ValueError, EOFError, OSError, SyntaxError, TypeError, struct.error) as error:
        raise fail(f"not a valid NPY file ({short(str(error), 120)})") from None
    if dtype.hasobject:
        raise fail("holds Python objects, which are never loaded")
    count = math.prod(shape)
    check_count(count, MAX_ARRAY_VALUES, f"the array {short(str(tuple(shape)), 80)}", fail)
    offset = buffer.tell()
    have = len(data) - offset
    need = count * dtype.itemsize
    if complete and have < need:
        raise fail(
            f"truncated: the header declares {need:,} bytes of values, the file has {have:,}"
        )
    return tuple(shape), dtype, offset


def load_npy_bytes(data: bytes, fail: Callable[[str], Exception]) -> np.ndarray:
    """An npy array from ``data`` (header checked first; never pickle)."""
    npy_header(data, fail)
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except MemoryError:
        raise fail("too large to load (out of memory)") from None
    except (ValueError, OSError, EOFError) as error:
        raise fail(f"not a valid NPY file ({short(str(error), 120)})") from None


# --------------------------------------------------------------------------- safetensors


def check_safetensors(data: bytes, fail: Callable[[str], Exception]) -> None:
    """Check a safetensors file's header (size, every tensor's count and offsets) first."""
    import json

    if len(data) < 8:
        raise fail("not a safetensors file (shorter than its 8-byte header length)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER_BYTES or n > len(data) - 8:
        raise fail(f"the header declares {n:,} bytes; the file has {len(data) - 8:,}")
    try:
        header = json.loads(data[8 : 8 + n])
    except (ValueError, RecursionError):
        raise fail("not a safetensors file (its header is not JSON)") from None
    if not isinstance(header, dict):
        raise fail("not a safetensors file (its header is not an object)")
    body = len(data) - 8 - n
    total = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict):
            raise fail(f"tensor {short(repr(name), 60)}: header entry is not an object")
        shape = entry.get("shape")
        if not isinstance(shape, list) or not all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape
        ):
            raise fail(f"tensor {short(repr(name), 60)}: shape is not a list of sizes")
        count = math.prod(shape)
        check_count(count, MAX_ARRAY_VALUES, f"tensor {short(repr(name), 60)}", fail)
        total += count
        offsets = entry.get("data_offsets")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) and 0 <= o <= body for o in offsets)
        ):
            raise fail(f"tensor {short(repr(name), 60)}: data offsets outside the file")
    check_count(total, 4 * MAX_ARRAY_VALUES, "the file", fail)


# --------------------------------------------------------------------------- zip members


def read_zip_member(
    archive: zipfile.ZipFile,
    name: str,
    fail: Callable[[str], Exception],
    limit: int = MAX_MEMBER_BYTES,
    watch: Watch = NO_WATCH,
) -> bytes:
    """A zip member's bytes, bounded three ways: the size the directory declares must be
    within ``limit`` and within :data:`MAX_RATIO` of the compressed size, and inflating stops
    as soon as more bytes come out than declared (the directory can lie)."""
    info = archive.getinfo(name)
    declared = info.file_size
    if declared > limit:
        raise fail(f"{name} declares {declared:,} bytes; at most {limit:,} can be loaded")
    if declared > RATIO_FLOOR and declared > MAX_RATIO * max(info.compress_size, 1):
        raise fail(
            f"{name} inflates {declared // max(info.compress_size, 1):,}-fold "
            f"({info.compress_size:,} -> {declared:,} bytes); at most {MAX_RATIO}-fold is accepted"
        )
    out = bytearray()
    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                out += chunk
                watch.check(len(out) / max(declared, 1))
                if len(out) > declared:
                    raise fail(f"{name} inflates to more than the {declared:,} bytes it declares")
    except EngineError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        ValueError,
        OSError,
        NotImplementedError,
        RuntimeError,
    ) as error:
        raise fail(f"{name} cannot be read ({short(str(error), 120)})") from None
    return bytes(out)
