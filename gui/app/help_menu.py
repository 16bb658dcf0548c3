"""Help ▸ Keyboard and mouse, Getting started, About ConvScope.

The keyboard list is read from the window's own actions when it is opened (so it names
the shortcuts that exist, also those added later by other rooms); the mouse gestures are
the ones the maps and panels implement.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

GESTURES = (
    ("Hover a value in the maps", "its arithmetic appears under Hovered value (inspector)"),
    ("Click a value", "pins the probe there (hovering no longer moves it); click again to free"),
    ("Ctrl + wheel over a map", "zoom the map"),
    ("Drag a zoomed map", "pan it"),
    ("Wheel", "scroll the page; a field changes with the wheel only once clicked (focused)"),
    ("Draw on the input", "paint the image or signal with the brush (Eraser to erase)"),
    ("Edit a value in the Weights table", "change a weight; the maps follow at once"),
    ("Alt+Up / Alt+Down (layer table)", "move the selected layer up or down"),
    ("Type a number, then Enter", "a typed value is applied on Enter or when you leave the field"),
)

GETTING_STARTED = """
<h3>Getting started</h3>
<ol>
<li><b>Pick an input</b> on the left: an example (image or 1D signal), a file (File ▸ Open
input…), or draw one.</li>
<li><b>Watch the maps</b> in the middle: every layer's channels, recomputed as you edit.
Hover a value to see the arithmetic behind it under <i>Hovered value</i> on the right;
click to pin it. The input positions it depends on (its receptive field) are outlined.</li>
<li><b>Select a layer</b> (in the maps or the Layers table below) to edit its parameters and
kernels in the inspector on the right; Ctrl+Z undoes any edit.</li>
<li><b>Design</b> in the Layers tab: add, insert, duplicate, move layers, or load a preset;
shapes, parameter counts and errors follow at once.</li>
<li><b>Train</b> in the Training tab (the book's MNIST-1D CNN against a fully connected
network, or your own), then look at what the kernels learned.</li>
<li><b>Present</b>: View ▸ Presentation mode (F5) for large text and maps.</li>
<li><b>Keep your work</b>: File ▸ Save workspace; export the network as PyTorch from the
command line (<code>python app.py export --help</code>).</li>
</ol>
"""


def _shortcuts(window: QWidget) -> list[tuple[str, str]]:
    rows, seen = [], set()
    for action in window.findChildren(QAction):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        keys = [k for k in keys if k]
        text = action.text().replace("&", "").rstrip("…").strip() or action.toolTip()
        if not keys or not text or (text, tuple(keys)) in seen:
            continue
        seen.add((text, tuple(keys)))
        rows.append((" or ".join(keys), text))
    return sorted(rows, key=lambda r: r[1].lower())


def keyboard_and_mouse_html(window: QWidget) -> str:
    def table(rows):
        cells = "".join(
            f"<tr><td><b>{escape(a)}</b>&nbsp;&nbsp;</td><td>{escape(b)}</td></tr>" for a, b in rows
        )
        return f"<table cellspacing='2'>{cells}</table>"

    return (
        "<h3>Mouse and gestures</h3>"
        + table(GESTURES)
        + "<h3>Keyboard shortcuts</h3>"
        + table(_shortcuts(window))
    )


def about_html(version: str) -> str:
    return (
        f"<h3>ConvScope {escape(version)}</h3>"
        "<p>A lab that makes convolutional networks visible: draw an input, edit kernels, "
        "design and train small networks, and see every layer follow. Built on the "
        "“Convolutional networks” chapter of <i>Understanding Deep Learning</i> (Prince).</p>"
        "<p>PySide6, pyqtgraph, numpy and torch.</p>"
    )


class HelpPage(QDialog):
    """A non-modal page of help text (it stays open beside the lab)."""

    def __init__(self, title: str, html: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(html)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(620, 520)


def install_help(window, version: str) -> None:
    """The Help menu of ``window``; its pages are ``window.help_pages`` once opened."""
    menu = window.menu("Help")
    window.help_pages = {}

    def open_page(key: str, title: str, make_html) -> HelpPage:
        page = window.help_pages.get(key)
        if page is None:
            page = HelpPage(title, make_html(), window)
            page.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
            window.help_pages[key] = page
        elif page.isVisible():
            page.browser.setHtml(make_html())
            page.raise_()  # already open, perhaps behind the lab
            return page
        else:
            page.browser.setHtml(make_html())
        page.show()
        return page

    entries = (
        ("keys", "&Keyboard and mouse", "F1", lambda: keyboard_and_mouse_html(window)),
        ("start", "&Getting started", None, lambda: GETTING_STARTED),
        ("about", "&About ConvScope", None, lambda: about_html(version)),
    )
    window.help_actions = {}
    for key, text, shortcut, make_html in entries:
        action = QAction(text, window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        title = text.replace("&", "")
        action.triggered.connect(lambda _=False, k=key, t=title, m=make_html: open_page(k, t, m))
        menu.addAction(action)
        window.help_actions[key] = action
