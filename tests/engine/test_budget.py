"""engine.budget: a whole pass is bounded (multiply-adds, bytes of layer outputs)."""

from __future__ import annotations

import numpy as np
import pytest

from engine import budget
from engine.network import forward
from engine.presets import PRESETS, get_preset
from engine.spec import LayerSpec, NetworkSpec


def huge_conv() -> NetworkSpec:
    """Two 4096-channel 3x3 convolutions on 256x256: every array within its limit,
    about 10^13 multiply-adds in one pass."""
    conv = {"out_channels": 4096, "kernel_size": 3, "padding": 1}
    return NetworkSpec((LayerSpec("a", "conv", conv), LayerSpec("b", "conv", conv)), (1, 256, 256))


def test_the_cost_is_the_engines_own_count():
    spec = get_preset("lab-2d")
    from engine.network import analyze

    analysis = analyze(spec)
    cost = budget.pass_cost(spec)
    assert cost.macs == analysis.total.macs
    values = np.prod(spec.input_shape) + sum(np.prod(i.out_shape) for i in analysis.layers)
    assert cost.activation_bytes == 4 * values


def test_a_pass_of_ten_to_the_thirteen_macs_is_refused_before_computing():
    with pytest.raises(budget.BudgetError, match="multiply-adds"):
        forward(huge_conv(), {}, np.ones((1, 256, 256), np.float32))


def test_a_pass_keeping_gigabytes_of_outputs_is_refused():
    spec = NetworkSpec(
        (
            LayerSpec("u1", "upsample", {"scale_factor": 4}),
            LayerSpec("u2", "upsample", {"scale_factor": 2}),
        ),
        (1, 2048, 2048),
    )
    from engine.network import analyze

    assert analyze(spec).ok  # every layer within its own limit
    assert budget.pass_cost(spec).activation_bytes > budget.MAX_PASS_BYTES
    with pytest.raises(budget.BudgetError, match="MiB of layer outputs"):
        budget.check_budget(spec)


def test_a_training_step_counts_its_batch():
    spec = get_preset("lab-2d")
    budget.check_budget(spec)
    with pytest.raises(budget.BudgetError, match="one training step"):
        budget.check_budget(spec, batch=1000, passes=3, what="one training step")


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_fits_the_budget(name):
    budget.check_budget(get_preset(name))
