"""Workspace files (``*.convscope``): the input, network, weights and view settings in one file.

A workspace file is a zip archive holding two members:

``workspace.json``
    ``{"format": "convscope.workspace", "version": 1, "network": <engine.serialize network
    JSON>, "view": {...}, "extras": {...}, "metadata": {...}, "arrays": {...}}``; ``arrays``
    says which tensor in ``arrays.safetensors`` is the input, which are weights, which extras.
    An optional ``"lesson": {"scenes": [...]}`` holds the lesson (:mod:`engine.lessons`):
    each scene's fields, its network and the names of its arrays (identical arrays stored
    once); files without it open with no lesson and older readers ignore it.
``arrays.safetensors``
    every array (safetensors: plain bytes and a JSON header, never pickle).

:func:`save_workspace` writes atomically (a temp file, then ``os.replace``);
:func:`load_workspace` raises :class:`~engine.errors.FileFormatError` naming the file and the
place inside it for anything that is damaged, from a newer version, or not ConvScope's.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from . import limits
from .errors import EngineError, FileFormatError
from .spec import NetworkSpec

FORMAT = "convscope.workspace"
VERSION = 1
JSON_MEMBER = "workspace.json"
ARRAYS_MEMBER = "arrays.safetensors"
SUFFIX = ".convscope"

_INPUT_KEY = "input"


@dataclass
class Workspace:
    """Everything a person works on, in memory.

    Attributes
    ----------
    input:
        float32 ``(C, L)`` or ``(C, H, W)``.
    spec:
        the network.
    weights:
        ``{layer name: {"weight": array, "bias": array}}`` (float32).
    view:
        view settings, any JSON-able dict (colormap, shared levels, ...).
    extras:
        JSON-able extras (e.g. training history); ``extra_arrays`` holds extra arrays by name.
    metadata:
        filled in on save (application, format version, time); read back on load.
    lesson:
        the lesson's scenes (:class:`engine.lessons.Scene`), in order; empty for none.
    """

    input: np.ndarray
    spec: NetworkSpec
    weights: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    view: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    extra_arrays: dict[str, np.ndarray] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    lesson: tuple = ()


# ----------------------------------------------------------------------------- saving


def workspace_to_bytes(workspace: Workspace) -> bytes:
    """The bytes of a workspace file (what :func:`save_workspace` writes)."""
    from safetensors.numpy import save as save_tensors

    from .serialize import network_to_json

    tensors: dict[str, np.ndarray] = {_INPUT_KEY: _c_float32(workspace.input, "the input")}
    weight_keys: dict[str, dict[str, str]] = {}
    for layer, params in workspace.weights.items():
        weight_keys[layer] = {}
        for key, array in params.items():
            tensor_name = f"weights/{layer}/{key}"
            tensors[tensor_name] = _c_float32(array, f"weights of '{layer}' ({key})")
            weight_keys[layer][key] = tensor_name
    extra_keys: dict[str, str] = {}
    for name, array in workspace.extra_arrays.items():
        tensor_name = f"extras/{name}"
        tensors[tensor_name] = np.ascontiguousarray(array)
        extra_keys[name] = tensor_name

    lesson = _lesson_to_json(workspace.lesson, tensors)
    network = network_to_json(workspace.spec)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "metadata": {
            **workspace.metadata,
            "application": "ConvScope",
            "saved": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        "network": json.loads(network) if isinstance(network, str) else network,
        "view": workspace.view,
        "extras": workspace.extras,
        "arrays": {"input": _INPUT_KEY, "weights": weight_keys, "extras": extra_keys},
    }
    if lesson is not None:
        document["lesson"] = lesson
    try:
        text = json.dumps(document, indent=1, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise FileFormatError(f"the view settings or extras cannot be saved: {error}") from None

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(JSON_MEMBER, text, compress_type=zipfile.ZIP_DEFLATED)
        # Float arrays barely compress; storing them keeps autosave cheap.
        archive.writestr(ARRAYS_MEMBER, save_tensors(tensors), compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def _lesson_to_json(scenes, tensors: dict[str, np.ndarray]) -> dict[str, Any] | None:
    """The lesson's JSON; its arrays go into ``tensors``, each distinct array once (scenes
    mostly share their input and weights with each other and with the workspace)."""
    if not scenes:
        return None
    from .lessons import scene_state
    from .serialize import network_to_json

    names: dict[tuple, str] = {}
    for name, array in tensors.items():
        names[_digest(array)] = name

    def store(array: np.ndarray, what: str) -> str:
        array = _c_float32(array, what)
        key = _digest(array)
        if key not in names:
            names[key] = f"lesson/{len(names)}"
            tensors[names[key]] = array
        return names[key]

    out = []
    for i, scene in enumerate(scenes):
        what = f"lesson scene {i + 1}"
        entry = scene_state(scene)
        entry["network"] = json.loads(network_to_json(scene.spec))
        entry["arrays"] = {
            "input": store(scene.input, f"the input of {what}"),
            "weights": {
                layer: {k: store(v, f"weights of '{layer}' in {what}") for k, v in p.items()}
                for layer, p in scene.weights.items()
            },
        }
        out.append(entry)
    return {"scenes": out}


def _digest(array: np.ndarray) -> tuple:
    import hashlib

    data = np.ascontiguousarray(array)
    return (str(data.dtype), data.shape, hashlib.sha1(data.tobytes()).hexdigest())


def save_workspace(path: str | os.PathLike, workspace: Workspace) -> None:
    """Write ``workspace`` to ``path`` atomically (temp file, then ``os.replace``).

    Raises :class:`~engine.errors.FileFormatError` (and writes nothing) when the file would
    not open again: the bytes are read back with :func:`workspace_from_bytes` first.
    """
    from .serialize import atomic_write_bytes

    data = workspace_to_bytes(workspace)
    check_saveable(data, os.path.basename(os.fspath(path)))
    atomic_write_bytes(path, data)


def check_saveable(data: bytes, source: str = "the workspace file") -> None:
    """Refuse to write bytes that :func:`load_workspace` would refuse to read.

    The very reader that opens files checks them (the same rules, not a copy of them), so
    a save can never produce a file the application itself rejects (e.g. a weight that
    became inf). Raises :class:`~engine.errors.FileFormatError` saying what is wrong.
    """
    try:
        workspace_from_bytes(data, source)
    except EngineError as error:
        raise FileFormatError(f"not saved, the file would not open again: {error}") from None


def _c_float32(array: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(array)
    if array.dtype != np.float32:
        raise FileFormatError(f"{what} must be float32 to be saved, not {array.dtype}")
    return np.ascontiguousarray(array)


# ----------------------------------------------------------------------------- loading


def load_workspace(path: str | os.PathLike) -> Workspace:
    """Read a workspace file.

    Raises
    ------
    FileFormatError
        The file is damaged, from a newer ConvScope, or not a ConvScope workspace; the message
        names the file and the place inside it.
    OSError
        The file cannot be read at all (missing, no permission).
    """
    source = os.path.basename(os.fspath(path))
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        limits.check_file_size(
            size, limits.MAX_FILE_BYTES, lambda text: FileFormatError(f"{source}: {text}")
        )
        data = handle.read()
    return workspace_from_bytes(data, source)


def workspace_from_bytes(data: bytes, source: str = "the workspace file") -> Workspace:
    """Parse the bytes of a workspace file; ``source`` names it in error messages."""
    try:
        return _workspace_from_bytes(data, source)
    except MemoryError:
        raise FileFormatError(f"{source}: too large to load (out of memory)") from None


def _workspace_from_bytes(data: bytes, source: str) -> Workspace:
    where = _Where(source)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError, OSError):
        if data[:2] == b"PK":
            where.fail("is damaged: the zip archive is truncated or corrupt")
        if data[:1] == b"{":
            where.fail(
                "is not a ConvScope workspace (it looks like a JSON file; open it as a "
                "network or input instead)"
            )
        where.fail("is not a ConvScope workspace (not a zip archive)")
    with archive:
        names = set(archive.namelist())
        if JSON_MEMBER not in names:
            where.fail(f"is not a ConvScope workspace (no {JSON_MEMBER} inside)")
        document = _read_json(archive, where)
        _check_header(document, where)
        if ARRAYS_MEMBER not in names:
            where.fail(f"is damaged: {ARRAYS_MEMBER} is missing")
        tensors = _read_tensors(archive, where)
    return _build(document, tensors, where)


class _Where:
    """Builds error messages that name the file (and the place inside it)."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, text: str, place: str | None = None):
        prefix = f"{self.source}"
        if place:
            prefix += f", {place}"
        raise FileFormatError(f"{prefix}: {text}" if place else f"{prefix} {text}")

    def damaged(self, place: str, text: str):
        self.fail(f"damaged: {text}", place)


