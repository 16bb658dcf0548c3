"""The regularisation comparison: one network trained with and without dropout and
augmentation, so the gap between training and test accuracy can be seen to shrink.

:func:`variants` makes the runs (the same network and settings; only dropout and the
augmentation differ), :func:`gap` measures a finished run, :func:`compare_regularisers`
trains them one after another (headless; the Training tab runs the same variants on its
worker, one run at a time).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .augment import Augmentation
from .errors import EngineError
from .spec import LayerSpec, NetworkSpec

DEFAULT_P = 0.5
# Valid for any image classifier of the shapes (a shape stays that shape when mirrored or
# moved a little); flips only for signals (1D batches take no vertical flip or rotation).
DEFAULT_AUGMENTATION_2D = Augmentation(translate=0.125, flip=True, flip_vertical=True)
DEFAULT_AUGMENTATION_1D = Augmentation(translate=0.1)
KINDS = ("plain", "dropout", "augmentation", "both")


class RegulariseError(EngineError):
    """The comparison cannot be made for this network."""


@dataclass(frozen=True)
class Variant:
    label: str
    spec: NetworkSpec
    augmentation: Augmentation | None
    dropout: bool


def without_dropout(spec: NetworkSpec) -> NetworkSpec:
    """The network with its dropout layers taken out (what read them reads their input)."""
    if not any(layer.type == "dropout" for layer in spec.layers):
        return spec
    source_of: dict[str, str | None] = {}  # a dropout layer -> what it read
    layers: list[LayerSpec] = []
    previous: str | None = None  # the layer before, in the original order
    for layer in spec.layers:
        src = layer.inputs[0] if layer.inputs else previous
        if layer.type == "dropout":
            source_of[layer.name] = source_of.get(src, src) if src is not None else None
            previous = layer.name
            continue
        if layer.inputs:
            layer = replace(layer, inputs=tuple(source_of.get(i, i) for i in layer.inputs))
        elif previous in source_of:
            target = source_of[previous]
            last = layers[-1].name if layers else None
            if target is not None and target != last:
                layer = replace(layer, inputs=(target,))
        layers.append(layer)
        previous = layer.name
    return replace(spec, layers=tuple(layers))


def with_dropout(spec: NetworkSpec, p: float = DEFAULT_P) -> NetworkSpec:
    """The network with dropout (probability ``p``) before each fully connected layer (after
    the flatten and the hidden layers, where the chapter puts it); a network that has dropout
    already keeps its own layers, with ``p`` where theirs is 0."""
    has = [layer for layer in spec.layers if layer.type == "dropout"]
    if has:
        layers = tuple(
            layer.with_params(p=p) if layer.type == "dropout" and not layer.param("p") else layer
            for layer in spec.layers
        )
        return replace(spec, layers=layers)
    if any(layer.inputs for layer in spec.layers):
        raise RegulariseError(
            f"network '{spec.name or 'lab network'}' has skip connections: put dropout layers "
            "in it yourself to compare (the comparison adds them only to a plain stack)"
        )
    names = {layer.name for layer in spec.layers}
    layers: list[LayerSpec] = []
    for i, layer in enumerate(spec.layers):
        if layer.type == "linear":
            name, k = f"dropout{i + 1}", 1
            while name in names:
                name, k = f"dropout{i + 1}_{k}", k + 1
            names.add(name)
            layers.append(LayerSpec(name, "dropout", {"p": float(p)}))
        layers.append(layer)
    if len(layers) == len(spec.layers):
        raise RegulariseError(
            f"network '{spec.name or 'lab network'}' has no fully connected layer to put "
            "dropout before: add one, or add dropout layers yourself"
        )
    return replace(spec, layers=tuple(layers))


SHAPES_PRESET = "shapes-cnn"  # the comparison's network on shapes when the chosen one misfits


def misfit(spec: NetworkSpec, input_shape: tuple[int, ...], n_classes: int) -> str | None:
    """Why ``spec`` cannot classify samples of ``input_shape`` into ``n_classes`` classes
    (None when it can): the layer that breaks, or the output it ends in."""
    from .network import analyze

    input_shape = tuple(int(s) for s in input_shape)
    name = spec.name or "lab network"
    if spec.input_shape and len(spec.input_shape) != len(input_shape):
        kind = "images" if len(spec.input_shape) == 3 else "signals"
        return f"'{name}' is made for {kind} {tuple(spec.input_shape)}, the data is {input_shape}"
    try:
        analysis = analyze(spec, input_shape)
    except EngineError as error:
        return f"'{name}' does not fit the data's input {input_shape}: {error}"
    error = analysis.first_error()
    if error is not None:
        return f"'{name}' does not fit the data's input {input_shape}: {error}"
    out = tuple(analysis.out_shape or ())
    if out != (n_classes,):
        return f"'{name}' ends in {out}, not the data's {n_classes} class scores"
    return None


def network_for(spec: NetworkSpec, dataset) -> tuple[NetworkSpec, str | None]:
    """The network the comparison trains on ``dataset``, and a note when it is not ``spec``.

    ``spec`` itself when it classifies the data; on the shapes data set a network that
    does not fit is replaced by the ``shapes-cnn`` preset (the note says why); elsewhere a
    misfit raises :class:`RegulariseError` naming it.
    """
    reason = misfit(spec, tuple(dataset.input_shape), len(dataset.class_names))
    if reason is None:
        return spec, None
    if getattr(dataset, "name", None) == "shapes":
        from .presets import get_preset

        preset = get_preset(SHAPES_PRESET)
        if misfit(preset, tuple(dataset.input_shape), len(dataset.class_names)) is None:
            return preset, f"{reason}, so the comparison trains {SHAPES_PRESET}"
    raise RegulariseError(f"the comparison cannot train {reason}")


def variants(
    spec: NetworkSpec,
    input_shape: tuple[int, ...],
    kinds: tuple[str, ...] = KINDS,
    p: float = DEFAULT_P,
    augmentation: Augmentation | None = None,
) -> list[Variant]:
    """The runs of the comparison, in ``kinds`` order (each of :data:`KINDS`); each run's
    label (and its network's name) says what it adds."""
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not 2 <= len(kinds) <= 4:
        raise RegulariseError(f"compare 2 to 4 of {', '.join(KINDS)}, not {', '.join(kinds)}")
    aug = augmentation or (
        DEFAULT_AUGMENTATION_2D if len(input_shape) == 3 else DEFAULT_AUGMENTATION_1D
    )
    plain, dropped = without_dropout(spec), None
    out = []
    for kind in kinds:
        drop = kind in ("dropout", "both")
        if drop and dropped is None:
            dropped = with_dropout(plain, p)
        base = dropped if drop else plain
        label = {
            "plain": "no regularisation",
            "dropout": f"dropout {p:g}",
            "augmentation": "augmentation",
            "both": f"dropout {p:g} + augmentation",
        }[kind]
        out.append(
            Variant(
                label,
                replace(base, name=label),
                aug if kind in ("augmentation", "both") else None,
                drop,
            )
        )
    return out


def gap(result: Any) -> float:
    """Training accuracy minus test accuracy at the end of a run (the generalisation gap)."""
    return float(result.train_accuracy) - float(result.test_accuracy)


def compare_regularisers(spec, dataset, config, kinds=KINDS, p=DEFAULT_P, device=None):
    """Train each variant in turn with ``config`` (its augmentation replaced); one
    ``TrainResult`` per variant."""
    from .training import Trainer

    results = []
    for v in variants(spec, tuple(dataset.input_shape), kinds, p):
        run_config = replace(config, augmentation=v.augmentation)
        results += Trainer(v.spec, dataset, run_config, device=device).run()
    return results


__all__ = [
    "KINDS",
    "Variant",
    "compare_regularisers",
    "gap",
    "misfit",
    "network_for",
    "variants",
    "with_dropout",
    "without_dropout",
]
