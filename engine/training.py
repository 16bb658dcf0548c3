"""Training small classifiers: the one training loop the app, the CLI and the benchmark share.

``Trainer`` trains one network (or several side by side, :meth:`Trainer.compare`) on a
``engine.data.Dataset`` with cross-entropy on the last layer's class scores. It is Qt-free:
``run(callback, control)`` calls ``callback(Progress)`` at most every ``progress_interval``
seconds (plus once when pausing, resuming and finishing), and a :class:`TrainControl` pauses,
resumes or stops it from another thread.

Conventions
-----------
- Reproducible: one ``seed`` sets the initial weights (``engine.network.init_weights``), the
  order of batches and the augmentation (a ``torch.Generator`` each) and dropout
  (``torch.manual_seed``), so the same seed gives the same numbers on the CPU.
- Batches: each epoch visits the training set in a new random order; the last incomplete
  batch of an epoch is dropped so every step sees ``batch_size`` samples.
- Evaluation every ``eval_every`` steps (and at step 0 and the last step), with dropout off:
  loss and accuracy on the full test set and on a fixed training subset (the first
  ``eval_train_samples`` samples of a permutation drawn once from the seed).
- Checkpoints: copies of the weights (numpy) at step 0, every ``checkpoint_every`` steps and
  the last step, kept in memory for replay.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any

import numpy as np
import torch

from .errors import EngineError
from .optim import SGD, Adam
from .spec import NetworkSpec
from .tasks import TASKS, TrainingError, make_task

OPTIMIZERS = ("sgd", "adam")
EVAL_CHUNK = 2000  # samples per evaluation forward pass (bounds memory)

Weights = dict[str, dict[str, np.ndarray]]


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class TrainConfig:
    """How to train.

    ``steps`` is the number of optimizer steps; when ``epochs`` is set it replaces ``steps``
    (``ceil(epochs * n_train / batch_size)`` steps). ``momentum`` applies to SGD only (Adam
    uses its default betas). ``augmentation`` is an ``engine.augment.Augmentation`` or None.
    ``threads`` is torch's thread count for the training thread: the small networks here
    train fastest on one (several threads only add overhead, and on a busy machine they
    wait on each other: 100 MNIST-1D steps took 5-16 s with 2 threads, 0.2 s with 1).
    """

    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    batch_size: int = 100
    steps: int = 1000
    epochs: float | None = None
    weight_decay: float = 0.0
    seed: int = 0
    augmentation: Any = None
    eval_every: int = 100
    checkpoint_every: int = 100
    eval_train_samples: int = 1000
    threads: int = 1
    task: str = "classification"  # or "segmentation", "detection" (engine.tasks)

    def validate(self) -> TrainConfig:
        """Raise :class:`TrainingError` naming the first bad setting; return self."""

        def bad(message: str) -> TrainingError:
            return TrainingError(message)

        if self.task not in TASKS:
            raise bad(f"unknown task '{self.task}' (choose {', '.join(TASKS)})")
        if augmentation_active(self.augmentation):
            from .augment import check_task_augmentation
            from .errors import DataError

            try:
                check_task_augmentation(self.augmentation, self.task)
            except DataError as e:
                raise bad(str(e)) from None
        if self.optimizer not in OPTIMIZERS:
            raise bad(f"unknown optimizer '{self.optimizer}' (choose {' or '.join(OPTIMIZERS)})")
        if not _finite(self.lr) or self.lr <= 0:
            raise bad(f"learning rate must be a positive number, not {self.lr}")
        if not _finite(self.momentum) or not 0 <= self.momentum < 1:
            raise bad(f"momentum must be at least 0 and below 1, not {self.momentum}")
        if not _finite(self.weight_decay) or self.weight_decay < 0:
            raise bad(f"weight decay must be 0 or more, not {self.weight_decay}")
        for name in (
            "batch_size",
            "steps",
            "eval_every",
            "checkpoint_every",
            "eval_train_samples",
            "threads",
        ):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise bad(
                    f"{name.replace('_', ' ')} must be a whole number of at least 1, not {value}"
                )
        if self.epochs is not None and (not _finite(self.epochs) or self.epochs <= 0):
            raise bad(f"epochs must be a positive number, not {self.epochs}")
        if not _is_int(self.seed) or not 0 <= self.seed < 2**63:
            raise bad(f"seed must be a whole number from 0 to 2**63-1, not {self.seed}")
        return self

    def total_steps(self, n_train: int) -> int:
        """The number of steps a run takes on ``n_train`` training samples."""
        if self.epochs is None:
            return self.steps
        return max(1, math.ceil(self.epochs * (n_train // self.batch_size)))

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "augmentation"}
        aug = self.augmentation
        d["augmentation"] = asdict(aug) if is_dataclass(aug) else None
        return d


def _finite(x) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _is_int(x) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


def augmentation_active(aug) -> bool:
    """True when ``aug`` changes samples (any strength or switch is on)."""
    if aug is None:
        return False
    active = getattr(aug, "active", None)
    if active is not None:
        return bool(active() if callable(active) else active)
    if is_dataclass(aug):
        return any(bool(getattr(aug, f.name)) for f in fields(aug))
    return True


# --------------------------------------------------------------------------- devices


def pick_device() -> torch.device:
    """CUDA if available, else Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_name(device: torch.device) -> str:
    """A short label for the status bar: 'CPU', 'CUDA (GeForce ...)' or 'MPS'."""
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    return device.type.upper()


