"""Redrawing only the channels an edit changed gives the very display data of a whole
drawing (gui.compute.display.layer_display with a basis)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gui.compute.colormaps import colour_tables
from gui.compute.display import DisplayHint, layer_display


@st.composite
def edits(draw):
    c = draw(st.integers(1, 10))
    h = draw(st.integers(1, 60))
    w = draw(st.integers(1, 60))
    hint = DisplayHint(max_columns=draw(st.integers(1, 8)), tile_px=draw(st.integers(4, 40)))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    before = rng.standard_normal((c, h, w)).astype(np.float32)
    changed = frozenset(
        draw(st.lists(st.integers(0, c - 1), max_size=c, unique=True))
    )  # may be empty
    after = before.copy()
    for ch in changed:
        # Sometimes far outside the old range: the levels of the whole layer move.
        after[ch] = rng.standard_normal((h, w)) * draw(st.sampled_from([0.5, 1.0, 10.0]))
    colormap = draw(st.sampled_from(["auto", "viridis", "diverging"]))
    return before, after, changed, hint, colormap


def _same(a, b):
    for field in ("kind", "shape", "levels", "symmetric", "grid", "tile", "factor", "pitch"):
        assert getattr(a, field) == getattr(b, field), field
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.rgb, b.rgb)
    np.testing.assert_array_equal(a.channel_ranges, b.channel_ranges)
    if a.small is None or b.small is None:
        assert a.small is None and b.small is None
    else:
        assert bool((a.small == b.small).all())


@settings(max_examples=80, deadline=None)
@given(edits())
def test_a_partial_redraw_equals_a_whole_drawing(case):
    before, after, changed, hint, colormap = case
    tables = colour_tables(colormap)
    basis = layer_display("c", before, hint, colormap, tables=tables)
    partial = layer_display("c", after, hint, colormap, tables=tables, basis=basis, changed=changed)
    _same(partial, layer_display("c", after, hint, colormap, tables=tables))


def test_a_basis_in_another_layout_or_of_another_shape_still_gives_exact_data():
    rng = np.random.default_rng(0)
    before = rng.standard_normal((4, 40, 40)).astype(np.float32)
    after = before.copy()
    after[1] *= 3.0
    basis = layer_display("c", before, DisplayHint(4, 10), "auto")  # factor 4
    drawn = layer_display(
        "c", after, DisplayHint(4, 20), "auto", basis=basis, changed=frozenset({1})
    )  # factor 2: the basis's tiles do not fit, only its ranges are used
    _same(drawn, layer_display("c", after, DisplayHint(4, 20), "auto"))
    wider = rng.standard_normal((5, 40, 40)).astype(np.float32)
    drawn = layer_display("c", wider, DisplayHint(4, 10), "auto", basis=basis, changed=frozenset())
    _same(drawn, layer_display("c", wider, DisplayHint(4, 10), "auto"))  # shape differs: ignored


def test_a_nan_in_a_changed_channel_reaches_the_levels_as_a_whole_drawing_does():
    before = np.ones((3, 8, 8), dtype=np.float32)
    after = before.copy()
    after[2, 3, 3] = np.nan
    basis = layer_display("c", before, DisplayHint(3, 4), "auto")
    partial = layer_display(
        "c", after, DisplayHint(3, 4), "auto", basis=basis, changed=frozenset({2})
    )
    whole = layer_display("c", after, DisplayHint(3, 4), "auto")
    assert np.isnan(partial.channel_ranges[2]).all()
    np.testing.assert_array_equal(partial.levels, whole.levels)
    np.testing.assert_array_equal(partial.image, whole.image)
