"""Display data made in the worker: block means, quantisation bins, colours."""

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from gui.compute.colormaps import colour_tables, lookup_table
from gui.compute.display import (
    GAP,
    DisplayHint,
    argb_table,
    downsample,
    layer_display,
    quantize_numpy,
)


@st.composite
def maps_and_factor(draw):
    c = draw(st.integers(1, 5))
    h = draw(st.integers(1, 40))
    w = draw(st.integers(1, 40))
    f = draw(st.integers(1, min(h, w)))
    seed = draw(st.integers(0, 2**31 - 1))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    values = np.random.default_rng(seed).standard_normal((c, h, w)) * scale
    return values.astype(np.float32), f


@given(maps_and_factor())
def test_downsample_is_avg_pool2d_with_ragged_edge_blocks(case):
    values, f = case
    ours = downsample(torch.from_numpy(values), f).double()
    want = F.avg_pool2d(torch.from_numpy(values).double()[None], f, ceil_mode=True)[0]
    assert ours.shape == want.shape
    tolerance = 1e-6 * float(np.abs(values).max()) + 1e-30
    assert float((ours - want).abs().max()) <= tolerance


def test_downsample_edge_blocks_average_only_what_they_cover():
    values = torch.arange(5 * 7, dtype=torch.float32).reshape(1, 5, 7)
    out = downsample(values, 3)  # blocks: rows 0-2 | 3-4, columns 0-2 | 3-5 | 6
    assert out.shape == (1, 2, 3)
    assert out[0, 1, 2] == float(values[0, 3:, 6:].mean())  # the 2x1 corner block
    assert out[0, 0, 2] == float(values[0, :3, 6:].mean())  # a 3x1 edge block
    assert downsample(values, 1) is values


def test_argb_table_packs_opaque_rgb():
    lut = lookup_table("viridis", False)
    table = argb_table(lut)
    assert table.dtype == np.uint32 and table.shape == (256,)
    r, g, b = (int(v) for v in lut[17])
    assert int(table[17]) == 0xFF000000 | r << 16 | g << 8 | b


def test_rendered_layers_come_coloured_with_the_table_of_their_kind():
    rng = np.random.default_rng(3)
    tables = colour_tables("auto")
    signed = rng.standard_normal((6, 20, 30)).astype(np.float32)
    render = layer_display("conv", signed, DisplayHint(4, 10), "auto", tables=tables)
    assert render.symmetric and render.colormap == "auto"
    np.testing.assert_array_equal(render.rgb, tables.symmetric[render.image])
    assert (render.rgb[render.image == GAP] == tables.symmetric[GAP]).all()
    positive = np.abs(signed)
    render = layer_display("relu", positive, DisplayHint(4, 10), "auto", tables=tables)
    assert not render.symmetric
    np.testing.assert_array_equal(render.rgb, tables.sequential[render.image])
    vector = layer_display("fc", signed[0, 0], DisplayHint(), "auto", tables=tables)
    np.testing.assert_array_equal(vector.rgb, tables.symmetric[vector.image])
    assert layer_display("conv", signed, DisplayHint(), "auto").rgb is None  # no tables


@st.composite
def layers_and_hints(draw):
    c = draw(st.integers(1, 12))
    h = draw(st.integers(1, 70))
    w = draw(st.integers(1, 70))
    hint = DisplayHint(max_columns=draw(st.integers(1, 8)), tile_px=draw(st.integers(4, 40)))
    seed = draw(st.integers(0, 2**31 - 1))
    values = np.random.default_rng(seed).standard_normal((c, h, w)).astype(np.float32)
    return values, hint


@given(layers_and_hints())
def test_full_resolution_sits_exactly_where_the_downsampled_drawing_does(case):
    values, hint = case
    c, h, w = values.shape
    small = layer_display("x", values, hint, "auto")
    full = layer_display("x", values, hint, "auto", full_resolution=True)
    assert full.factor == 1 and full.tile == (h, w) and full.levels == small.levels
    assert full.pitch == small.pitch and full.grid == small.grid
    f, (py, px) = small.factor, small.pitch
    _, cols = small.grid
    exact = quantize_numpy(values, full.levels)
    means = quantize_numpy(downsample(torch.from_numpy(values), f).numpy(), small.levels)
    rng = np.random.default_rng(0)
    for _ in range(20):
        ch, i, j = int(rng.integers(c)), int(rng.integers(h)), int(rng.integers(w))
        row, col = divmod(ch, cols)
        y, x = row * py + i, col * px + j  # the position in scene units (layer positions)
        assert full.image[y, x] == exact[ch, i, j]  # one image pixel per position
        assert small.image[y // f, x // f] == means[ch, i // f, j // f]  # its block
    # The images span the same scene: the last tile ends at the same place (up to the
    # downsampled drawing's ragged last block).
    assert full.image.shape[1] <= small.image.shape[1] * f < full.image.shape[1] + f
    assert full.image.shape[0] <= small.image.shape[0] * f < full.image.shape[0] + f


def test_a_huge_layer_stays_downsampled_when_zoomed():
    values = np.zeros((3, 2000, 2000), dtype=np.float32)  # 12 million values
    render = layer_display("x", values, DisplayHint(), "auto", full_resolution=True)
    assert render.factor > 1


@given(
    st.integers(1, 4),
    st.integers(1, 300),
    st.integers(1, 60),
    st.integers(0, 2**31 - 1),
)
def test_long_traces_are_their_peak_envelope_and_short_ones_themselves(c, length, px, seed):
    values = np.random.default_rng(seed).standard_normal((c, length)).astype(np.float32)
    render = layer_display("conv", values, DisplayHint(trace_px=px), "auto")
    m = float(np.abs(values).max())
    assert render.shape == (c, length)  # hover reads the full-resolution output
    if length <= 2 * px:
        assert render.trace_x is None and render.factor == 1
        np.testing.assert_array_equal(render.traces, values * np.float32(0.5 / m))
        return
    f = -(-length // px)
    assert render.factor == f
    blocks = [values[:, i : i + f] for i in range(0, length, f)]
    expected = np.stack([np.stack((b.min(1), b.max(1)), 1) for b in blocks], 1).reshape(
        c, -1
    ) * np.float32(0.5 / m)
    np.testing.assert_array_equal(render.traces, expected)
    centres = [(i + min(i + f, length) - 1) / 2 for i in range(0, length, f)]
    np.testing.assert_array_equal(render.trace_x, np.repeat(centres, 2).astype(np.float32))