# --------------------------------------------------------------------------- control & progress


class TrainControl:
    """Pause, resume or stop a running :meth:`Trainer.run` from another thread."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused run wakes up to stop

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()


@dataclass
class Progress:
    """What a running trainer reports.

    ``state`` is 'running', 'paused' or 'finished'. ``losses`` are each network's mean batch
    loss since the last report. ``records`` holds, per network, the evaluation records new
    since the last report; ``checkpoints`` the new checkpoints as (step, [weights per
    network]).
    """

    state: str
    step: int
    total_steps: int
    losses: list[float]
    steps_per_second: float
    seconds_left: float
    records: list[list[dict[str, float]]]
    checkpoints: list[tuple[int, list[Weights]]]


# --------------------------------------------------------------------------- results


@dataclass
class TrainResult:
    """The outcome of training one network."""

    network: str
    parameters: int
    steps: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    curves: list[dict[str, float]]
    checkpoint_steps: list[int]
    seconds: float
    steps_per_second: float
    device: str
    stopped: bool = False
    task: str = "classification"
    # the task's test-set scores at the end: segmentation mean_iou, per_class_iou,
    # pixel_accuracy, confusion; detection map50, per_class_ap (engine.tasks)
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


# --------------------------------------------------------------------------- the trainer


@dataclass
class Member:
    """One network being trained: its module, optimizer, curves and checkpoints."""

    label: str
    spec: NetworkSpec
    module: torch.nn.Module
    optimizer: SGD | Adam
    parameters: int
    curves: list[dict[str, float]] = field(default_factory=list)
    checkpoints: dict[int, Weights] = field(default_factory=dict)
    loss_sum: float = 0.0
    loss_count: int = 0

    @property
    def checkpoint_steps(self) -> list[int]:
        return sorted(self.checkpoints)


class Trainer:
    """Trains ``spec`` on ``dataset`` with ``config``; see the module notes.

    Parameters
    ----------
    spec:
        The network; its last layer must give one score per class of ``dataset``.
    dataset:
        An ``engine.data.Dataset`` (x_train, y_train, x_test, y_test, class_names,
        input_shape).
    weights:
        Starting weights; None draws them from ``config.seed``.
    device:
        A torch device; None picks one (:func:`pick_device`).
    """

    def __init__(self, spec, dataset, config: TrainConfig, weights=None, device=None):
        self._setup([spec], dataset, config, [weights], device)

    @classmethod
    def compare(
        cls,
        specs: Sequence[NetworkSpec],
        dataset,
        config: TrainConfig,
        weights: Sequence[Weights | None] | None = None,
        device=None,
    ) -> Trainer:
        """Several networks trained in one run on the same batches in the same order."""
        if not specs:
            raise TrainingError("compare needs at least one network")
        self = cls.__new__(cls)
        self._setup(
            list(specs),
            dataset,
            config,
            list(weights) if weights is not None else [None] * len(specs),
            device,
        )
        return self

    # -- set-up

    def _setup(self, specs, dataset, config, weights_list, device) -> None:
        from .torch_build import build_module

        self.config = config.validate()
        torch.set_num_threads(config.threads)  # per thread: only the caller's thread
        self.dataset = dataset
        self.device = torch.device(device) if device is not None else pick_device()
        self.device_name = device_name(self.device)
        x_train, y_train = _checked_arrays(dataset, "training")
        x_test, y_test = _checked_arrays(dataset, "test")
        n_classes = len(dataset.class_names)
        self.n_classes = n_classes
        self.task = make_task(config.task, dataset)
        n_train = len(x_train)
        if config.batch_size > n_train:
            raise TrainingError(
                f"batch size {config.batch_size} is larger than the {n_train} training samples"
            )
        self.total_steps = config.total_steps(n_train)
        input_shape = tuple(int(s) for s in x_train.shape[1:])

        torch.manual_seed(config.seed)  # dropout draws from torch's default generator
        self.members: list[Member] = []
        labels = member_labels(specs)
        for spec, start, label in zip(specs, weights_list, labels, strict=True):
            if spec.input_shape and len(spec.input_shape) != len(input_shape):
                raise TrainingError(
                    f"network '{label}' is made for {_kind(spec.input_shape)} "
                    f"{_fmt(spec.input_shape)} but the data set has {_kind(input_shape)} "
                    f"{_fmt(input_shape)}"
                )
            if start is None:
                from .network import init_weights

                start = init_weights(spec, input_shape=input_shape, seed=config.seed)
            try:
                module = build_module(spec, start, input_shape=input_shape)
            except EngineError as error:
                raise type(error)(
                    f"network '{label}' does not fit the data's input shape "
                    f"{_fmt(input_shape)}: {error}"
                ) from None
            module = module.to(self.device)
            self.task.check_output(module, x_train[:2], label, self.device)
            params = [p for p in module.parameters() if p.requires_grad]
            # engine.optim, not torch.optim: the same numbers without importing torch._dynamo
            if config.optimizer == "sgd":
                optimizer = SGD(
                    params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
                )
            else:
                optimizer = Adam(params, lr=config.lr, weight_decay=config.weight_decay)
            count = sum(p.numel() for p in module.parameters())
            self.members.append(Member(label, spec, module, optimizer, count))

        # Data lives on the device once; augmentation (when on) works on the CPU copy.
        self._aug = config.augmentation if augmentation_active(config.augmentation) else None
        # Copies: the data set's arrays may be read-only, and training must not change them.
        self._x_train_cpu = torch.tensor(np.asarray(x_train, dtype=np.float32))
        self._x_train = self._x_train_cpu.to(self.device)
        self._y_train = self.task.targets(dataset, "train").to(self.device)
        self._x_test = torch.tensor(np.asarray(x_test, dtype=np.float32)).to(self.device)
        self._y_test = self.task.targets(dataset, "test").to(self.device)
        self._batch_gen = torch.Generator().manual_seed(config.seed)
        self._aug_gen = torch.Generator().manual_seed(config.seed + 1)
        subset_gen = torch.Generator().manual_seed(config.seed + 2)
        subset = torch.randperm(n_train, generator=subset_gen)[: config.eval_train_samples]
        self._eval_train_idx = subset.sort().values.to(self.device)
        self._order = torch.empty(0, dtype=torch.int64)
        self._cursor = 0
        self.step_count = 0
        self.seconds = 0.0  # time spent running (pauses excluded)
        self.stopped = False

    # -- one step

    def _next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        b = self.config.batch_size
        if self._cursor + b > len(self._order):
            self._order = torch.randperm(len(self._x_train_cpu), generator=self._batch_gen)
            self._cursor = 0
        idx = self._order[self._cursor : self._cursor + b]
        self._cursor += b
        if self._aug is not None:
            x, y = self.task.augmented(
                self._x_train_cpu[idx], idx, self._aug, self._aug_gen, self._y_train
            )
            return x.to(self.device), y
        else:
            x = self._x_train[idx.to(self.device)]
        return x, self._y_train[idx.to(self.device)]

    def step(self) -> list[float]:
        """One optimizer step of every network on the next batch; returns their losses."""
        x, y = self._next_batch()
        losses = []
        for m in self.members:  # modules stay in train mode outside evaluate()
            m.optimizer.zero_grad(set_to_none=True)
            loss = self.task.loss(m.module(x), y)
            loss.backward()
            m.optimizer.step()
            value = float(loss.item())
            m.loss_sum += value
            m.loss_count += 1
            losses.append(value)
        self.step_count += 1
        return losses

    # -- evaluation and checkpoints

    @torch.no_grad()
    def _outputs(self, module, x: torch.Tensor) -> list[torch.Tensor]:
        return [module(x[start : start + EVAL_CHUNK]) for start in range(0, len(x), EVAL_CHUNK)]

    def _chunks(self, y: torch.Tensor) -> list[torch.Tensor]:
        return [y[start : start + EVAL_CHUNK] for start in range(0, len(y), EVAL_CHUNK)]

    def _measure(self, module, part: str) -> dict[str, float]:
        if part == "train":
            x = self._x_train[self._eval_train_idx]
            y = self._y_train[self._eval_train_idx]
            index = self._eval_train_idx.cpu().tolist()
        else:
            x, y, index = self._x_test, self._y_test, None
        with torch.no_grad():
            return self.task.measure(self._outputs(module, x), self._chunks(y), part, index)

    def task_scores(self, index: int = 0) -> dict[str, Any]:
        """The task's test-set scores of network ``index`` now (engine.tasks ``final``)."""
        module = self.members[index].module
        module.eval()
        try:
            outputs = self._outputs(module, self._x_test)
            return self.task.final(outputs, self._chunks(self._y_test))
        finally:
            module.train()

    def test_confusion(self, index: int = 0) -> tuple[np.ndarray, list[str]] | None:
        """Network ``index``'s confusion matrix on the test set now, ``[true, predicted]``
        counts (samples for classification, pixels for segmentation), with the class names;
        None for detection (its per-class AP is the summary)."""
        if self.task.confusion is None:
            return None
        module = self.members[index].module
        module.eval()
        try:
            outputs = self._outputs(module, self._x_test)
            matrix = self.task.confusion(outputs, self._chunks(self._y_test))
        finally:
            module.train()
        return matrix, self.task.class_names(self.dataset)

    def test_predictions(self, index: int = 0):
        """Segmentation: (N_test, H, W) int64 classes; detection: COCO results rows."""
        if not hasattr(self.task, "predictions"):
            raise TrainingError("predictions are written for segmentation and detection only")
        module = self.members[index].module
        module.eval()
        try:
            return self.task.predictions(self._outputs(module, self._x_test))
        finally:
            module.train()

    def evaluate(self) -> list[dict[str, float]]:
        """Each network's train/test loss and accuracy now (dropout off), as curve records."""
        records = []
        for m in self.members:
            m.module.eval()
            record: dict[str, float] = {"step": self.step_count}
            for part in ("train", "test"):
                for key, value in self._measure(m.module, part).items():
                    record[f"{part}_{key}"] = value
            m.module.train()
            records.append(record)
        return records

    def _record(self) -> list[dict[str, float]]:
        records = self.evaluate()
        for m, record in zip(self.members, records, strict=True):
            if not m.curves or m.curves[-1]["step"] != record["step"]:
                m.curves.append(record)
        return records

    def _checkpoint(self) -> list[Weights]:
        from .torch_build import module_weights

        saved = []
        for m in self.members:
            weights = _copy_weights(module_weights(m.module))
            m.checkpoints[self.step_count] = weights
            saved.append(weights)
        return saved

    def weights(self, index: int = 0) -> Weights:
        """A copy of the current weights of network ``index``."""
        from .torch_build import module_weights

        return _copy_weights(module_weights(self.members[index].module))

    # -- the loop

    def run(
        self,
        callback: Callable[[Progress], None] | None = None,
        control: TrainControl | None = None,
        progress_interval: float = 0.05,
    ) -> list[TrainResult]:
        """Train to ``total_steps`` (or until ``control.stop()``); one result per network.

        ``callback`` runs on this thread at most every ``progress_interval`` seconds, and
        with state 'paused' before a pause blocks, 'running' after it and 'finished' at
        the end. It may be called again to continue after a stop is not requested.
        """
        control = control or TrainControl()
        cfg = self.config
        pending_records: list[list[dict]] = [[] for _ in self.members]
        pending_ckpts: list[tuple[int, list[Weights]]] = []

        def log_eval_and_checkpoint(force: bool = False) -> None:
            s = self.step_count
            if force or s % cfg.eval_every == 0:
                for pending, record in zip(pending_records, self._record(), strict=True):
                    pending.append(record)
            if (force or s % cfg.checkpoint_every == 0) and s not in self.members[0].checkpoints:
                pending_ckpts.append((s, self._checkpoint()))

        def report(state: str) -> None:
            if callback is None:
                return
            rate = self.steps_per_second
            left = (self.total_steps - self.step_count) / rate if rate > 0 else math.inf
            losses = [m.loss_sum / m.loss_count if m.loss_count else math.nan for m in self.members]
            for m in self.members:
                m.loss_sum, m.loss_count = 0.0, 0
            callback(
                Progress(
                    state,
                    self.step_count,
                    self.total_steps,
                    losses,
                    rate,
                    left,
                    [list(p) for p in pending_records],
                    list(pending_ckpts),
                )
            )
            for p in pending_records:
                p.clear()
            pending_ckpts.clear()

        torch.set_num_threads(cfg.threads)  # run() may be on another thread than __init__
        started = time.perf_counter()
        if self.step_count == 0:
            log_eval_and_checkpoint(force=True)
        report("running")
        last_report = time.perf_counter()
        running = control._running  # Event.is_set() is the cheapest check per step
        while self.step_count < self.total_steps and not control.stopped:
            if not running.is_set():
                self.seconds += time.perf_counter() - started
                report("paused")
                running.wait()
                started = time.perf_counter()
                if control.stopped:
                    break
                report("running")
                last_report = started
            self.step()
            if self.step_count % cfg.eval_every == 0 or self.step_count % cfg.checkpoint_every == 0:
                log_eval_and_checkpoint()
            now = time.perf_counter()
            if now - last_report >= progress_interval:
                self.seconds += now - started
                started = now
                report("running")
                last_report = now
        self.seconds += time.perf_counter() - started
        self.stopped = self.step_count < self.total_steps
        log_eval_and_checkpoint(force=True)
        report("finished")
        return self.results()

    @property
    def steps_per_second(self) -> float:
        return self.step_count / self.seconds if self.seconds > 0 else 0.0

    def results(self) -> list[TrainResult]:
        """One :class:`TrainResult` per network (evaluated now if the last record is stale)."""
        out = []
        if any(not m.curves or m.curves[-1]["step"] != self.step_count for m in self.members):
            self._record()
        for i, m in enumerate(self.members):
            last = m.curves[-1]
            out.append(
                TrainResult(
                    network=m.label,
                    parameters=m.parameters,
                    steps=self.step_count,
                    train_loss=last["train_loss"],
                    train_accuracy=last["train_accuracy"],
                    test_loss=last["test_loss"],
                    test_accuracy=last["test_accuracy"],
                    curves=[dict(r) for r in m.curves],
                    checkpoint_steps=m.checkpoint_steps,
                    seconds=round(self.seconds, 3),
                    steps_per_second=round(self.steps_per_second, 1),
                    device=self.device_name,
                    stopped=self.stopped,
                    task=self.task.name,
                    metrics=self.task_scores(i) if self.task.name != "classification" else {},
                )
            )
        return out

    # single-network conveniences
    @property
    def curves(self) -> list[dict[str, float]]:
        return self.members[0].curves

    @property
    def checkpoints(self) -> dict[int, Weights]:
        return self.members[0].checkpoints

    @property
    def checkpoint_steps(self) -> list[int]:
        return self.members[0].checkpoint_steps


