"""``python app.py export NETWORK --pytorch OUT.py [--weights W.npz|W.safetensors]``.

Writes standalone PyTorch source for the network (atomically); with ``--weights`` also a
weights file the generated ``build()`` loads. The weights are ``--from-weights FILE`` (e.g.
trained ones) or freshly initialised from ``--seed``.
"""

from __future__ import annotations

import os

from .budget import check_budget
from .codegen import pytorch_source
from .errors import ShapeError, SpecError
from .network import analyze, init_weights
from .serialize import atomic_write_text, load_weights, save_weights
from .summary import resolve_network


def checked_weights(spec, path: str, input_shape=None):
    """The weights in ``path``, checked to hold every array the network needs (ShapeError)."""
    weights = load_weights(path)
    for info in analyze(spec, input_shape).layers:
        for key, shape in info.weight_shapes.items():
            a = weights.get(info.name, {}).get(key)
            if a is None or tuple(a.shape) != tuple(shape):
                found = "missing" if a is None else f"shape {tuple(a.shape)}"
                raise ShapeError(
                    f"{path}: layer '{info.name}' {key} is {found}; the network "
                    f"needs {tuple(shape)}"
                )
    return weights


def refuse_ignored_flags(args) -> None:
    """A flag the user gave is honoured or refused: never silently ignored."""
    if args.from_weights and not args.weights:
        raise SpecError(
            "export: --from-weights FILE is only used with --weights OUT (the weights file "
            "to write); give --weights too, or leave --from-weights out"
        )
    if args.seed is not None and (args.from_weights or not args.weights):
        reason = "--from-weights gives the weights" if args.from_weights else "no --weights"
        raise SpecError(f"export: --seed seeds fresh weights, but {reason}; leave --seed out")


def run(args) -> int:
    refuse_ignored_flags(args)
    spec = resolve_network(args.network)
    check_budget(spec, what="one pass")  # the exported program runs one on start
    weights_ref = None
    if args.weights:
        out_dir = os.path.dirname(os.path.abspath(args.pytorch))
        weights_ref = os.path.relpath(os.path.abspath(args.weights), out_dir)
    source = pytorch_source(spec, weights_ref)  # raises for a network that cannot run
    if args.weights:
        weights = (
            checked_weights(spec, args.from_weights)
            if args.from_weights
            else init_weights(spec, seed=args.seed or 0)
        )
        save_weights(args.weights, weights)
        print(f"wrote {args.weights}")
    atomic_write_text(args.pytorch, source)
    print(f"wrote {args.pytorch} ({analyze(spec).total.parameters:,} parameters)")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the network as standalone PyTorch source",
        description="Write a standalone .py defining class Net, build() and a __main__ that "
        "runs a random input. The file, and reading its weights file, needs only Python's "
        "standard library and torch (no numpy, no safetensors, not ConvScope).",
    )
    parser.add_argument("network", help="a preset name or a saved network file (.json)")
    parser.add_argument("--pytorch", required=True, metavar="OUT.py", help="source to write")
    parser.add_argument(
        "--weights",
        metavar="W.npz|W.safetensors",
        help="also write weights here; build() loads them (with torch alone)",
    )
    parser.add_argument(
        "--from-weights", metavar="FILE", help="weights to export (default: freshly initialised)"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of fresh weights (default 0)")
    parser.set_defaults(func=run)
