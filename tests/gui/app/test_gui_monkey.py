"""A seeded random sequence of user actions through the real window (layer selection,
parameter fields with nonsense text, kernel cells and bias, add/delete/duplicate/reorder,
presets, input strokes, undo/redo bursts, 1D/2D switches, presentation mode, hovers and
clicks on the maps, hostile files opened and imported).

It fails on any Python exception (pytest-qt captures those raised in Qt callbacks), any Qt
warning (``qt_log_level_fail``), and, at the end, on any difference between the maps'
trace and a fresh engine forward pass of the document.

The default run is 1,000 actions (``CONVSCOPE_MONKEY_STEPS`` and ``CONVSCOPE_MONKEY_SEED``
run longer or other sequences on demand). Its hostile files include header bombs (npy, WAV,
safetensors, PNG declaring far more than any limit) and zip bombs (an npz and a workspace
whose members inflate hundreds-fold), all built here. Inputs and workspaces are opened the
way the window opens them, off the GUI thread; their messages arrive later.
"""

from __future__ import annotations

import io
import json
import os
import random
import struct
import zipfile
import zlib

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDoubleSpinBox, QSpinBox

from engine import network
from gui.designer.add_layer_menu import layer_choices

pytestmark = pytest.mark.qt_log_ignore(
    "propagateSizeHints", "does not support raise", "grabbing the keyboard"
)

STEPS = int(os.environ.get("CONVSCOPE_MONKEY_STEPS", "1000"))
SETTLE_EVERY = 50  # actions between two waits for the maps (a person's pause)
SEEDS = [int(s) for s in os.environ.get("CONVSCOPE_MONKEY_SEED", "16").split(",")]
NONSENSE = ["3", "x", "1e39", "-1", "0", "2", "nan", "inf", "−0,5", "", "7", "abc", "1e"]
CELLS = ["0.5", "-2", "1e39", "-1e39", "1e308", "abc", "nan", "inf", "3.4e38", "0", "−1,25"]


def _hostile_files(folder) -> list:
    """Files a hostile user opens: garbage with plausible suffixes, truncated, empty."""
    good = np.zeros((1, 64), np.float32)
    npy = io.BytesIO()
    np.save(npy, good)
    files = {
        "garbage.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
        "truncated.npy": npy.getvalue()[:60],
        "empty.csv": b"",
        "words.csv": b"a,b,c\nd,e,f\n",
        "nan.csv": b"1,2,nan,4\n",
        "garbage.json": b'{"layers": [{"type": "warp"}]}',
        "garbage.safetensors": b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}",
        "garbage.npz": b"PK\x03\x04" + b"\x00" * 30,
        "garbage.convscope": b"PK\x05\x06" + b"\x00" * 18,
    }
    files.update(_bombs())
    paths = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    for name, member, prefix in (
        ("bomb.npz", "conv1.weight.npy", _npy_header((16 << 20,))),
        ("bomb.convscope", "workspace.json", b'{"format": "convscope.workspace", "x": "'),
    ):
        paths.append(_zip_bomb(folder / name, member, prefix))
    return paths


def _npy_header(shape) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "<f4", "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue()


def _bombs() -> dict[str, bytes]:
    """Header bombs: small files declaring terabytes."""
    fmt = struct.pack("<IHHIIHH", 16, 1, 2, 8000, 32000, 4, 16)
    wav = b"RIFF" + struct.pack("<I", 0xFFFFFFF0) + b"WAVEfmt " + fmt
    wav += b"data" + struct.pack("<I", 0xFFFFFFF0) + b"\0" * 1000
    tensors = json.dumps(
        {"conv1.weight": {"dtype": "F32", "shape": [1 << 40], "data_offsets": [0, 16]}}
    ).encode()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    png = b"\x89PNG\r\n\x1a\n" + chunk(
        b"IHDR", struct.pack(">IIBBBBB", 90_000, 90_000, 8, 0, 0, 0, 0)
    )
    return {
        "bomb.npy": _npy_header((1 << 20, 1 << 20)) + b"\0" * 64,
        "bomb3d.npy": _npy_header((3, 1 << 16, 1 << 16)) + b"\0" * 64,
        "bomb.wav": wav,
        "bomb.safetensors": struct.pack("<Q", len(tensors)) + tensors + b"\0" * 16,
        "liar.safetensors": struct.pack("<Q", 1 << 60) + b"{}",
        "bomb.png": png + chunk(b"IEND", b""),
    }