def compare(
    specs: Sequence[NetworkSpec],
    dataset,
    config: TrainConfig,
    callback: Callable[[Progress], None] | None = None,
    control: TrainControl | None = None,
    device=None,
) -> list[TrainResult]:
    """Train several networks on the same batches in the same order; one result each."""
    return Trainer.compare(specs, dataset, config, device=device).run(callback, control)


# --------------------------------------------------------------------------- prediction


def predict(spec: NetworkSpec, weights: Weights, x: np.ndarray) -> np.ndarray:
    """Class probabilities (softmax of the last layer) of the network for one input ``x``.

    ``x`` has the network's input shape without the batch axis, e.g. (C, L) or (C, H, W).
    """
    from .torch_build import build_module

    x = np.asarray(x, dtype=np.float32)
    expected = tuple(spec.input_shape)
    if expected and x.shape != expected:
        raise TrainingError(
            f"the input has shape {_fmt(x.shape)} but the network expects {_fmt(expected)}"
        )
    module = build_module(spec, weights, input_shape=x.shape)
    module.eval()
    with torch.no_grad():
        out = module(torch.tensor(x)[None])
    if out.dim() != 2:
        raise TrainingError(
            f"the network's output has shape {_fmt(tuple(out.shape[1:]))}; "
            "a classifier ends in one score per class"
        )
    return torch.softmax(out[0].double(), 0).float().numpy()


