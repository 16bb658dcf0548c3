"""What a kernel index (a, b) means per layer type, checked against torch's own layouts."""

import itertools

import pytest
import torch

from engine.errors import EngineError
from engine.kernels import bias_of_kernel, weight_axes
from engine.spec import LayerSpec


def test_the_axes_of_each_weight_layout():
    assert weight_axes("conv") == ("output channel", "input channel within its group")
    assert weight_axes("conv_transpose") == ("input channel", "output channel within its group")
    assert weight_axes("linear") == ("output unit", "input unit")
    with pytest.raises(EngineError, match="max_pool.*no weight"):
        weight_axes("max_pool")


@pytest.mark.parametrize("transposed", [False, True])
def test_the_bias_of_a_kernel_is_the_channel_it_writes(transposed):
    c_in, c_out, groups = 4, 6, 2
    kind = "conv_transpose" if transposed else "conv"
    module = (torch.nn.ConvTranspose1d if transposed else torch.nn.Conv1d)(
        c_in, c_out, 3, groups=groups, bias=False
    )
    layer = LayerSpec("c", kind, {"out_channels": c_out, "groups": groups})
    shape = tuple(module.weight.shape)
    for a, b in itertools.product(range(shape[0]), range(shape[1])):
        with torch.no_grad():
            module.weight.zero_()
            module.weight[a, b, 1] = 1.0
        x = torch.ones(1, c_in, 5)
        written = module(x).abs().sum(dim=(0, 2)).nonzero().flatten().tolist()
        assert written == [bias_of_kernel(layer, shape, a, b)], (a, b)
