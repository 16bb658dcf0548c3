"""Layer and network specs: plain, immutable data describing a network.

A network is a list of layers. Each layer has a unique ``name``, a ``type`` from
:data:`LAYER_TYPES`, its ``params`` and the names of its ``inputs``: empty means "the layer
before" (the network input for the first layer); the name ``"input"`` is the network input.
Layers are in order: a layer may only name layers before it, so there are no cycles.

Layer types are dimension-agnostic: a ``conv`` on a (C, L) input is a 1D convolution and on
a (C, H, W) input a 2D one. Shapes are tuples without the batch axis: ``(C, L)``,
``(C, H, W)``, or ``(D,)`` for a vector (after ``flatten``, ``global_avg_pool``, ``linear``).

This module only describes; ``engine.layers`` knows what each type does (validation,
output shape, counts, receptive field, forward) and ``engine.network`` runs networks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .errors import SpecError

INPUT = "input"  # the reserved name of the network input

ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
UPSAMPLE_MODES = ("nearest", "linear", "bilinear")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a layer type, for validation and for generated editor forms.

    ``kind`` is one of ``"int"``, ``"float"``, ``"bool"``, ``"choice"``, ``"padding"``
    (int, per-axis tuple, ``'same'`` or ``'valid'``), ``"size"`` (int or per-axis tuple),
    ``"optional_size"`` (like size, or None) or ``"layer"`` (the name of another layer).
    """

    kind: str
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


DROPOUT_SEED_MAX = 2**31 - 1


@dataclass(frozen=True)
class LayerType:
    """What a kind of layer is called and which parameters it takes."""

    type: str
    title: str
    params: dict[str, ParamSpec]
    has_weights: bool = False
    n_inputs: int = 1  # 2 for add / concat
    description: str = ""


def _size(default, help, minimum=1):
    return ParamSpec("size", default, help, minimum=minimum, maximum=4096)


LAYER_TYPES: dict[str, LayerType] = {
    t.type: t
    for t in [
        LayerType(
            "conv",
            "Convolution",
            {
                "out_channels": ParamSpec("int", 4, "output channels", 1, 4096),
                "kernel_size": _size(3, "kernel size K"),
                "stride": _size(1, "stride S"),
                "padding": ParamSpec("padding", 0, "zero padding P, 'same' or 'valid'", 0, 4096),
                "dilation": _size(1, "dilation D (1 = ordinary kernel)"),
                "groups": ParamSpec("int", 1, "groups (C_in and C_out divisible by it)", 1, 4096),
                "bias": ParamSpec("bool", True, "add a bias per output channel"),
                "padding_mode": ParamSpec(
                    "choice", "zeros", "what lies beyond the edges", choices=PADDING_MODES
                ),
                "flip": ParamSpec("bool", False, "true convolution: flip the kernel"),
            },
            has_weights=True,
            description="Cross-correlation z_i = b + sum_j w_j x_(i+j-2) (for K = 3).",
        ),
        LayerType(
            "conv_transpose",
            "Transposed convolution",
            {
                "out_channels": ParamSpec("int", 4, "output channels", 1, 4096),
                "kernel_size": _size(2, "kernel size K"),
                "stride": _size(2, "stride S"),
                "padding": ParamSpec("size", 0, "padding P removed from the output", 0, 4096),
                "output_padding": ParamSpec("size", 0, "extra positions on one side", 0, 4096),
                "dilation": _size(1, "dilation D"),
                "groups": ParamSpec("int", 1, "groups", 1, 4096),
                "bias": ParamSpec("bool", True, "add a bias per output channel"),
            },
            has_weights=True,
            description="Upsampling: each input position scatters a scaled kernel.",
        ),
        LayerType(
            "max_pool",
            "Max pool",
            {
                "kernel_size": _size(2, "window size"),
                "stride": ParamSpec("optional_size", None, "stride (default: window)", 1, 4096),
                "padding": ParamSpec("size", 0, "padding (at most half the window)", 0, 4096),
            },
        ),
        LayerType(
            "avg_pool",
            "Mean pool",
            {
                "kernel_size": _size(2, "window size"),
                "stride": ParamSpec("optional_size", None, "stride (default: window)", 1, 4096),
                "padding": ParamSpec("size", 0, "zero padding (at most half the window)", 0, 4096),
            },
        ),
        LayerType(
            "subsample",
            "Subsample",
            {"factor": ParamSpec("int", 2, "keep every factor-th position", 1, 4096)},
            description="Keeps positions 0, f, 2f, ... (the book's 'sample every other').",
        ),
        LayerType(
            "blur_pool",
            "Blur pool",
            {
                "kernel_size": ParamSpec(
                    "int", 3, "binomial filter taps: 2 [1,1], 3 [1,2,1], 4 [1,3,3,1], ...", 2, 7
                ),
                "stride": ParamSpec("int", 2, "keep every stride-th position", 1, 4096),
                "padding_mode": ParamSpec(
                    "choice", "reflect", "what lies beyond the edges", choices=PADDING_MODES
                ),
            },
            description="Anti-aliased downsampling (Zhang 2019): a binomial low-pass filter "
            "per channel, then every S-th position.",
        ),
        LayerType("global_avg_pool", "Global average pool", {}),
        LayerType(
            "upsample",
            "Upsample",
            {
                "scale_factor": ParamSpec("int", 2, "scale factor", 1, 64),
                "mode": ParamSpec(
                    "choice",
                    "nearest",
                    "nearest (duplicate), linear (1D) or bilinear (2D)",
                    choices=UPSAMPLE_MODES,
                ),
            },
        ),
        LayerType(
            "max_unpool",
            "Max unpool",
            {"pool": ParamSpec("layer", "", "the max pool whose indices it uses")},
            description="Puts each value back where its max pool found it; zeros elsewhere.",
        ),
        LayerType(
            "activation",
            "Activation",
            {
                "function": ParamSpec("choice", "relu", "activation", choices=ACTIVATIONS),
                "negative_slope": ParamSpec("float", 0.01, "leaky ReLU slope", -1e3, 1e3),
            },
        ),
        LayerType(
            "dropout",
            "Dropout",
            {
                "p": ParamSpec("float", 0.5, "probability of dropping a unit", 0.0, 1.0),
                # The lab's view of training (never used by the trainer or the export):
                "train": ParamSpec(
                    "bool",
                    False,
                    "show training mode in the lab: units dropped by a mask drawn from the "
                    "seed, survivors scaled by 1/(1 - p)",
                ),
                "seed": ParamSpec(
                    "int",
                    0,
                    "the seed of the lab's mask (Resample draws the next one)",
                    0,
                    DROPOUT_SEED_MAX,
                ),
            },
            description="Training: each unit 0 with probability p, the others × 1/(1 − p).",
        ),
        LayerType("flatten", "Flatten", {}),
        LayerType(
            "linear",
            "Linear (fully connected)",
            {
                "out_features": ParamSpec("int", 10, "output units", 1, 1 << 20),
                "bias": ParamSpec("bool", True, "add a bias per unit"),
            },
            has_weights=True,
        ),
        LayerType("add", "Add (skip)", {}, n_inputs=2),
        LayerType("concat", "Concatenate channels (skip)", {}, n_inputs=2),
    ]
}


