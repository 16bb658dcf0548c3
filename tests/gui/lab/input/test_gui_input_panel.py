"""The input panel: bad files change nothing, examples, transforms, drop, save."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from engine import transforms
from engine.examples import make_example
from engine.spec import LayerSpec, NetworkSpec
from gui.lab.input.input_panel import InputPanel
from gui.state.document import Document


class _NoScheduler:
    latest = None


def _spec():
    return NetworkSpec(
        [
            LayerSpec("conv1", "conv", {"out_channels": 2, "padding": "same"}),
            LayerSpec("relu1", "activation", {"function": "relu"}),
        ],
        (1, 24, 24),
    )


@pytest.fixture
def doc(qtbot):
    rng = np.random.default_rng(0)
    return Document(rng.random((1, 24, 24), dtype=np.float32), _spec())


@pytest.fixture
def panel(qtbot, doc):
    widget = InputPanel(doc, _NoScheduler())
    qtbot.addWidget(widget)
    return widget


def _png_header_only(path, width, height):
    """A PNG that claims width x height but holds no pixel data (tiny on disk)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


def _bad_files(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray((np.random.default_rng(1).random((40, 40)) * 255).astype(np.uint8)).save(good)
    data = good.read_bytes()
    files = {
        "corrupt": ("corrupt.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
        "empty": ("empty.png", b""),
        "truncated": ("truncated.png", data[: len(data) // 2]),
        "unsupported": ("notes.docx", b"PK\x03\x04 not an input"),
        "csv with text": ("text.csv", b"1.0,2.0\n3.0,abc\n5.0,6.0\n"),
        "csv with nan": ("nan.csv", b"1.0\nnan\n2.0\n"),
        "empty csv": ("empty.csv", b""),
    }
    paths = {}
    for label, (name, content) in files.items():
        paths[label] = tmp_path / name
        paths[label].write_bytes(content)
    huge = tmp_path / "huge.png"
    _png_header_only(huge, 20_000, 20_000)
    paths["20000x20000 image"] = huge
    paths["missing"] = tmp_path / "does-not-exist.png"
    return paths


def test_every_bad_file_gives_a_message_and_changes_nothing(qtbot, doc, panel, tmp_path):
    input_, spec, weights = doc.input, doc.spec, doc.weights
    steps = doc.undo_stack.count()
    for label, path in _bad_files(tmp_path).items():
        with qtbot.waitSignal(doc.message, timeout=2000) as blocker:
            assert panel.load_path(path, wait=True) is False, label
        level, text = blocker.args
        assert level == "error", label
        assert path.name in text, f"{label}: the message should name the file: {text}"
        assert not panel.error_label.isHidden() and panel.error_label.text() == text
        assert doc.input is input_ and doc.spec is spec and doc.weights is weights, label
    assert doc.undo_stack.count() == steps


def test_a_good_file_loads_and_clears_the_error(qtbot, doc, panel, tmp_path):
    panel.load_path(tmp_path / "missing.png", wait=True)
    assert not panel.error_label.isHidden()
    image = (np.arange(24 * 24).reshape(24, 24) % 256).astype(np.uint8)
    Image.fromarray(image).save(tmp_path / "ok.png")
    assert panel.load_path(tmp_path / "ok.png", wait=True)
    np.testing.assert_allclose(doc.input[0], image / 255.0, atol=1e-6)
    assert panel.error_label.isHidden()
    doc.undo_stack.undo()
    assert doc.input.shape == (1, 24, 24) and not np.allclose(doc.input[0], image / 255.0)


def test_a_large_image_is_scaled_down_with_a_notice(qtbot, doc, panel, tmp_path):
    Image.fromarray(np.zeros((600, 1200), np.uint8)).save(tmp_path / "wide.png")
    with qtbot.waitSignal(doc.message, timeout=2000) as blocker:
        assert panel.load_path(tmp_path / "wide.png", wait=True)
    assert blocker.args[0] == "warning" and "wide.png" in blocker.args[1]
    assert doc.input.shape == (1, 256, 512)


def test_dropping_a_file_loads_it(qtbot, doc, panel, tmp_path):
    Image.fromarray(np.full((24, 24), 255, np.uint8)).save(tmp_path / "white.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "white.png"))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(panel.loader.ended, timeout=30_000):
        panel.dropEvent(event)  # read off the GUI thread
    assert np.all(doc.input == 1.0)


def test_save_then_load_round_trips(qtbot, doc, panel, tmp_path):
    original = doc.input.copy()
    assert panel.save_path(tmp_path / "x.npy")
    doc.set_input(np.zeros_like(original))
    assert panel.load_path(tmp_path / "x.npy", wait=True)
    np.testing.assert_array_equal(doc.input, original)
    # a PNG cannot hold 5 channels: a message, nothing written
    doc.set_input(np.zeros((5, 8, 8), np.float32))
    with qtbot.waitSignal(doc.message, timeout=2000) as blocker:
        assert panel.save_path(tmp_path / "five.png") is False
    assert blocker.args[0] == "error" and not (tmp_path / "five.png").exists()


def test_examples_load_into_the_document(qtbot, doc, panel):
    names = [panel.example_combo.itemText(i) for i in range(panel.example_combo.count())]
    assert "checkerboard" in names and "sine" not in names  # the 2D list in 2D mode
    panel.example_combo.setCurrentText("checkerboard")
    panel.example_combo.activated.emit(panel.example_combo.currentIndex())
    np.testing.assert_array_equal(doc.input, make_example("checkerboard"))


def test_translate_slider_drag_is_one_step_and_returns_exactly(qtbot, doc, panel):
    original = doc.input
    steps = doc.undo_stack.count()
    slider = panel.transform_box.axes[0].slider  # x: the last axis
    slider.sliderPressed.emit()
    for v in (1, 2, 3, 5):
        slider.setValue(v)
    slider.sliderReleased.emit()
    np.testing.assert_array_equal(doc.input, transforms.translate(original, (0, 5)))
    assert doc.undo_stack.count() == steps + 1, "a slider drag must be one undo step"
    slider.sliderPressed.emit()
    for v in (3, 1, 0):
        slider.setValue(v)
    slider.sliderReleased.emit()
    assert np.array_equal(doc.input, original)
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.input, transforms.translate(original, (0, 5)))


def test_transforms_combine_on_the_source(qtbot, doc, panel):
    original = doc.input
    box = panel.transform_box
    box.axes[1].spin.setValue(-2)  # y
    box.wrap_check.setChecked(True)
    box.flip_checks[0].setChecked(True)  # mirror left-right
    box.sigma_spin.setValue(0.1)
    box.seed_spin.setValue(7)
    expected = transforms.add_noise(
        transforms.translate(transforms.flip(original, axis=1), (-2, 0), "wrap"), 0.1, 7
    )
    np.testing.assert_array_equal(doc.input, expected)
    box.reset_button.click()
    assert np.array_equal(doc.input, original)
    assert box.axes[1].spin.value() == 0 and not box.flip_checks[0].isChecked()


def test_drawing_after_a_transform_makes_a_new_source(qtbot, doc, panel):
    box = panel.transform_box
    box.axes[0].spin.setValue(3)
    shifted = doc.input
    drawn = np.array(shifted)
    drawn[0, 0, 0] = 0.5
    doc.set_input(drawn)  # e.g. a brush stroke
    assert box.axes[0].spin.value() == 0  # the controls start again from the new input
    box.axes[0].spin.setValue(1)
    np.testing.assert_array_equal(doc.input, transforms.translate(drawn, (0, 1)))


def test_switching_mode_loads_the_lab_network_in_one_step(qtbot, doc, panel):
    from engine.presets import get_preset

    steps = doc.undo_stack.count()
    panel.mode_1d.setChecked(True)
    assert doc.dims == 1 and panel.stack.currentWidget() is panel.draw_signal
    np.testing.assert_array_equal(doc.input, make_example("mnist1d-3"))
    assert doc.spec.names() == get_preset("lab-1d").names()
    names = [panel.example_combo.itemText(i) for i in range(panel.example_combo.count())]
    assert "sine" in names and "checkerboard" not in names
    assert doc.undo_stack.count() == steps + 1
    doc.undo_stack.undo()
    assert doc.dims == 2 and panel.mode_2d.isChecked() and doc.spec.names() == ["conv1", "relu1"]


def test_a_signal_file_in_2d_mode_brings_the_1d_network(qtbot, doc, panel, tmp_path):
    (tmp_path / "s.csv").write_text("0.5\n1.0\n-0.25\n" * 10)
    assert panel.load_path(tmp_path / "s.csv", wait=True)
    assert doc.input.shape == (1, 30) and doc.dims == 1
    assert doc.analysis.ok and panel.mode_1d.isChecked()


def test_the_example_combo_names_the_source_through_transforms(qtbot, doc, panel):
    assert panel.load_example("checkerboard")
    panel.transform_box.axes[0].spin.setValue(2)  # a transform keeps the source's name
    assert panel.transform_box.source is not doc.input
    assert panel.source_name() == "checkerboard"
    assert panel.example_combo.currentText() == "checkerboard"
    doc.set_input(np.array(doc.input))  # e.g. a brush stroke: a new, unnamed source
    assert panel.source_name() == "(drawn)" and panel.example_combo.currentIndex() == -1