CLASSIFY_SCORE_THRESHOLD = 0.3  # a detection counted by "Classify" (the overlay's default)


def predict_for_task(
    spec: NetworkSpec, weights: Weights, x: np.ndarray, task: str, class_names
) -> dict[str, Any]:
    """What "Classify" says about one input ``x``, read as the network's task reads it.

    Returns ``{"values", "names", "text", "quantity"}``: for classification the class
    probabilities; for segmentation the share of pixels given each class (background first)
    by the per-pixel argmax (plus ``"mask"``); for detection the number of boxes found per
    class (score >= 0.3, NMS at IoU 0.5; plus ``"detections"``). A network whose output does
    not fit the task raises :class:`TrainingError` naming what the task needs.
    """
    names = [str(c) for c in class_names]
    if task == "classification":
        p = predict(spec, weights, x)
        if len(p) != len(names):
            raise TrainingError(
                f"the network gives {len(p)} scores but the data set has {len(names)} classes"
            )
        best = int(np.argmax(p))
        text = f"most likely: {names[best]} ({p[best]:.1%})"
        return {"values": p, "names": names, "text": text, "quantity": "probability"}
    out = _raw_output(spec, weights, x)
    if task == "segmentation":
        return _segmentation_summary(out, x, names)
    if task == "detection":
        return _detection_summary(out, x, names)
    raise TrainingError(f"unknown task '{task}' (choose {', '.join(TASKS)})")


