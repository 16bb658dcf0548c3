"""The trainer panel: set up a run, watch it learn, replay it, use the result in the lab.

Settings (:mod:`gui.trainer_setup`) | live curves (:mod:`gui.curves_view`) | kernels and
maps per checkpoint (:mod:`gui.trainer_watch`) | class probabilities of the lab's input.
Training runs in :class:`gui.training_worker.TrainingWorker`; data loading, maps and
probabilities in :class:`gui.training_worker.BackgroundJobs`. The GUI thread only draws.
Every run starts from fresh weights drawn from its seed (reproducible); "Use in lab" loads
the network with the weights of the checkpoint on the slider into the document.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.errors import EngineError
from engine.presets import get_preset
from engine.training import device_name, pick_device, predict

from .curves_view import CurvesView
from .trainer_setup import LAB, SetupForm
from .trainer_watch import WatchView, first_conv, sample_maps, steps_text
from .training_worker import BackgroundJobs, TrainingWorker


def _load(source: str):
    from engine.data import load_dataset

    return load_dataset(source)


def _shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


class TrainerPanel(QWidget):
    """The training dock. ``document`` is the lab's :class:`gui.document.Document`."""

    def __init__(self, document, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Training")
        self.document = document
        self.worker = TrainingWorker(self)
        self.jobs = BackgroundJobs(self)
        self.device_name = device_name(pick_device())
        self._datasets: dict[str, object] = {}
        self._good_source = "mnist1d"
        self._specs: list = []
        self._labels: list[str] = []
        self._dataset = None
        self._checkpoints: list[dict[int, dict]] = []
        self.results: list = []
        self.probabilities: np.ndarray | None = None

        self.form = SetupForm()
        self.form.dataChosen.connect(self._data_chosen)
        self.form.previewRequested.connect(self.preview)
        self.curves = CurvesView()
        self.watch = WatchView()
        self.watch.checkpointChosen.connect(self._show_checkpoint)
        self.watch.sampleChosen.connect(lambda _: self._refresh_maps())

        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.worker.stop)
        self.status = QLabel(f"Ready · {self.device_name}")
        self.status.setObjectName("trainerStatus")
        self.status.setWordWrap(True)

        self.member = QComboBox()  # which trained network the watch/lab/classify refer to
        self.member.setMinimumContentsLength(14)
        self.member.setToolTip("The network whose kernels, maps and probabilities are shown")
        self.member.currentIndexChanged.connect(lambda _: self._refresh_checkpoint())
        self.use_button = QPushButton("Use in lab")
        self.use_button.setToolTip(
            "Load this network, with the weights of the checkpoint on the slider, into the lab"
        )
        self.use_button.clicked.connect(self.use_in_lab)
        self.classify_button = QPushButton("Classify lab input")
        self.classify_button.clicked.connect(self.classify)
        self.class_plot = pg.PlotWidget()
        self.class_plot.setTitle("probabilities")
        self.class_plot.setYRange(0, 1, padding=0.02)
        self.class_plot.setMouseEnabled(False, False)
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#4cc9f0")
        self.class_plot.addItem(self._bars)
        self.class_label = QLabel("")
        self.class_label.setWordWrap(True)

        self.preview_plot = pg.GraphicsLayoutWidget()
        self.preview_plot.setMinimumHeight(70)
        self.preview_plot.setVisible(False)
        self._preview_box = self.preview_plot.addViewBox(lockAspect=False)
        self._preview_box.invertY(True)
        self._preview_item = pg.ImageItem(axisOrder="row-major")
        self._preview_box.addItem(self._preview_item)

        self._build_layout()
        self._set_running(False)
        self._set_trained(False)
        self._data_chosen(self.form.data_source)  # load the default data set in the background
        self.jobs.submit("warmup", _warm_up)

    def _build_layout(self) -> None:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 4, 4)
        left_layout.addWidget(self.form)
        left_layout.addWidget(self.preview_plot)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.status)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(left.sizeHint().width() + 18)  # + the vertical scroll bar
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(4, 4, 4, 4)
        tools = QHBoxLayout()
        tools.addWidget(QLabel("show"))
        tools.addWidget(self.member, 1)
        tools.addWidget(self.use_button)
        tools.addWidget(self.classify_button)
        right_layout.addLayout(tools)
        right_layout.addWidget(self.class_plot, 1)
        right_layout.addWidget(self.class_label)

        # Watching and classifying share a tab: the curves stay in view beside them.
        self.tabs = QTabWidget()
        self.tabs.addTab(self.watch, "Kernels and maps")
        self.tabs.addTab(right, "Classify")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(self.curves)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 1)
        splitter.setSizes([340, 600, 600])
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
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.form.setEnabled(not running)
        if not running:
            self.pause_button.setText("Pause")

    def _set_trained(self, trained: bool) -> None:
        self.use_button.setEnabled(trained)
        self.classify_button.setEnabled(trained)
        self.member.setEnabled(trained)

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
            self.jobs.submit("data", lambda: (source, _load(source)))

    def _job_done(self, tag: str, result) -> None:
        if tag == "data":
            source, dataset = result
            self._datasets[source] = dataset
            self._good_source = source
            self.status.setText(
                f"{source}: {len(dataset.x_train)} training, {len(dataset.x_test)} test "
                f"samples of {_shape(dataset.input_shape)}, {len(dataset.class_names)} classes"
            )
        elif tag == "maps":
            maps, step = result
            self.watch.show_maps(maps, step)
        elif tag == "classify":
            self._show_probabilities(result)
        elif tag == "preview":
            self._show_preview(result)

    def _job_failed(self, tag: str, message: str) -> None:
        if tag == "data":
            self.form.data_failed(self.form.data_source, self._good_source, message)
            self.status.setText(f"Ready · {self.device_name}")
        elif tag == "classify":
            self.class_label.setText(message)
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
        try:
            config = self.form.config()
            specs = self._specs_for(self.form.networks())
        except EngineError as error:
            self.form.show_error(str(error))
            return
        source = self.form.data_source
        dataset = self._datasets.get(source) or (lambda: _load(source))
        self._specs = specs
        self._checkpoints = [{} for _ in specs]
        self.results = []
        self._set_trained(False)
        self._set_running(True)
        self.status.setText("Starting…")
        self.worker.start(specs, dataset, config)

    def toggle_pause(self) -> None:
        if self.worker.is_paused or self.pause_button.text() == "Resume":
            self.worker.resume()
        else:
            self.worker.pause()
            self.pause_button.setEnabled(False)  # until the worker confirms

    def _started(self, trainer) -> None:
        self._dataset = trainer.dataset
        self._datasets.setdefault(self.form.data_source, trainer.dataset)
        self._labels = [m.label for m in trainer.members]
        self._total = trainer.total_steps
        self.curves.reset(self._labels)
        self.curves.set_step_range(trainer.total_steps)
        self.watch.reset(len(trainer.dataset.x_test))
        self.member.blockSignals(True)
        self.member.clear()
        self.member.addItems(self._labels)
        self.member.blockSignals(False)
        self._parameters = [m.parameters for m in trainer.members]
        self.curves.set_summary(
            " · ".join(
                f"{label}: {count:,} parameters"
                for label, count in zip(self._labels, self._parameters, strict=True)
            )
        )

    def _progress(self, p) -> None:
        for i, records in enumerate(p.records):
            self.curves.add_records(i, records)
        for step, weights in p.checkpoints:
            for store, w in zip(self._checkpoints, weights, strict=True):
                store[step] = w
            self.watch.add_checkpoint(step)
        if p.state == "running":
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
        self.results = results
        self._set_running(False)
        self._set_trained(True)
        for i, r in enumerate(results):
            self.curves.add_records(i, r.curves[-1:])
        self.curves.set_summary(
            " · ".join(
                f"{r.network}: {r.parameters:,} parameters, test accuracy {r.test_accuracy:.1%}"
                f" (train {r.train_accuracy:.1%})"
                for r in results
            )
        )
        r = results[0]
        how = "stopped" if r.stopped else "finished"
        self.status.setText(
            f"{how} at step {r.steps} in {r.seconds:.1f} s "
            f"({r.steps_per_second:.0f} steps/s) · {r.device}"
        )

    def _failed(self, message: str) -> None:
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
        self.watch.show_kernels(first_conv(self._specs[self.member_index]), weights, step)
        self._refresh_maps()

    def _refresh_maps(self) -> None:
        step = self.watch.shown_step
        if self._dataset is None or step is None:
            return
        weights = self._checkpoints[self.member_index].get(step)
        if weights is None:
            return
        x = self._dataset.x_test[self.watch.sample.value()]
        spec = self._member_spec()
        self.jobs.submit("maps", lambda: (sample_maps(spec, weights, x), step))

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
            doc.message.emit("info", f"{spec.name}: trained weights of step {step} in the lab")

    def classify(self) -> None:
        """Probabilities of the chosen trained network for the lab's input."""
        weights = self.shown_weights()
        if weights is None:
            return
        x = self.document.input
        spec = self._member_spec()
        if tuple(x.shape) != tuple(spec.input_shape):
            self.probabilities = None
            self._bars.setOpts(x=[], height=[])
            self.class_label.setText(
                f"The lab's input is {_shape(x.shape)} but {spec.name} was trained on "
                f"{_shape(spec.input_shape)}: use a sample of the data (Use in lab) or "
                "draw an input of that shape."
            )
            return
        self.jobs.submit("classify", predict, spec, weights, np.array(x))

    def _show_probabilities(self, p: np.ndarray) -> None:
        self.probabilities = p
        names = list(self._dataset.class_names)
        self._bars.setOpts(x=np.arange(len(p)), height=p, width=0.7)
        axis = self.class_plot.getAxis("bottom")
        axis.setTicks([[(i, n) for i, n in enumerate(names)]])
        self.class_plot.setXRange(-0.6, len(p) - 0.4, padding=0)
        best = int(np.argmax(p))
        self.class_label.setText(f"most likely: {names[best]} ({p[best]:.1%})")

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
        self.jobs.submit("preview", _preview_image, x, aug, seed)

    def _show_preview(self, image: np.ndarray) -> None:
        from .colormaps import lookup_table

        self.preview_plot.setVisible(True)
        self._preview_item.setImage(image, levels=(0, 255), lut=lookup_table("gray", False))
        self._preview_box.autoRange(padding=0.01)

    # ---------------------------------------------------------------- lifetime
    def shutdown(self) -> None:
        """Stop training and the job thread (the window is closing)."""
        self.worker.shutdown()
        self.jobs.shutdown()


