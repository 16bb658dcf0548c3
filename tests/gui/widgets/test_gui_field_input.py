"""Typed values apply on Enter (not each keystroke); the wheel changes only a focused
field, otherwise it scrolls the panel the field is in."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.spec import LayerSpec, NetworkSpec
from gui.lab.inspector.param_form import ParamForm
from gui.state.document import Document
from gui.widgets.field_input import install_field_input

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def _wheel(widget, steps: int = -1) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(QPoint(int(centre.x()), int(centre.y())))),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_typing_12_into_kernel_size_applies_12_on_enter_never_1(qtbot):
    spec = NetworkSpec(
        [
            LayerSpec("conv1", "conv", {"out_channels": 2, "kernel_size": 3, "padding": 1}),
            LayerSpec("conv2", "conv", {"out_channels": 2, "kernel_size": 3, "padding": 1}),
        ],
        (1, 64),
    )
    document = Document(np.zeros((1, 64), np.float32), spec)
    document.select_layer("conv1")
    form = ParamForm(document)
    qtbot.addWidget(form)
    form.show()
    seen: list[int] = []
    document.specChanged.connect(
        lambda *_: seen.append(document.spec.layer("conv1").param("kernel_size"))
    )
    spin = form.editors["kernel_size"][0]
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, "12")
    assert seen == [] and document.spec.layer("conv1").param("kernel_size") == 3
    QTest.keyClick(spin, Qt.Key.Key_Return)
    assert document.spec.layer("conv1").param("kernel_size") == 12
    assert 1 not in seen
    # the arrow keys still apply at once
    QTest.keyClick(spin, Qt.Key.Key_Up)
    assert document.spec.layer("conv1").param("kernel_size") == 13


def test_the_wheel_scrolls_the_panel_over_an_unfocused_field_and_changes_a_focused_one(qtbot):
    install_field_input()
    area = QScrollArea()
    qtbot.addWidget(area)
    body = QWidget()
    column = QVBoxLayout(body)
    spin, combo = QSpinBox(), QComboBox()
    spin.setRange(0, 100)
    spin.setValue(50)
    combo.addItems(["a", "b", "c"])
    column.addWidget(spin)
    column.addWidget(combo)
    column.addSpacing(2000)  # something to scroll
    area.setWidget(body)
    area.resize(300, 300)
    area.show()
    qtbot.waitExposed(area)
    assert not spin.hasFocus()
    _wheel(spin)
    _wheel(combo)
    assert spin.value() == 50 and combo.currentIndex() == 0
    assert area.verticalScrollBar().value() > 0  # the wheel scrolled the panel instead
    area.verticalScrollBar().setValue(0)
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    _wheel(spin, 1)
    assert spin.value() == 51
    assert not spin.keyboardTracking()  # every spin box of the app: typing waits for Enter