def _raw_output(spec: NetworkSpec, weights: Weights, x: np.ndarray) -> np.ndarray:
    from .torch_build import build_module

    x = np.asarray(x, dtype=np.float32)
    expected = tuple(spec.input_shape)
    if expected and x.shape != expected:
        raise TrainingError(
            f"the input has shape {_fmt(x.shape)} but the network expects {_fmt(expected)}"
        )
    module = build_module(spec, weights, input_shape=x.shape)
    module.eval()
    with torch.no_grad():
        return module(torch.tensor(x)[None])[0].numpy()


def _segmentation_summary(out: np.ndarray, x: np.ndarray, names: list[str]) -> dict[str, Any]:
    need = (len(names) + 1, *x.shape[1:])
    if tuple(out.shape) != need:
        raise TrainingError(
            f"the network's output has shape {_fmt(out.shape)}; a segmenter of this data "
            f"ends in {_fmt(need)}: background + {len(names)} class scores per pixel"
        )
    mask = out.argmax(0)
    counts = np.bincount(mask.ravel(), minlength=need[0]).astype(np.float64)
    shares = counts / counts.sum()
    all_names = ["background", *names]
    found = [(shares[k], all_names[k]) for k in range(1, need[0]) if counts[k]]
    found.sort(reverse=True)
    if found:
        listed = ", ".join(f"{name} {share:.1%}" for share, name in found)
        text = (
            f"per-pixel classes (a segmenter labels every pixel): {listed} of the pixels; "
            f"background {shares[0]:.1%}. Most pixels of an object: {found[0][1]}."
        )
    else:
        text = "per-pixel classes: every pixel is background (no object found)"
    return {
        "values": shares.astype(np.float32),
        "names": all_names,
        "text": text,
        "quantity": "share of pixels",
        "mask": mask.astype(np.int64),
    }


