"""Lessons: a sequence of scenes, each a saved state of the lab that a lecturer presents.

A :class:`Scene` holds everything the hall sees: the input, the network and its weights,
the selected layer and kernel, the probe, the map view settings, which view is open (a lab
tab; in step-through the layer is the selected one and ``step`` its position), and the
presentation settings (presentation mode, theme), with an optional title.

Scenes are stored in the workspace file (:mod:`engine.workspace`): ``workspace.json`` gets a
``"lesson": {"scenes": [...]}`` entry whose scenes name their arrays in
``arrays.safetensors`` (identical arrays are stored once). Files without it open with no
lesson, and older ConvScopes ignore it. :func:`scene_fields_from_json` validates every
plain field of a scene (types, sizes, finite numbers) with messages naming the scene and
the field; the workspace reader checks the arrays and the network with its own rules.

The list operations (:func:`add_scene`, :func:`rename_scene`, :func:`move_scene`,
:func:`delete_scene`) return new tuples: a lesson is immutable, so an undo step can keep it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .errors import FileFormatError
from .spec import NetworkSpec

THEMES = ("dark", "light", "high-contrast")
"""Theme names (the GUI's ``gui.app.theme`` has one palette for each)."""

MAX_SCENES = 500
MAX_TITLE_CHARS = 200
MAX_NAME_CHARS = 200  # a tab title or a layer name
MAX_STEP = 1 << 31
MAX_VIEW_KEYS = 32
MAX_POSITION_DIMS = 3
DEFAULT_TAB = "Maps"


@dataclass(frozen=True, eq=False)
class Scene:
    """One saved state of the lab (arrays are float32 and never changed in place).

    ``==`` is identity (arrays have no truth value); :meth:`same_as` compares values.
    """

    input: np.ndarray
    spec: NetworkSpec
    weights: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    title: str = ""
    selected: str | None = None
    kernel_index: tuple[int, int] = (0, 0)
    probe: tuple[str, int, tuple[int, ...]] | None = None  # (layer, channel, position)
    view: dict[str, Any] = field(default_factory=dict)  # the document's view settings
    tab: str = DEFAULT_TAB
    step: int = 0
    presentation: bool = False
    theme: str = "dark"

    def same_as(self, other: Scene) -> bool:
        """Every field equal, arrays by value (``==`` on scenes compares arrays by identity)."""
        return scene_state(self) == scene_state(other) and _same_arrays(self, other)


def scene_state(scene: Scene) -> dict[str, Any]:
    """The plain (non-array) fields of a scene, as JSON (what ``workspace.json`` holds)."""
    return {
        "title": scene.title,
        "selected": scene.selected,
        "kernel_index": list(scene.kernel_index),
        "probe": None
        if scene.probe is None
        else {
            "layer": scene.probe[0],
            "channel": scene.probe[1],
            "position": list(scene.probe[2]),
        },
        "view": dict(scene.view),
        "tab": scene.tab,
        "step": scene.step,
        "presentation": scene.presentation,
        "theme": scene.theme,
        "network": scene.spec.to_dict(),
    }


def _same_arrays(a: Scene, b: Scene) -> bool:
    if not np.array_equal(a.input, b.input) or a.input.dtype != b.input.dtype:
        return False
    if a.weights.keys() != b.weights.keys():
        return False
    for layer, arrays in a.weights.items():
        if arrays.keys() != b.weights[layer].keys():
            return False
        if not all(np.array_equal(v, b.weights[layer][k]) for k, v in arrays.items()):
            return False
    return True


# ----------------------------------------------------------------- list operations


def add_scene(scenes: tuple[Scene, ...], scene: Scene, at: int | None = None) -> tuple[Scene, ...]:
    """``scenes`` with ``scene`` inserted at ``at`` (default: the end)."""
    if len(scenes) >= MAX_SCENES:
        raise FileFormatError(f"a lesson holds at most {MAX_SCENES} scenes")
    at = len(scenes) if at is None else max(0, min(int(at), len(scenes)))
    return (*scenes[:at], scene, *scenes[at:])


def rename_scene(scenes: tuple[Scene, ...], index: int, title: str) -> tuple[Scene, ...]:
    _check_index(scenes, index)
    title = _check_title(title.strip(), f"scene {index + 1}")
    return (*scenes[:index], replace(scenes[index], title=title), *scenes[index + 1 :])


def move_scene(scenes: tuple[Scene, ...], index: int, to: int) -> tuple[Scene, ...]:
    """``scenes`` with scene ``index`` moved to position ``to`` (clamped to the list)."""
    _check_index(scenes, index)
    to = max(0, min(int(to), len(scenes) - 1))
    rest = [*scenes[:index], *scenes[index + 1 :]]
    rest.insert(to, scenes[index])
    return tuple(rest)


def delete_scene(scenes: tuple[Scene, ...], index: int) -> tuple[Scene, ...]:
    _check_index(scenes, index)
    return (*scenes[:index], *scenes[index + 1 :])


def _check_index(scenes: tuple[Scene, ...], index: int) -> None:
    if not 0 <= index < len(scenes):
        raise IndexError(f"there is no scene {index + 1} (the lesson has {len(scenes)})")


def scene_label(scenes: tuple[Scene, ...], index: int) -> str:
    """What lists show for scene ``index``: its title, or 'Scene N'."""
    title = scenes[index].title
    return f"{index + 1}. {title}" if title else f"{index + 1}. Scene {index + 1}"


# ----------------------------------------------------------------- reading


def scene_fields_from_json(obj: Any, place: str) -> dict[str, Any]:
    """The validated plain fields of one stored scene (everything but arrays and network).

    ``place`` names the scene in messages (e.g. ``"demo.convscope, lesson scene 2"``).
    Raises :class:`~engine.errors.FileFormatError` naming the field and what is wrong.
    """
    if not isinstance(obj, dict):
        _fail(place, "is not an object")
    title = obj.get("title", "")
    if not isinstance(title, str):
        _fail(place, f"'title' must be text, not {type(title).__name__}")
    fields_ = {
        "title": _check_title(title, place),
        "selected": _optional_name(obj.get("selected"), place, "selected"),
        "kernel_index": _int_tuple(obj.get("kernel_index", [0, 0]), place, "kernel_index", 2, 2),
        "probe": _probe(obj.get("probe"), place),
        "view": _view(obj.get("view", {}), place),
        "tab": _name(obj.get("tab", DEFAULT_TAB), place, "tab"),
        "step": _int(obj.get("step", 0), place, "step"),
        "presentation": _bool(obj.get("presentation", False), place, "presentation"),
        "theme": obj.get("theme", "dark"),
    }
    if fields_["theme"] not in THEMES:
        _fail(place, f"'theme' {fields_['theme']!r} is not one of {', '.join(THEMES)}")
    return fields_


def _fail(place: str, text: str):
    raise FileFormatError(f"{place}: damaged: {text}")


def _check_title(title: str, place: str) -> str:
    if len(title) > MAX_TITLE_CHARS:
        raise FileFormatError(
            f"{place}: a title has at most {MAX_TITLE_CHARS} characters, not {len(title)}"
        )
    if any(ord(c) < 32 for c in title):
        raise FileFormatError(f"{place}: a title is one line of text (no control characters)")
    return title


def _name(value: Any, place: str, key: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_NAME_CHARS:
        _fail(place, f"'{key}' must be a name of 1..{MAX_NAME_CHARS} characters, not {value!r:.60}")
    return value


def _optional_name(value: Any, place: str, key: str) -> str | None:
    return None if value is None else _name(value, place, key)


def _int(value: Any, place: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_STEP:
        _fail(place, f"'{key}' must be a whole number 0..{MAX_STEP - 1}, not {value!r:.60}")
    return value


def _bool(value: Any, place: str, key: str) -> bool:
    if not isinstance(value, bool):
        _fail(place, f"'{key}' must be true or false, not {value!r:.60}")
    return value


def _int_tuple(value: Any, place: str, key: str, low: int, high: int) -> tuple[int, ...]:
    if not isinstance(value, list) or not low <= len(value) <= high:
        _fail(place, f"'{key}' must be a list of {low}..{high} whole numbers, not {value!r:.60}")
    return tuple(_int(v, place, key) for v in value)


def _probe(value: Any, place: str) -> tuple[str, int, tuple[int, ...]] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        _fail(place, "'probe' must be an object or null")
    return (
        _name(value.get("layer"), place, "probe.layer"),
        _int(value.get("channel"), place, "probe.channel"),
        _int_tuple(value.get("position"), place, "probe.position", 1, MAX_POSITION_DIMS),
    )


def _view(value: Any, place: str) -> dict[str, Any]:
    if not isinstance(value, dict) or len(value) > MAX_VIEW_KEYS:
        _fail(place, f"'view' must be an object of at most {MAX_VIEW_KEYS} settings")
    for key, item in value.items():
        plain = isinstance(item, (bool, int, str)) or (
            isinstance(item, float) and math.isfinite(item)
        )
        if not plain or (isinstance(item, str) and len(item) > MAX_NAME_CHARS):
            _fail(place, f"view setting '{key:.60}' must be a short text, number or true/false")
    return dict(value)
