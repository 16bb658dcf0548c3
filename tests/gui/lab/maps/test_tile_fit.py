"""The tile fit after a load: a bisection with the linear search's answer, in O(log n) steps."""

from __future__ import annotations

import math
import random

from gui.lab.maps.layer_map import canvas_height
from gui.lab.maps.maps_view import largest_fitting


def _linear(smallest, widest, fits):
    for tile in range(widest, smallest - 1, -1):
        if fits(tile):
            return tile
    return None


def test_bisection_gives_the_linear_searchs_tile_for_real_canvas_heights():
    rng = random.Random(16)
    for _ in range(300):
        shapes = [
            (rng.randint(1, 64), rng.randint(1, 6000), rng.randint(1, 6000))
            for _ in range(rng.randint(1, 8))
        ] + [(1, rng.randint(1, 4000)), (rng.randint(1, 10),)]
        columns = rng.choice((4, 8, 16))
        room = rng.randint(0, 4000)
        smallest, widest = rng.randint(30, 60), rng.randint(20, 300)

        def fits(tile, shapes=shapes, columns=columns, room=room):
            return sum(canvas_height(s, tile, columns) for s in shapes) <= room

        assert largest_fitting(smallest, widest, fits) == _linear(smallest, widest, fits)


def test_bisection_takes_logarithmic_steps():
    calls = []

    def fits(tile):
        calls.append(tile)
        return tile <= 1234

    assert largest_fitting(1, 100_000, fits) == 1234
    assert len(calls) <= math.ceil(math.log2(100_000)) + 2  # the linear search: 98,767


def test_nothing_fits_or_empty_range_is_none():
    assert largest_fitting(48, 200, lambda t: False) is None
    assert largest_fitting(48, 40, lambda t: True) is None
    assert largest_fitting(48, 48, lambda t: True) == 48
