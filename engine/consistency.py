"""Consistency of a trained classifier under shifts (Zhang 2019), measured on a data set.

Zhang's "Making Convolutional Networks Shift-Invariant Again" measures how often a
classifier's predicted class survives a shift of its input. Here, for shifts s = 0..N along
a direction (one step along x, along y or along the diagonal of an image):

    consistency(s) = (1 / M) * #{ i : argmax f(t_s(x_i)) = argmax f(x_i) }

over M test samples x_i, where t_s shifts by s * direction with *wrap* (what leaves one edge
enters at the other) or *zero fill* — exactly :class:`engine.symmetry.Transform`'s shift.
consistency(0) is 1 by definition. When the data set's labels fit the network's scores the
accuracy at every shift comes along (the share of samples whose shifted prediction is their
label).

The network is run as one torch module (:func:`engine.torch_build.build_module`) on batches
of samples, on the CPU, with dropout off: the same spec, weights and data give the same
numbers every time. A ``cancelled`` callback, asked between batches, ends the work early
with :class:`Cancelled` (the lab's newest request supersedes an older one this way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .errors import DataError, EngineError
from .network import Weights, analyze
from .spec import NetworkSpec

CHUNK = 500  # samples per forward pass (bounds memory on 2D data)
MAX_SHIFTS = 256
AXES = ("x", "y", "diagonal")


class Cancelled(EngineError):
    """The work was cancelled (a newer request replaced it)."""


def axis_direction(axis: str, dims: int) -> tuple[int, ...]:
    """One step of a sweep along ``axis`` in axis order ((dx,) or (dy, dx))."""
    if axis not in AXES:
        raise DataError(f"the sweep axis must be one of {', '.join(AXES)}; got {axis!r}")
    if dims == 1:
        if axis != "x":
            raise DataError(f"a signal has only the x axis to shift along, not {axis}")
        return (1,)
    return {"x": (0, 1), "y": (1, 0), "diagonal": (1, 1)}[axis]


@dataclass
class Consistency:
    """Per shift: the share of samples whose predicted class is unchanged (and accuracy)."""

    shifts: list[int]
    direction: tuple[int, ...]
    fill: str
    consistency: list[float]
    accuracy: list[float] | None
    samples: int
    data: str = ""
    changed: list[int] | None = None  # the count behind each consistency value

    def at(self, shift: int) -> float:
        return self.consistency[self.shifts.index(shift)]

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for i, s in enumerate(self.shifts):
            row: dict[str, Any] = {"shift": s, "consistency": self.consistency[i]}
            if self.accuracy is not None:
                row["accuracy"] = self.accuracy[i]
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "samples": self.samples,
            "direction": list(self.direction),
            "fill": self.fill,
            "shifts": self.rows(),
        }


# --------------------------------------------------------------------------- checks


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def classifier_spec(spec: NetworkSpec, sample_shape) -> NetworkSpec:
    """The spec at the data's sample shape, checked to run and to end in class scores.

    DataError with the reason otherwise: the data does not fit the network's input, or the
    network does not end in a vector of two or more scores.
    """
    sample_shape = tuple(int(s) for s in sample_shape)
    net_shape = tuple(int(s) for s in spec.input_shape)
    if len(sample_shape) not in (2, 3):
        raise DataError(f"consistency needs signals or images; the samples are {sample_shape}")
    if net_shape and (len(net_shape) != len(sample_shape) or net_shape[0] != sample_shape[0]):
        raise DataError(
            f"the data's samples are {_shape_text(sample_shape)} but the network takes "
            f"{_shape_text(net_shape)}: pick data of the network's kind and channels"
        )
    fitted = spec if net_shape == sample_shape else spec.with_input_shape(sample_shape)
    analysis = analyze(fitted)
    error = analysis.first_error()
    if error is not None:
        raise DataError(
            f"the data's samples are {_shape_text(sample_shape)} but the network takes "
            f"{_shape_text(net_shape)} ({error})"
        )
    if not analysis.layers:
        raise DataError("the network has no layers: there are no class scores to compare")
    out = analysis.layers[-1].out_shape
    if out is None or len(out) != 1 or out[0] < 2:
        raise DataError(
            f"the network ends in shape {_shape_text(out or ())}, not in class scores: "
            "consistency needs a classifier (end in flatten or global pooling and a linear "
            "layer with one unit per class)"
        )
    return fitted


def _module(spec: NetworkSpec, weights: Weights, net_shape):
    from .torch_build import build_module

    try:
        module = build_module(spec, weights)
    except EngineError as error:
        raise DataError(
            f"the data's samples are {_shape_text(spec.input_shape)} but the network takes "
            f"{_shape_text(net_shape)} (its weights do not fit the data: {error})"
        ) from None
    module.eval()
    return module


# --------------------------------------------------------------------------- shifting


def shift_batch(x: torch.Tensor, shift: tuple[int, ...], fill: str = "wrap") -> torch.Tensor:
    """A batch (N, C, L) / (N, C, H, W) shifted by ``shift`` (axis order), wrap or zero fill;
    equal, sample by sample, to ``engine.symmetry.Transform(shift, fill).apply``."""
    dims = x.dim() - 2
    if len(shift) != dims:
        raise DataError(f"the shift needs {dims} values for this data; got {shift!r}")
    moved = [(axis + 2, s) for axis, s in enumerate(shift) if s]
    if not moved:
        return x
    out = torch.roll(x, [s for _, s in moved], [a for a, _ in moved])
    if fill == "zeros":
        out = out.clone() if out is x else out
        for axis, s in moved:
            size = out.shape[axis]
            start, stop = (0, min(s, size)) if s > 0 else (max(size + s, 0), size)
            out.narrow(axis, start, stop - start).zero_()
    elif fill != "wrap":
        raise DataError(f"the fill must be wrap or zeros; got {fill!r}")
    return out


# --------------------------------------------------------------------------- measuring


def consistency(
    spec: NetworkSpec,
    weights: Weights,
    x: np.ndarray,
    n: int,
    *,
    fill: str = "wrap",
    direction: tuple[int, ...] | None = None,
    labels: np.ndarray | None = None,
    data: str = "",
    chunk: int = CHUNK,
    cancelled: Callable[[], bool] | None = None,
) -> Consistency:
    """Consistency (and accuracy, with ``labels``) for shifts 0..n of the samples ``x``.

    ``x`` is (M, C, L) or (M, C, H, W); ``direction`` one step in axis order (default:
    along x). ``labels`` (M,) count towards accuracy only when they lie in the network's
    class range.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 0 <= n <= MAX_SHIFTS:
        raise DataError(f"consistency needs a whole number of shifts from 0 to {MAX_SHIFTS}")
    if fill not in ("wrap", "zeros"):
        raise DataError(f"the fill must be wrap or zeros; got {fill!r}")
    x = np.asarray(x)
    if x.ndim not in (3, 4) or len(x) == 0:
        raise DataError(f"consistency needs a batch of samples (M, C, ...); got {x.shape}")
    fitted = classifier_spec(spec, x.shape[1:])
    dims = x.ndim - 2
    direction = tuple(direction or (0,) * (dims - 1) + (1,))
    if len(direction) != dims:
        raise DataError(f"the shift direction needs {dims} values; got {direction!r}")
    module = _module(fitted, weights, spec.input_shape)
    n_scores = int(analyze(fitted).layers[-1].out_shape[0])
    y = _usable_labels(labels, len(x), n_scores)
    unchanged = np.zeros(n + 1, np.int64)
    correct = np.zeros(n + 1, np.int64)
    with torch.no_grad():
        for start in range(0, len(x), max(1, int(chunk))):
            batch = torch.tensor(np.asarray(x[start : start + chunk], np.float32))
            base = None
            for s in range(n + 1):
                if cancelled is not None and cancelled():
                    raise Cancelled("consistency: cancelled")
                moved = shift_batch(batch, tuple(s * d for d in direction), fill)
                predicted = module(moved).argmax(1).numpy()
                base = predicted if base is None else base
                unchanged[s] += int((predicted == base).sum())
                if y is not None:
                    correct[s] += int((predicted == y[start : start + chunk]).sum())
    m = len(x)
    return Consistency(
        shifts=list(range(n + 1)),
        direction=direction,
        fill=fill,
        consistency=[float(u) / m for u in unchanged],
        accuracy=None if y is None else [float(c) / m for c in correct],
        samples=m,
        data=data,
        changed=[int(m - u) for u in unchanged],
    )


