"""File ▸ Import network… / Import weights…: the engine's readers, one undo step, and one
message (document unchanged) for every file that cannot be used; pickle never runs."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from engine.serialize import save_network, save_weights, weights_to_bytes
from engine.spec import LayerSpec, NetworkSpec
from engine.workspace import Workspace, save_workspace
from tests.gui.workspace.test_gui_workspace import env as env  # noqa: F401 - the fixture
from tests.gui.workspace.test_gui_workspace import state

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def _other_spec() -> NetworkSpec:
    return NetworkSpec(
        (
            LayerSpec("c1", "conv", {"out_channels": 2, "kernel_size": 5, "padding": 2}),
            LayerSpec("act", "activation", {"function": "tanh"}),
            LayerSpec("c2", "conv", {"out_channels": 1, "kernel_size": 3}),
        ),
        (1, 32),
    )


def _weights_like(doc, value: float = 0.25):
    return {
        name: {key: np.full(a.shape, value, np.float32) for key, a in arrays.items()}
        for name, arrays in doc.weights.items()
    }


class _Boom:
    """Unpickling this would create a marker file: proof that pickle never runs."""

    marker = ""

    def __reduce__(self):
        return (open, (self.marker, "w"))


WAIT = 60_000  # ms: the machine is shared; nothing here sleeps


def _finished(qtbot, window):
    """Waits for the import started inside the ``with`` block to end (off the GUI thread)."""
    return qtbot.waitSignal(window.import_actions.loader.ended, timeout=WAIT)


def test_the_menu_entries_are_in_the_file_menu(env):
    doc, window, actions, dialogs, messages = env
    texts = [a.text() for a in window.file_menu.actions()]
    assert "Import &network…" in texts and "Import &weights…" in texts


def test_import_network_from_json_is_one_undo_step(qtbot, env, tmp_path):
    doc, window, actions, dialogs, messages = env
    path = tmp_path / "other.json"
    save_network(path, _other_spec())
    before = state(doc)
    dialogs.paths.append(str(path))
    with _finished(qtbot, window) as ended:
        window.import_actions.network_action.trigger()
    assert ended.args == ["done"]
    assert list(doc.spec.names()) == ["c1", "act", "c2"]
    assert doc.spec.layer("c1").param("kernel_size") == 5
    assert doc.weights["c1"]["weight"].shape == (2, 1, 5)
    assert messages[-1] == ("info", "Imported the network of other.json")
    assert window.isWindowModified()
    doc.undo_stack.undo()
    assert state(doc) == before


def test_import_network_from_a_workspace_brings_its_weights(env, tmp_path):
    doc, window, actions, dialogs, messages = env
    spec = _other_spec()
    weights = {
        "c1": {"weight": np.full((2, 1, 5), 0.5, np.float32), "bias": np.ones(2, np.float32)},
        "c2": {"weight": np.full((1, 2, 3), -1.0, np.float32), "bias": np.zeros(1, np.float32)},
    }
    path = tmp_path / "w.convscope"
    save_workspace(path, Workspace(np.zeros((1, 32), np.float32), spec, weights))
    assert window.import_actions.import_network(path, wait=True)
    np.testing.assert_array_equal(doc.weights["c2"]["weight"], weights["c2"]["weight"])
    np.testing.assert_array_equal(doc.weights["c1"]["bias"], weights["c1"]["bias"])


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_import_weights_replaces_the_current_network_s_weights(qtbot, env, tmp_path, suffix):
    doc, window, actions, dialogs, messages = env
    path = tmp_path / f"trained{suffix}"
    wanted = _weights_like(doc, 0.125)
    save_weights(path, wanted)
    before, spec = state(doc), doc.spec
    dialogs.paths.append(str(path))
    with _finished(qtbot, window):
        window.import_actions.weights_action.trigger()
    assert doc.spec == spec
    for name, arrays in wanted.items():
        for key, array in arrays.items():
            np.testing.assert_array_equal(doc.weights[name][key], array)
    assert messages[-1] == ("info", f"Imported weights from trained{suffix}")
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert state(doc) == before


def _bad_weight_files(doc, tmp_path) -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, a word the message must hold)."""
    good = _weights_like(doc)
    wrong_shape = {**good, "conv1": {**good["conv1"], "weight": np.zeros((9, 9, 9), np.float32)}}
    missing = {k: v for k, v in good.items() if k != "conv1"}
    unknown = {**good, "ghost": {"weight": np.zeros(3, np.float32)}}
    nan = {**good, "conv1": {**good["conv1"], "bias": np.full(3, np.nan, np.float32)}}
    _Boom.marker = str(tmp_path / "PWNED")
    pickled = io.BytesIO()
    with zipfile.ZipFile(pickled, "w") as archive:
        archive.writestr("conv1.weight.npy", _npy_object_array(_Boom()))
    return {
        "shape.safetensors": (weights_to_bytes(wrong_shape), "(9, 9, 9)"),
        "missing.npz": (weights_to_bytes(missing, "npz"), "missing"),
        "unknown.safetensors": (weights_to_bytes(unknown), "ghost"),
        "nan.safetensors": (weights_to_bytes(nan), "finite"),
        # the readers name what is wrong: a header size the file does not hold, an object array
        "garbage.safetensors": (b"\x00\xff not weights at all" * 8, "the header declares"),
        "truncated.npz": (weights_to_bytes(good, "npz")[:100], "not a readable"),
        "pickle.npz": (pickled.getvalue(), "never loaded"),
        "pickle.safetensors": (_npy_object_array(_Boom()), "the header declares"),
        "weights.pt": (_npy_object_array(_Boom()), ".npz or .safetensors"),
    }