def _read_member(archive: zipfile.ZipFile, name: str, where: _Where, limit: int) -> bytes:
    """The member's bytes, inflated with the caps of :func:`engine.limits.read_zip_member`."""

    def fail(text: str) -> FileFormatError:
        return FileFormatError(f"{where.source}, {name}: damaged or too large: {text}")

    return limits.read_zip_member(archive, name, fail, limit)


def _read_json(archive: zipfile.ZipFile, where: _Where) -> dict[str, Any]:
    raw = _read_member(archive, JSON_MEMBER, where, limits.MAX_JSON_BYTES)
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        where.damaged(JSON_MEMBER, "not UTF-8 text")
    except json.JSONDecodeError as error:
        where.damaged(
            JSON_MEMBER, f"invalid JSON at line {error.lineno} column {error.colno} ({error.msg})"
        )
    if not isinstance(document, dict):
        where.fail("is not a ConvScope workspace (workspace.json is not an object)")
    return document


def _check_header(document: dict[str, Any], where: _Where) -> None:
    if document.get("format") != FORMAT:
        where.fail(
            f"is not a ConvScope workspace (format is {document.get('format')!r}, "
            f"expected '{FORMAT}')"
        )
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        where.damaged(f"{JSON_MEMBER} 'version'", f"{version!r} is not a format version")
    if version > VERSION:
        where.fail(
            f"was made by a newer ConvScope (version {version}); this one reads version {VERSION}"
        )


