"""Lessons: scenes survive save -> load exactly; damaged scenes fail with one clear message;
the list operations keep every scene."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import FileFormatError
from engine.lessons import (
    MAX_TITLE_CHARS,
    THEMES,
    Scene,
    add_scene,
    delete_scene,
    move_scene,
    rename_scene,
    scene_label,
)
from engine.network import init_weights
from engine.spec import LayerSpec, NetworkSpec
from engine.workspace import (
    ARRAYS_MEMBER,
    JSON_MEMBER,
    Workspace,
    check_saveable,
    load_workspace,
    save_workspace,
    workspace_from_bytes,
    workspace_to_bytes,
)


def spec(out: int = 3, length: int = 16) -> NetworkSpec:
    return NetworkSpec(
        (
            LayerSpec("conv1", "conv", {"out_channels": out, "kernel_size": 3, "padding": 1}),
            LayerSpec("pool1", "max_pool", {"kernel_size": 2}),
        ),
        (1, length),
    )


def scene(seed: int, **fields) -> Scene:
    s = spec(out=2 + seed % 3)
    x = np.random.default_rng(seed).standard_normal(s.input_shape).astype(np.float32)
    return Scene(x, s, init_weights(s, s.input_shape, seed=seed), **fields)


def workspace(scenes) -> Workspace:
    first = scenes[0] if scenes else scene(0)
    return Workspace(first.input, first.spec, first.weights, lesson=tuple(scenes))


THREE = (
    scene(0, title="Padding", selected="conv1", tab="Maps", theme="dark"),
    scene(
        1,
        title="",
        selected="pool1",
        tab="Step through",
        step=5,
        presentation=True,
        theme="high-contrast",
        probe=("conv1", 1, (3,)),
        kernel_index=(1, 0),
        view={"colormap": "viridis", "shared_levels": True},
    ),
    scene(2, title="Pooling — max wins", theme="light", step=0),
)


def test_three_scenes_survive_save_and_open(tmp_path):
    path = tmp_path / "lesson.convscope"
    save_workspace(path, workspace(THREE))
    back = load_workspace(path).lesson
    assert len(back) == 3
    for a, b in zip(THREE, back, strict=True):
        assert a.same_as(b)
        assert b.input.dtype == np.float32


def test_a_file_without_a_lesson_opens_with_none_and_old_readers_ignore_it():
    data = workspace_to_bytes(Workspace(THREE[0].input, THREE[0].spec, THREE[0].weights))
    assert workspace_from_bytes(data).lesson == ()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "lesson" not in json.loads(archive.read(JSON_MEMBER))


def test_shared_arrays_are_stored_once():
    same = tuple(replace(THREE[0], title=f"t{i}", step=i) for i in range(5))
    with_lesson = workspace_to_bytes(workspace(same))
    without = workspace_to_bytes(Workspace(same[0].input, same[0].spec, same[0].weights))
    # five scenes of the workspace's own arrays add JSON only, no tensor bytes
    with zipfile.ZipFile(io.BytesIO(with_lesson)) as a, zipfile.ZipFile(io.BytesIO(without)) as b:
        assert len(a.read(ARRAYS_MEMBER)) == len(b.read(ARRAYS_MEMBER))


def _damage(change) -> bytes:
    data = workspace_to_bytes(workspace(THREE))
    source = zipfile.ZipFile(io.BytesIO(data))
    doc = json.loads(source.read(JSON_MEMBER))
    change(doc)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(JSON_MEMBER, json.dumps(doc))
        archive.writestr(ARRAYS_MEMBER, source.read(ARRAYS_MEMBER))
    return out.getvalue()


def _set(index, key, value):
    def change(doc):
        doc["lesson"]["scenes"][index][key] = value

    return change


@pytest.mark.parametrize(
    "change, words",
    [
        (_set(1, "theme", "neon"), ["lesson scene 2", "theme", "neon"]),
        (_set(0, "step", -1), ["lesson scene 1", "step"]),
        (_set(0, "step", 1.5), ["lesson scene 1", "step"]),
        (_set(0, "presentation", "yes"), ["presentation"]),
        (_set(2, "title", "x" * (MAX_TITLE_CHARS + 1)), ["lesson scene 3", "title"]),
        (_set(0, "title", 7), ["title"]),
        (_set(0, "selected", "conv9"), ["lesson scene 1", "conv9"]),
        (_set(0, "view", {"colormap": [1, 2]}), ["view setting 'colormap'"]),
        (_set(0, "kernel_index", [0]), ["kernel_index"]),
        (_set(1, "probe", {"layer": "conv1", "channel": 0, "position": "3"}), ["probe"]),
        (_set(0, "network", None), ["lesson scene 1", "network"]),
        (lambda d: d["lesson"]["scenes"][0]["arrays"].update(input="nope"), ["'nope'"]),
        (lambda d: d["lesson"].update(scenes={}), ["lesson", "scenes"]),
        (lambda d: d["lesson"].update(scenes=[1]), ["lesson scene 1", "not an object"]),
        (lambda d: d["lesson"].update(scenes=[{}] * 501), ["501 scenes"]),
    ],
)
def test_damaged_scenes_fail_with_a_message_naming_the_place(change, words):
    with pytest.raises(FileFormatError) as raised:
        workspace_from_bytes(_damage(change), "demo.convscope")
    text = str(raised.value)
    assert text.startswith("demo.convscope")
    for word in words:
        assert word in text, text


def test_a_scene_weight_of_the_wrong_shape_or_not_finite_is_refused():
    bad = dict(THREE[1].weights)
    bad["conv1"] = {**bad["conv1"], "weight": np.zeros((9, 1, 3), np.float32)}
    data = workspace_to_bytes(workspace((THREE[0], replace(THREE[1], weights=bad))))
    with pytest.raises(FileFormatError, match="lesson scene 2.*does not fit"):
        workspace_from_bytes(data)
    inf = dict(THREE[1].weights)
    inf["conv1"] = {**inf["conv1"], "bias": np.full_like(inf["conv1"]["bias"], np.inf)}
    data = workspace_to_bytes(workspace((replace(THREE[1], weights=inf),)))
    with pytest.raises(FileFormatError, match="not saved.*not finite"):
        check_saveable(data)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF), max_size=30),
            st.integers(0, 10_000),
            st.booleans(),
            st.sampled_from(THEMES),
            st.sampled_from(["Maps", "Step through", "Sampling"]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_any_scene_fields_round_trip(items):
    scenes = tuple(
        scene(i, title=t, step=s, presentation=p, theme=th, tab=tab)
        for i, (t, s, p, th, tab) in enumerate(items)
    )
    back = workspace_from_bytes(workspace_to_bytes(workspace(scenes))).lesson
    assert all(a.same_as(b) for a, b in zip(scenes, back, strict=True))


@given(st.integers(1, 8), st.data())
def test_list_operations_keep_every_scene(n, data):
    scenes = tuple(scene(0, title=f"s{i}") for i in range(n))
    i = data.draw(st.integers(0, n - 1))
    to = data.draw(st.integers(-2, n + 2))
    moved = move_scene(scenes, i, to)
    assert sorted(s.title for s in moved) == sorted(s.title for s in scenes)
    assert moved[max(0, min(to, n - 1))] is scenes[i]
    assert move_scene(moved, max(0, min(to, n - 1)), i) == scenes
    gone = delete_scene(scenes, i)
    assert len(gone) == n - 1 and scenes[i] not in gone
    assert add_scene(gone, scenes[i], i) == scenes
    renamed = rename_scene(scenes, i, "  New  ")
    assert renamed[i].title == "New" and renamed[:i] == scenes[:i]


def test_labels_and_refusals():
    scenes = THREE
    assert scene_label(scenes, 0) == "1. Padding"
    assert scene_label(scenes, 1) == "2. Scene 2"
    with pytest.raises(IndexError, match="no scene 4"):
        delete_scene(scenes, 3)
    with pytest.raises(FileFormatError, match="one line"):
        rename_scene(scenes, 0, "a\nb")