def _zip_bomb(path, name: str, prefix: bytes, inflated: int = 64 << 20):
    """A zip whose member inflates from about 64 KiB to ``inflated`` bytes (1000-fold)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(name, "w", force_zip64=True) as member:
            member.write(prefix)
            zeros = b"\0" * (1 << 20)
            for _ in range(inflated >> 20):
                member.write(zeros)
    return path


class Monkey:
    """The actions, each a method taking no argument (the random source is ``self.rng``)."""

    def __init__(self, window, rng: random.Random, files):
        self.window = window
        self.doc = window.document
        self.rng = rng
        self.files = files

    # ------------------------------------------------------------ layers
    def select_layer(self):
        names = list(self.doc.spec.names())
        self.doc.select_layer(self.rng.choice(names) if names else None)

    def select_row(self):
        table = self.window.layer_stack.table
        rows = table.model().rowCount()
        if rows:
            table.selectRow(self.rng.randrange(rows))

    def type_param(self):
        editors = _spin_boxes(self.window.inspector.param_form.editors)
        if not editors:
            return self.select_layer()
        spin, text = self.rng.choice(editors), self.rng.choice(NONSENSE)
        spin.selectAll()
        if text.isascii() and self.rng.random() < 0.7:
            QTest.keyClicks(spin, text)  # key by key (QTest types ASCII only)
        else:
            spin.lineEdit().insert(text)  # a paste

    def type_cell(self):
        model = self.window.inspector.kernel_editor.model
        if model.rowCount() and model.columnCount():
            index = model.index(
                self.rng.randrange(model.rowCount()), self.rng.randrange(model.columnCount())
            )
            model.setData(index, self.rng.choice(CELLS))

    def type_bias(self):
        editor = self.window.inspector.kernel_editor
        if editor.bias_edit.isEnabled():
            editor.bias_edit.setText(self.rng.choice(CELLS))
            editor.bias_edit.returnPressed.emit()

    def kernel_tool(self):
        editor = self.window.inspector.kernel_editor
        self.rng.choice([editor.apply_preset, editor.normalize, editor.flip, editor.zero])()

    def add_layer(self):
        choices = [c for c in layer_choices(self.doc.dims) if c is not None]
        stack = self.window.layer_stack
        choice = self.rng.choice(choices)
        if self.rng.random() < 0.5:
            stack.add_at_end(choice, "2")
        else:
            stack.insert_at_selection(choice, "2")

    def edit_stack(self):
        stack = self.window.layer_stack
        if len(self.doc.spec.layers) > 12:
            return stack.delete_selected()
        self.rng.choice(
            [stack.delete_selected, stack.duplicate_selected, stack.move_up, stack.move_down]
        )()

    def preset(self):
        stack = self.window.layer_stack
        stack.presets.activated.emit(self.rng.randrange(1, stack.presets.count()))

    # ------------------------------------------------------------- input
    def stroke(self):
        panel = self.window.input_panel
        plot = panel.draw_signal.plot if self.doc.dims == 1 else panel.draw_image.plot
        shape = self.doc.input.shape
        span = shape[-1]
        points = [
            (self.rng.uniform(-3, span + 3), self.rng.uniform(-2, max(2, shape[1] + 2)))
            for _ in range(self.rng.randrange(2, 12))
        ]
        plot.strokeStarted.emit(*points[0])
        for x, y in points[1:]:
            plot.strokeMoved.emit(x, y)
        plot.strokeFinished.emit()

    def switch_mode(self):
        self.window.input_panel.switch_mode(self.rng.choice([1, 2]))

    def open_hostile(self):
        path = self.rng.choice(self.files)
        choice = self.rng.randrange(5)
        if choice == 0:  # Open or drop as the input: read off the GUI thread
            assert self.window.input_panel.load_path(path), path
        elif choice == 1:  # File > Open workspace: off the GUI thread too
            assert self.window.workspace_actions.open_file(path), path
        elif choice == 2:
            assert not self.window.input_panel.load_path(path, wait=True), path
        elif choice == 3:
            assert not self.window.import_actions.import_weights(path, wait=True), path
        else:
            assert not self.window.import_actions.import_network(path, wait=True), path

    # ------------------------------------------------------------- undo
    def undo_burst(self):
        stack = self.doc.undo_stack
        for _ in range(self.rng.randrange(1, 8)):
            stack.undo()
        if self.rng.random() < 0.6:
            for _ in range(self.rng.randrange(1, 8)):
                stack.redo()

    # ------------------------------------------------------------- views
    def presentation(self):
        self.window.set_presentation(not self.window.presentation_action.isChecked())

    def hover(self):
        maps = self.window.maps_view.maps
        if not maps:
            return
        layer_map = maps[self.rng.choice(list(maps))]
        x, y = self.rng.uniform(-20, 400), self.rng.uniform(-20, 400)
        if self.rng.random() < 0.5:
            layer_map.hovered.emit(layer_map.locate(x, y))
        else:
            layer_map._mouse_moved(QPointF(x, y))
        if self.rng.random() < 0.2:
            hit = layer_map.locate(x, y)
            if hit is not None:
                layer_map.clicked.emit(hit)

    def view_setting(self):
        view = self.window.maps_view
        choice = self.rng.randrange(3)
        if choice == 0:
            view.colormap_box.setCurrentIndex(self.rng.randrange(view.colormap_box.count()))
        elif choice == 1:
            view.shared_box.toggle()
        else:
            view.rf_box.toggle()


# (action, weight): edits are frequent, mode switches and presets rarer
ACTIONS = [
    ("select_layer", 8),
    ("select_row", 4),
    ("type_param", 10),
    ("type_cell", 10),
    ("type_bias", 3),
    ("kernel_tool", 3),
    ("add_layer", 4),
    ("edit_stack", 5),
    ("preset", 1),
    ("stroke", 6),
    ("switch_mode", 1),
    ("open_hostile", 3),
    ("undo_burst", 5),
    ("presentation", 1),
    ("hover", 10),
    ("view_setting", 2),
]


def _spin_boxes(editors) -> list:
    found = []
    for editor in editors.values():
        for widget in editor if isinstance(editor, list | tuple) else [editor]:
            if isinstance(widget, list | tuple):
                found.extend(w for w in widget if isinstance(w, QSpinBox | QDoubleSpinBox))
            elif isinstance(widget, QSpinBox | QDoubleSpinBox) and widget.isEnabled():
                found.append(widget)
    return found


def _settled(window) -> bool:
    s = window.scheduler
    loads = (window.input_panel.loader, window.workspace_actions.loader)
    if any(loader.busy for loader in loads):
        return False
    return s.latest is not None and s.latest.generation == s.generation and s.idle


@pytest.mark.parametrize("seed", SEEDS)
def test_random_actions_never_raise_and_end_with_the_engine_s_maps(
    qtbot, open_window, tmp_path, seed
):
    window = open_window("sine")
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    rng = random.Random(seed)
    monkey = Monkey(window, rng, _hostile_files(tmp_path))
    names, weights = zip(*ACTIONS, strict=True)
    done: list[str] = []
    for step in range(STEPS):
        name = rng.choices(names, weights)[0]
        done.append(name)
        getattr(monkey, name)()
        QApplication.processEvents()
        if step % SETTLE_EVERY == SETTLE_EVERY - 1:  # let passes finish now and then
            qtbot.waitUntil(lambda: _settled(window), timeout=60_000)
    if window.presentation_action.isChecked():
        window.set_presentation(False)
    qtbot.waitUntil(lambda: _settled(window), timeout=60_000)

    doc = window.document
    trace = window.scheduler.latest.trace
    fresh = network.forward(doc.spec, doc.weights, doc.input)
    assert set(trace.outputs) == set(fresh.outputs), done[-10:]
    assert set(trace.errors) == set(fresh.errors)
    for layer, expected in fresh.outputs.items():
        np.testing.assert_array_equal(
            trace.outputs[layer], expected, err_msg=f"{layer} after {done[-8:]}"
        )
    assert all(np.isfinite(a).all() for arrays in doc.weights.values() for a in arrays.values())
    assert len(set(done)) == len(ACTIONS)  # every kind of action ran
