"""Lookup tables for the maps: 255 colours plus one background entry for tile gaps.

Index ``i`` in 0..254 is the colour of bin ``i`` (see :mod:`gui.compute.display`); index 255
(:data:`gui.compute.display.GAP`) is the background, so gaps between tiles vanish into the panel.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyqtgraph as pg

from gui.compute.display import GAP, LEVELS, ColourTables, argb_table
from gui.widgets.themes import colours, rgb

BACKGROUND = (30, 30, 34)  # the maps panel's background in the dark theme
# the current theme's (gui.app.theme.set_theme sets it once this module is imported)
_background = [rgb(colours().plot)]


def background() -> tuple[int, int, int]:
    """The maps' background (and the tiles' gap colour) of the current theme."""
    return _background[0]


def set_background(rgb: tuple[int, int, int]) -> None:
    """A new theme: the lookup tables' gap entry becomes ``rgb`` (tables made anew)."""
    rgb = tuple(int(v) for v in rgb)
    if rgb != _background[0]:
        _background[0] = rgb
        lookup_table.cache_clear()
        colour_tables.cache_clear()


# A blue-white-red diverging map (ColorBrewer RdBu, reversed), white exactly at zero.
_DIVERGING = [
    (5, 48, 97),
    (33, 102, 172),
    (67, 147, 195),
    (146, 197, 222),
    (209, 229, 240),
    (247, 247, 247),
    (253, 219, 199),
    (244, 165, 130),
    (214, 96, 77),
    (178, 24, 43),
    (103, 0, 31),
]


@cache
def colormap(name: str, symmetric: bool = True) -> pg.ColorMap:
    """The pyqtgraph ColorMap for a view colormap name ('auto' picks by ``symmetric``)."""
    if name == "auto":
        name = "diverging" if symmetric else "viridis"
    if name == "diverging":
        return pg.ColorMap(np.linspace(0, 1, len(_DIVERGING)), _DIVERGING)
    if name == "gray":
        return pg.ColorMap([0.0, 1.0], [(0, 0, 0), (255, 255, 255)])
    return pg.colormap.get(name)


@cache
def lookup_table(name: str, symmetric: bool = True) -> np.ndarray:
    """(256, 3) uint8: 255 colour bins (bin centres sampled) and the background at GAP."""
    cmap = colormap(name, symmetric)
    positions = (np.arange(LEVELS) + 0.5) / LEVELS
    colours = cmap.map(positions, mode=pg.ColorMap.BYTE)[:, :3]
    lut = np.empty((256, 3), dtype=np.uint8)
    lut[:LEVELS] = colours
    lut[GAP] = _background[0]
    lut.flags.writeable = False
    return lut


@cache
def colour_tables(name: str) -> ColourTables:
    """The worker's colour tables for a view colormap name (see :class:`ColourTables`)."""
    return ColourTables(argb_table(lookup_table(name, True)), argb_table(lookup_table(name, False)))


@cache
def overlay_table(rgba: tuple[int, int, int, int] = (255, 215, 0, 110)) -> np.ndarray:
    """(256, 4) uint8 for receptive-field overlays: 0 and GAP transparent, 1 highlighted."""
    lut = np.zeros((256, 4), dtype=np.uint8)
    lut[1] = rgba
    lut.flags.writeable = False
    return lut
