"""``python app.py matrix NETWORK --layer NAME [--input-shape C,L|C,H,W] [--weights FILE]
[--seed N] --json OUT.json``.

Writes ``{"layer", "input_shape", "output_shape", "matrix"}``: the layer's linear map
without its bias (see :mod:`engine.linear_map`), one row per output value, both sides
flattened channel-first in C order, so ``matrix @ x.ravel()`` equals the layer's output
minus its bias; ``input_shape`` is the shape the layer receives. The weights are ``--weights
FILE`` (e.g. trained ones) or freshly initialised from ``--seed``. A layer that is not
linear, or a matrix over 4,096 × 4,096 entries, is refused before anything is allocated.
"""

from __future__ import annotations

import json

import numpy as np

from .cli import one_line_errors
from .errors import SpecError
from .export import checked_weights
from .linear_map import MatrixError, layer_matrix, matrix_shape
from .network import init_weights
from .serialize import atomic_write_text
from .summary import parse_shape, resolve_network


def run(args) -> int:
    if args.weights and args.seed is not None:
        raise SpecError(
            "matrix: --seed seeds fresh weights, but --weights gives them; leave one out"
        )
    spec = resolve_network(args.network)
    shape = parse_shape(args.input_shape)
    matrix_shape(spec, args.layer, shape)  # shapes only: refuse before weights or matrix
    if args.weights:
        weights = checked_weights(spec, args.weights, shape)
    else:
        weights = init_weights(spec, shape, seed=args.seed or 0)
    result = layer_matrix(spec, weights, args.layer, shape)
    if not np.isfinite(result.matrix).all():  # JSON has no NaN or infinity
        raise MatrixError(f"layer '{result.layer}' has weights that are NaN or infinite")
    atomic_write_text(args.json, json.dumps(result.to_dict()))
    rows, cols = result.matrix.shape
    print(f"wrote {args.json} ({rows} × {cols} matrix of layer '{result.layer}')")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "matrix",
        help="write a layer's linear map as a matrix (JSON)",
        description="Write the matrix M of a linear layer (convolution, transposed convolution, "
        "linear, mean pool, subsample, upsample, ...) without its bias: rows are output values, "
        "columns input values, flattened channel-first, so M @ x equals the output minus the bias.",
    )
    parser.add_argument("network", help="a preset name or a saved network file (.json)")
    parser.add_argument("--layer", required=True, metavar="NAME", help="the layer to write")
    parser.add_argument("--input-shape", help="C,L or C,H,W (default: the network's own)")
    parser.add_argument(
        "--weights", metavar="FILE", help="weights (.npz / .safetensors; default: fresh ones)"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of fresh weights (default 0)")
    parser.add_argument("--json", required=True, metavar="OUT.json", help="where to write it")
    one_line_errors(parser, "matrix")
    parser.set_defaults(func=run)
