"""Files: networks as versioned JSON, weights as npz / safetensors, atomic writes.

A network file is ``{"format": "convscope.network", "version": 1, "network": {...}}`` with
the network as :meth:`NetworkSpec.to_dict` writes it. Reading checks every key and type and
names the place of a problem inside the file, e.g.
``network.layers[2].params.kernel_size: expected an integer, got 'three'``; values of the
right type but out of range (a negative kernel) load, and analysis reports them at the layer.

Weights files hold one array per ``"<layer name>.weight"`` / ``"<layer name>.bias"``
(layer names may contain dots: the key splits at the last one). npz is read with
``allow_pickle=False``; nothing here ever loads pickle.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from . import limits
from .errors import EngineError, FileFormatError
from .graph import MAX_SIZE
from .network import Weights
from .spec import LAYER_TYPES, LayerSpec, NetworkSpec, ParamSpec

FORMAT = "convscope.network"
VERSION = 1
WEIGHT_KEYS = ("weight", "bias")


# --------------------------------------------------------------------------- atomic writes


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temp file in the same directory, fsync,
    ``os.replace``. If anything fails the old file (if any) is untouched."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        mode = 0o644
    if not os.path.isdir(directory):
        # (mkstemp's error would name a temporary file the user never asked for)
        raise FileNotFoundError(2, "no such folder", directory)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable; not possible everywhere
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """:func:`atomic_write_bytes` of UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


# --------------------------------------------------------------------------- networks


def network_to_json(spec: NetworkSpec) -> str:
    """The network as a versioned JSON document (indented, stable key order)."""
    doc = {"format": FORMAT, "version": VERSION, "network": spec.to_dict()}
    return json.dumps(doc, indent=2, default=_jsonable) + "\n"


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"cannot store {value!r} in a network file")


