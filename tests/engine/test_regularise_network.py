"""The comparison's network on the data: the form's own when it classifies the data, the
shapes-cnn preset on shapes when it does not (with a note saying why), else a message."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data.dataset import Dataset
from engine.data.shapes import CLASS_NAMES, make_shapes
from engine.network import analyze
from engine.presets import get_preset
from engine.regularise import RegulariseError, misfit, network_for, variants


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(n_train=16, n_test=8, seed=1)


def test_shapes_cnn_classifies_the_shapes_and_takes_dropout(shapes):
    spec = get_preset("shapes-cnn")
    analysis = analyze(spec, shapes.input_shape)
    assert analysis.ok and analysis.out_shape == (len(CLASS_NAMES),)
    assert spec.input_shape == shapes.input_shape
    assert misfit(spec, shapes.input_shape, 4) is None
    runs = variants(spec, shapes.input_shape)
    dropped = [sum(layer.type == "dropout" for layer in v.spec.layers) for v in runs]
    assert dropped == [0, 2, 0, 2]  # before fc1 and fc2
    assert [v.augmentation is not None for v in runs] == [False, False, True, True]


def test_a_fitting_network_is_kept(shapes):
    spec = get_preset("shapes-cnn")
    assert network_for(spec, shapes) == (spec, None)


def test_a_misfit_on_shapes_becomes_shapes_cnn_and_says_why(shapes):
    spec, note = network_for(get_preset("udl-mnist1d-cnn"), shapes)
    assert spec.name == "shapes-cnn"
    assert "udl-mnist1d-cnn" in note and "(1, 40)" in note and "shapes-cnn" in note
    # an image network with the wrong number of outputs (LeNet: 10) too
    spec, note = network_for(get_preset("lenet"), shapes)
    assert spec.name == "shapes-cnn" and "10" in note and "4 class scores" in note
    # and one that breaks on the input (the segmenter ends in per-pixel scores)
    spec, note = network_for(get_preset("shapes-segmenter"), shapes)
    assert spec.name == "shapes-cnn" and "(5, 32, 32)" in note


def test_a_misfit_elsewhere_is_refused_by_name():
    data = Dataset(
        x_train=np.zeros((4, 1, 40), np.float32),
        y_train=np.zeros(4, np.int64),
        x_test=np.zeros((2, 1, 40), np.float32),
        y_test=np.zeros(2, np.int64),
        class_names=tuple("abc"),
        input_shape=(1, 40),
        name="signals",
    )
    with pytest.raises(RegulariseError, match="'lenet' is made for images"):
        network_for(get_preset("lenet"), data)
    with pytest.raises(RegulariseError, match="ends in \\(10,\\), not the data's 3 class"):
        network_for(get_preset("udl-mnist1d-cnn"), data)
