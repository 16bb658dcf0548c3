"""FlowLayout owns its items as Qt layouts do: removed widgets' items and the items left when
the layout goes are deleted, so rows rebuilt again and again leave nothing behind.

An item made in Python reports its C++ deletion (shiboken6.isValid turns False); FlowLayout
makes its widget items in Python, so every item here can be watched.
"""

from __future__ import annotations

import weakref

from PySide6.QtWidgets import QLabel, QPushButton, QSpacerItem, QVBoxLayout, QWidget
from shiboken6 import delete, isValid

from gui.widgets.flow_layout import FlowLayout


def fill(layout: FlowLayout, host: QWidget, n: int) -> tuple[list[QWidget], list]:
    widgets = [QLabel(f"readout {i}", host) for i in range(n)]
    for widget in widgets:
        layout.addWidget(widget)
    return widgets, [layout.itemAt(i) for i in range(layout.count())]


def test_rebuilt_rows_leave_no_items_behind(qtbot):
    panel = QWidget()
    qtbot.addWidget(panel)
    column = QVBoxLayout(panel)
    panel.show()
    gone = []
    for _ in range(30):  # a bar rebuilt again and again: the old one goes, a new one comes
        bar = QWidget()
        layout = FlowLayout(bar, spacing=14)
        column.addWidget(bar)
        widgets, items = fill(layout, bar, 4)
        qtbot.waitUntil(lambda w=widgets: w[-1].geometry().width() > 0)
        with qtbot.waitSignal(bar.destroyed):
            bar.deleteLater()
        del bar, layout, widgets
        gone += items
    assert len(gone) == 120 and not any(isValid(item) for item in gone)

    # widgets deleted from a living row take their items along
    bar = QWidget(panel)
    layout = FlowLayout(bar)
    widgets, items = fill(layout, bar, 4)
    for widget in widgets:
        widget.deleteLater()
    qtbot.waitUntil(lambda: layout.count() == 0)
    assert not any(isValid(item) for item in items)


def test_remove_widget_and_take_at_release_the_item(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    layout = FlowLayout(host)
    widgets, items = fill(layout, host, 3)
    layout.removeWidget(widgets[0])  # Qt deletes what takeAt hands it
    assert not isValid(items[0]) and isValid(widgets[0])
    widgets[1].setParent(None)  # a widget moved elsewhere takes its item along
    assert not isValid(items[1]) and layout.count() == 1
    delete(widgets[1])
    taken = layout.takeAt(0)  # a Python caller owns what it takes: dropped, it is freed
    assert taken is items[2] and layout.count() == 0 and layout.takeAt(0) is None
    watch = weakref.ref(taken)
    del taken, items
    assert watch() is None


def test_items_left_in_the_layout_are_deleted_with_it(qtbot):
    host = QWidget()  # deleted below
    outer = QVBoxLayout(host)
    row = FlowLayout(spacing=6)
    outer.addLayout(row)  # nested, as in the input panel
    widgets, items = fill(row, host, 3)
    spacer = QSpacerItem(10, 10)
    row.addItem(spacer)
    button = QPushButton("go", host)
    row.addWidget(button)
    items.append(row.itemAt(row.count() - 1))
    delete(host)
    assert not any(isValid(item) for item in [*items, spacer])

    alone = FlowLayout()  # a layout deleted on its own leaves its widgets alone
    other = QWidget()
    qtbot.addWidget(other)
    label = QLabel("kept", other)
    alone.addWidget(label)
    item = alone.itemAt(0)
    delete(alone)
    assert not isValid(item) and isValid(label)
