"""``python app.py symmetry NETWORK [--input EXAMPLE_OR_FILE] [--weights FILE] [--seed N]
[--transform shift|flip|rot90] [--shift DX[,DY]] [--fill wrap|zeros] [--sweep N]
[--sweep-axis x|y|diagonal] [--consistency DATASET [--samples N]] --json OUT.json``.

Measures the equivariance and invariance errors of every layer (:mod:`engine.symmetry`)
and writes them as JSON: ``transform`` and ``layers`` (in network order: ``name``, ``type``,
``shape``, ``shift`` at that layer's grid or null, ``equivariance_error`` or null,
``invariance_error``, ``note``); with ``--sweep N`` also ``sweep`` (both errors per layer
for the shifts 0..N along ``--sweep-axis``, and the class probabilities when the network ends
in scores); with ``--consistency DATASET`` also ``consistency`` (:mod:`engine.consistency`: per
shift 0..N, N from ``--sweep`` or 8, the share of the data set's first ``--samples`` test samples
whose predicted class the shift leaves unchanged, and the accuracy when the labels fit) and
``consistency_data`` (which data, how many samples, the direction and fill).
"""

from __future__ import annotations

import json
import os

import numpy as np

from . import consistency as C
from . import symmetry as S
from .errors import DataError, EngineError
from .examples import example_kind, example_names, make_example
from .export import checked_weights
from .inputs import load_input
from .network import init_weights
from .serialize import atomic_write_text
from .summary import resolve_network

CONSISTENCY_SHIFTS = 8  # shifts 0..8 when no --sweep N says otherwise


def parse_shift(text: str, dims: int) -> tuple[int, ...]:
    """'3' or '3,-1' (DX[,DY]) -> the shift in axis order ((dx,) or (dy, dx))."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise DataError(f"--shift must be DX or DX,DY in whole numbers; got {text!r}") from None
    if len(values) > dims or not values:
        raise DataError(f"--shift takes at most {dims} value(s) for this input; got {text!r}")
    if dims == 1:
        return (values[0],)
    dx, dy = values[0], values[1] if len(values) > 1 else 0
    return (dy, dx)


def network_input(spec, target: str | None) -> np.ndarray:
    """The example or file ``target`` (default: the first example of the input's kind),
    checked to have the network's input shape."""
    shape = tuple(spec.input_shape)
    if len(shape) < 2:
        raise DataError(f"the network's input {shape} is a vector: there is nothing to shift")
    if target is None:
        target = example_names("1d" if len(shape) == 2 else "2d")[0]
    try:
        kind = example_kind(target)
    except EngineError:
        kind = None
    if kind is not None:
        size = shape[1] if len(shape) == 2 else (shape[1], shape[2])
        try:
            array = make_example(target, size)
        except EngineError:
            array = make_example(target, shape[1] if len(shape) == 3 else None)
    elif os.path.exists(target):
        array = load_input(target).array
    else:
        raise DataError(f"--input {target!r} is neither an example nor a file")
    if tuple(array.shape) != shape:
        raise DataError(
            f"--input {target!r} has shape {tuple(array.shape)} but the network takes {shape}"
        )
    return array


def build_transform(kind: str, shift_text: str | None, fill: str, dims: int) -> S.Transform:
    if kind == "shift":
        return S.Transform(shift=parse_shift(shift_text or "1", dims), fill=fill)
    if shift_text is not None:
        raise DataError(f"--shift goes with --transform shift, not {kind}")
    if kind == "flip":
        return S.Transform(flips=(False,) * (dims - 1) + (True,))
    if dims != 2:
        raise DataError("--transform rot90 needs an image input (two spatial axes)")
    return S.rot90(1)


def run(args) -> int:
    spec = resolve_network(args.network)
    x = network_input(spec, args.input)
    weights = (
        checked_weights(spec, args.weights) if args.weights else init_weights(spec, seed=args.seed)
    )
    dims = x.ndim - 1
    transform = build_transform(args.transform, args.shift, args.fill, dims)
    direction = C.axis_direction(args.sweep_axis, dims)
    if args.samples is not None and args.consistency is None:
        raise DataError("--samples goes with --consistency DATASET")
    out = S.measure(spec, weights, x, transform, keep_maps=False).to_dict()
    if args.sweep is not None:
        out["sweep"] = S.sweep(
            spec, weights, x, args.sweep, fill=args.fill, direction=direction
        ).to_dict()
    if args.consistency is not None:
        samples, labels, text = C.dataset_samples(args.consistency, args.samples)
        result = C.consistency(
            spec, weights, samples, CONSISTENCY_SHIFTS if args.sweep is None else args.sweep,
            fill=args.fill, direction=direction, labels=labels, data=text,
        )  # fmt: skip
        info = result.to_dict()
        out["consistency"] = info.pop("shifts")
        out["consistency_data"] = info
    atomic_write_text(args.json, json.dumps(out, indent=1, allow_nan=False) + "\n")
    print(f"wrote {args.json} ({len(out['layers'])} layers, {transform.describe()})")
    return 0


def register(subparsers) -> None:
    from .cli import one_line_errors

    parser = subparsers.add_parser(
        "symmetry",
        help="equivariance and invariance errors per layer, as JSON",
        description="Measure ||f(t x) - t(f x)|| / ||f x|| and ||f(t x) - f x|| / ||f x|| "
        "at every layer for a shift, flip or rotation of the input.",
    )
    one_line_errors(parser, "symmetry")
    parser.add_argument("network", help="a preset name or a saved network file (.json)")
    parser.add_argument("--input", help="an example name or an image/CSV/NPY file")
    parser.add_argument("--weights", help="weights file (default: drawn from --seed)")
    parser.add_argument("--seed", type=int, default=0, help="seed of fresh weights")
    parser.add_argument("--transform", choices=("shift", "flip", "rot90"), default="shift")
    parser.add_argument("--shift", metavar="DX[,DY]", help="whole positions (default 1)")
    parser.add_argument("--fill", choices=S.FILLS, default="wrap")
    parser.add_argument("--sweep", type=int, metavar="N", help="also sweep shifts 0..N")
    parser.add_argument(
        "--sweep-axis", choices=C.AXES, default="x",
        help="the direction of the sweep and of --consistency's shifts (y, diagonal: images)",
    )  # fmt: skip
    parser.add_argument(
        "--consistency", metavar="DATASET",
        help="also the consistency of the predicted class under shifts 0..N on DATASET's test "
        "samples (mnist1d, shapes, a folder of class subfolders or a CSV of signals)",
    )  # fmt: skip
    parser.add_argument("--samples", type=int, metavar="N", help="test samples (default: all)")
    parser.add_argument("--json", required=True, metavar="OUT.json", help="where to write")
    parser.set_defaults(func=run)
