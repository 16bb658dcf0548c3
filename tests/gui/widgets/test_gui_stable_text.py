"""StableText: a new text re-lays out the surrounding panel only when it needs another
height, and the panel always gives it the height its text needs."""

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from gui.widgets.stable_text import StableText


class LayoutRequests(QObject):
    """Counts layout requests reaching the widgets it filters (``ignore``: a widget type
    whose requests do not count)."""

    def __init__(self, ignore: type | None = None):
        super().__init__()
        self.count = 0
        self._ignore = ignore

    def eventFilter(self, watched, event):  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LayoutRequest and not (
            self._ignore is not None and isinstance(watched, self._ignore)
        ):
            self.count += 1
        return False


def _panel(qtbot):
    panel = QWidget()
    qtbot.addWidget(panel)
    layout = QVBoxLayout(panel)
    text = StableText("one short line")
    layout.addWidget(text)
    layout.addWidget(QLabel("below"))
    layout.addStretch(1)
    panel.resize(240, 600)
    panel.show()
    QApplication.processEvents()
    return panel, text


def test_same_height_no_layout_and_more_lines_get_their_room(qtbot):
    panel, text = _panel(qtbot)
    requests = LayoutRequests()
    panel.installEventFilter(requests)
    text.setText("one other line")
    QApplication.processEvents()
    assert requests.count == 0  # same height: the panel is not laid out again
    one_line = text.height()
    long = " ".join(["word"] * 80)
    text.setText(long)
    QApplication.processEvents()
    assert requests.count >= 1
    assert text.height() >= text.label.heightForWidth(text.width()) > one_line
    assert text.label.geometry() == text.rect()  # the label fills its box
    text.setText("short again")
    QApplication.processEvents()
    assert text.height() == one_line


def test_a_bigger_font_makes_room_too(qtbot):
    panel, text = _panel(qtbot)
    before = text.height()
    font = text.label.font()
    font.setPointSizeF(font.pointSizeF() * 2.5)
    text.label.setFont(font)  # e.g. presentation mode sending fonts to every widget
    qtbot.waitUntil(lambda: text.height() > before, timeout=5_000)
    assert text.height() >= text.label.heightForWidth(text.width())
