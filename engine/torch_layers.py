"""The small ``torch.nn`` modules torch has no layer for, defined once.

``engine.torch_build`` uses these classes in the app; ``engine.codegen`` copies their
source text (``inspect.getsource``) into exported files, so this module imports only
torch: whatever a class here needs must also exist in an exported file (``torch``, ``nn``).
"""

from __future__ import annotations

import torch
from torch import nn


class FlippedConv1d(nn.Conv1d):
    """True convolution: the kernel reversed in forward (parameters keep torch's layout)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.weight.flip(-1), self.bias)


class FlippedConv2d(nn.Conv2d):
    """True convolution: the kernel turned by 180 degrees in forward."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.weight.flip(-2, -1), self.bias)


class Subsample(nn.Module):
    """Keeps positions 0, f, 2f, ... along every spatial axis."""

    def __init__(self, factor: int, dims: int):
        super().__init__()
        self.factor, self.dims = factor, dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.factor
        return x[..., ::f] if self.dims == 1 else x[..., ::f, ::f]


class BlurPool(nn.Module):
    """Anti-aliased downsampling (Zhang 2019): pad by K - 1 (the odd extra after), filter each
    channel with the normalised binomial filter of K taps, keep every stride-th position."""

    def __init__(self, channels, kernel_size, stride, padding_mode, dims):
        super().__init__()
        row = [1.0]
        for _ in range(kernel_size - 1):  # Pascal's triangle: [1, 1], [1, 2, 1], ...
            row = [a + b for a, b in zip([0.0] + row, row + [0.0], strict=True)]
        taps = torch.tensor(row, dtype=torch.float64) / 2.0 ** (kernel_size - 1)
        kernel = taps if dims == 1 else torch.outer(taps, taps)
        filt = kernel.expand(channels, 1, *kernel.shape).contiguous().float()
        self.register_buffer("filt", filt, persistent=False)  # fixed: not a weight
        self.channels, self.stride, self.dims = channels, stride, dims
        self.pads = [(kernel_size - 1) // 2, kernel_size // 2] * dims
        self.mode = {"zeros": "constant"}.get(padding_mode, padding_mode)

    def forward(self, x):
        x = nn.functional.pad(x, self.pads, mode=self.mode)
        conv = nn.functional.conv1d if self.dims == 1 else nn.functional.conv2d
        return conv(x, self.filt.to(x.dtype), None, self.stride, 0, 1, self.channels)


class GlobalAvgPool(nn.Module):
    """(N, C, *spatial) -> (N, C): the mean of each channel."""

    def __init__(self, dims: int):
        super().__init__()
        self.dims = dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=tuple(range(2, 2 + self.dims)))


class Duplicate(nn.Module):
    """Nearest upsampling by exact duplication (torch's float nearest misrounds some
    factors)."""

    def __init__(self, factor: int, dims: int):
        super().__init__()
        self.factor, self.dims = factor, dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for axis in range(self.dims):
            x = x.repeat_interleave(self.factor, dim=2 + axis)
        return x


# The classes an exported file may need, by name (codegen copies their source).
EXPORTABLE = (FlippedConv1d, FlippedConv2d, Subsample, BlurPool, GlobalAvgPool, Duplicate)
