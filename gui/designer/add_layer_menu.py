"""The "Add layer" menu: every engine layer type, and the spec edits the layer stack makes.

The spec edits are plain functions on :class:`engine.spec.NetworkSpec` (no Qt), so the layer
stack's actions and the tests share them. Each returns the new spec and the name of the layer
to select afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtWidgets import QMenu, QWidget

from engine.spec import ACTIVATIONS, INPUT, LAYER_TYPES, LayerSpec, NetworkSpec, unique_name


@dataclass(frozen=True)
class LayerChoice:
    """One entry of the Add menu: a title, the engine type, its starting params, a name stem.

    ``ask`` names what the entry still needs from the person: ``"pool"`` (which max pool a
    max-unpool uses) or ``"skip"`` (which earlier layer an add/concat joins).
    """

    title: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    stem: str = "layer"
    ask: str | None = None


def layer_choices(dims: int) -> list[LayerChoice | None]:
    """The Add menu's entries for a 1D (dims=1) or 2D (dims=2) input; None is a separator."""
    smooth = "bilinear" if dims == 2 else "linear"
    return [
        LayerChoice(
            "Convolution", "conv", {"out_channels": 4, "kernel_size": 3, "padding": 1}, "conv"
        ),
        LayerChoice("1×1 convolution", "conv", {"out_channels": 4, "kernel_size": 1}, "mix"),
        LayerChoice("Transposed convolution", "conv_transpose", {}, "tconv"),
        None,
        LayerChoice("Subsample", "subsample", {}, "sub"),
        LayerChoice("Max pool", "max_pool", {}, "pool"),
        LayerChoice("Mean pool", "avg_pool", {}, "avgpool"),
        LayerChoice("Blur pool (anti-aliased)", "blur_pool", {}, "blur"),
        LayerChoice("Global average pool", "global_avg_pool", {}, "gap"),
        None,
        LayerChoice("Duplicate upsampling (nearest)", "upsample", {"mode": "nearest"}, "up"),
        LayerChoice(f"{smooth.capitalize()} upsampling", "upsample", {"mode": smooth}, "up"),
        LayerChoice("Max-unpool", "max_unpool", {}, "unpool", ask="pool"),
        None,
        *[
            LayerChoice(f"Activation: {f}", "activation", {"function": f}, f.split("_")[-1])
            for f in ACTIVATIONS
        ],
        LayerChoice("Dropout", "dropout", {}, "drop"),
        None,
        LayerChoice("Flatten", "flatten", {}, "flat"),
        LayerChoice("Linear (fully connected)", "linear", {}, "fc"),
        None,
        LayerChoice("Add (skip)", "add", {}, "add", ask="skip"),
        LayerChoice("Concatenate channels (skip)", "concat", {}, "cat", ask="skip"),
    ]


def covered_types() -> set[str]:
    """Every engine type the menu offers (a test keeps this equal to LAYER_TYPES)."""
    return {c.type for c in layer_choices(2) if c is not None}


# ----------------------------------------------------------------------------- spec edits


def new_layer(
    spec: NetworkSpec, choice: LayerChoice, answer: str | None = None, previous: str | None = None
) -> LayerSpec:
    """A layer for ``choice`` with a name unique in ``spec``.

    ``answer`` is the max pool (``ask == "pool"``) or the earlier layer to join
    (``ask == "skip"``); ``previous`` is the layer the new one follows (None: the input).
    """
    name = unique_name(spec.names(), f"{choice.stem}1")
    params = dict(choice.params)
    inputs: tuple[str, ...] = ()
    if choice.ask == "pool":
        params["pool"] = answer or ""
    elif choice.ask == "skip":
        inputs = (previous or INPUT, answer or INPUT)
    return LayerSpec(name, choice.type, params, inputs)


def insert_layer(spec: NetworkSpec, index: int, layer: LayerSpec) -> NetworkSpec:
    """``layer`` at position ``index`` (0 = first, len = last)."""
    layers = list(spec.layers)
    layers.insert(max(0, min(index, len(layers))), layer)
    return spec.with_layers(layers)


def delete_layer(spec: NetworkSpec, index: int) -> NetworkSpec:
    layers = list(spec.layers)
    del layers[index]
    return spec.with_layers(layers)


def duplicate_layer(spec: NetworkSpec, index: int) -> tuple[NetworkSpec, str]:
    """A copy of layer ``index`` right after it, under a new unique name."""
    original = spec.layers[index]
    copy = replace(original, name=unique_name(spec.names(), original.name))
    return insert_layer(spec, index + 1, copy), copy.name


def move_layer(spec: NetworkSpec, index: int, to: int) -> NetworkSpec:
    """Layer ``index`` moved so that it ends up at position ``to``."""
    layers = list(spec.layers)
    layer = layers.pop(index)
    layers.insert(max(0, min(to, len(layers))), layer)
    return spec.with_layers(layers)


def max_pools_before(spec: NetworkSpec, index: int) -> list[str]:
    """Max pools a max-unpool inserted at ``index`` may use."""
    return [layer.name for layer in spec.layers[:index] if layer.type == "max_pool"]


# ----------------------------------------------------------------------------- the menu


def build_add_menu(
    parent: QWidget,
    dims: int,
    spec: NetworkSpec,
    index: int,
    on_choice: Callable[[LayerChoice, str | None], None],
) -> QMenu:
    """A menu of every layer type; picking one calls ``on_choice(choice, answer)``.

    ``index`` is where the layer will go; entries that need an answer (which max pool,
    which earlier layer) get a submenu of the possible answers, disabled when there is none.
    """
    menu = QMenu(parent)
    fill_add_menu(menu, dims, spec, index, on_choice)
    return menu


def fill_add_menu(
    menu: QMenu,
    dims: int,
    spec: NetworkSpec,
    index: int,
    on_choice: Callable[[LayerChoice, str | None], None],
) -> None:
    """(Re)fill ``menu`` with the layer entries (see :func:`build_add_menu`)."""
    menu.clear()
    for choice in layer_choices(dims):
        if choice is None:
            menu.addSeparator()
            continue
        tip = LAYER_TYPES[choice.type].description or LAYER_TYPES[choice.type].title
        if choice.ask is None:
            action = menu.addAction(choice.title)
            action.setToolTip(tip)
            action.triggered.connect(lambda _=False, c=choice: on_choice(c, None))
            continue
        if choice.ask == "pool":
            answers = max_pools_before(spec, index)
            title = f"{choice.title} of"
        else:
            answers = [INPUT, *spec.names()[: max(0, index - 1)]]
            title = f"{choice.title} with"
        sub = menu.addMenu(title)
        sub.setToolTipsVisible(True)
        for answer in answers:
            action = sub.addAction(answer)
            action.triggered.connect(lambda _=False, c=choice, a=answer: on_choice(c, a))
        if not answers:
            sub.setEnabled(False)
            sub.setTitle(f"{title} (needs a max pool before)")
    menu.setToolTipsVisible(True)