def _detection_summary(out: np.ndarray, x: np.ndarray, names: list[str]) -> dict[str, Any]:
    from .detection import decode_detections, grid_channels

    size = int(x.shape[-1])
    ok = (
        out.ndim == 3 and out.shape[0] == grid_channels(len(names)) and out.shape[1] == out.shape[2]
    )
    if not ok or size % out.shape[1]:
        raise TrainingError(
            f"the network's output has shape {_fmt(out.shape)}; a grid detector of this data "
            f"ends in ({grid_channels(len(names))}, S, S) with S dividing {size}"
        )
    boxes, scores, labels = decode_detections(out, CLASSIFY_SCORE_THRESHOLD, 0.5, size)[0]
    counts = np.bincount(np.asarray(labels, np.int64), minlength=len(names)).astype(np.float32)
    if len(scores):
        order = np.argsort(-np.asarray(scores))
        listed = ", ".join(f"{names[int(labels[i])]} {float(scores[i]):.2f}" for i in order)
        text = f"{len(scores)} object(s) found (score ≥ {CLASSIFY_SCORE_THRESHOLD}): {listed}"
    else:
        text = f"no object found (no cell scores ≥ {CLASSIFY_SCORE_THRESHOLD})"
    return {
        "values": counts,
        "names": names,
        "text": text,
        "quantity": "boxes found",
        "detections": (np.asarray(boxes), np.asarray(scores), np.asarray(labels)),
    }