def _npy_object_array(obj) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.array([obj], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def test_every_bad_weights_file_is_one_message_and_changes_nothing(qtbot, env, tmp_path):
    doc, window, actions, dialogs, messages = env
    for name, (data, word) in _bad_weight_files(doc, tmp_path).items():
        path = tmp_path / name
        path.write_bytes(data)
        before, count, seen = state(doc), doc.undo_stack.count(), len(messages)
        with _finished(qtbot, window) as ended:
            assert window.import_actions.import_weights(path), name  # the read started
        assert ended.args == ["failed"], name
        assert state(doc) == before and doc.undo_stack.count() == count, name
        assert len(messages) == seen + 1, (name, messages[seen:])
        level, text = messages[-1]
        assert level == "error" and name in text and word in text, (name, text)
        assert len(text) < 300, text
    assert not (tmp_path / "PWNED").exists()  # the disguised pickle never ran


@pytest.mark.parametrize(
    ("name", "data", "word"),
    [
        ("broken.json", b'{"layers": [', "JSON"),
        ("empty.json", b"", "other"),
        ("list.json", b"[1, 2, 3]", "other"),
        ("bad.convscope", b"PK\x03\x04 truncated", "damaged"),
        ("missing.json", None, "No such file"),
    ],
)
def test_a_bad_network_file_is_one_message_and_changes_nothing(
    qtbot, env, tmp_path, name, data, word
):
    doc, window, actions, dialogs, messages = env
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    before, count = state(doc), doc.undo_stack.count()
    with _finished(qtbot, window) as ended:
        window.import_actions.import_network(path)
    assert ended.args == ["failed"]
    assert state(doc) == before and doc.undo_stack.count() == count
    assert not window.import_actions.import_network(path, wait=True)  # the same, here and now
    assert state(doc) == before and doc.undo_stack.count() == count
    level, text = messages[-1]
    assert level == "error" and name in text
    if word != "other":
        assert word in text, text


def test_cancelling_the_file_dialog_does_nothing(env):
    doc, window, actions, dialogs, messages = env
    before = state(doc)
    dialogs.paths.extend([None, None])
    assert not window.import_actions.import_network()
    assert not window.import_actions.import_weights()
    assert state(doc) == before and messages == []
