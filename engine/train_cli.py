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

Segmentation and detection (issue 14)::

    python app.py train --task segmentation --dataset shapes --json seg.json --predictions seg.npz
    python app.py train --task detection --dataset shapes --json det.json --predictions det.json

Without further options each task trains its own preset (``shapes-segmenter``,
``shapes-detector``) with the defaults in :data:`TASK_DEFAULTS` on multi-object shapes
(:data:`TASK_DATA`). The JSON adds ``task``, ``metrics`` and ``dataset_args`` (the exact
``make_shapes`` arguments, to regenerate the test set) and, at the top level,
``mean_iou``, ``per_class_iou``, ``pixel_accuracy`` (segmentation) or ``map50``,
``per_class_ap`` (detection). ``--predictions`` writes the test set's predicted masks
(``.npz`` with ``masks`` (N, H, W) int64) or detections (a JSON list in COCO's results
format, pixel coordinates, 0-based classes, ``image_id`` = test index).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

from .errors import EngineError
from .tasks import TASKS
from .training import OPTIMIZERS, Progress, TrainConfig, Trainer, TrainingError

TIMING_KEYS = ("seconds", "steps_per_second")

# Each task's defaults, chosen to reach the README's targets in about a minute on 2 cores.
TASK_DEFAULTS = {
    "classification": {"optimizer": "sgd", "lr": 0.05, "batch_size": 100, "steps": 1000},
    "segmentation": {
        "network": "shapes-segmenter",
        "optimizer": "adam",
        "lr": 0.01,
        "batch_size": 32,
        "steps": 1000,
        "eval_every": 250,
    },
    "detection": {
        "network": "shapes-detector",
        "optimizer": "adam",
        "lr": 0.005,
        "batch_size": 64,
        "steps": 2000,
        "eval_every": 500,
    },
}
# The shapes generator's arguments for the tasks that need several objects per image.
TASK_DATA = {"n_train": 4000, "n_test": 500, "size": 32, "max_objects": 3, "noise": 0.05}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a network headless; print the results (--json: also as JSON)",
        description="Train a network on a data set without a window; write the result as JSON.",
    )
    p.add_argument(
        "--task",
        choices=TASKS,
        default="classification",
        help="classification (default), segmentation or detection",
    )
    p.add_argument(
        "--network",
        default=None,
        help="a preset name (e.g. udl-mnist1d-cnn) or a saved network file "
        "(segmentation and detection default to shapes-segmenter / shapes-detector)",
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
    p.add_argument("--steps", type=int, default=None, help="optimizer steps (default 1000)")
    p.add_argument("--epochs", type=float, default=None, help="train this many epochs instead")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=None, help="default sgd")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default 0.05)")
    p.add_argument("--momentum", type=float, default=None, help="SGD momentum (default 0.9)")
    p.add_argument("--batch-size", type=int, default=None, help="default 100")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0, help="seed for weights, batches, dropout")
    p.add_argument("--eval-every", type=int, default=None, help="evaluate every N steps")
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
    p.add_argument(
        "--predictions",
        default=None,
        metavar="PRED",
        help="segmentation: test masks as .npz; detection: test detections as COCO JSON",
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
            for key, label in (("test_mean_iou", "test mIoU"), ("test_map50", "test mAP50")):
                if key in latest:
                    parts.append(f"{label} {latest[key]:.3f}")
        if p.step:
            parts.append(f"{p.steps_per_second:.0f} steps/s{left}")
        if p.state != "running":
            parts.append(f"({p.state})")
        print("  ".join(parts), file=stream, flush=True)

    return show


def _refuse_ignored_flags(args: argparse.Namespace) -> None:
    """A flag the user gave is honoured or refused: never silently ignored."""
    if args.steps is not None and args.epochs is not None:
        raise TrainingError("--steps and --epochs both set the length of training; give one")
    optimizer = _setting(args, "optimizer")
    if args.momentum is not None and optimizer != "sgd":
        raise TrainingError(f"--momentum applies to sgd only; the {optimizer} optimizer ignores it")


def _setting(args, name: str, default=100):
    value = getattr(args, name)
    return value if value is not None else TASK_DEFAULTS[args.task].get(name, default)


def _load_data(args):
    """The data set, and for segmentation/detection the shapes generator's arguments."""
    from .data import load_dataset

    if args.task == "classification":
        return load_dataset(args.dataset, seed=args.data_seed), None
    if str(args.dataset).strip().lower() != "shapes":
        raise TrainingError(
            f"{args.task} needs boxes and masks, which only the shapes data set has "
            f"(use --dataset shapes, not '{args.dataset}')"
        )
    from .data.shapes import make_shapes

    dataset_args = {**TASK_DATA, "seed": args.data_seed}
    return make_shapes(**dataset_args), dataset_args


def _write_predictions(path: str, task: str, predictions) -> None:
    import io

    import numpy as np

    from .serialize import atomic_write_bytes, atomic_write_text

    if task == "segmentation":
        buffer = io.BytesIO()
        np.savez_compressed(buffer, masks=predictions)
        atomic_write_bytes(path, buffer.getvalue())
    else:
        atomic_write_text(path, json.dumps(predictions) + "\n")


def run(args: argparse.Namespace) -> int:
    from .serialize import atomic_write_text

    _refuse_ignored_flags(args)
    if args.network is None and args.task == "classification":
        raise TrainingError("--network is required for classification")
    if args.predictions and args.task == "classification":
        raise TrainingError("--predictions is for segmentation and detection")
    spec, weights = resolve_network(_setting(args, "network", None))
    others = [resolve_network(name) for name in args.compare]
    from .budget import check_budget

    batch = max(1, _setting(args, "batch_size"))
    for network in [spec] + [s for s, _ in others]:  # before any data is made
        check_budget(network, batch=batch, passes=3, what="one training step")
    dataset, dataset_args = _load_data(args)
    config = TrainConfig(
        optimizer=_setting(args, "optimizer"),
        lr=_setting(args, "lr"),
        momentum=0.9 if args.momentum is None else args.momentum,
        batch_size=_setting(args, "batch_size"),
        steps=_setting(args, "steps", 1000),
        epochs=args.epochs,
        weight_decay=args.weight_decay,
        seed=args.seed,
        eval_every=_setting(args, "eval_every"),
        checkpoint_every=args.checkpoint_every,
        threads=args.threads,
        task=args.task,
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
    if dataset_args is not None:
        out["dataset_args"] = dataset_args
        out.update({k: v for k, v in results[0].metrics.items() if k != "confusion"})
    if args.json:
        atomic_write_text(args.json, json.dumps(out, indent=2) + "\n")
    if args.predictions:
        _write_predictions(args.predictions, args.task, trainer.test_predictions(0))
    for r in results:  # the results, in the terminal (progress went to stderr)
        if r.metrics:
            key = "mean_iou" if args.task == "segmentation" else "map50"
            print(f"{r.network}: test {key} {r.metrics[key]:.3f}", flush=True)
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
