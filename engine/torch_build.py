"""A ``torch.nn.Module`` built from a network spec (for training), with weights in and out.

The module is made of standard ``torch.nn`` layers (Conv1d/2d with their padding_mode,
ConvTranspose, MaxPool with ``return_indices`` where an unpool needs them, MaxUnpool,
AvgPool, activations, Dropout, Flatten, Linear) plus tiny modules for what torch has no
layer for (subsample, blur pool, global average pool, duplicate-upsampling, add, concat).
Its forward takes a batch (N, C, L) / (N, C, H, W) and returns the last layer's output; it
equals ``engine.network.forward`` on each sample (tests keep them equal).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import geometry as G
from .errors import ShapeError, SpecError
from .graph import plan
from .network import Weights, analyze, init_weights
from .spec import INPUT, NetworkSpec
from .torch_layers import (
    BlurPool,
    Duplicate,
    FlippedConv1d,
    FlippedConv2d,
    GlobalAvgPool,
    Subsample,
)


class Add(nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a + b


class Concat(nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.cat([a, b], dim=1)


def _size(value, n: int) -> tuple[int, ...]:
    return G.per_axis(value, n)


def make_layer(kind: str, params: dict, in_shapes: list, needs_indices: bool) -> nn.Module:
    """The torch module of one layer (unbatched ``in_shapes``)."""
    x = in_shapes[0]
    n = len(x) - 1
    if kind == "conv":
        cls = (FlippedConv1d, FlippedConv2d) if params["flip"] else (nn.Conv1d, nn.Conv2d)
        padding = params["padding"]
        padding = padding if isinstance(padding, str) else _size(padding, n)
        return cls[n - 1](
            x[0],
            params["out_channels"],
            _size(params["kernel_size"], n),
            stride=_size(params["stride"], n),
            padding=padding,
            dilation=_size(params["dilation"], n),
            groups=params["groups"],
            bias=params["bias"],
            padding_mode=params["padding_mode"],
        )
    if kind == "conv_transpose":
        cls = (nn.ConvTranspose1d, nn.ConvTranspose2d)[n - 1]
        return cls(
            x[0],
            params["out_channels"],
            _size(params["kernel_size"], n),
            stride=_size(params["stride"], n),
            padding=_size(params["padding"], n),
            output_padding=_size(params["output_padding"], n),
            groups=params["groups"],
            bias=params["bias"],
            dilation=_size(params["dilation"], n),
        )
    if kind in ("max_pool", "avg_pool"):
        k = _size(params["kernel_size"], n)
        s = _size(G.pool_stride(params["kernel_size"], params["stride"]), n)
        p = _size(params["padding"], n)
        if kind == "max_pool":
            return (nn.MaxPool1d, nn.MaxPool2d)[n - 1](k, s, p, return_indices=needs_indices)
        return (nn.AvgPool1d, nn.AvgPool2d)[n - 1](k, s, p)
    if kind == "max_unpool":
        raise AssertionError("max_unpool is built from its pool")  # see build_module
    if kind == "subsample":
        return Subsample(params["factor"], n)
    if kind == "blur_pool":
        return BlurPool(x[0], params["kernel_size"], params["stride"], params["padding_mode"], n)
    if kind == "global_avg_pool":
        return GlobalAvgPool(n)
    if kind == "upsample":
        if params["mode"] == "nearest":
            return Duplicate(params["scale_factor"], n)
        return nn.Upsample(
            scale_factor=float(params["scale_factor"]), mode=params["mode"], align_corners=False
        )
    if kind == "activation":
        fn = params["function"]
        if fn == "leaky_relu":
            return nn.LeakyReLU(params["negative_slope"])
        return {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}[fn]()
    if kind == "dropout":
        return nn.Dropout(params["p"])
    if kind == "flatten":
        return nn.Flatten()
    if kind == "linear":
        return nn.Linear(x[0], params["out_features"], bias=params["bias"])
    if kind == "add":
        return Add()
    if kind == "concat":
        return Concat()
    raise SpecError(f"unknown layer type {kind!r}")


class SpecNet(nn.Module):
    """A network spec as a module. ``layer_names[i]`` is the spec name of ``layers[i]``."""

    def __init__(self, spec: NetworkSpec, input_shape=None):
        super().__init__()
        analysis = analyze(spec, input_shape)
        error = analysis.first_error()
        if error is not None:
            raise error
        nodes = plan(spec)
        unpooled = {n.params["pool"] for n in nodes if n.layer.type == "max_unpool"}
        self.layer_names = [n.name for n in nodes]
        self.kinds = [n.layer.type for n in nodes]
        self.sources = [n.inputs for n in nodes]
        self.unpool_pool: dict[int, str] = {}
        self.pool_source: dict[str, str] = {n.name: n.inputs[0] for n in nodes}
        modules = []
        for node, info in zip(nodes, analysis.layers, strict=True):
            if node.layer.type == "max_unpool":
                pool = node.params["pool"]
                pp = next(m.params for m in nodes if m.name == pool)
                k = len(info.input_shapes[0]) - 1
                ks = _size(pp["kernel_size"], k)
                ss = _size(G.pool_stride(pp["kernel_size"], pp["stride"]), k)
                modules.append(
                    (nn.MaxUnpool1d, nn.MaxUnpool2d)[k - 1](ks, ss, _size(pp["padding"], k))
                )
                self.unpool_pool[node.index] = pool
            else:
                modules.append(
                    make_layer(
                        node.layer.type, node.params, info.input_shapes, node.name in unpooled
                    )
                )
        self.layers = nn.ModuleList(modules)
        self.input_shape = analysis.input_shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = {INPUT: x}
        indices = {}
        y = x
        for i, module in enumerate(self.layers):
            name, kind, sources = self.layer_names[i], self.kinds[i], self.sources[i]
            if kind in ("add", "concat"):
                y = module(outs[sources[0]], outs[sources[1]])
            elif kind == "max_unpool":
                pool = self.unpool_pool[i]
                size = outs[self.pool_source[pool]].shape[2:]
                y = module(outs[sources[0]], indices[pool], output_size=size)
            elif kind == "max_pool" and module.return_indices:
                y, indices[name] = module(outs[sources[0]])
            else:
                y = module(outs[sources[0]])
            outs[name] = y
        return y

    def named_layers(self):
        return zip(self.layer_names, self.layers, strict=True)


def build_module(spec: NetworkSpec, weights: Weights | None = None, input_shape=None) -> SpecNet:
    """The network as a module; ``weights`` (default: ``init_weights(spec)``) loaded into it.

    Raises the first layer's error if the network cannot run.
    """
    module = SpecNet(spec, input_shape)
    load_weights(module, init_weights(spec, input_shape) if weights is None else weights)
    return module


def module_weights(module: SpecNet) -> Weights:
    """The module's weights as the engine's dict (float32 C-contiguous copies)."""
    out: Weights = {}
    for name, layer in module.named_layers():
        arrays = {}
        for key in ("weight", "bias"):
            p = getattr(layer, key, None)
            if isinstance(p, torch.Tensor):
                arrays[key] = np.ascontiguousarray(p.detach().cpu().numpy(), dtype=np.float32)
        if arrays:
            out[name] = arrays
    return out


def load_weights(module: SpecNet, weights: Weights) -> None:
    """Copy ``weights`` into the module; every weighted layer must be given, shapes equal."""
    if not isinstance(weights, dict):
        raise SpecError(f"weights must be a dict of layer name -> arrays; got {weights!r}")
    with torch.no_grad():
        for index, (name, layer) in enumerate(module.named_layers()):
            for key in ("weight", "bias"):
                p = getattr(layer, key, None)
                if not isinstance(p, torch.Tensor):
                    continue
                a = (weights.get(name) or {}).get(key)
                if a is None:
                    raise ShapeError(f"no {key} given", layer_index=index, layer_name=name)
                a = np.asarray(a)
                if tuple(a.shape) != tuple(p.shape):
                    raise ShapeError(
                        f"{key} has shape {tuple(a.shape)} but the layer needs {tuple(p.shape)}",
                        layer_index=index,
                        layer_name=name,
                    )
                p.copy_(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)))
