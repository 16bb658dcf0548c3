"""engine.training: the loop learns, is reproducible, compares fairly, checkpoints and stops."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import numpy as np
import pytest
import torch

from engine.data import load_dataset
from engine.errors import EngineError
from engine.network import init_weights
from engine.presets import get_preset
from engine.spec import LayerSpec, NetworkSpec
from engine.torch_build import build_module
from engine.training import (
    TrainConfig,
    TrainControl,
    Trainer,
    TrainingError,
    compare,
    predict,
)


@pytest.fixture(scope="module")
def mnist1d():
    return load_dataset("mnist1d")


@pytest.fixture(scope="module")
def small(mnist1d):
    """200 training and 200 test samples of MNIST-1D: a small fixed problem."""
    return replace(
        mnist1d,
        x_train=mnist1d.x_train[:200],
        y_train=mnist1d.y_train[:200],
        x_test=mnist1d.x_test[:200],
        y_test=mnist1d.y_test[:200],
    )


@pytest.fixture(scope="module")
def cnn():
    return get_preset("udl-mnist1d-cnn")


def quick(**changes) -> TrainConfig:
    base = TrainConfig(
        optimizer="adam",
        lr=0.01,
        batch_size=50,
        steps=100,
        eval_every=25,
        checkpoint_every=50,
        eval_train_samples=200,
    )
    return replace(base, **changes)


def test_training_reduces_the_loss(small, cnn):
    trainer = Trainer(cnn, small, quick(), device="cpu")
    [result] = trainer.run()
    first, last = trainer.curves[0], trainer.curves[-1]
    assert first["step"] == 0 and last["step"] == 100
    assert last["train_loss"] < 0.6 * first["train_loss"]
    assert last["train_accuracy"] > first["train_accuracy"] + 0.2
    assert result.steps == 100 and not result.stopped
    assert result.train_loss == last["train_loss"]
    assert (
        result.parameters == 2050 == sum(p.numel() for p in trainer.members[0].module.parameters())
    )
    assert [r["step"] for r in trainer.curves] == [0, 25, 50, 75, 100]


def test_same_seed_same_numbers_and_different_seed_differs(small, cnn):
    runs = [Trainer(cnn, small, quick(seed=s, steps=30), device="cpu") for s in (3, 3, 4)]
    for t in runs:
        t.run()
    a, b, c = runs
    assert a.curves == b.curves
    for step in a.checkpoint_steps:
        for layer, arrays in a.checkpoints[step].items():
            for key, value in arrays.items():
                np.testing.assert_array_equal(value, b.checkpoints[step][layer][key])
    assert a.curves[-1]["train_loss"] != c.curves[-1]["train_loss"]


def test_checkpoints_at_step_zero_every_n_and_the_last(small, cnn):
    trainer = Trainer(cnn, small, quick(steps=120, checkpoint_every=50), device="cpu")
    [result] = trainer.run()
    assert trainer.checkpoint_steps == [0, 50, 100, 120] == result.checkpoint_steps
    start = init_weights(cnn, input_shape=(1, 40), seed=0)
    for layer, arrays in start.items():
        np.testing.assert_array_equal(trainer.checkpoints[0][layer]["weight"], arrays["weight"])
    # checkpoints are copies: the final one is the module's weights, the first is not
    final = trainer.checkpoints[120]["conv1"]["weight"]
    np.testing.assert_array_equal(final, trainer.weights()["conv1"]["weight"])
    assert not np.array_equal(final, trainer.checkpoints[0]["conv1"]["weight"])


def test_compare_uses_the_same_batches(small, cnn):
    fc = get_preset("udl-mnist1d-fc")
    config = quick(steps=40)
    results = compare([cnn, fc], small, config, device="cpu")
    solo = Trainer(cnn, small, config, device="cpu")
    [alone] = solo.run()
    assert [r.parameters for r in results] == [2050, 59065]
    assert results[0].curves == alone.curves  # the CNN saw exactly the batches it sees alone
    assert results[1].curves != alone.curves


def test_evaluation_turns_dropout_off(small):
    spec = NetworkSpec(
        [
            LayerSpec("flatten", "flatten"),
            LayerSpec("fc1", "linear", {"out_features": 32}),
            LayerSpec("drop", "dropout", {"p": 0.5}),
            LayerSpec("out", "linear", {"out_features": 10}),
        ],
        (1, 40),
        "drop-net",
    )
    trainer = Trainer(spec, small, quick(steps=5), device="cpu")
    assert trainer.evaluate() == trainer.evaluate()  # dropout active would give new numbers
    trainer.step()
    module = trainer.members[0].module
    assert module.training  # back in training mode after evaluating


def test_stop_and_pause_through_the_control(small, cnn):
    control = TrainControl()
    states = []

    def callback(progress):
        states.append(progress.state)
        if progress.state == "paused":
            threading.Thread(target=control.resume).start()
        elif progress.state == "running" and "paused" not in states:
            control.pause()
        elif progress.state == "running" and progress.step >= 10:
            control.stop()

    trainer = Trainer(cnn, small, quick(steps=100_000), device="cpu")
    [result] = trainer.run(callback, control, progress_interval=0.0)
    assert "paused" in states and states[-1] == "finished"
    assert result.stopped and 10 <= result.steps < 100_000
    assert trainer.checkpoint_steps[-1] == result.steps  # a final checkpoint at the stop
    assert trainer.curves[-1]["step"] == result.steps


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"lr": 0.0}, "learning rate"),
        ({"lr": -1.0}, "learning rate"),
        ({"lr": float("nan")}, "learning rate"),
        ({"batch_size": 0}, "batch size"),
        ({"steps": 0}, "steps"),
        ({"optimizer": "rmsprop"}, "unknown optimizer 'rmsprop'"),
        ({"momentum": 1.0}, "momentum"),
        ({"weight_decay": -0.1}, "weight decay"),
        ({"epochs": 0.0}, "epochs"),
        ({"seed": -1}, "seed"),
        ({"eval_every": 0}, "eval every"),
    ],
)
def test_bad_settings_raise_one_clear_error(changes, words):
    with pytest.raises(TrainingError, match=words):
        replace(TrainConfig(), **changes).validate()


def test_bad_fits_between_network_and_data(small, cnn):
    with pytest.raises(TrainingError, match="batch size 500 is larger than the 200"):
        Trainer(cnn, small, quick(batch_size=500), device="cpu")
    five = cnn.replace_layer(len(cnn.layers) - 1, cnn.layers[-1].with_params(out_features=5))
    with pytest.raises(TrainingError, match="gives 5 scores but the data set has 10 classes"):
        Trainer(five, small, quick(), device="cpu")
    with pytest.raises(TrainingError, match=r"made for 2D images \(1, 28, 28\) but the data"):
        Trainer(get_preset("lenet"), small, quick(), device="cpu")
    wide = cnn.replace_layer(0, cnn.layers[0].with_params(kernel_size=41))
    with pytest.raises(EngineError, match=r"does not fit the data's input shape \(1, 40\)"):
        Trainer(wide, small, quick(), device="cpu")


def test_epochs_replace_steps(small, cnn):
    assert quick(epochs=2.0).total_steps(200) == 8
    trainer = Trainer(cnn, small, quick(epochs=1.0), device="cpu")
    assert trainer.total_steps == 4


def test_predict_gives_the_module_probabilities(small, cnn):
    weights = init_weights(cnn, input_shape=(1, 40), seed=1)
    x = small.x_test[0]
    p = predict(cnn, weights, x)
    assert p.shape == (10,) and abs(float(p.sum()) - 1) < 1e-5
    module = build_module(cnn, weights, input_shape=(1, 40)).eval()
    with torch.no_grad():
        expected = torch.softmax(module(torch.tensor(x)[None]), 1)[0].numpy()
    np.testing.assert_allclose(p, expected, rtol=1e-5, atol=1e-7)
    with pytest.raises(TrainingError, match=r"the input has shape \(1, 30\) but the network"):
        predict(cnn, weights, np.zeros((1, 30), np.float32))


def test_result_json_has_the_figures(small, cnn):
    [result] = Trainer(cnn, small, quick(steps=10), device="cpu").run()
    data = json.loads(result.to_json())
    for key in (
        "train_accuracy",
        "test_accuracy",
        "train_loss",
        "test_loss",
        "parameters",
        "curves",
        "checkpoint_steps",
        "device",
    ):
        assert key in data
    assert data["device"] == "CPU" and data["curves"][-1]["step"] == 10
