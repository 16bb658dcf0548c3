"""Display data made in the worker: block means, quantisation bins, colours."""

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from gui.colormaps import colour_tables, lookup_table
from gui.render import GAP, DisplayHint, argb_table, downsample, render_layer


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
    render = render_layer("conv", signed, DisplayHint(4, 10), "auto", tables=tables)
    assert render.symmetric and render.colormap == "auto"
    np.testing.assert_array_equal(render.rgb, tables.symmetric[render.image])
    assert (render.rgb[render.image == GAP] == tables.symmetric[GAP]).all()
    positive = np.abs(signed)
    render = render_layer("relu", positive, DisplayHint(4, 10), "auto", tables=tables)
    assert not render.symmetric
    np.testing.assert_array_equal(render.rgb, tables.sequential[render.image])
    vector = render_layer("fc", signed[0, 0], DisplayHint(), "auto", tables=tables)
    np.testing.assert_array_equal(vector.rgb, tables.symmetric[vector.image])
    assert render_layer("conv", signed, DisplayHint(), "auto").rgb is None  # no tables
