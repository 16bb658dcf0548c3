"""The launched lab: trainer tab, a layer selected at start, the example's name shown,
a workspace opened from the command line."""

from __future__ import annotations

import numpy as np
import pytest

from gui.app import launch
from gui.lab.input.input_panel import DRAWN
from tests.gui.app.test_gui_window import front_tab


def test_start_selects_the_first_layer_with_weights(open_window):
    window = open_window("sine")
    doc = window.document
    first = next(n for n in doc.spec.names() if doc.weights.get(n))
    assert doc.selected_layer == first
    assert first in window.inspector.title.text()
    assert window.inspector.kernel_box.isVisibleTo(window.inspector)


def test_training_is_a_tab_beside_layers(open_window, qtbot):
    window = open_window("sine")
    layers, training, lessons = window.bottom_docks()
    assert layers.isAncestorOf(window.layer_stack)
    assert training.isAncestorOf(window.trainer_panel)
    assert lessons.isAncestorOf(window.lessons_panel)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: window.tabifiedDockWidgets(layers) == [training, lessons])
    qtbot.waitUntil(lambda: front_tab(window) == "Layers")
    assert layers.height() < 0.35 * window.height()  # the maps keep most of the height


def test_the_example_combo_names_the_input(open_window, tmp_path):
    window = open_window("sine")
    panel = window.input_panel
    assert panel.example_combo.currentText() == "sine"
    assert panel.load_example("chirp")
    assert panel.example_combo.currentText() == "chirp"
    doc = window.document
    doc.set_input(np.ascontiguousarray(doc.input[:, ::-1]), text="Draw signal")
    assert panel.source_name() == DRAWN
    assert panel.example_combo.currentIndex() == -1
    assert panel.example_combo.placeholderText() == DRAWN
    doc.undo_stack.undo()  # back to chirp: the name comes back too
    assert panel.example_combo.currentText() == "chirp"
    path = tmp_path / "wave.csv"
    assert panel.save_path(path) and panel.load_path(path)
    assert panel.source_name() == "wave.csv"


def test_a_file_given_at_start_is_named(open_window, tmp_path):
    from engine.examples import make_example
    from engine.inputs import save_input

    path = tmp_path / "mine.csv"
    save_input(path, make_example("sine"))
    window = open_window(str(path))
    assert window.input_panel.example_combo.placeholderText() == "mine.csv"
    assert window.input_panel.example_combo.currentIndex() == -1


def test_a_workspace_given_at_start_is_opened(open_window, tmp_path):
    from engine.workspace import load_workspace

    first = open_window("chirp")
    first.document.set_layer_params(0, {"kernel_size": 7, "padding": 3})
    path = tmp_path / "lab.convscope"
    assert first.workspace_actions.save_to(path, wait=True)
    window = open_window(str(path))
    assert window.document.spec == load_workspace(path).spec
    assert window.document.spec.layers[0].params["kernel_size"] == 7
    np.testing.assert_array_equal(window.document.input, first.document.input)
    for layer, arrays in first.document.weights.items():
        for key, array in arrays.items():
            np.testing.assert_array_equal(window.document.weights[layer][key], array)
    assert window.workspace_actions.path == path
    assert window.windowTitle().startswith("lab.convscope")
    assert window.document.undo_stack.isClean()
    assert window.input_panel.source_name() == "lab.convscope"


def test_a_damaged_workspace_is_one_clear_usage_error(tmp_path):
    path = tmp_path / "broken.convscope"
    path.write_bytes(b"PK\x03\x04 this is not a workspace")
    with pytest.raises(launch.UsageError, match="broken.convscope"):
        launch.resolve_input(str(path))
    with pytest.raises(launch.UsageError, match="missing.convscope"):
        launch.resolve_input(str(tmp_path / "missing.convscope"))


def test_probe_centre_probes_the_last_layer(open_window):
    window = open_window("sine")
    launch.probe_centre(window.document)
    probe = window.document.probe
    last = window.document.spec.names()[-1]
    shape = window.document.layer_shape(last)
    assert probe.layer == last and probe.position == (shape[1] // 2,)