@dataclass(frozen=True)
class LayerSpec:
    """One layer: its unique name, type, parameters and the layers it reads."""

    name: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()

    def param(self, key: str) -> Any:
        """The parameter's value, or the type's default when it is not set."""
        if key in self.params:
            return self.params[key]
        return LAYER_TYPES[self.type].params[key].default

    def with_params(self, **changes: Any) -> LayerSpec:
        return replace(self, params={**self.params, **changes})

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "type": self.type, "params": dict(self.params)}
        if self.inputs:
            d["inputs"] = list(self.inputs)
        return d


@dataclass(frozen=True)
class NetworkSpec:
    """A network: its layers in order and the input shape it is meant for."""

    layers: tuple[LayerSpec, ...]
    input_shape: tuple[int, ...]
    name: str = ""
    description: str = ""  # one line, e.g. for presets

    def __post_init__(self):
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "input_shape", tuple(self.input_shape))

    def index(self, name: str) -> int:
        for i, layer in enumerate(self.layers):
            if layer.name == name:
                return i
        raise SpecError(f"there is no layer named '{name}'")

    def layer(self, name: str) -> LayerSpec:
        return self.layers[self.index(name)]

    def names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    def inputs_of(self, index: int) -> tuple[str, ...]:
        """The names a layer reads, with the default (the layer before) resolved."""
        layer = self.layers[index]
        if layer.inputs:
            return layer.inputs
        return (self.layers[index - 1].name,) if index > 0 else (INPUT,)

    def replace_layer(self, index: int, layer: LayerSpec) -> NetworkSpec:
        layers = list(self.layers)
        layers[index] = layer
        return replace(self, layers=tuple(layers))

    def with_layers(self, layers) -> NetworkSpec:
        return replace(self, layers=tuple(layers))

    def with_input_shape(self, shape) -> NetworkSpec:
        return replace(self, input_shape=tuple(int(s) for s in shape))

    def to_dict(self) -> dict[str, Any]:
        d = {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "layers": [layer.to_dict() for layer in self.layers],
        }
        if self.description:
            d["description"] = self.description
        return d


def unique_name(existing, base: str) -> str:
    """``base`` if free, else ``base2``, ``base3``, ... (for adding/duplicating layers)."""
    taken = set(existing)
    if base not in taken and base != INPUT:
        return base
    stem = base.rstrip("0123456789") or base
    n = 2
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"