class _Reader:
    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, message: str) -> FileFormatError:
        prefix = f"{self.source}: " if self.source else ""
        return FileFormatError(f"{prefix}{where}: {message}" if where else f"{prefix}{message}")

    def object(self, value: Any, where: str, required: tuple, optional: tuple = ()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, got {_show(value)}")
        for key in value:
            if key not in required and key not in optional:
                known = ", ".join(required + optional)
                raise self.fail(where, f"unknown key {key!r} (expected: {known})")
        for key in required:
            if key not in value:
                raise self.fail(where, f"missing key {key!r}")
        return value


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def network_from_json(text: str | bytes, source: str = "<string>") -> NetworkSpec:
    """The network in a JSON document; FileFormatError naming the place of any problem."""
    r = _Reader(source)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise r.fail("", f"not a text file ({error.reason} at byte {error.start})") from None
    if not isinstance(text, str):
        raise r.fail("", f"expected JSON text, got {type(text).__name__}")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as error:
        raise r.fail(
            "", f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise r.fail("", "not a network file: nested too deeply") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise r.fail(
            "",
            f'not a ConvScope network file (expected "format": "{FORMAT}"'
            + (f", found {_show(found)})" if found is not None else ")"),
        )
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise r.fail("version", f"expected a whole number >= 1, got {_show(version)}")
    if version > VERSION:
        raise r.fail(
            "version",
            f"the file is version {version}, made by a newer ConvScope; "
            f"this one reads version {VERSION}",
        )
    r.object(doc, "", ("format", "version", "network"))
    net = r.object(doc["network"], "network", ("input_shape", "layers"), ("name", "description"))
    name = net.get("name", "")
    description = net.get("description", "")
    for key, value in (("name", name), ("description", description)):
        if not isinstance(value, str):
            raise r.fail(f"network.{key}", f"expected a string, got {_show(value)}")
    shape = net["input_shape"]
    if (
        not isinstance(shape, list)
        or not 1 <= len(shape) <= 3
        or not all(_is_int(v) and 1 <= v <= MAX_SIZE for v in shape)
    ):
        raise r.fail(
            "network.input_shape",
            f"expected 1 to 3 whole numbers from 1 to {MAX_SIZE}, got {_show(shape)}",
        )
    layers = net["layers"]
    if not isinstance(layers, list):
        raise r.fail("network.layers", f"expected a list, got {_show(layers)}")
    specs = [_layer(r, item, f"network.layers[{i}]") for i, item in enumerate(layers)]
    return NetworkSpec(tuple(specs), tuple(shape), name=name, description=description)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _layer(r: _Reader, item: Any, where: str) -> LayerSpec:
    r.object(item, where, ("name", "type"), ("params", "inputs"))
    name, kind = item["name"], item["type"]
    if not isinstance(name, str):
        raise r.fail(f"{where}.name", f"expected a string, got {_show(name)}")
    if not isinstance(kind, str) or kind not in LAYER_TYPES:
        raise r.fail(
            f"{where}.type", f"unknown layer type {_show(kind)} (known: {', '.join(LAYER_TYPES)})"
        )
    params = item.get("params", {})
    if not isinstance(params, dict):
        raise r.fail(f"{where}.params", f"expected an object, got {_show(params)}")
    declared = LAYER_TYPES[kind].params
    checked = {}
    for key, value in params.items():
        if key not in declared:
            raise r.fail(
                f"{where}.params",
                f"a {kind} layer has no parameter {key!r} "
                f"(it takes: {', '.join(declared) or 'none'})",
            )
        checked[key] = _param(r, value, declared[key], f"{where}.params.{key}")
    inputs = item.get("inputs", [])
    if not isinstance(inputs, list) or not all(isinstance(v, str) for v in inputs):
        raise r.fail(f"{where}.inputs", f"expected a list of layer names, got {_show(inputs)}")
    return LayerSpec(name, kind, checked, tuple(inputs))


def _param(r: _Reader, value: Any, ps: ParamSpec, where: str) -> Any:
    kind = ps.kind

    def size(v):
        if _is_int(v):
            return v
        if isinstance(v, list) and 1 <= len(v) <= 2 and all(_is_int(e) for e in v):
            return tuple(v)
        raise r.fail(where, f"expected an integer or a list of 1 or 2 integers, got {_show(v)}")

    if kind == "int":
        if not _is_int(value):
            raise r.fail(where, f"expected an integer, got {_show(value)}")
        return value
    if kind == "size":
        return size(value)
    if kind == "optional_size":
        return None if value is None else size(value)
    if kind == "padding":
        if value in ("same", "valid"):
            return value
        if isinstance(value, str):
            raise r.fail(where, f"expected an integer, 'same' or 'valid', got {_show(value)}")
        return size(value)
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise r.fail(where, f"expected a number, got {_show(value)}")
        if not math.isfinite(value):
            raise r.fail(where, f"expected a finite number, got {value}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise r.fail(where, f"expected true or false, got {_show(value)}")
        return value
    if kind == "choice":
        if value not in ps.choices:
            raise r.fail(where, f"expected one of {', '.join(ps.choices)}, got {_show(value)}")
        return value
    if kind == "layer":
        if not isinstance(value, str):
            raise r.fail(where, f"expected a layer name, got {_show(value)}")
        return value
    raise r.fail(where, f"unknown parameter kind {kind!r}")


def save_network(path: str | os.PathLike, spec: NetworkSpec) -> None:
    atomic_write_text(path, network_to_json(spec))


def load_network(path: str | os.PathLike) -> NetworkSpec:
    """Read a network file; FileFormatError (naming the file) if it cannot be used."""
    path = os.fspath(path)
    data = _read_capped(path, limits.MAX_JSON_BYTES)
    return network_from_json(data, source=path)


def _read_capped(path: str, limit: int) -> bytes:
    """The file's bytes; FileFormatError when it is larger than ``limit`` (checked first)."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            limits.check_file_size(size, limit, lambda text: FileFormatError(f"{path}: {text}"))
            return f.read(size + 1)  # bounded by the checked size (read(n) allocates n)
    except OSError as error:
        raise FileFormatError(f"{path}: cannot read the file ({error.strerror})") from None


# --------------------------------------------------------------------------- weights


def _kind(path: str) -> str:
    lower = path.lower()
    if lower.endswith(".npz"):
        return "npz"
    if lower.endswith(".safetensors"):
        return "safetensors"
    raise FileFormatError(f"{path}: weights files end in .npz or .safetensors")


def flatten_weights(weights: Weights) -> dict[str, np.ndarray]:
    """``{"<layer>.weight": array, ...}`` as float32 C-contiguous arrays (checked)."""
    if not isinstance(weights, dict):
        raise FileFormatError(
            f"weights must be a dict of layer name -> arrays; got {_show(weights)}"
        )
    flat = {}
    for name, arrays in weights.items():
        if not isinstance(name, str) or not isinstance(arrays, dict):
            raise FileFormatError(f"weights[{name!r}]: expected a dict of arrays")
        for key, a in arrays.items():
            if key not in WEIGHT_KEYS:
                raise FileFormatError(
                    f"weights[{name!r}]: unknown array {key!r} (expected weight or bias)"
                )
            a = np.asarray(a)
            if a.dtype.kind not in "fiu":
                raise FileFormatError(f"weights[{name!r}][{key!r}] has dtype {a.dtype}")
            flat[f"{name}.{key}"] = np.ascontiguousarray(a, dtype=np.float32)
    return flat


def unflatten_weights(flat: dict[str, np.ndarray], source: str) -> Weights:
    out: Weights = {}
    for key, a in flat.items():
        name, dot, part = key.rpartition(".")
        if not dot or not name or part not in WEIGHT_KEYS:
            raise FileFormatError(
                f"{source}: array {key!r} is not '<layer>.weight' or '<layer>.bias'"
            )
        if a.dtype.kind != "f":
            raise FileFormatError(
                f"{source}: array {key!r} has dtype {a.dtype}; expected floating point"
            )
        limits.finite_float32(a, f"{source}: array {key!r}", FileFormatError)
        out.setdefault(name, {})[part] = np.ascontiguousarray(a, dtype=np.float32)
    return out


def weights_to_bytes(weights: Weights, kind: str = "safetensors") -> bytes:
    flat = flatten_weights(weights)
    if kind == "npz":
        buffer = io.BytesIO()
        np.savez(buffer, **flat)
        return buffer.getvalue()
    from safetensors.numpy import save

    return save(flat)


def weights_from_bytes(data: bytes, kind: str, source: str = "<bytes>") -> Weights:
    """Weights from file contents (``kind`` 'npz' or 'safetensors'); never loads pickle.

    Every declared size is checked against :mod:`engine.limits` before anything is allocated
    (npz members are inflated with a cap; safetensors headers are read first)."""
    try:
        return unflatten_weights(_flat_weights(data, kind, source), source)
    except MemoryError:
        raise FileFormatError(f"{source}: too large to load (out of memory)") from None


def _flat_weights(data: bytes, kind: str, source: str) -> dict[str, np.ndarray]:
    def fail(text: str) -> FileFormatError:
        return FileFormatError(f"{source}: {text}")

    try:
        if kind == "npz":
            flat = {}
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    raw = limits.read_zip_member(archive, member, fail)
                    key = member[:-4] if member.endswith(".npy") else member
                    flat[key] = limits.load_npy_bytes(raw, lambda t, m=member: fail(f"{m}: {t}"))
            return flat
        from safetensors.numpy import load

        limits.check_safetensors(data, fail)
        return load(data)
    except EngineError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise FileFormatError(f"{source}: not a readable {kind} weights file ({error})") from None
    except Exception as error:  # safetensors raises its own SafetensorError
        raise FileFormatError(f"{source}: not a readable {kind} weights file ({error})") from None


def save_weights(path: str | os.PathLike, weights: Weights) -> None:
    """Write weights as .npz or .safetensors (by the extension), atomically."""
    path = os.fspath(path)
    atomic_write_bytes(path, weights_to_bytes(weights, _kind(path)))


def load_weights(path: str | os.PathLike) -> Weights:
    """Read a .npz or .safetensors weights file (FileFormatError naming the file)."""
    path = os.fspath(path)
    kind = _kind(path)
    data = _read_capped(path, limits.MAX_FILE_BYTES)
    return weights_from_bytes(data, kind, path)