def _read_tensors(archive: zipfile.ZipFile, where: _Where) -> dict[str, np.ndarray]:
    from safetensors.numpy import load as load_tensors

    raw = _read_member(archive, ARRAYS_MEMBER, where, limits.MAX_MEMBER_BYTES)
    limits.check_safetensors(
        raw, lambda text: FileFormatError(f"{where.source}, {ARRAYS_MEMBER}: damaged: {text}")
    )
    try:
        return load_tensors(raw)
    except Exception as error:  # noqa: BLE001 - the rust binding raises its own error type
        where.damaged(ARRAYS_MEMBER, f"cannot be read ({error})")


def _build(document: dict[str, Any], tensors: dict[str, np.ndarray], where: _Where) -> Workspace:
    spec = _read_network(document.get("network"), where)
    index = document.get("arrays")
    if not isinstance(index, dict):
        where.damaged(f"{JSON_MEMBER} 'arrays'", "missing or not an object")

    def tensor(name: Any, place: str) -> np.ndarray:
        if not isinstance(name, str) or name not in tensors:
            where.damaged(place, f"array {name!r} is missing from {ARRAYS_MEMBER}")
        return tensors[name]

    array = tensor(index.get("input"), "the input")
    _check_float_array(array, "the input", where)
    if array.ndim not in (2, 3) or 0 in array.shape:
        where.damaged("the input", f"shape {tuple(array.shape)} is not (C, L) or (C, H, W)")

    weights = _read_weights(index.get("weights"), tensor, spec, array.shape, where)

    extras_index = index.get("extras", {})
    if not isinstance(extras_index, dict):
        where.damaged(f"{JSON_MEMBER} 'arrays.extras'", "not an object")
    extra_arrays = {str(k): tensor(v, f"extra array '{k}'") for k, v in extras_index.items()}

    view = document.get("view", {})
    extras = document.get("extras", {})
    metadata = document.get("metadata", {})
    for key, value in (("view", view), ("extras", extras), ("metadata", metadata)):
        if not isinstance(value, dict):
            where.damaged(f"{JSON_MEMBER} '{key}'", "not an object")
    lesson = _read_lesson(document.get("lesson"), tensor, where)
    return Workspace(array, spec, weights, view, extras, extra_arrays, metadata, lesson)


