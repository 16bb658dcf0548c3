"""The regularisation comparison's runs: the same network with and without dropout and
augmentation; the gap between training and test accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from engine.augment import Augmentation
from engine.data.shapes import make_shapes
from engine.network import analyze
from engine.presets import get_preset
from engine.regularise import (
    RegulariseError,
    compare_regularisers,
    gap,
    variants,
    with_dropout,
    without_dropout,
)
from engine.spec import LayerSpec, NetworkSpec
from engine.training import TrainConfig


def _types(spec):
    return [layer.type for layer in spec.layers]


def test_dropout_goes_before_each_fully_connected_layer_and_comes_out_again():
    lenet = get_preset("lenet")
    dropped = with_dropout(lenet, 0.3)
    assert _types(dropped).count("dropout") == 3
    for i, layer in enumerate(dropped.layers):
        if layer.type == "linear":
            assert dropped.layers[i - 1].type == "dropout"
            assert dropped.layers[i - 1].params["p"] == 0.3
    assert without_dropout(dropped).layers == lenet.layers
    # the parameter counts are the same: dropout has no weights
    a = analyze(lenet, (1, 32, 32))
    b = analyze(dropped, (1, 32, 32))
    assert a.total == b.total and a.ok and b.ok


def test_removing_a_dropout_rewires_what_read_it():
    spec = NetworkSpec(
        (
            LayerSpec("a", "conv", {"out_channels": 2}),
            LayerSpec("d", "dropout", {"p": 0.5}),
            LayerSpec("b", "conv", {"out_channels": 2, "padding": 1}),
            LayerSpec("s", "add", {}, inputs=("d", "b")),
        ),
        (1, 8, 8),
    )
    out = without_dropout(spec)
    assert [layer.name for layer in out.layers] == ["a", "b", "s"]
    assert out.layers[2].inputs == ("a", "b")
    with pytest.raises(RegulariseError, match="skip connections"):
        with_dropout(out)


def test_the_variants_differ_only_in_dropout_and_augmentation():
    vs = variants(get_preset("lenet"), (1, 32, 32))
    assert [v.dropout for v in vs] == [False, True, False, True]
    assert [v.augmentation is not None for v in vs] == [False, False, True, True]
    assert vs[2].augmentation == Augmentation(translate=0.125, flip=True, flip_vertical=True)
    assert vs[0].spec.layers == get_preset("lenet").layers
    assert vs[0].spec.layers == vs[2].spec.layers and vs[1].spec.layers == vs[3].spec.layers
    assert [v.label for v in vs] == [
        "no regularisation",
        "dropout 0.5",
        "augmentation",
        "dropout 0.5 + augmentation",
    ]
    one_d = variants(get_preset("udl-mnist1d-cnn"), (1, 40), ("plain", "augmentation"))
    assert one_d[1].augmentation == Augmentation(translate=0.1)
    with pytest.raises(RegulariseError, match="compare 2 to 4"):
        variants(get_preset("lenet"), (1, 32, 32), ("plain",))
    with pytest.raises(RegulariseError, match="no fully connected layer"):
        variants(get_preset("lab-2d"), (1, 32, 32), ("plain", "dropout"))


def shapes_classifier():
    layers = (
        LayerSpec("conv1", "conv", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        LayerSpec("relu1", "activation", {}),
        LayerSpec("pool1", "max_pool", {"kernel_size": 4}),
        LayerSpec("flat", "flatten", {}),
        LayerSpec("fc1", "linear", {"out_features": 16}),
        LayerSpec("relu2", "activation", {}),
        LayerSpec("fc2", "linear", {"out_features": 4}),
    )
    return NetworkSpec(layers, (1, 32, 32), "shapes-cnn")


def test_runs_train_in_turn_and_the_gap_is_train_minus_test():
    data = make_shapes(n_train=64, n_test=32, seed=1)
    config = TrainConfig(batch_size=16, steps=6, eval_every=6, checkpoint_every=6, seed=2)
    results = compare_regularisers(shapes_classifier(), data, config, ("plain", "dropout"))
    assert len(results) == 2 and results[0].network != results[1].network
    for r in results:
        assert gap(r) == pytest.approx(r.train_accuracy - r.test_accuracy)
    # the same seed: the plain run is the plain network's ordinary run
    again = compare_regularisers(shapes_classifier(), data, config, ("plain", "both"))
    assert again[0].curves == results[0].curves
    assert np.isfinite([r.test_loss for r in again]).all()
