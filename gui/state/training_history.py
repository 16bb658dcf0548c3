"""The training history: finished runs with their curves, as one immutable value.

The document owns it (:attr:`gui.state.document.Document.training`); the trainer records a run
when it ends, the curves view draws the latest, and a workspace stores it in its extras.
The file format is the one the curves used before they lived in the document: the latest
run under ``"training_curves"`` (so older ConvScope versions still show it), earlier runs
under ``"training_earlier_runs"``. Pure data, no Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

EXTRAS_KEY = "training_curves"
EARLIER_KEY = "training_earlier_runs"
HISTORY_KEYS = (EXTRAS_KEY, EARLIER_KEY)
MAX_RUNS = 20  # a session's runs are kept; the oldest go first (curves are small)
MAX_NETWORKS = 4  # one colour per network in the curves view


class Record(NamedTuple):
    """One evaluation of one network during a run."""

    step: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float

    @classmethod
    def of(cls, data: Any) -> Record:
        """From a trainer's record dict; KeyError/TypeError/ValueError if it is not one."""
        return cls(int(data["step"]), *(_number(data[key]) for key in cls._fields[1:]))

    def to_json(self) -> dict[str, Any]:
        # JSON has no NaN or infinity (workspaces are strict JSON): a diverged run's
        # losses are written as null.
        return {k: v if math.isfinite(v) else None for k, v in self._asdict().items()}


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


# The task's own score per record (segmentation mean IoU, detection mAP@0.5): kept beside
# the records (TrainingRun.scores), so a classification run and its file stay as they were.
TASK_SCORES = {"segmentation": ("mean_iou", "mean IoU"), "detection": ("map50", "mAP@0.5")}


def score_of(data: Any, part: str) -> float:
    """A record dict's task score for ``part`` ('train'/'test'): ``{part}_score`` or the
    trainer's ``{part}_mean_iou`` / ``{part}_map50``; nan when it has none."""
    for key in ("score", *(k for k, _ in TASK_SCORES.values())):
        value = data.get(f"{part}_{key}")
        if value is not None:
            return float(value)
    return math.nan


@dataclass(frozen=True)
class TrainingRun:
    """One run: its networks' labels, step count, records per network, summary and
    settings (name -> text, e.g. the data set and optimizer; empty in older files)."""

    labels: tuple[str, ...]
    total_steps: int
    records: tuple[tuple[Record, ...], ...]
    summary: str = ""
    settings: tuple[tuple[str, str], ...] = ()
    # per network, per record: (train score, test score) of the task; empty: classification
    scores: tuple[tuple[tuple[float, float], ...], ...] = ()

    def record_dicts(self) -> list[list[dict[str, Any]]]:
        """Each network's records as dicts, with ``train_score``/``test_score`` if any."""
        out = []
        for i, network in enumerate(self.records):
            rows = [r._asdict() for r in network]
            if i < len(self.scores) and len(self.scores[i]) == len(rows):
                for row, (train, test) in zip(rows, self.scores[i], strict=True):
                    row["train_score"], row["test_score"] = train, test
            out.append(rows)
        return out

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "labels": list(self.labels),
            "total_steps": self.total_steps,
            "records": [[r.to_json() for r in network] for network in self.records],
            "summary": self.summary,
        }
        if self.settings:
            data["settings"] = dict(self.settings)
        if self.scores:
            data["scores"] = [
                [[v if math.isfinite(v) else None for v in pair] for pair in network]
                for network in self.scores
            ]
        return data

    @classmethod
    def from_json(cls, data: Any) -> TrainingRun | None:
        """A run from :meth:`to_json` data; None when the data is not that (a workspace
        file can hold anything)."""
        try:
            labels = tuple(str(label) for label in data["labels"])
            total = int(data["total_steps"])
            records = tuple(tuple(Record.of(r) for r in network) for network in data["records"])
            summary = str(data.get("summary", ""))
            settings = data.get("settings", {})
            settings = tuple((str(k), str(v)) for k, v in settings.items())
            scores = tuple(
                tuple((_number(a), _number(b)) for a, b in network)
                for network in data.get("scores", ())
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        if not labels or len(records) != len(labels) or len(labels) > MAX_NETWORKS:
            return None
        return cls(labels, max(1, total), records, summary, settings, scores)


def finished_run(trainer: Any, results: list, summary: str) -> TrainingRun:
    """The run an ``engine.training.Trainer`` finished with ``results`` (its TrainResults):
    every evaluation record, and the settings that made it."""
    config = trainer.config
    settings = {
        "data": getattr(trainer.dataset, "name", "") or "?",
        "optimizer": config.optimizer,
        "learning rate": f"{config.lr:g}",
        "batch size": str(config.batch_size),
        "steps": str(results[0].steps if results else trainer.total_steps),
        "seed": str(config.seed),
        "augmentation": "on" if config.augmentation is not None else "off",
    }
    task = getattr(config, "task", "classification")
    scores: tuple = ()
    if task in TASK_SCORES:
        settings["task"] = task
        settings["score"] = TASK_SCORES[task][1]
        scores = tuple(
            tuple((score_of(c, "train"), score_of(c, "test")) for c in r.curves) for r in results
        )
    return TrainingRun(
        labels=tuple(r.network for r in results),
        total_steps=max(1, int(trainer.total_steps)),
        records=tuple(tuple(Record.of(record) for record in r.curves) for r in results),
        summary=summary,
        settings=tuple(settings.items()),
        scores=scores,
    )


@dataclass(frozen=True)
class TrainingHistory:
    """The runs of a workspace, oldest first."""

    runs: tuple[TrainingRun, ...] = ()

    @property
    def latest(self) -> TrainingRun | None:
        return self.runs[-1] if self.runs else None

    def with_run(self, run: TrainingRun) -> TrainingHistory:
        return TrainingHistory((*self.runs, run)[-MAX_RUNS:])

    def to_extras(self) -> dict[str, Any]:
        """The workspace extras that hold this history ({} when there are no runs)."""
        if not self.runs:
            return {}
        extras: dict[str, Any] = {EXTRAS_KEY: self.runs[-1].to_json()}
        if len(self.runs) > 1:
            extras[EARLIER_KEY] = [run.to_json() for run in self.runs[:-1]]
        return extras

    @classmethod
    def from_extras(cls, extras: dict[str, Any]) -> TrainingHistory | None:
        """The history in a workspace's extras (empty when there is none); None when any of
        it is damaged (then none of it is used: no run is shown out of its order)."""
        earlier = extras.get(EARLIER_KEY, [])
        if not isinstance(earlier, list):
            return None
        runs = [TrainingRun.from_json(v) for v in earlier]
        if EXTRAS_KEY in extras:
            runs.append(TrainingRun.from_json(extras[EXTRAS_KEY]))
        if any(run is None for run in runs):
            return None
        return cls(tuple(runs[-MAX_RUNS:]))  # type: ignore[arg-type]
