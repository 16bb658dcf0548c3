"""The colours of the current theme, for every room that draws (no widgets here).

``gui.app.theme`` owns the themes (dark, light, high-contrast) and switches them; views read
:func:`colours` when they draw or build, and listen to :data:`signals`'s ``changed`` when
they keep colours of their own (pyqtgraph items, painted widgets). Text that only needs a
tone (an error line, a muted note, the yellow readout) gets it from the application style
sheet through :func:`set_tone` instead of a colour of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal


@dataclass(frozen=True)
class Colours:
    """One theme's colours as ``#rrggbb`` strings (``rgb`` turns one into a tuple)."""

    name: str
    window: str
    text: str
    base: str
    alternate: str
    button: str
    highlight: str
    highlighted_text: str
    tooltip: str
    muted: str  # secondary text (shapes, descriptions)
    plot: str  # map and plot backgrounds, the tiles' gaps
    plot_text: str  # axes, tick labels, plot titles
    plot_line: str  # a plot's main curve
    grid: str  # zero lines, separators
    readout: str  # the yellow numbers
    error: str
    warning: str
    accent: str  # bars, links
    checked: str  # a checked box's fill (under a white check mark)
    indicator: str  # an unchecked box's edge
    overlay: str  # receptive field, probe marker


def rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


DARK = Colours(
    name="dark",
    window="#26262b",
    text="#e6e6e6",
    base="#1c1c20",
    alternate="#2c2c32",
    button="#34343a",
    highlight="#4080c8",
    highlighted_text="#ffffff",
    tooltip="#323238",
    muted="#9aa4aa",
    plot="#1e1e22",
    plot_text="#c8c8cd",
    plot_line="#aabee6",
    grid="#5a5a64",
    readout="#ffd75e",
    error="#ff6b6b",
    warning="#f0b429",
    accent="#4cc9f0",
    checked="#4080c8",
    indicator="#9a9aa8",
    overlay="#ffd700",
)

LIGHT = Colours(
    name="light",
    window="#f3f3f5",
    text="#1a1a1e",
    base="#ffffff",
    alternate="#ebebef",
    button="#e4e4ea",
    highlight="#2f6fb8",
    highlighted_text="#ffffff",
    tooltip="#ffffe8",
    muted="#50565c",
    plot="#ffffff",
    plot_text="#26262b",
    plot_line="#1f4e9c",
    grid="#a0a0aa",
    readout="#8a4b00",
    error="#b3141b",
    warning="#8a5a00",
    accent="#1f77b4",
    checked="#2f6fb8",
    indicator="#55555e",
    overlay="#e08a00",
)

HIGH_CONTRAST = Colours(
    name="high-contrast",
    window="#000000",
    text="#ffffff",
    base="#000000",
    alternate="#141414",
    button="#1a1a1a",
    highlight="#ffff00",
    highlighted_text="#000000",
    tooltip="#000000",
    muted="#e0e0e0",
    plot="#000000",
    plot_text="#ffffff",
    plot_line="#00ffff",
    grid="#b0b0b0",
    readout="#ffff00",
    error="#ff8c8c",
    warning="#ffd000",
    accent="#00ffff",
    checked="#1f4fe0",
    indicator="#ffffff",
    overlay="#ffff00",
)

THEMES = {c.name: c for c in (DARK, LIGHT, HIGH_CONTRAST)}
"""By name, in menu order (the names are ``engine.lessons.THEMES``)."""


class _Signals(QObject):
    changed = Signal(str)  # the new theme's name


signals = _Signals()
_current = [DARK]


def colours() -> Colours:
    """The current theme's colours."""
    return _current[0]


def set_current(name: str) -> Colours:
    """Make ``name`` current and tell the listeners (``gui.app.theme.set_theme`` calls it)."""
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}; choose from {', '.join(THEMES)}")
    changed = _current[0].name != name
    _current[0] = THEMES[name]
    if changed:
        signals.changed.emit(name)
    return _current[0]


def set_tone(widget, tone: str) -> None:
    """Colour ``widget``'s text by the style sheet's rule for ``tone`` ('error', 'warning',
    'muted', 'readout'), so that it follows the theme."""
    widget.setProperty("tone", tone)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
