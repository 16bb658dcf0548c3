"""``python app.py summary NETWORK [--input-shape C,L | C,H,W] [--json]``.

A per-layer table (name, type, output shape, parameters, fully connected parameters,
multiply-accumulates, receptive field) and the totals, like torchinfo's. NETWORK is a preset
name or a saved network file.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from .errors import DependencyError, SpecError
from .graph import check_input_shape
from .network import Analysis, analyze
from .presets import PRESETS, get_preset
from .serialize import load_network
from .spec import NetworkSpec


def resolve_network(text: str) -> NetworkSpec:
    """A preset by name, else a network file; SpecError when it is neither."""
    if text in PRESETS:
        return get_preset(text)
    if os.path.exists(text):
        return load_network(text)
    raise SpecError(f"{text!r} is neither a preset ({', '.join(PRESETS)}) nor a network file")


def parse_shape(text: str | None) -> tuple[int, ...] | None:
    """'1,28,28' -> (1, 28, 28); SpecError naming the option when it is not a shape."""
    if text is None:
        return None
    try:
        values = tuple(int(part) for part in text.replace("x", ",").split(","))
    except ValueError:
        raise SpecError(
            f"--input-shape must be C,L or C,H,W in whole numbers; got {text!r}"
        ) from None
    try:
        return check_input_shape(values)
    except SpecError as error:
        raise SpecError(f"--input-shape: {error}") from None


def _shape(shape) -> str:
    return "x".join(str(s) for s in shape) if shape else "-"


def analysis_dict(spec: NetworkSpec, analysis: Analysis) -> dict[str, Any]:
    """The analysis as plain JSON-able data (what ``--json`` prints)."""
    return {
        "network": spec.name,
        "input_shape": list(analysis.input_shape),
        "layers": [
            {
                "index": info.index,
                "name": info.name,
                "type": info.type,
                "inputs": list(info.inputs),
                "input_shapes": [list(s) for s in info.input_shapes],
                "output_shape": None if info.out_shape is None else list(info.out_shape),
                "parameters": info.parameters,
                "fc_parameters": info.fc_parameters,
                "macs": info.macs,
                "receptive_field": (
                    None if info.receptive_field is None else list(info.receptive_field)
                ),
                "error": None if info.error is None else str(info.error),
            }
            for info in analysis.layers
        ],
        "total": {
            "parameters": analysis.total.parameters,
            "fc_parameters": analysis.total.fc_parameters,
            "macs": analysis.total.macs,
        },
    }


def table(spec: NetworkSpec, analysis: Analysis) -> str:
    """The human-readable summary."""
    head = ("#", "layer", "type", "output", "params", "FC params", "MACs", "receptive field")
    rows = [head]
    for info in analysis.layers:
        rf = "-" if info.receptive_field is None else "x".join(map(str, info.receptive_field))
        rows.append(
            (
                str(info.index + 1),
                info.name,
                info.type,
                "ERROR" if info.out_shape is None else _shape(info.out_shape),
                f"{info.parameters:,}",
                f"{info.fc_parameters:,}",
                f"{info.macs:,}",
                rf,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    right = {0, 4, 5, 6}

    def line(row):
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "-" * len(line(head))
    title = f"{spec.name or 'network'}: input {_shape(analysis.input_shape)}"
    out = [title, rule, line(head), rule, *(line(r) for r in rows[1:]), rule]
    t = analysis.total
    out += [
        f"total parameters:                      {t.parameters:,}",
        f"fully connected net of the same sizes: {t.fc_parameters:,}",
        f"multiply-accumulates:                  {t.macs:,}",
    ]
    out += [
        f"error: {info.error}"
        for info in analysis.layers
        if info.error is not None and not isinstance(info.error, DependencyError)
    ]
    blocked = sum(isinstance(info.error, DependencyError) for info in analysis.layers)
    if blocked:
        out.append(f"({blocked} layer{'s' if blocked > 1 else ''} after it cannot run)")
    return "\n".join(out)


def run(args) -> int:
    spec = resolve_network(args.network)
    analysis = analyze(spec, parse_shape(args.input_shape))
    if args.json:
        print(json.dumps(analysis_dict(spec, analysis), indent=2))
    else:
        print(table(spec, analysis))
    if not analysis.ok:
        print(f"error: {analysis.first_error()}", file=sys.stderr)
        return 2  # like every other error
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "summary",
        help="per-layer shapes, parameter counts, MACs and receptive fields",
        description="Per-layer table of a network: output shape, parameters, the parameters a "
        "fully connected layer of the same sizes would need, multiply-accumulates "
        "and receptive field; then the totals.",
    )
    parser.add_argument("network", help="a preset name or a saved network file (.json)")
    parser.add_argument("--input-shape", help="C,L or C,H,W (default: the network's own)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)
