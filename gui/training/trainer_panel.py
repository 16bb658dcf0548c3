"""The trainer panel: set up a run, watch it learn, replay it, use the result in the lab.

Settings (:mod:`gui.training.trainer_setup`) | live curves (:mod:`gui.training.curves_view`) |
kernels and maps per checkpoint (:mod:`gui.training.trainer_watch`) | class probabilities of the
lab's input (:mod:`gui.training.trainer_classify`) | augmentation preview
(:mod:`gui.training.trainer_preview`).
Training runs in :class:`gui.training.training_worker.TrainingWorker`; data loading, images of
checkpoints and probabilities in a :class:`gui.compute.jobs.Jobs`. The GUI
thread only draws, and prepares its views when Start is pressed, before the trainer thread runs
(it shares the GIL with the trainer, so work done while training costs several times more).
Every run starts from fresh weights drawn from its seed (reproducible); "Use in lab" loads
the network with the weights of the checkpoint on the slider into the document.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.data.shapes import CLASS_NAMES
from engine.errors import EngineError
from engine.presets import get_preset
from engine.training import device_name, member_labels, pick_device, predict_for_task
from gui.compute.jobs import Jobs
from gui.state.training_history import TASK_SCORES, finished_run
from gui.training.curves_view import CurvesView
from gui.training.trainer_classify import ClassifyView
from gui.training.trainer_confusion import NO_RUN, ConfusionView
from gui.training.trainer_controls import RunControls
from gui.training.trainer_preview import preview_image, task_preview
from gui.training.trainer_setup import LAB, MULTI_SHAPES
from gui.training.trainer_watch import WatchView, checkpoint_images, first_conv, steps_text
from gui.training.training_worker import TrainingWorker, collector_paused, warm_up

STATUS_INTERVAL = 0.25  # seconds between status-line updates while training
# In a window the background set-up waits for the lab to settle (set_up_after_first_maps).
SETTLE_MS = 300
SETUP_LATEST_MS = 5000
COMPARE_HEIGHT = 0.45  # a comparison's dock is at least this share of the window's height


def _load(source: str):
    if source == MULTI_SHAPES:  # segmentation and detection: several objects per image
        from engine.data.shapes import make_shapes
        from engine.train_cli import TASK_DATA

        return make_shapes(**TASK_DATA, seed=0)
    from engine.data import load_dataset

    return load_dataset(source)


_first_set_up = True  # the process's first data set imports its generator's modules


def _check_run_budget(specs, config, dataset) -> None:
    """Refuse (``engine.budget.BudgetError``) a run whose training step costs more than this
    machine computes interactively, before any thread or data is started."""
    from engine.budget import check_budget

    sample = None if dataset is None else tuple(np.shape(dataset.x_train)[1:])
    for spec in specs:
        # the data set's samples when they fit the network's kind, else its own input shape
        shape = sample if sample and len(sample) == len(spec.input_shape) else None
        name = spec.name or "the network"
        check_budget(
            spec, shape, batch=config.batch_size, passes=3, what=f"one training step of {name}"
        )


def _result_text(r) -> str:
    """One network's result line: accuracy, or the task's test scores."""
    head = f"{r.network}: {r.parameters:,} parameters, "
    if r.task == "segmentation":
        m = r.metrics
        names = ("background", *CLASS_NAMES)
        per_class = ", ".join(_per_class(names, m["per_class_iou"]))
        return (
            f"{head}test mean IoU {m['mean_iou']:.3f} ({per_class}), "
            f"pixel accuracy {m['pixel_accuracy']:.1%}"
        )
    if r.task == "detection":
        per_class = ", ".join(_per_class(CLASS_NAMES, r.metrics["per_class_ap"]))
        return f"{head}test mAP@0.5 {r.metrics['map50']:.3f} (AP {per_class})"
    return f"{head}test accuracy {r.test_accuracy:.1%} (train {r.train_accuracy:.1%})"


def _per_class(names, values) -> list[str]:
    return [f"{n} {'–' if v is None else f'{v:.2f}'}" for n, v in zip(names, values, strict=True)]


def _shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


class TrainerPanel(QWidget):
    """The training dock. ``document`` is the lab's :class:`gui.state.document.Document`."""

    def __init__(self, document, parent: QWidget | None = None, *, set_up_now: bool = True):
        super().__init__(parent)
        self.setWindowTitle("Training")
        self.document = document
        self.worker = TrainingWorker(self)
        self.jobs = Jobs("convscope-jobs", self, torch_threads=1)
        self.device_name = device_name(pick_device())
        self._datasets: dict[str, object] = {}
        self._good_source = "mnist1d"
        self._specs: list = []
        self._task = "classification"
        self._dataset = None
        self._checkpoints: list[dict[int, dict]] = []
        self.results: list = []

        self.controls = RunControls(f"Ready · {self.device_name}")
        self.form = self.controls.form
        self.form.dataChosen.connect(self._data_chosen)
        self.form.previewRequested.connect(self.preview)
        self.preview_plot = self.controls.preview
        self.start_button = self.controls.start_button
        self.pause_button = self.controls.pause_button
        self.stop_button = self.controls.stop_button
        self.status = self.controls.status
        self.start_button.clicked.connect(self.start)
        self.regularise_button = self.controls.regularise_button
        self.regularise_button.clicked.connect(self.compare_regularisation)
        self._sweep: dict | None = None  # the regularisation comparison under way
        self.regularisation_gaps: list[float] = []  # its runs' train - test accuracy
        self._sizes_before_compare: list[int] | None = None  # the columns before it
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.worker.stop)

        self.curves = CurvesView()
        self.curves.bind(document)  # it draws the document's latest finished run
        self.watch = WatchView()
        self.watch.checkpointChosen.connect(self._show_checkpoint)
        self.watch.sampleChosen.connect(lambda _: self._refresh_maps())

        self.classify_view = ClassifyView()
        self.member = self.classify_view.member
        self.member.currentIndexChanged.connect(lambda _: self._refresh_checkpoint())
        self.use_button = self.classify_view.use_button
        self.use_button.clicked.connect(self.use_in_lab)
        self.classify_button = self.classify_view.classify_button
        self.classify_button.clicked.connect(self.classify)
        self.confusion_view = ConfusionView()
        self._confusions: list | None = None  # per network: (counts, names) of the last run
        self.member.currentIndexChanged.connect(lambda _: self._show_confusion())
        # an answer about an input or a network no longer shown is cleared, never left over
        self.document.inputChanged.connect(self.classify_view.forget)
        self.document.networkChanged.connect(lambda _kind: self.classify_view.forget())
        self.member.currentIndexChanged.connect(lambda _: self.classify_view.forget())
        self._classified_input = None

        self._build_layout()
        self._set_running(False)
        self._set_trained(False)
        self._status_time = 0.0
        self._prepared: tuple | None = None  # (labels, total steps) the views are ready for
        self._set_up = False
        if set_up_now:
            self.set_up()

    def set_up(self) -> None:
        """Load the default data set and warm torch up, in the background (once)."""
        if self._set_up:
            return
        self._set_up = True
        global _first_set_up
        source = self.form.data_source
        if source not in self._datasets:
            self.status.setText(f"Loading {source}…")
            load = lambda: (source, _load(source))  # noqa: E731
            self._submit("data", collector_paused(load) if _first_set_up else load)
            _first_set_up = False
        self._submit("warmup", warm_up)

    def _build_layout(self) -> None:
        # Watching and classifying share a tab: the curves stay in view beside them.
        self.tabs = QTabWidget()
        self.tabs.addTab(self.watch, "Kernels and maps")
        self.tabs.addTab(self.classify_view, "Classify")
        self.tabs.addTab(self.confusion_view, "Confusion")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.controls)
        splitter.addWidget(self.curves)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 1)
        splitter.setSizes([self.controls.minimumSizeHint().width(), 600, 600])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.splitter = splitter

        self.worker.started.connect(self._started)
        self.worker.progress.connect(self._progress)
        self.worker.paused.connect(self._paused)
        self.worker.resumed.connect(self._resumed)
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(self._failed)
        self.jobs.done.connect(self._job_done)
        self.jobs.failed.connect(self._job_failed)

    # ---------------------------------------------------------------- state
    def _set_running(self, running: bool) -> None:
        self.controls.set_running(running)

    def _set_trained(self, trained: bool) -> None:
        self.classify_view.set_trained(trained)

    def _specs_for(self, names: list[str]) -> list:
        specs = []
        for name in names:
            if name == LAB:
                spec = self.document.spec
                specs.append(
                    spec if spec.name else type(spec)(spec.layers, spec.input_shape, "lab network")
                )
            else:
                specs.append(get_preset(name))
        return specs

    # ---------------------------------------------------------------- data
    def _data_chosen(self, source: str) -> None:
        self.form.clear_error()
        if source not in self._datasets:
            self.status.setText(f"Loading {source}…")
            self._submit("data", lambda: (source, _load(source)))

    def _job_done(self, tag: str, result) -> None:
        if tag == "data":
            source, dataset = result
            self._datasets[source] = dataset
            self._good_source = source
            self.status.setText(
                f"{source}: {len(dataset.x_train)} training, {len(dataset.x_test)} test "
                f"samples of {_shape(dataset.input_shape)}, {len(dataset.class_names)} classes"
            )
        elif tag == "checkpoint":
            self.watch.show_images(result)
        elif tag == "classify":
            if self.document.input is not self._classified_input:
                return  # the input changed while it was classified: the answer is stale
            self.classify_view.show_summary(result)
        elif tag == "confusion":
            self._confusions = result
            self._show_confusion()
        elif tag == "preview":
            self.preview_plot.show_image(result)
            self._scroll_to_preview()

    def _job_failed(self, tag: str, message: str) -> None:
        if tag == "data":
            self.form.data_failed(self.form.data_source, self._good_source, message)
            self.status.setText(f"Ready · {self.device_name}")
        elif tag == "classify":
            self.classify_view.show_message(message)
        else:
            self.form.show_error(message)

    def _current_dataset(self):
        return self._datasets.get(self.form.data_source)

    # ---------------------------------------------------------------- run control
    def start(self) -> None:
        """Start training with the form's settings (errors appear in the form)."""
        if self.worker.running:
            return
        self.form.clear_error()
        if self._sizes_before_compare is not None:  # the columns as before the comparison
            self.splitter.setSizes(self._sizes_before_compare)
            self._sizes_before_compare = None
        try:
            config = self.form.config()
            specs = self._specs_for(self.form.networks())
            source = self.form.data_source
            _check_run_budget(specs, config, self._datasets.get(source))
        except EngineError as error:
            self.form.show_error(str(error))
            return
        dataset = self._datasets.get(source) or (lambda: _load(source))
        self._specs = specs
        self._task = config.task
        self._checkpoints = [{} for _ in specs]
        self.results = []
        self._set_trained(False)
        self._set_running(True)
        self._confusions = None
        self.confusion_view.show_message(NO_RUN)
        self.status.setText("Starting…")
        if not callable(dataset):  # else the views are prepared when the data is there
            self._prepare_views(
                member_labels(specs), config.total_steps(len(dataset.x_train)), dataset
            )
        self.worker.start(specs, dataset, config)

    def _prepare_views(self, labels: list[str], total_steps: int, dataset) -> None:
        """Empty curves, slider and network choice for a run, made before it trains."""
        self._dataset = dataset
        self.curves.reset(labels)
        self.curves.set_score(TASK_SCORES.get(self._task, (None, None))[1])
        # Random weights start near the loss of guessing, ln(classes): the loss axis is
        # set for it now, not rescaled by the first record while training.
        self.curves.set_step_range(total_steps, 1.15 * math.log(max(2, len(dataset.class_names))))
        self.watch.reset(len(dataset.x_test))
        self.classify_view.set_members(labels)
        self.classify_view.set_task(self._task)
        self._prepared = (tuple(labels), total_steps, id(dataset))

    def toggle_pause(self) -> None:
        if self.worker.is_paused or self.pause_button.text() == "Resume":
            self.worker.resume()
        else:
            self.worker.pause()
            self.pause_button.setEnabled(False)  # until the worker confirms

    def _started(self, trainer) -> None:
        if self._sweep is not None:  # one run of the comparison: the views are prepared
            return
        self._datasets.setdefault(self.form.data_source, trainer.dataset)
        labels = [m.label for m in trainer.members]
        if self._prepared != (tuple(labels), trainer.total_steps, id(trainer.dataset)):
            self._prepare_views(labels, trainer.total_steps, trainer.dataset)
        self._prepared = None  # the next run prepares again
        self.curves.set_summary(
            " · ".join(f"{m.label}: {m.parameters:,} parameters" for m in trainer.members)
        )

    def _progress(self, p) -> None:
        offset = self._sweep["index"] if self._sweep is not None else 0
        for i, records in enumerate(p.records):
            self.curves.add_records(offset + i, records)
        for step, weights in p.checkpoints:
            stores = self._checkpoints[offset : offset + len(weights)]
            for store, w in zip(stores, weights, strict=True):
                store[step] = w
            self.watch.add_checkpoint(step)
        now = time.perf_counter()
        if p.state == "running" and now - self._status_time >= STATUS_INTERVAL:
            self._status_time = now
            self.status.setText(
                f"{steps_text(p.step, p.total_steps, p.steps_per_second, p.seconds_left)}"
                f" · {self.device_name}"
            )

    def _paused(self, step: int) -> None:
        self.pause_button.setText("Resume")
        self.pause_button.setEnabled(True)
        self.status.setText(f"Paused at step {step} · {self.device_name}")

    def _resumed(self, step: int) -> None:
        self.pause_button.setText("Pause")
        self.pause_button.setEnabled(True)

    def _finished(self, results) -> None:
        if self._sweep is not None:
            self._sweep_finished(results)
            return
        self.results = results
        self._set_running(False)
        self._set_trained(True)
        summary = " · ".join(_result_text(r) for r in results)
        # Into the document (the workspace saves it from there); the curves view follows.
        self.document.record_training(finished_run(self.worker.trainer, results, summary))
        self._request_confusion(self.worker.trainer)
        r = results[0]
        how = "stopped" if r.stopped else "finished"
        self.status.setText(
            f"{how} at step {r.steps} in {r.seconds:.1f} s "
            f"({r.steps_per_second:.0f} steps/s) · {r.device}"
        )

    # ---------------------------------------------------------------- regularisation
    def compare_regularisation(self) -> None:
        """Train the form's first network on its data without and with dropout and
        augmentation, one run after another on the training worker (Stop ends it)."""
        if self.worker.running:
            return
        from engine.regularise import network_for, variants

        self.form.clear_error()
        dataset = self._current_dataset()
        try:
            config = self.form.config()
            spec = self._specs_for(self.form.networks())[0]
            if config.task != "classification":
                raise EngineError(
                    "the regularisation comparison is for classification (train and test "
                    "accuracy); choose the classification task"
                )
            if dataset is None:
                raise EngineError("the data set is still loading; try again in a moment")
            spec, note = network_for(spec, dataset)  # shapes: shapes-cnn if spec misfits
            runs = variants(spec, tuple(dataset.input_shape))
        except EngineError as error:
            self.form.show_error(str(error))
            return
        name = spec.name or "lab network"
        self._sweep = {
            "runs": runs,
            "index": 0,
            "results": [],
            "config": config,
            "name": name,
            "note": note,
        }
        self._specs = [v.spec for v in runs]
        self._task = "classification"
        self._checkpoints = [{} for _ in runs]
        self.results = []
        self.regularisation_gaps = []
        self._set_trained(False)
        self._set_running(True)
        self.confusion_view.show_message(NO_RUN)
        labels = [v.label for v in runs]
        self._prepare_views(labels, config.total_steps(len(dataset.x_train)), dataset)
        self._prepared = None
        if note:
            self.curves.set_summary(f"Regularisation comparison of {name}: {note}.")
        self._widen_curves()
        self._start_sweep_run(dataset)

    def _widen_curves(self) -> None:
        """A comparison's four runs need room: the curves take all the width the settings
        leave (the kernels and maps fold away; their splitter handle brings them back) and
        a short dock grows to COMPARE_HEIGHT of the window, until the next Start puts the
        columns back as they were."""
        sizes = self.splitter.sizes()
        if self._sizes_before_compare is None:
            self._sizes_before_compare = sizes
        total = sum(sizes)
        # the settings as wide as their (presentation-size) contents ask, at most a third
        need = self.controls.scroll.widget().sizeHint().width() + 22
        settings = min(max(sizes[0], need), total // 3)
        self.splitter.setSizes([settings, total - settings, 0])
        dock, window = self.parentWidget(), self.window()
        while dock is not None and not isinstance(dock, QDockWidget):
            dock = dock.parentWidget()  # a dock holds its widget in an inner one
        if dock is not None and isinstance(window, QMainWindow):
            want = int(window.height() * COMPARE_HEIGHT)
            if dock.height() < want:
                window.resizeDocks([dock], [want], Qt.Orientation.Vertical)

    def _start_sweep_run(self, dataset) -> None:
        from dataclasses import replace

        sweep = self._sweep
        run = sweep["runs"][sweep["index"]]
        self.status.setText(f"Run {sweep['index'] + 1} of {len(sweep['runs'])}: {run.label}…")
        config = replace(sweep["config"], augmentation=run.augmentation)
        self.worker.start([run.spec], dataset, config)

    def _sweep_finished(self, results) -> None:
        from dataclasses import replace

        from engine.regularise import gap

        sweep = self._sweep
        sweep["results"] += results
        stopped = any(r.stopped for r in results)
        if not stopped and sweep["index"] + 1 < len(sweep["runs"]):
            sweep["index"] += 1
            self._start_sweep_run(self.worker.trainer.dataset)
            return
        self._sweep = None
        done = sweep["results"]
        self.results = done
        self.regularisation_gaps = [gap(r) for r in done]
        self._set_running(False)
        self._set_trained(True)
        self.classify_view.set_members([r.network for r in done])
        lines = [
            f"{r.network} {r.train_accuracy:.0%} / {r.test_accuracy:.0%}, gap {g * 100:.1f} points"
            for r, g in zip(done, self.regularisation_gaps, strict=True)
        ]
        summary = f"{sweep['name']}, train / test accuracy: " + " · ".join(lines)
        if sweep["note"]:
            summary += f" ({sweep['note']})"
        record = finished_run(self.worker.trainer, done, summary)
        settings = dict(record.settings)
        settings["augmentation"] = "per run"
        settings["comparison"] = "regularisation"
        self.document.record_training(replace(record, settings=tuple(settings.items())))
        how = "stopped" if stopped else "finished"
        self.status.setText(
            f"Regularisation comparison {how}: {len(done)} runs · {self.device_name}"
        )
        self.confusion_view.show_message(
            "The confusion matrix follows a single run (Start); this was a comparison."
        )

    def _request_confusion(self, trainer) -> None:
        """The test set's confusion matrices of the run that ended, computed off the GUI
        thread (the trainer is idle now)."""
        self._confusions = None
        if trainer is None or trainer.task.confusion is None:
            self.confusion_view.show_message(
                "Detection has no confusion matrix (a box can be missed, doubled or misplaced, "
                "not only mislabelled): the per-class AP is in the summary under the curves."
            )
            return
        self.confusion_view.show_message("Computing the test set's confusion matrix…")
        count = len(trainer.members)
        self._submit("confusion", lambda: [trainer.test_confusion(i) for i in range(count)])

    def _show_confusion(self) -> None:
        if not self._confusions:
            return
        index = min(self.member_index, len(self._confusions) - 1)
        counts, names = self._confusions[index]
        what = "pixels" if self._task == "segmentation" else "samples"
        self.confusion_view.show_matrix(counts, names, what)

    def _failed(self, message: str) -> None:
        self._sweep = None
        self._set_running(False)
        self.form.show_error(message)
        self.status.setText(f"Not started · {self.device_name}")

    # ---------------------------------------------------------------- watching
    @property
    def member_index(self) -> int:
        return max(0, self.member.currentIndex())

    def _member_spec(self):
        spec = self._specs[self.member_index]
        return spec.with_input_shape(self._dataset.input_shape)

    def _refresh_checkpoint(self) -> None:
        if self.watch.shown_step is not None:
            self._show_checkpoint(self.watch.shown_step)

    def _show_checkpoint(self, step: int) -> None:
        if not self._checkpoints or step not in self._checkpoints[self.member_index]:
            return
        weights = self._checkpoints[self.member_index][step]
        self.watch.set_checkpoint(first_conv(self._specs[self.member_index]), weights, step)
        self._refresh_maps()

    def _refresh_maps(self) -> None:
        """Kernels and sample maps of the shown checkpoint, made off the GUI thread."""
        step = self.watch.shown_step
        if self._dataset is None or step is None:
            return
        weights = self._checkpoints[self.member_index].get(step)
        if weights is None:
            return
        x = self._dataset.x_test[self.watch.sample.value()]
        spec = self._member_spec()
        layer = first_conv(spec)
        self._submit(
            "checkpoint", checkpoint_images, spec, layer, weights, x, step, self.watch.palettes
        )

    def shown_weights(self) -> dict | None:
        """The weights of the checkpoint on the slider, for the chosen network."""
        step = self.watch.shown_step
        if step is None or not self._checkpoints:
            return None
        return self._checkpoints[self.member_index].get(step)

    # ---------------------------------------------------------------- lab
    def use_in_lab(self) -> None:
        """Load the chosen network and the shown checkpoint's weights into the document."""
        weights = self.shown_weights()
        if weights is None:
            return
        spec = self._member_spec()
        step = self.watch.shown_step
        doc = self.document
        if tuple(doc.input.shape) == tuple(self._dataset.input_shape):
            ok = doc.set_network(spec, weights, text="Use trained network")
        else:  # the lab's input does not fit: bring a test sample along
            x = np.array(self._dataset.x_test[self.watch.sample.value()])
            ok = doc.load(x, spec, weights, text="Use trained network")
        if ok:
            doc.notify("info", f"{spec.name}: trained weights of step {step} in the lab")

    def classify(self) -> None:
        """Probabilities of the chosen trained network for the lab's input."""
        weights = self.shown_weights()
        if weights is None:
            return
        x = self.document.input
        spec = self._member_spec()
        if tuple(x.shape) != tuple(spec.input_shape):
            self.classify_view.show_message(
                f"The lab's input is {_shape(x.shape)} but {spec.name} was trained on "
                f"{_shape(spec.input_shape)}: use a sample of the data (Use in lab) or "
                "draw an input of that shape."
            )
            return
        names = list(self._dataset.class_names)
        self._classified_input = x
        self._submit("classify", predict_for_task, spec, weights, np.array(x), self._task, names)

    @property
    def probabilities(self) -> np.ndarray | None:
        """The probabilities shown, or None."""
        return self.classify_view.probabilities

    # ---------------------------------------------------------------- augmentation
    def preview(self) -> None:
        """Augmented versions of the first training sample, drawn off the GUI thread."""
        dataset = self._current_dataset()
        try:
            aug = self.form.augmentation_settings()
        except EngineError as error:
            self.form.show_error(str(error))
            return
        if dataset is None or aug is None:
            self.form.show_error("Choose a data set and switch augmentation on to preview it.")
            return
        self.form.clear_error()
        x = np.array(dataset.x_train[0])
        seed = int(self.form.seed.value())
        task = self.form.task.currentData()
        if task == "classification":
            self._submit("preview", preview_image, x, aug, seed)
            return
        from engine.augment import check_task_augmentation

        try:  # the masks and boxes follow flips and shifts only
            check_task_augmentation(aug, task)
        except EngineError as error:
            self.form.show_error(str(error))
            return
        targets = {}
        if task == "segmentation" and getattr(dataset, "masks_train", None) is not None:
            targets["mask"] = np.array(dataset.masks_train[0])
        elif task == "detection" and getattr(dataset, "boxes_train", None) is not None:
            targets["boxes"] = np.array(dataset.boxes_train[0])
            targets["labels"] = np.array(dataset.box_labels_train[0])
        if not targets:
            self._submit("preview", preview_image, x, aug, seed)
            return
        self._submit("preview", lambda: task_preview(x, aug, seed, **targets))

    def _scroll_to_preview(self) -> None:
        """The preview (the last thing in the settings column) in view, at its new height:
        the column scrolls to its end now and again when its range has grown."""
        bar = self.controls.scroll.verticalScrollBar()
        bar.setValue(bar.maximum())

        waiting = [True]

        def done() -> None:
            if waiting[0]:
                waiting[0] = False
                bar.rangeChanged.disconnect(grown)

        def grown(_low, high) -> None:
            bar.setValue(high)
            done()

        bar.rangeChanged.connect(grown)
        QTimer.singleShot(0, self, done)  # the layout follows within this turn

    def _submit(self, tag: str, fn, *args) -> None:
        # A newer request with the same tag replaces a pending one; the tag comes back with
        # the outcome (``_job_done``/``_job_failed``).
        self.jobs.submit(fn, *args, tag=tag, token=tag)

    # ---------------------------------------------------------------- lifetime
    def shutdown(self) -> None:
        """Stop training and the job thread (the window is closing)."""
        self._set_up = True  # a set-up still waiting for the lab never starts
        self.worker.shutdown()
        self.jobs.shutdown()


def install(window) -> TrainerPanel:
    """Add the trainer as a dock of ``window`` (a MainWindow) and show the device in its
    status bar."""
    panel = TrainerPanel(window.document, set_up_now=False)
    set_up_after_first_maps(window.scheduler, panel)
    area = Qt.DockWidgetArea.BottomDockWidgetArea
    neighbours = [d for d in window.findChildren(QDockWidget) if window.dockWidgetArea(d) == area]
    dock = window.add_dock(panel, area, "Training")
    if neighbours:  # share the bottom as tabs: the trainer needs the full width
        # behind the first tab (MainWindow.arrange_bottom_docks puts that one in front)
        window.tabifyDockWidget(neighbours[0], dock)
    # Curves and maps need some height; the lab keeps the rest (the dock can be hidden).
    window.resizeDocks([dock], [max(300, int(window.height() * 0.4))], Qt.Orientation.Vertical)
    window.statusBar().addPermanentWidget(QLabel(f"device: {panel.device_name}"))
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(panel.shutdown)
    window.trainer_panel = panel
    return panel


def set_up_after_first_maps(scheduler, panel: TrainerPanel) -> None:
    """Start the panel's background set-up once the lab's first maps are shown and settled.

    The set-up imports a few hundred modules (the data set's generator pulls in scipy and
    matplotlib): pure Python that shares the GIL (and two cores) with the GUI thread. Run
    beside the window's first layout and paints, it stretched them into a 150-260 ms stall;
    with the GUI idle it costs the event loop only short gaps. So it waits until the lab
    has delivered a result with nothing pending and then ``SETTLE_MS`` without a newer one
    (the first layout and paints follow the first result), and ``SETUP_LATEST_MS`` at most.
    """
    settle = QTimer(panel)
    settle.setSingleShot(True)
    settle.setInterval(SETTLE_MS)

    def delivered(_result=None) -> None:
        if scheduler.idle:
            settle.start()  # restarts: a newer result means the lab is still settling

    def settled() -> None:
        if not scheduler.idle:
            return  # a newer result is on its way; its delivery restarts the wait
        scheduler.traceReady.disconnect(delivered)
        scheduler.failed.disconnect(delivered)
        panel.set_up()

    settle.timeout.connect(settled)
    scheduler.traceReady.connect(delivered)
    scheduler.failed.connect(delivered)
    QTimer.singleShot(SETUP_LATEST_MS, panel, panel.set_up)