def _read_lesson(lesson: Any, tensor, where: _Where) -> tuple:
    """The scenes of ``workspace.json``'s optional ``lesson``, each checked like the
    workspace itself (network, float32 finite arrays of fitting shapes, plain fields)."""
    from .lessons import MAX_SCENES, Scene, scene_fields_from_json

    if lesson is None:
        return ()
    if not isinstance(lesson, dict) or not isinstance(lesson.get("scenes"), list):
        where.damaged(f"{JSON_MEMBER} 'lesson'", "not an object with a list of 'scenes'")
    items = lesson["scenes"]
    if len(items) > MAX_SCENES:
        where.damaged(
            f"{JSON_MEMBER} 'lesson'", f"{len(items)} scenes; at most {MAX_SCENES} can be loaded"
        )
    scenes = []
    for i, item in enumerate(items):
        at = _Where(f"{where.source}, lesson scene {i + 1}")
        fields_ = scene_fields_from_json(item, at.source)
        spec = _read_network(item.get("network"), at)
        arrays = item.get("arrays")
        if not isinstance(arrays, dict):
            at.damaged("'arrays'", "missing or not an object")
        array = tensor(arrays.get("input"), f"lesson scene {i + 1}, the input")
        _check_float_array(array, "the input", at)
        if array.ndim not in (2, 3) or 0 in array.shape:
            at.damaged("the input", f"shape {tuple(array.shape)} is not (C, L) or (C, H, W)")
        spec = spec.with_input_shape(array.shape)
        weights = _read_weights(arrays.get("weights"), tensor, spec, array.shape, at)
        names = {*spec.names(), "input"}
        for key, name in (
            ("selected", fields_["selected"]),
            ("probe", (fields_["probe"] or [None])[0]),
        ):
            if name is not None and name not in names:
                at.damaged(f"'{key}'", f"the network has no layer '{name:.60}'")
        scenes.append(Scene(array, spec, weights, **fields_))
    return tuple(scenes)


def _read_network(network: Any, where: _Where) -> NetworkSpec:
    from .serialize import network_from_json

    if not isinstance(network, dict):
        where.damaged(f"{JSON_MEMBER} 'network'", "missing or not an object")
    try:
        return network_from_json(json.dumps(network), f"{where.source}, {JSON_MEMBER} 'network'")
    except FileFormatError:
        raise  # names the file and the place already
    except EngineError as error:
        where.damaged(f"{JSON_MEMBER} 'network'", str(error))


def _read_weights(index, tensor, spec: NetworkSpec, input_shape, where: _Where):
    if not isinstance(index, dict):
        where.damaged(f"{JSON_MEMBER} 'arrays.weights'", "missing or not an object")
    expected = _expected_weight_shapes(spec, tuple(input_shape))
    names = set(spec.names())
    weights: dict[str, dict[str, np.ndarray]] = {}
    for layer, keys in index.items():
        place = f"weights of layer '{layer}'"
        if layer not in names:
            where.damaged(place, "the network has no layer of that name")
        if not isinstance(keys, dict):
            where.damaged(place, "not an object")
        weights[layer] = {}
        for key, tensor_name in keys.items():
            array = tensor(tensor_name, f"{place} ({key})")
            _check_float_array(array, f"{place} ({key})", where)
            want = expected.get(layer, {}).get(key)
            if layer in expected and want is None:
                where.damaged(place, f"the layer has no parameter '{key}'")
            if want is not None and tuple(array.shape) != tuple(want):
                where.damaged(
                    f"{place} ({key})",
                    f"shape {tuple(array.shape)} does not fit the layer, which needs {tuple(want)}",
                )
            weights[layer][key] = array
    return weights


def _expected_weight_shapes(spec: NetworkSpec, input_shape) -> dict[str, dict[str, tuple]]:
    """The weight shapes of every layer the engine can build (layers with an error: absent)."""
    from .network import analyze

    try:
        analysis = analyze(spec, input_shape)
    except EngineError:
        return {}
    return {
        info.name: {k: tuple(s) for k, s in info.weight_shapes.items()}
        for info in analysis.layers
        if info.error is None
    }


def _check_float_array(array: np.ndarray, place: str, where: _Where) -> None:
    if array.dtype != np.float32:
        where.damaged(place, f"dtype {array.dtype}, expected float32")
    if not np.isfinite(array).all():
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        where.damaged(place, f"{bad} value{'s' if bad != 1 else ''} not finite (NaN or inf)")
