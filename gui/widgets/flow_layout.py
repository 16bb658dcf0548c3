"""A layout that lays its items out in a row and wraps them onto more rows when narrow.

Used where a row of controls must fit a narrow panel (presentation fonts at laptop width)
without forcing the panel's minimum width: the row's minimum width is its widest item, and
the height follows the width (height-for-width), so scroll areas and box layouts make room.

Items are owned as Qt layouts own them: ``takeAt`` hands an item to the caller (Qt's
removeWidget and a deleted widget's removal then delete it), and the items still in the
layout are deleted with it. A Python list of items would otherwise leave them alive.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget, QWidgetItem


class FlowLayout(QLayout):
    """Items left to right at their preferred widths; an item that does not fit starts a row.

    ``fill``: each row's spare width goes to its horizontally expanding items (a combo box
    set to QSizePolicy.Expanding), or, in a row without any, to all of them equally (a row
    of buttons); otherwise each item keeps its preferred width.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        spacing: int = 6,
        row_spacing: int = 4,
        fill: bool = False,
    ):
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing, self._row_spacing, self._fill = spacing, row_spacing, fill
        if parent is None:
            self.setContentsMargins(0, 0, 0, 0)
        # What a C++ layout's destructor does. Emitted while the widgets are still alive
        # (a widget deletes its layout before its children), which an item's destructor
        # needs. The slot holds the list, not the layout, which is being destroyed.
        self.destroyed.connect(lambda *_, items=self._items: _delete_all(items))

    # ------------------------------------------------------------ QLayout's interface
    def addWidget(self, widget: QWidget) -> None:  # noqa: N802 - Qt's name
        # As QLayout.addWidget, but the item is made here: Qt's own item (made in C++)
        # reaches addItem as a wrapper that Python does not own, so only an explicit
        # delete frees it; ours is freed the same way, and tests can see it freed.
        self.addChildWidget(widget)
        self.addItem(QWidgetItem(widget))

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt's name
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        """Remove the item and hand it to the caller, who deletes it (as Qt's do)."""
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt's name
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self._arrange(QRect(0, 0, width, 0), place=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt's name
        super().setGeometry(rect)
        self._arrange(rect, place=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Everything on one row."""
        visible = self._visible()
        width = sum(i.sizeHint().width() for i in visible)
        width += self._spacing * max(len(visible) - 1, 0)
        height = max((i.sizeHint().height() for i in visible), default=0)
        return QSize(width, height) + self._margin_size()

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt's name
        """The widest item (each on a row of its own)."""
        size = QSize(0, 0)
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        return size + self._margin_size()

    # ------------------------------------------------------------ placing
    def rows(self, width: int) -> list[list[QLayoutItem]]:
        """The visible items, row by row, for a layout ``width`` px wide (margins included)."""
        margins = self.contentsMargins()
        available = width - margins.left() - margins.right()
        rows: list[list[QLayoutItem]] = []
        used = 0
        for item in self._visible():
            w = item.sizeHint().width()
            if rows and rows[-1] and used + self._spacing + w <= available:
                rows[-1].append(item)
                used += self._spacing + w
            else:
                rows.append([item])
                used = w
        return rows

    def _arrange(self, rect: QRect, place: bool) -> int:
        margins = self.contentsMargins()
        left, top = rect.x() + margins.left(), rect.y() + margins.top()
        available = rect.width() - margins.left() - margins.right()
        y = top
        for n, row in enumerate(self.rows(rect.width())):
            if n:
                y += self._row_spacing
            widths = [self._width(item, available) for item in row]
            spare = available - sum(widths) - self._spacing * (len(row) - 1)
            if self._fill and spare > 0:
                widths = _share(row, widths, spare)
            height = max(item.sizeHint().height() for item in row)
            if place:
                x = left
                for item, w in zip(row, widths, strict=True):
                    h = min(max(item.sizeHint().height(), item.minimumSize().height()), height)
                    item.setGeometry(QRect(QPoint(x, y + (height - h) // 2), QSize(w, h)))
                    x += w + self._spacing
            y += height
        return y - top + margins.top() + margins.bottom()

    @staticmethod
    def _width(item: QLayoutItem, available: int) -> int:
        """Preferred width, narrower when the row is (never below the item's minimum)."""
        return max(min(item.sizeHint().width(), available), item.minimumSize().width())

    def _visible(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]

    def _margin_size(self) -> QSize:
        m = self.contentsMargins()
        return QSize(m.left() + m.right(), m.top() + m.bottom())


def _delete_all(items: list[QLayoutItem]) -> None:
    while items:
        item = items.pop()
        if shiboken6.isValid(item):
            shiboken6.delete(item)


def _share(row: list[QLayoutItem], widths: list[int], spare: int) -> list[int]:
    """Give ``spare`` px to the items of a row, equally, as far as their maximum widths allow
    (only to the expanding ones if there are any)."""
    widths = list(widths)
    growable = [i for i, item in enumerate(row) if item.maximumSize().width() > widths[i]]
    expanding = [i for i in growable if row[i].expandingDirections() & Qt.Orientation.Horizontal]
    growable = expanding or growable
    while spare > 0 and growable:
        share = max(spare // len(growable), 1)
        for i in list(growable):
            room = row[i].maximumSize().width() - widths[i]
            step = min(share, room, spare)
            widths[i] += step
            spare -= step
            if widths[i] >= row[i].maximumSize().width():
                growable.remove(i)
            if spare <= 0:
                break
    return widths
