"""``python app.py train``: train a network without a window, print its results (and, with
``--json OUT.json``, write the whole result as JSON).

Example (the book's experiment)::

    python app.py train --network udl-mnist1d-cnn --compare udl-mnist1d-fc \\
        --dataset mnist1d --steps 3000 --optimizer sgd --lr 0.05 --momentum 0.9 \\
        --batch-size 100 --seed 0 --json out.json

Progress goes to stderr, a line every ``--progress-every`` seconds; the results (one line a
network: parameters, accuracies, steps, seconds) to stdout. The JSON holds the first
network's ``train_accuracy``, ``test_accuracy``, ``train_loss``, ``test_loss``,
``parameters``, ``curves`` and ``checkpoint_steps``, plus ``network``, ``dataset``, ``steps``,
``stopped``, ``device``, ``config``, ``compare`` (the results of ``--compare`` networks) and
``timing`` (seconds, steps/s). Everything except ``timing`` is the same for the same seed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

from .errors import EngineError
from .training import OPTIMIZERS, Progress, TrainConfig, Trainer, TrainingError

TIMING_KEYS = ("seconds", "steps_per_second")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a network headless; print the results (--json: also as JSON)",
        description="Train a network on a data set without a window; write the result as JSON.",
    )
    p.add_argument(
        "--network",
        required=True,
        help="a preset name (e.g. udl-mnist1d-cnn) or a saved network file",
    )
    p.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="NETWORK",
        help="also train this network on the same batches (repeatable)",
    )
    p.add_argument(
        "--dataset", required=True, help="mnist1d, shapes, an image folder or a signal CSV file"
    )
    p.add_argument("--data-seed", type=int, default=0, help="seed for generated data sets")
    p.add_argument("--steps", type=int, default=1000, help="optimizer steps (default 1000)")
    p.add_argument("--epochs", type=float, default=None, help="train this many epochs instead")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd")
    p.add_argument("--lr", type=float, default=0.05, help="learning rate (default 0.05)")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default 0.9)")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0, help="seed for weights, batches, dropout")
    p.add_argument("--eval-every", type=int, default=100, help="evaluate every N steps")
    p.add_argument("--checkpoint-every", type=int, default=100)
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda or mps")
    p.add_argument(
        "--progress-every",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="seconds between progress lines on stderr (0: none)",
    )
    p.add_argument(
        "--json",
        metavar="OUT.json",
        help="also write the whole result as JSON here (the summary is always printed)",
    )

    def one_line_error(message: str):
        # One clear line instead of argparse's usage block.
        print(f"error: train: {message}", file=sys.stderr)
        sys.exit(2)

    p.error = one_line_error  # type: ignore[method-assign]
    p.set_defaults(func=run)


def resolve_network(name: str):
    """A preset by name, or a network file: returns (spec, weights or None)."""
    if os.path.exists(name):
        from .serialize import load_network

        loaded = load_network(name)
        if isinstance(loaded, tuple):
            spec, weights = loaded[0], (loaded[1] if len(loaded) > 1 else None)
        else:
            spec, weights = loaded, None
        return spec, weights
    from .presets import PRESETS, get_preset

    if name not in PRESETS:
        names = ", ".join(sorted(PRESETS))
        raise TrainingError(f"'{name}' is neither a preset ({names}) nor a network file")
    return get_preset(name), None


def _progress_printer(stream):
    latest: dict = {}

    def show(p: Progress) -> None:
        if p.records and p.records[0]:
            latest.update(p.records[0][-1])
        left = "" if not math.isfinite(p.seconds_left) else f"  {p.seconds_left:.0f} s left"
        parts = [f"step {p.step}/{p.total_steps}"]
        if p.losses and math.isfinite(p.losses[0]):
            parts.append(f"loss {p.losses[0]:.4f}")
        if latest:
            parts.append(f"train acc {latest['train_accuracy']:.3f}")
            parts.append(f"test acc {latest['test_accuracy']:.3f}")
        if p.step:
            parts.append(f"{p.steps_per_second:.0f} steps/s{left}")
        if p.state != "running":
            parts.append(f"({p.state})")
        print("  ".join(parts), file=stream, flush=True)

    return show


def run(args: argparse.Namespace) -> int:
    from .data import load_dataset
    from .serialize import atomic_write_text

    spec, weights = resolve_network(args.network)
    others = [resolve_network(name) for name in args.compare]
    dataset = load_dataset(args.dataset, seed=args.data_seed)
    config = TrainConfig(
        optimizer=args.optimizer,
        lr=args.lr,
        momentum=args.momentum,
        batch_size=args.batch_size,
        steps=args.steps,
        epochs=args.epochs,
        weight_decay=args.weight_decay,
        seed=args.seed,
        eval_every=args.eval_every,
        checkpoint_every=args.checkpoint_every,
        threads=args.threads,
    )
    device = None if args.device == "auto" else args.device
    if device is not None and device not in ("cpu", "cuda", "mps"):
        raise TrainingError(f"unknown device '{device}' (choose auto, cpu, cuda or mps)")
    specs = [spec] + [s for s, _ in others]
    start = [weights] + [w for _, w in others]
    try:
        trainer = Trainer.compare(specs, dataset, config, weights=start, device=device)
    except (RuntimeError, AssertionError) as error:  # e.g. a device torch cannot use
        raise TrainingError(f"cannot train on device '{args.device}': {error}") from None
    print(
        f"training {', '.join(m.label for m in trainer.members)} on {args.dataset} "
        f"({len(dataset.x_train)} training, {len(dataset.x_test)} test samples), "
        f"{trainer.total_steps} steps on {trainer.device_name}",
        file=sys.stderr,
        flush=True,
    )
    callback = _progress_printer(sys.stderr) if args.progress_every > 0 else None
    results = trainer.run(callback, progress_interval=args.progress_every or 1.0)

    def entry(result) -> dict:
        d = result.to_dict()
        d["timing"] = {key: d.pop(key) for key in TIMING_KEYS}
        return d

    out = entry(results[0])
    out["dataset"] = args.dataset
    out["config"] = config.to_dict()
    out["compare"] = [entry(r) for r in results[1:]]
    if args.json:
        atomic_write_text(args.json, json.dumps(out, indent=2) + "\n")
    for r in results:  # the results, in the terminal (progress went to stderr)
        print(
            f"{r.network}: {r.parameters} parameters, train accuracy {r.train_accuracy:.3f}, "
            f"test accuracy {r.test_accuracy:.3f} after {r.steps} steps "
            f"({r.seconds:.1f} s)",
            flush=True,
        )
    if args.json:
        print(f"wrote {args.json}")
    return 0


__all__ = ["register", "resolve_network", "run", "EngineError"]
