"""The trainer's settings form: networks, data set, optimizer, augmentation.

It only collects settings; :meth:`SetupForm.config` turns them into an
``engine.training.TrainConfig`` (whose validation gives the messages) and the panel shows
any error in :attr:`SetupForm.error_label`, next to the settings, which stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.augment import Augmentation
from engine.presets import preset_names
from engine.tasks import TASKS
from engine.train_cli import TASK_DEFAULTS
from engine.training import TrainConfig
from gui.widgets.themes import set_tone

LAB = "lab"  # the network choice meaning "the network in the lab (the document's)"
DATA_CHOICES = [
    ("MNIST-1D", "mnist1d"),
    ("Shapes", "shapes"),
    ("Image folder…", "folder"),
    ("Signal CSV…", "csv"),
]
MULTI_SHAPES = "shapes-multi"  # the shapes with several objects, for segmentation/detection
AUG_NUMBERS = [  # field, label, maximum, step, tooltip
    ("translate", "translate", 1.0, 0.05, "largest shift, as a fraction of the size"),
    ("rotate", "rotate °", 180.0, 5.0, "largest rotation in degrees (images only)"),
    ("scale", "scale", 4.0, 0.05, "zoom between 1/(1+s) and 1+s"),
    ("brightness", "brightness", 10.0, 0.05, "add a number from [-b, b]"),
    ("contrast", "contrast", 1.0, 0.05, "scale deviations by [1-c, 1+c]"),
    ("noise", "noise", 10.0, 0.01, "standard deviation of Gaussian noise"),
]


def _spin(lo: float, hi: float, value: float, decimals: int, step: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    return box


def _int_spin(lo: int, hi: int, value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    box.setGroupSeparatorShown(False)
    return box


class SetupForm(QWidget):
    """Signals: ``dataChosen(source)`` ('mnist1d', 'shapes' or a path); ``previewRequested``."""

    dataChosen = Signal(str)
    previewRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # Replaceable in tests: (kind 'folder'|'csv') -> a path or "" when cancelled.
        self.ask_path: Callable[[str], str] = self._ask_path
        self._data_source = "mnist1d"
        self._data_index = 0

        self._build_network_choice()
        self._build_data_choice()
        self._build_optimizer_fields()
        form = self._build_form()
        self._build_task_choice(form)
        self._build_augmentation()
        self.error_label = QLabel("")
        self.error_label.setObjectName("trainerError")
        self.error_label.setWordWrap(True)
        set_tone(self.error_label, "error")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.augmentation)
        layout.addWidget(self.error_label)
        layout.addStretch(1)

    # ---------------------------------------------------------------- building
    def _build_network_choice(self) -> None:
        """The network to train (the lab's or a preset), and one to compare it with."""
        names = preset_names()
        self.network = QComboBox()
        self.network.addItem("Network in the lab", LAB)
        self.compare_with = QComboBox()
        for name in names:
            self.network.addItem(name, name)
            self.compare_with.addItem(name, name)
        for combo in (self.network, self.compare_with):  # long preset names may shrink
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(10)
        self.network.setCurrentIndex(self.network.findData("udl-mnist1d-cnn"))
        self.compare_with.setCurrentIndex(self.compare_with.findData("udl-mnist1d-fc"))
        self.compare = QCheckBox("compare with")
        self.compare.toggled.connect(self.compare_with.setEnabled)
        self.compare_with.setEnabled(False)
        self.book = QPushButton("Book: CNN vs FC")
        self.book.setToolTip(
            "The book's MNIST-1D experiment: the 2,050-parameter CNN against "
            "the 59,065-parameter fully connected network"
        )
        self.book.clicked.connect(self.book_experiment)

    def _build_data_choice(self) -> None:
        self.data = QComboBox()
        for text, key in DATA_CHOICES:
            self.data.addItem(text, key)
        self.data.activated.connect(self._data_activated)
        self.data_path = QLabel("")
        self.data_path.setWordWrap(True)

    def _build_optimizer_fields(self) -> None:
        """Optimizer, learning rate, momentum, decay, batch, steps, seed, evaluation."""
        self.optimizer = QComboBox()
        self.optimizer.addItem("SGD", "sgd")
        self.optimizer.addItem("Adam", "adam")
        self.lr = _spin(0.0, 10.0, 0.05, 5, 0.01)
        self.momentum = _spin(0.0, 0.999, 0.9, 3, 0.05)
        self.batch_size = _int_spin(1, 100_000, 100)
        self.steps = _int_spin(1, 10_000_000, 3000)
        self.weight_decay = _spin(0.0, 1.0, 0.0, 5, 0.0001)
        self.seed = _int_spin(0, 2**31 - 1, 0)
        self.eval_every = _int_spin(1, 1_000_000, 100)
        self.checkpoint_every = _int_spin(1, 1_000_000, 100)

    def _build_task_choice(self, form: QFormLayout) -> None:
        self.task = QComboBox()
        for task in TASKS:
            self.task.addItem(task, task)
        self.task.setToolTip(
            "classification: one label per image; segmentation: a class per pixel; "
            "detection: boxes (each sets its preset, the multi-object shapes and defaults)"
        )
        self.task.activated.connect(lambda _: self.task_chosen(self.task.currentData()))
        form.insertRow(0, "task", self.task)

    def _build_form(self) -> QFormLayout:
        """The fields in labelled rows, two to a row where they belong together."""
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.network, 1)
        form.addRow("network", row)
        row = QHBoxLayout()
        row.addWidget(self.compare)
        row.addWidget(self.compare_with, 1)
        form.addRow("", row)
        form.addRow("", self.book)
        form.addRow("data", self.data)
        form.addRow("", self.data_path)
        row = QHBoxLayout()
        row.addWidget(self.optimizer)
        row.addWidget(QLabel("lr"))
        row.addWidget(self.lr, 1)
        form.addRow("optimizer", row)
        row = QHBoxLayout()
        row.addWidget(self.momentum, 1)
        row.addWidget(QLabel("decay"))
        row.addWidget(self.weight_decay, 1)
        form.addRow("momentum", row)
        row = QHBoxLayout()
        row.addWidget(self.batch_size, 1)
        row.addWidget(QLabel("steps"))
        row.addWidget(self.steps, 1)
        form.addRow("batch", row)
        form.addRow("seed", self.seed)
        row = QHBoxLayout()
        row.addWidget(self.eval_every, 1)
        row.addWidget(QLabel("checkpoint"))
        row.addWidget(self.checkpoint_every, 1)
        self.eval_every.setToolTip("Steps between evaluations (the points of the curves)")
        self.checkpoint_every.setToolTip("Steps between saved weights (the replay slider)")
        form.addRow("evaluate", row)
        return form

    def _build_augmentation(self) -> None:
        """The augmentation box: its numbers two to a row, the flips and Preview."""
        self.augmentation = QGroupBox("augmentation")
        self.augmentation.setCheckable(True)
        self.augmentation.setChecked(False)
        aug_form = QFormLayout(self.augmentation)
        self.aug_fields: dict[str, QDoubleSpinBox | QCheckBox] = {}
        pairs = [AUG_NUMBERS[i : i + 2] for i in range(0, len(AUG_NUMBERS), 2)]
        for pair in pairs:
            row = QHBoxLayout()
            for key, label, top, step, tip in pair:
                box = _spin(0.0, top, 0.0, 2, step)
                box.setToolTip(tip)
                self.aug_fields[key] = box
                if row.count():
                    row.addWidget(QLabel(label))
                row.addWidget(box, 1)
            aug_form.addRow(pair[0][1], row)
        row = QHBoxLayout()
        for key, text in (("flip", "flip ↔"), ("flip_vertical", "flip ↕")):
            box = QCheckBox(text)
            self.aug_fields[key] = box
            row.addWidget(box)
        self.preview_button = QPushButton("Preview")
        self.preview_button.clicked.connect(self.previewRequested)
        row.addStretch(1)
        row.addWidget(self.preview_button)
        aug_form.addRow("", row)

    # ---------------------------------------------------------------- choices
    def book_experiment(self) -> None:
        """Set up the book's experiment (CNN vs FC on MNIST-1D, SGD 0.05, momentum 0.9)."""
        self.network.setCurrentIndex(self.network.findData("udl-mnist1d-cnn"))
        self.compare.setChecked(True)
        self.compare_with.setCurrentIndex(self.compare_with.findData("udl-mnist1d-fc"))
        self.data.setCurrentIndex(0)
        self._set_data("mnist1d")
        self.optimizer.setCurrentIndex(0)
        self.lr.setValue(0.05)
        self.momentum.setValue(0.9)
        self.batch_size.setValue(100)
        self.steps.setValue(3000)

    def task_chosen(self, task: str) -> None:
        """Segmentation or detection: its preset, the multi-object shapes and its defaults;
        classification: back to the book's MNIST-1D set-up if a task's was on."""
        self.task.setCurrentIndex(self.task.findData(task))
        if task == "classification":
            if self._data_source == MULTI_SHAPES:
                self.book_experiment()
                self.compare.setChecked(False)
            return
        defaults = TASK_DEFAULTS[task]
        self.network.setCurrentIndex(self.network.findData(defaults["network"]))
        self.compare.setChecked(False)
        self.optimizer.setCurrentIndex(self.optimizer.findData(defaults["optimizer"]))
        self.lr.setValue(defaults["lr"])
        self.batch_size.setValue(defaults["batch_size"])
        self.steps.setValue(defaults["steps"])
        self.eval_every.setValue(defaults["eval_every"])
        self.augmentation.setChecked(False)
        self.data.setCurrentIndex(self.data.findData("shapes"))
        self._set_data(MULTI_SHAPES)
        self.data_path.setText("several objects per image (up to 3), with masks and boxes")

    def networks(self) -> list[str]:
        """The chosen network names: LAB or preset names; two when comparing."""
        chosen = [self.network.currentData()]
        if self.compare.isChecked():
            chosen.append(self.compare_with.currentData())
        return chosen

    @property
    def data_source(self) -> str:
        return self._data_source

    def _data_activated(self, index: int) -> None:
        key = self.data.itemData(index)
        if key in ("folder", "csv"):
            path = self.ask_path(key)
            if not path:  # cancelled: keep what was chosen before
                self.data.setCurrentIndex(self._data_index)
                return
            self._set_data(path)
        else:
            self._set_data(key)

    def _set_data(self, source: str) -> None:
        self._data_source = source
        self._data_index = self.data.currentIndex()
        self.data_path.setText("" if source in ("mnist1d", "shapes", MULTI_SHAPES) else source)
        self.dataChosen.emit(source)

    def data_failed(self, source: str, previous: str, message: str) -> None:
        """``source`` could not be loaded: show why, and go back to ``previous``."""
        self.show_error(message)
        keys = [key for _, key in DATA_CHOICES]
        self._data_source = previous
        if previous in keys:
            self.data.setCurrentIndex(keys.index(previous))
            self.data_path.setText("")
        else:
            self.data.setCurrentIndex(
                keys.index("csv" if previous.lower().endswith(".csv") else "folder")
            )
            self.data_path.setText(previous)
        self._data_index = self.data.currentIndex()

    def _ask_path(self, kind: str) -> str:
        if kind == "folder":
            return QFileDialog.getExistingDirectory(self, "Folder with one subfolder per class")
        path, _ = QFileDialog.getOpenFileName(
            self, "Signals with a label column", "", "CSV files (*.csv);;All files (*)"
        )
        return path

    # ---------------------------------------------------------------- settings
    def augmentation_settings(self) -> Augmentation | None:
        """The augmentation, or None when the group is off (DataError for a bad value)."""
        if not self.augmentation.isChecked():
            return None
        values = {
            key: (box.isChecked() if isinstance(box, QCheckBox) else float(box.value()))
            for key, box in self.aug_fields.items()
        }
        return Augmentation(**values)

    def config(self) -> TrainConfig:
        """The settings as a validated TrainConfig (TrainingError / DataError if not)."""
        return TrainConfig(
            optimizer=self.optimizer.currentData(),
            lr=float(self.lr.value()),
            momentum=float(self.momentum.value()),
            batch_size=int(self.batch_size.value()),
            steps=int(self.steps.value()),
            weight_decay=float(self.weight_decay.value()),
            seed=int(self.seed.value()),
            augmentation=self.augmentation_settings(),
            eval_every=int(self.eval_every.value()),
            checkpoint_every=int(self.checkpoint_every.value()),
            task=self.task.currentData(),
        ).validate()

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setToolTip(text)

    def clear_error(self) -> None:
        self.error_label.setText("")
