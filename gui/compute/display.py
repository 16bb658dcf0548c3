"""Display data for the maps, made in the compute worker (Qt-free: numpy and torch only).

A layer's float output becomes what pyqtgraph can paint without further work: C-contiguous
uint8 images indexed into a 256-entry lookup table (pyqtgraph's fast Indexed8 path) with the
channels tiled into one image per layer, or normalised traces for 1D layers.

Quantisation: with levels ``(lo, hi)`` a value ``v`` goes to
``clip(floor((v - lo) * (255 / (hi - lo))), 0, 254)`` — 255 equal bins, so zero sits in the
middle bin (127) of a symmetric diverging map — and index :data:`GAP` (255) is reserved for
the gaps between tiles, which the lookup table paints as the background.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from engine.incremental import channel_index


def _prime_readonly_warning() -> None:
    # torch warns once per process when it wraps a read-only array (the document's arrays
    # are read-only on purpose); trigger that once here, silenced, on the importing thread.
    import warnings

    readonly = np.zeros(1, dtype=np.float32)
    readonly.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.from_numpy(readonly)


_prime_readonly_warning()

GAP = 255  # lookup-table index of the 1-px gaps between tiles
LEVELS = 255  # number of colour bins (indices 0..254)

DIVERGING = ("diverging",)


@dataclass(frozen=True)
class DisplayHint:
    """What the maps view can show: at most ``max_columns`` tiles per row, ``tile_px`` wide;
    1D traces across ``trace_px`` pixels (longer traces are drawn as a peak envelope)."""

    max_columns: int = 16
    tile_px: int = 96
    trace_px: int = 2048


@dataclass
class LayerDisplay:
    """One layer's display data.

    ``kind`` is ``"map2d"`` (tiled uint8 ``image``), ``"traces"`` (1D: ``traces`` (C, L)
    float32 scaled into [-0.5, 0.5] by ``1 / (2 * max|v|)``; when L is over twice the
    hint's ``trace_px``, a peak envelope instead: each block of ``factor`` samples gives
    its min and its max, both at the block's centre ``trace_x``), ``"vector"`` (a (1, D) uint8
    ``image``) or ``"missing"`` (the layer has no output: error or skipped).

    For map2d, ``grid`` is (rows, cols), ``tile`` is the displayed tile (h, w) and ``factor``
    the downsampling: one displayed pixel is the mean of a ``factor``x``factor`` block of the
    output (blocks at the far edges may be smaller). ``pitch`` is the distance (y, x) from
    one tile's origin to the next in layer positions (scene units): it depends only on the
    layer's shape and the display hint, so a layer drawn at full resolution (``factor`` 1,
    for a zoomed view) sits exactly where its downsampled drawing did.

    ``rgb``, when colour tables were given, is ``image`` already coloured (uint32
    0xAARRGGBB, what QImage's RGB32 format reads): the GUI thread then paints it without
    converting the indexed image on every paint; ``colormap`` names the view colormap it
    was coloured with. ``levels`` are the values of index 0 and of the top of index 254;
    ``symmetric`` says they are ±max|v| (diverging, centred on zero).

    For map2d, ``channel_ranges`` (C, 2) holds each channel's (min, max) and ``small``
    the downsampled float tiles (C, h, w) before quantisation (None when ``factor`` is 1):
    the next drawing of this layer after an edit that changed a few channels redoes only
    those (see :func:`layer_display`'s ``basis``).
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    levels: tuple[float, float] = (0.0, 1.0)
    symmetric: bool = False
    image: np.ndarray | None = None
    rgb: np.ndarray | None = None
    colormap: str = ""
    traces: np.ndarray | None = None
    grid: tuple[int, int] = (1, 1)
    tile: tuple[int, int] = (0, 0)
    factor: int = 1
    pitch: tuple[int, int] = (0, 0)
    channel_ranges: np.ndarray | None = None
    small: torch.Tensor | None = None
    trace_x: np.ndarray | None = None  # sample positions of ``traces`` (None: 0, 1, ...)
    # A dropout layer in training mode: where its mask dropped units, in the layout of
    # ``image`` (1 dropped, 0 kept, GAP between tiles) or, for traces, (C, L) bool.
    dropped: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def wants_symmetric(colormap: str, vmin: float) -> bool:
    """Diverging maps are centred on zero; 'auto' is diverging exactly when values go negative."""
    if colormap in DIVERGING:
        return True
    if colormap == "auto":
        return vmin < 0
    return False


def levels_for(vmin: float, vmax: float, symmetric: bool) -> tuple[float, float]:
    """The (lo, hi) a layer is drawn with; never an empty range."""
    if symmetric:
        m = max(abs(vmin), abs(vmax))
        return (-m, m) if m > 0 else (-1.0, 1.0)
    lo, hi = (0.0, vmax) if vmin >= 0 else (vmin, vmax)
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def quantize(values: torch.Tensor, levels: tuple[float, float]) -> torch.Tensor:
    """float32 values -> uint8 indices 0..254 (see the module docstring)."""
    lo, hi = levels
    scale = np.float32(LEVELS / (hi - lo))
    q = values.sub(np.float32(lo)).mul_(float(scale)).floor_().clamp_(0, LEVELS - 1)
    return q.to(torch.uint8)


def quantize_numpy(values: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """The same mapping in numpy (for tests and for single small arrays)."""
    lo, hi = levels
    scale = np.float32(LEVELS / (hi - lo))
    q = np.floor((values.astype(np.float32) - np.float32(lo)) * scale)
    return np.clip(q, 0, LEVELS - 1).astype(np.uint8)


def grid_for(channels: int, max_columns: int) -> tuple[int, int]:
    """(rows, cols) for ``channels`` tiles, at most ``max_columns`` wide, rows balanced."""
    cols = max(1, min(channels, max_columns))
    rows = math.ceil(channels / cols)
    cols = math.ceil(channels / rows)  # e.g. 20 channels in 16 columns -> 2 rows of 10
    return rows, cols


def factor_for(h: int, w: int, tile_px: int) -> int:
    """Integer downsampling so a displayed tile is at most ``tile_px`` (block means)."""
    return max(1, min(h, w, math.ceil(max(h, w) / max(1, tile_px))))


def downsample(values: torch.Tensor, factor: int) -> torch.Tensor:
    """(C, H, W) -> block means over factor x factor blocks (edge blocks may be smaller).

    The same numbers as ``F.avg_pool2d(values, factor, ceil_mode=True)`` up to float32
    rounding (tested), several times faster: avg_pool2d's CPU kernel is not vectorised,
    while adding every ``factor``-th row (then column) is. The k-th strided slice of an
    axis is never longer than the first, so ragged last blocks need no special case.
    """
    if factor <= 1:
        return values
    f = factor
    _, h, w = values.shape
    rows = values[:, 0::f].clone()
    for k in range(1, min(f, h)):
        part = values[:, k::f]
        rows[:, : part.shape[1]] += part
    sums = rows[:, :, 0::f].clone()
    for k in range(1, min(f, w)):
        part = rows[:, :, k::f]
        sums[:, :, : part.shape[2]] += part
    return sums.div_(_block_sizes(h, w, f))


@functools.lru_cache(maxsize=64)
def _block_sizes(h: int, w: int, f: int) -> torch.Tensor:
    """(rows, cols) float32: how many positions each displayed block averages."""
    along_h = torch.tensor([min(f, h - i) for i in range(0, h, f)], dtype=torch.float32)
    along_w = torch.tensor([min(f, w - j) for j in range(0, w, f)], dtype=torch.float32)
    return torch.outer(along_h, along_w)


def tile(
    q: torch.Tensor, grid: tuple[int, int], pitch: tuple[int, int] | None = None
) -> np.ndarray:
    """(C, h, w) uint8 -> one image of the tiles, ``pitch`` (y, x) pixels apart, GAP between.

    The default pitch (h + 1, w + 1) leaves 1-pixel gaps; the image ends with the last tile
    (no gap after it).
    """
    rows, cols = grid
    c, h, w = q.shape
    py, px = pitch or (h + 1, w + 1)
    padded = torch.full((rows * cols, py, px), GAP, dtype=torch.uint8)
    padded[:c, :h, :w] = q
    image = padded.view(rows, cols, py, px).permute(0, 2, 1, 3)
    image = image.reshape(rows * py, cols * px)[: rows * py - (py - h), : cols * px - (px - w)]
    return np.ascontiguousarray(image.numpy())


FULL_RESOLUTION_LIMIT = 8_000_000  # values; a bigger layer stays downsampled when zoomed


def full_resolution_allowed(shape: tuple[int, ...]) -> bool:
    """Whether a zoomed 2D layer of ``shape`` is drawn at full resolution (memory bound)."""
    return len(shape) == 3 and math.prod(shape) <= FULL_RESOLUTION_LIMIT


@dataclass(frozen=True)
class TileLayout:
    """How a (C, H, W) layer is laid out on screen (see :class:`LayerDisplay`)."""

    grid: tuple[int, int]
    factor: int
    tile: tuple[int, int]  # displayed tile size in pixels at ``factor``
    pitch: tuple[int, int]  # tile origin to tile origin, in layer positions


def layout_for(shape: tuple[int, int, int], hint: DisplayHint) -> TileLayout:
    c, h, w = shape
    f = factor_for(h, w, hint.tile_px)
    th, tw = -(-h // f), -(-w // f)
    return TileLayout(grid_for(c, hint.max_columns), f, (th, tw), ((th + 1) * f, (tw + 1) * f))


def value_range(output: np.ndarray) -> tuple[float, float]:
    if output.size == 0:
        return 0.0, 0.0
    lo, hi = torch.aminmax(torch.from_numpy(output))
    return float(lo), float(hi)


def channel_ranges(values: torch.Tensor) -> np.ndarray:
    """(C, ...) -> (C, 2) float64: each channel's (min, max); NaN when it holds a NaN."""
    flat = values.reshape(values.shape[0], -1)
    # amin and amax apart: torch's aminmax along a dimension is ~50x slower on CPU.
    return torch.stack((flat.amin(1), flat.amax(1)), 1).numpy().astype(np.float64)


def layer_channel_ranges(
    output: np.ndarray, basis: LayerDisplay | None = None, changed: frozenset[int] | None = None
) -> np.ndarray | None:
    """A (C, H, W) output's :func:`channel_ranges`, measuring only ``changed`` channels when
    ``basis`` (an earlier drawing of the same layer and shape) knows the others."""
    if output.ndim != 3 or output.size == 0:
        return None
    values = torch.from_numpy(output)
    if not _usable(basis, output.shape, changed) or basis.channel_ranges is None:
        return channel_ranges(values)
    ranges = basis.channel_ranges.copy()
    if changed:
        index = channel_index(changed)
        ranges[index] = channel_ranges(values[index])
    return ranges


def _usable(basis: LayerDisplay | None, shape: tuple[int, ...], changed) -> bool:
    return (
        changed is not None
        and basis is not None
        and basis.kind == "map2d"
        and basis.shape == tuple(shape)
    )


def reduced_range(ranges: np.ndarray) -> tuple[float, float]:
    """The (min, max) over all channels of :func:`channel_ranges` (NaN if any is NaN)."""
    lo, hi = ranges[:, 0], ranges[:, 1]
    if np.isnan(lo).any() or np.isnan(hi).any():
        return float("nan"), float("nan")
    return float(lo.min()), float(hi.max())


@dataclass(frozen=True)
class ColourTables:
    """A colormap's 256-entry tables as uint32 0xAARRGGBB: for signed and unsigned layers.

    Made on the GUI thread from :func:`gui.compute.colormaps.lookup_table` (index 255 is the gap
    background), so that the worker can colour images without knowing about colormaps.
    """

    symmetric: np.ndarray
    sequential: np.ndarray


def argb_table(lut: np.ndarray) -> np.ndarray:
    """A (256, 3) uint8 lookup table as (256,) uint32 opaque 0xFFRRGGBB values."""
    rgb = lut.astype(np.uint32)
    table = np.uint32(0xFF000000) | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
    table.flags.writeable = False
    return table


def _coloured(image: np.ndarray, tables: ColourTables | None, symmetric: bool):
    if tables is None:
        return None
    table = tables.symmetric if symmetric else tables.sequential
    return np.take(table, image)  # a fresh C-contiguous (h, w) uint32 array


def layer_display(
    name: str,
    output: np.ndarray,
    hint: DisplayHint,
    colormap: str,
    own_range: tuple[float, float] | None = None,
    shared_range: tuple[float, float] | None = None,
    tables: ColourTables | None = None,
    full_resolution: bool = False,
    basis: LayerDisplay | None = None,
    changed: frozenset[int] | None = None,
    ranges: np.ndarray | None = None,
) -> LayerDisplay:
    """Display data for one layer output (C, H, W), (C, L) or (D,).

    ``own_range`` is the output's (min, max) when already known; ``shared_range`` the
    (min, max) over all layers when levels are shared. Whether a layer is drawn diverging
    depends on its own values; how far its levels reach, on the shared range if given.
    With ``tables`` (the colormap's colour tables) images come coloured as well (``rgb``).
    ``full_resolution`` draws a 2D layer without downsampling, in the same layout.

    ``basis`` is an earlier drawing of this layer, in the same layout, from an output
    that differed from ``output`` only in the channels ``changed`` (the engine's
    ``Trace.changed_channels``): only those channels are measured and downsampled again
    (the same numbers as drawing it whole). ``ranges`` are its :func:`channel_ranges`
    when already known.
    """
    if output.ndim == 3:
        if ranges is None:
            ranges = layer_channel_ranges(output, basis, changed)
        if own_range is None and ranges is not None:
            own_range = reduced_range(ranges)
    vmin, vmax = value_range(output) if own_range is None else own_range
    symmetric = wants_symmetric(colormap, vmin)
    if shared_range is None:
        levels = levels_for(vmin, vmax, symmetric)
    else:
        smin, smax = shared_range
        low = smin if (symmetric or vmin < 0) else max(smin, 0.0)
        levels = levels_for(low, smax, symmetric)
    shape = tuple(output.shape)
    values = torch.from_numpy(output)
    if output.ndim == 3:
        layout = layout_for(shape, hint)
        if full_resolution and full_resolution_allowed(shape):
            small, factor, pitch_px = values, 1, layout.pitch
        else:
            factor, pitch_px = layout.factor, None
            small = _downsampled(values, factor, basis, changed)
        image = tile(quantize(small, levels), layout.grid, pitch_px)
        return LayerDisplay(
            name,
            "map2d",
            shape,
            levels,
            symmetric,
            image=image,
            rgb=_coloured(image, tables, symmetric),
            colormap=colormap,
            grid=layout.grid,
            tile=(small.shape[1], small.shape[2]),
            factor=factor,
            pitch=layout.pitch,
            channel_ranges=ranges,
            small=small if factor > 1 else None,
        )
    if output.ndim == 2:
        m = max(abs(vmin), abs(vmax)) or 1.0
        traces, x, factor = peak_envelope(values, hint.trace_px)
        traces = (traces * np.float32(0.5 / m)).numpy()
        return LayerDisplay(
            name, "traces", shape, levels, symmetric, traces=traces, factor=factor, trace_x=x
        )
    if output.ndim == 1:
        image = np.ascontiguousarray(quantize(values, levels).numpy()[None, :])
        rgb = _coloured(image, tables, symmetric)
        return LayerDisplay(
            name, "vector", shape, levels, symmetric, image=image, rgb=rgb, colormap=colormap
        )
    return LayerDisplay(name, "missing", shape, levels, symmetric)


def peak_envelope(values: torch.Tensor, pixels: int):
    """(C, L) -> (traces, x, factor): the values themselves (x None, factor 1) when L is at
    most ``2 * pixels``; else per block of ``factor = ceil(L / pixels)`` samples its min then
    its max, both at the block's centre (what a line through every sample covers on a
    screen ``pixels`` wide; the last block may be shorter)."""
    c, length = values.shape
    if length <= 2 * max(1, pixels):
        return values, None, 1
    f = math.ceil(length / pixels)
    blocks = math.ceil(length / f)
    padded = values
    if blocks * f != length:  # repeat the last sample: min and max stay the block's own
        padded = torch.cat((values, values[:, -1:].expand(c, blocks * f - length)), 1)
    shaped = padded.reshape(c, blocks, f)
    envelope = torch.stack((shaped.amin(2), shaped.amax(2)), 2).reshape(c, 2 * blocks)
    starts = np.arange(blocks, dtype=np.float32) * f
    ends = np.minimum(starts + f, length)
    x = np.repeat((starts + ends - 1) / 2, 2).astype(np.float32)
    return envelope, x, f


def _downsampled(
    values: torch.Tensor, factor: int, basis: LayerDisplay | None, changed
) -> torch.Tensor:
    """:func:`downsample`, redoing only ``changed`` channels of ``basis.small`` if usable."""
    if (
        factor <= 1
        or not _usable(basis, tuple(values.shape), changed)
        or basis.factor != factor
        or basis.small is None
    ):
        return downsample(values, factor)
    if not changed:
        return basis.small
    small = basis.small.clone()
    index = channel_index(changed)
    small[index] = downsample(values[index], factor)
    return small


def dropped_for(keep: np.ndarray, display: LayerDisplay) -> np.ndarray | None:
    """Where a dropout mask (``keep``: True = kept, the layer's output shape) dropped units,
    in ``display``'s layout: for 2D maps a displayed pixel is marked when at least half the
    positions of its block were dropped (exactly the dropped units at factor 1)."""
    dropped = torch.from_numpy(~np.asarray(keep, dtype=bool))
    if display.kind == "map2d":
        f = display.factor
        share = dropped.float() if f <= 1 else downsample(dropped.float(), f)
        marks = (share >= 0.5).to(torch.uint8)
        pitch = display.pitch if f <= 1 else None
        image = tile(marks, display.grid, pitch)
        if image.shape != display.image.shape:
            image = tile(marks, display.grid)
        return image if image.shape == display.image.shape else None
    if display.kind == "vector":
        return np.ascontiguousarray(dropped.numpy().astype(np.uint8)[None, :])
    if display.kind == "traces":
        return np.ascontiguousarray(dropped.numpy())
    return None


def overlay_for(
    mask: np.ndarray, shape: tuple[int, ...], hint: DisplayHint, full_resolution: bool = False
) -> np.ndarray:
    """A receptive-field mask in the display layout of a layer of ``shape``.

    2D (C, H, W): the (H, W) mask downsampled like the maps (a displayed pixel is inside
    when any position of its block is; not downsampled with ``full_resolution``) and
    repeated in every channel's tile; 1D and vectors: a (1, N) row. Values: 1 inside,
    0 outside, GAP between tiles.
    """
    m = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.uint8))
    if len(shape) == 3:
        layout = layout_for(shape, hint)
        c = shape[0]
        if full_resolution and full_resolution_allowed(shape):
            return tile(m.expand(c, *m.shape), layout.grid, layout.pitch)
        if layout.factor > 1:
            f = layout.factor
            m = F.max_pool2d(m[None].float(), f, ceil_mode=True)[0].to(torch.uint8)
        return tile(m.expand(c, *m.shape), layout.grid)
    return np.ascontiguousarray(m.reshape(1, -1).numpy())