# --------------------------------------------------------------------------- helpers


def _fmt(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def _kind(shape) -> str:
    return {2: "1D signals", 3: "2D images"}.get(len(shape), f"{len(shape) - 1}D inputs")


def member_labels(specs) -> list[str]:
    """The labels a run gives its networks: their names, numbered when names repeat."""
    labels, seen = [], {}
    for i, spec in enumerate(specs):
        base = spec.name or f"network {i + 1}"
        seen[base] = seen.get(base, 0) + 1
        labels.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return labels


def _checked_arrays(dataset, part: str) -> tuple[np.ndarray, np.ndarray]:
    prefix = "train" if part == "training" else "test"
    x = np.asarray(getattr(dataset, f"x_{prefix}"))
    y = np.asarray(getattr(dataset, f"y_{prefix}"))
    if len(x) == 0:
        raise TrainingError(f"the data set has no {part} samples")
    if len(x) != len(y):
        raise TrainingError(f"the data set has {len(x)} {part} samples but {len(y)} labels")
    n_classes = len(dataset.class_names)
    if y.min() < 0 or y.max() >= n_classes:
        raise TrainingError(
            f"{part} labels must lie in 0..{n_classes - 1} (the data set's classes), "
            f"found {int(y.min())}..{int(y.max())}"
        )
    return x, y


def _copy_weights(weights: Weights) -> Weights:
    return {
        layer: {k: np.array(v, dtype=np.float32, copy=True) for k, v in entry.items()}
        for layer, entry in weights.items()
    }


__all__ = [
    "OPTIMIZERS",
    "Member",
    "Progress",
    "TrainConfig",
    "TrainControl",
    "TrainResult",
    "Trainer",
    "TrainingError",
    "augmentation_active",
    "predict_for_task",
    "compare",
    "device_name",
    "member_labels",
    "pick_device",
    "predict",
]
