"""Headless commands: ``summary``, ``export``, ``train`` and ``matrix``.

Each command lives in its own module, which provides ``register(subparsers)``: it adds its
sub-parser and sets ``func(args) -> int`` on it. A bad argument or a bad file ends with one
clear line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import EngineError

# command name -> module that registers it
COMMANDS = {
    "summary": "engine.summary",
    "export": "engine.export",
    "train": "engine.train_cli",
    "matrix": "engine.matrix_cli",
    "symmetry": "engine.symmetry_cli",  # issue 11
}


def one_line_errors(parser: argparse.ArgumentParser, command: str) -> None:
    """Make ``parser`` report a bad argument as one ``error:`` line (exit 2), no usage block."""

    def error(message: str):
        print(f"error: {command}: {message}", file=sys.stderr)
        sys.exit(2)

    parser.error = error  # type: ignore[method-assign]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py", description="ConvScope headless commands")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMANDS.values():
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except EngineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        print(f"error: {error.strerror or error}{where}", file=sys.stderr)
        return 2
