"""The trainer's views draw exactly what they are given, with items made once."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.network import init_weights
from engine.presets import get_preset
from gui.training.curves_view import COLOURS, CurvesView
from gui.training.trainer_classify import ClassifyView
from gui.training.trainer_watch import (
    MAX_MAP_LAYERS,
    CheckpointImages,
    WatchView,
    checkpoint_images,
    kernel_image,
    sample_maps,
)


@pytest.fixture
def cnn():
    spec = get_preset("udl-mnist1d-cnn").with_input_shape((1, 40))
    weights = init_weights(spec, input_shape=(1, 40), seed=3)
    x = np.random.default_rng(0).standard_normal((1, 40)).astype(np.float32)
    return spec, weights, x


def test_checkpoint_images_are_the_coloured_kernels_and_maps(qtbot, cnn):
    spec, weights, x = cnn
    watch = WatchView()
    qtbot.addWidget(watch)
    images = checkpoint_images(spec, "conv1", weights, x, 40, watch.palettes)
    weight = weights["conv1"]["weight"]
    assert images.step == 40
    assert images.kernel_text == "conv1 " + "×".join(str(s) for s in weight.shape)
    expected_kernels = watch.palettes.diverging[kernel_image(weight)]
    np.testing.assert_array_equal(images.kernels, expected_kernels)
    maps = sample_maps(spec, weights, x)
    assert [name for name, _ in images.maps] == [name for name, _, _ in maps]
    for (_, rgb), (_, index, symmetric) in zip(images.maps, maps, strict=True):
        table = watch.palettes.diverging if symmetric else watch.palettes.sequential
        np.testing.assert_array_equal(rgb, table[index])
        assert rgb.dtype == np.uint8 and rgb.flags.c_contiguous


def test_watch_draws_the_images_into_items_made_at_construction(qtbot, cnn):
    spec, weights, x = cnn
    watch = WatchView()
    qtbot.addWidget(watch)
    items = list(watch._map_items)
    kernel_item = watch._kernel_item
    images = checkpoint_images(spec, "conv1", weights, x, 0, watch.palettes)
    watch.show_images(images)
    assert watch.maps_step == 0
    assert watch._map_items == items and watch._kernel_item is kernel_item  # no new items
    np.testing.assert_array_equal(kernel_item.image, images.kernels)
    for i, (_, rgb) in enumerate(images.maps):
        np.testing.assert_array_equal(watch.map_image_of(i), rgb)
        # each map fills band i of the maps box, whatever its pixel size
        rect = items[i].mapRectToParent(items[i].boundingRect())
        assert rect.width() == pytest.approx(1.0) and rect.height() == pytest.approx(1.0)
        assert rect.top() == pytest.approx(i * 1.15)
    ticks = [label for _, label in watch._maps_axis._tickLevels[0]]
    assert ticks == watch.map_names == [name for name, _ in images.maps]

    # fewer layers: the spare bands are emptied, the names follow
    fewer = CheckpointImages(5, "no convolution to show", None, images.maps[:1])
    watch.show_images(fewer)
    assert watch.map_names == [images.maps[0][0]]
    assert all(watch.map_image_of(i) is None for i in range(1, MAX_MAP_LAYERS))
    assert kernel_item.image is None
    assert watch._kernel_label.text == "no convolution to show"


def test_set_checkpoint_records_the_kernels_at_once(qtbot, cnn):
    _, weights, _ = cnn
    watch = WatchView()
    qtbot.addWidget(watch)
    watch.set_checkpoint("conv1", weights, 20)
    assert watch.shown_step == 20 and watch.maps_step is None
    assert watch.kernel_weights is weights["conv1"]["weight"]
    watch.set_checkpoint(None, weights, 30)
    assert watch.kernel_weights is None


def _record(step: int, scale: float) -> dict:
    return {
        "step": step,
        "train_loss": 2.0 * scale,
        "test_loss": 2.1 * scale,
        "train_accuracy": 0.5 / scale,
        "test_accuracy": 0.4 / scale,
    }


def points(line) -> int:
    values = line.getData()[1]
    return 0 if values is None else len(values)


def test_curves_draw_loss_now_and_accuracy_on_the_next_turn(qtbot):
    curves = CurvesView()
    qtbot.addWidget(curves)
    curves.reset(["cnn"])
    curves.add_records(0, [_record(0, 1.0), _record(100, 0.5)])
    lines = curves._lines[0]
    np.testing.assert_array_equal(lines["test_loss"].getData()[1], [2.1, 1.05])

    assert points(lines["test_accuracy"]) == 0  # not yet: the loss plot repaints alone
    qtbot.waitUntil(lambda: points(lines["test_accuracy"]) == 2)
    np.testing.assert_array_equal(lines["train_accuracy"].getData()[1], [0.5, 1.0])
    assert curves.records(0) == [_record(0, 1.0), _record(100, 0.5)]


def test_curves_keep_their_lines_for_the_same_number_of_networks(qtbot):
    curves = CurvesView()
    qtbot.addWidget(curves)
    first = curves._lines[0]["test_loss"]  # made at construction
    curves.reset(["cnn"])
    curves.add_records(0, [_record(0, 1.0)])
    curves.flush()
    curves.reset(["another"])
    assert curves._lines[0]["test_loss"] is first
    assert points(first) == 0 and curves.records(0) == []
    curves.reset(["cnn", "fc"])
    assert len(curves._lines) == 2
    key = curves.key.text()
    assert COLOURS[0] in key and COLOURS[1] in key and "cnn" in key and "fc" in key


def test_loss_axis_is_set_before_the_first_record(qtbot):
    curves = CurvesView()
    qtbot.addWidget(curves)
    guess = math.log(10)
    curves.set_step_range(3000, guess)
    top = curves.loss_plot.viewRange()[1][1]
    assert top == pytest.approx(guess * 1.1)
    curves.add_records(0, [_record(0, 0.9)])  # below it: the axis stays
    assert curves.loss_plot.viewRange()[1][1] == pytest.approx(top)
    curves.add_records(0, [_record(1, 2.0)])  # above it: the axis grows
    assert curves.loss_plot.viewRange()[1][1] == pytest.approx(2.1 * 2.0 * 1.1)
    assert curves.accuracy_plot.viewRange()[0][1] > 3000


def test_classify_view_shows_probabilities_or_why_not(qtbot):
    view = ClassifyView()
    qtbot.addWidget(view)
    p = np.array([0.1, 0.7, 0.2], np.float32)
    view.show_probabilities(p, ["a", "b", "c"])
    assert view.label.text() == "most likely: b (70.0%)"
    np.testing.assert_array_equal(view._bars.opts["height"], p)
    view.show_message("no input")
    assert view.probabilities is None and view.label.text() == "no input"
    assert len(view._bars.opts["height"]) == 0