def _warm_up() -> None:
    """Two tiny runs, so torch's lazy first-use set-up (optimizers, kernels) happens now in
    the background and not as a GUI stall of a few hundred ms when training starts."""
    from engine.data import Dataset
    from engine.spec import LayerSpec, NetworkSpec
    from engine.training import TrainConfig, Trainer

    x = np.zeros((8, 1, 16), np.float32)
    y = np.arange(8, dtype=np.int64) % 2
    data = Dataset(x, y, x, y, ("a", "b"), (1, 16))
    spec = NetworkSpec(
        [
            LayerSpec("c", "conv", {"out_channels": 2}),
            LayerSpec("d", "dropout", {}),
            LayerSpec("f", "flatten"),
            LayerSpec("o", "linear", {"out_features": 2}),
        ],
        (1, 16),
    )
    for optimizer in ("sgd", "adam"):
        config = TrainConfig(
            optimizer=optimizer, batch_size=4, steps=2, eval_every=1, checkpoint_every=1
        )
        Trainer(spec, data, config, device="cpu").run()


def _preview_image(x: np.ndarray, aug, seed: int, n: int = 8) -> np.ndarray:
    """The sample and ``n - 1`` augmented versions side by side, as one uint8 image."""
    from engine.augment import preview

    from .render import GAP, quantize_numpy

    batch = np.concatenate([x[None], preview(x, aug, n - 1, seed)])
    lo, hi = float(batch.min()), float(batch.max())
    levels = (lo, hi) if hi > lo else (lo, lo + 1.0)
    if batch.ndim == 3:  # 1D signals: one row each
        return np.ascontiguousarray(quantize_numpy(batch[:, 0, :], levels))
    tiles = quantize_numpy(batch[:, 0], levels)
    n, h, w = tiles.shape
    image = np.full((h, n * (w + 1) - 1), GAP, dtype=np.uint8)
    for i in range(n):
        image[:, i * (w + 1) : i * (w + 1) + w] = tiles[i]
    return image


def install(window) -> TrainerPanel:
    """Add the trainer as a dock of ``window`` (a MainWindow) and show the device in its
    status bar."""
    panel = TrainerPanel(window.document)
    area = Qt.DockWidgetArea.BottomDockWidgetArea
    neighbours = [d for d in window.findChildren(QDockWidget) if window.dockWidgetArea(d) == area]
    dock = window.add_dock(panel, area, "Training")
    if neighbours:  # share the bottom as tabs: the trainer needs the full width
        window.tabifyDockWidget(neighbours[0], dock)
        QTimer.singleShot(0, dock.raise_)  # after the tab bar exists
    # Curves and maps need some height; the lab keeps the rest (the dock can be hidden).
    window.resizeDocks([dock], [max(300, int(window.height() * 0.4))], Qt.Orientation.Vertical)
    window.statusBar().addPermanentWidget(QLabel(f"device: {panel.device_name}"))
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(panel.shutdown)
    window.trainer_panel = panel
    return panel