def _usable_labels(labels, m: int, n_scores: int) -> np.ndarray | None:
    if labels is None:
        return None
    y = np.asarray(labels).astype(np.int64).ravel()
    if len(y) != m:
        raise DataError(f"there are {m} samples but {len(y)} labels")
    if y.min() < 0 or y.max() >= n_scores:
        return None  # the labels name classes the network has no score for: no accuracy
    return y


# --------------------------------------------------------------------------- data


def dataset_samples(name_or_path: str, samples: int | None = None, seed: int = 0):
    """The first ``samples`` test samples of a data set (all when None): (x, y, description).

    ``name_or_path`` is what the trainer takes (``engine.data.load_dataset``): ``mnist1d``,
    ``shapes``, a folder of class subfolders or a CSV of labelled signals.
    """
    from .data import load_dataset

    if samples is not None and (isinstance(samples, bool) or int(samples) != samples):
        raise DataError(f"the number of samples must be a whole number; got {samples!r}")
    if samples is not None and samples < 1:
        raise DataError(f"the number of samples must be at least 1; got {samples}")
    dataset = load_dataset(name_or_path, seed=seed)
    x, y = dataset.x_test, dataset.y_test
    if samples is not None:
        x, y = x[: int(samples)], y[: int(samples)]
    name = dataset.name or str(name_or_path)
    return np.asarray(x), np.asarray(y), f"{name}: {len(x)} test samples"


__all__ = [
    "AXES", "CHUNK", "Cancelled", "Consistency", "axis_direction", "classifier_spec",
    "consistency", "dataset_samples", "shift_batch",
]  # fmt: skip
