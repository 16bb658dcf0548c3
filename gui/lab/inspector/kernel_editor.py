"""The kernel editor: the weights of one (output, input) channel pair of the selected layer.

A table of editable cells coloured by value (blue negative, white 0, red positive), draggable
bars for 1D kernels, presets from ``engine.kernels`` and normalize / flip / zero buttons, and
the bias of the output channel. The pair indexes the first two axes of the weight array in
torch's layout: (C_out, C_in/groups, K...) for conv, (C_in, C_out/groups, K...) for a
transposed conv; a linear layer's whole (D_out, D_in) matrix is the table (cells:
:class:`gui.lab.inspector.kernel_model.KernelModel`). Every edit goes through the document
(set_kernel_value / set_weights); text that is not a number is refused with a message.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.errors import EngineError
from engine.kernels import (
    bias_of_kernel,
    flip_kernel,
    kaiming,
    kernel_preset_names,
    normalize_kernel,
    preset_kernel,
    weight_axes,
)
from gui.lab.inspector.kernel_model import (
    KernelModel,
    parse_number,
    value_colour,
    weight_refusal,
)
from gui.widgets.stroke import ArrayStroke, StrokePlot

KERNEL_TYPES = ("conv", "conv_transpose", "linear")


def _short_axis(axis: str) -> str:
    """A spin box label for a weight axis: "output channel within its group" -> "out ch"."""
    words = axis.split()
    return {"output": "out", "input": "in"}.get(words[0], words[0]) + (
        " ch" if words[1] == "channel" else " unit"
    )


RANDOM = "random (Kaiming)"


class KernelEditor(QWidget):
    """Edits the weights of ``document.selected_layer`` for ``document.kernel_index``."""

    def __init__(self, document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self._seed = 0

        self.title = QLabel()
        self.title.setWordWrap(True)
        index_row = self._build_index_row()
        self._build_table()
        self._build_bars()
        tools = self._build_tools()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(index_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.bars_plot)
        layout.addLayout(tools)

        self._connect(document)
        self._preset_dims = 0
        self.refresh()

    # ---------------------------------------------------------------- building
    def _build_index_row(self) -> QHBoxLayout:
        """Which kernel of the weight array is shown: two spin boxes (weight axes 0 and 1)."""
        self.out_label, self.in_label = QLabel("out"), QLabel("in")
        self.out_spin, self.in_spin = QSpinBox(), QSpinBox()
        row = QHBoxLayout()
        for label, spin in ((self.out_label, self.out_spin), (self.in_label, self.in_spin)):
            row.addWidget(label)
            row.addWidget(spin, 1)
        return row

    def _build_table(self) -> None:
        """The kernel's values as an editable table (a 1D kernel is one row)."""
        self.model = KernelModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)  # digits, never "…"
        for header in (self.table.horizontalHeader(), self.table.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            header.setMinimumSectionSize(24)
        self._style_table()

    def _style_table(self) -> None:
        """The table's font and cell sizes from the panel's font (presentation mode's larger
        fonts make larger cells): a smaller font and no padding, so five kernel values fit a
        300 px panel."""
        size = max(self.font().pointSizeF() * 0.85, 8.0)
        self.table.setStyleSheet(
            f"QTableView, QHeaderView {{ font-size: {size:.1f}pt; }}"
            " QTableView::item { padding: 0px; }"
        )
        self.table.ensurePolished()
        metrics = self.table.fontMetrics()
        self.table.horizontalHeader().setDefaultSectionSize(
            metrics.horizontalAdvance("−0.000") + 12
        )
        self.table.verticalHeader().setDefaultSectionSize(max(28, metrics.height() + 10))

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and hasattr(self, "table"):
            self._style_table()  # presentation mode: larger cells and digits
            self._fit_table()

    def _build_bars(self) -> None:
        """A 1D kernel's values as bars to drag."""
        self.bars_plot = StrokePlot()
        self.bars_plot.setFixedHeight(130)
        self.bars_plot.setToolTip("Drag the bars up or down to set the weights")
        self.bars_plot.showGrid(y=True, alpha=0.2)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#4cc9f0")
        self.bars_plot.addItem(self.bars)

    def _build_tools(self) -> QGridLayout:
        """Presets, normalize/flip/zero and the bias."""
        self.preset_combo = QComboBox()
        self.preset_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.preset_combo.setMinimumContentsLength(3)  # presentation fonts: narrow panel
        self.apply_button = QPushButton("Apply")
        self.apply_button.setMinimumWidth(56)
        self.normalize_button = QPushButton("Normalize")
        self.normalize_button.setToolTip("Scale to sum 1 (or largest magnitude 1 if the sum is 0)")
        self.flip_button = QPushButton("Flip")
        self.flip_button.setToolTip("Reverse the kernel (cross-correlation ↔ convolution)")
        self.zero_button = QPushButton("Zero")
        self.bias_edit = QLineEdit()
        self.bias_edit.setToolTip("The bias β of the output channel; Enter applies")
        self.bias_label = QLabel("bias β")

        tools = QGridLayout()
        tools.addWidget(QLabel("preset"), 0, 0)
        tools.addWidget(self.preset_combo, 0, 1)
        tools.addWidget(self.apply_button, 0, 2)
        buttons = QHBoxLayout()
        for button in (self.normalize_button, self.flip_button, self.zero_button):
            button.setMinimumWidth(56)  # below the style's 80 px: the panel is narrow
            buttons.addWidget(button, 1)
        tools.addLayout(buttons, 1, 0, 1, 3)
        tools.addWidget(self.bias_label, 2, 0)
        tools.addWidget(self.bias_edit, 2, 1, 1, 2)
        tools.setColumnStretch(1, 1)
        return tools

    def _connect(self, document) -> None:
        """Edits go to the document; the document's changes refresh the editor."""
        self.out_spin.valueChanged.connect(self._index_edited)
        self.in_spin.valueChanged.connect(self._index_edited)
        self.model.edited.connect(self._cell_edited)
        self.model.refused.connect(
            lambda t: self.document.notify(
                "error", f"'{t}' {weight_refusal(t)}: the weight stays as it was"
            )
        )
        self.table.selectionModel().currentChanged.connect(self._current_changed)
        self.apply_button.clicked.connect(self.apply_preset)
        self.normalize_button.clicked.connect(self.normalize)
        self.flip_button.clicked.connect(self.flip)
        self.zero_button.clicked.connect(self.zero)
        self.bias_edit.returnPressed.connect(self._bias_edited)
        # dragging the 1D bars paints the kernel like a signal; one drag is one undo step
        self.bars_stroke = ArrayStroke(
            self.bars_plot,
            self._bars_target,
            lambda values, key: self._set_slice(values, merge_key=key),
            key="bars",
            finished=self.refresh,  # fit the bars' range again, held still while dragging
        )
        document.layerSelected.connect(self.refresh)
        document.kernelIndexChanged.connect(self.refresh)
        document.specChanged.connect(self.refresh)
        document.weightsChanged.connect(self._weights_changed)

    # ---------------------------------------------------------------- state
    @property
    def layer(self):
        name = self.document.selected_layer
        if name is None or name not in self.document.spec.names():
            return None
        layer = self.document.spec.layer(name)
        return layer if layer.type in KERNEL_TYPES else None

    def _weight(self) -> np.ndarray | None:
        layer = self.layer
        return None if layer is None else self.document.weights.get(layer.name, {}).get("weight")

    def slice_index(self) -> tuple[int, ...]:
        """The index of the edited slice in the weight array (() for a linear layer)."""
        layer = self.layer
        return () if layer is None or layer.type == "linear" else self.document.kernel_index

    def bias_index(self) -> int | None:
        """Which element of the bias belongs to the current output channel or unit."""
        layer, weight = self.layer, self._weight()
        if layer is None or weight is None:
            return None
        a, b = self.document.kernel_index
        return bias_of_kernel(layer, weight.shape, a, b)

    def current_slice(self) -> np.ndarray | None:
        weight = self._weight()
        return None if weight is None else weight[self.slice_index()]

    # ---------------------------------------------------------------- refresh
    def refresh(self) -> None:
        layer, weight = self.layer, self._weight()
        self.setEnabled(weight is not None)
        if layer is None or weight is None:
            self.title.setText("Select a convolution or linear layer to edit its weights.")
            self.model.set_values(np.zeros((0, 0)))
            self.bars_plot.hide()
            return
        linear = layer.type == "linear"
        a, b = self.document.kernel_index
        # the index picks weight[a, b]; the engine names what each axis counts
        first, second = weight_axes(layer.type)
        self.out_label.setText(_short_axis(first))
        self.in_label.setText(_short_axis(second))
        self.out_spin.setToolTip(f"weight axis 0: {first}")
        self.in_spin.setToolTip(f"weight axis 1: {second}")
        for spin, n, v in ((self.out_spin, weight.shape[0], a), (self.in_spin, weight.shape[1], b)):
            spin.blockSignals(True)
            spin.setRange(0, n - 1)
            spin.setValue(v)
            spin.blockSignals(False)
        for w in (self.out_spin, self.in_spin, self.out_label, self.in_label):
            w.setVisible(not linear)
        shape = "×".join(str(s) for s in weight.shape)
        if linear:
            self.title.setText(
                f"<b>{layer.name}</b>: weights ω (D_out × D_in = {shape}); row i feeds unit h_i"
            )
        else:
            k = "×".join(str(s) for s in weight.shape[2:])
            self.title.setText(f"<b>{layer.name}</b>: kernel {k} of weights {shape}")
        values = self.current_slice()
        self.model.set_values(values if values.ndim == 2 else values[None])
        self._fit_table()
        self._show_bars(values if (values.ndim == 1 and not linear) else None)
        self._fill_presets(0 if linear else weight.ndim - 2)
        bias = self.document.weights.get(layer.name, {}).get("bias")
        has_bias = bias is not None
        self.bias_edit.setEnabled(has_bias)
        self.bias_label.setText(
            f"bias β_{self.bias_index()}" if has_bias else "bias (off for this layer)"
        )
        if has_bias and not self.bias_edit.hasFocus():
            self.bias_edit.setText(f"{float(bias[self.bias_index()]):.6g}")
        elif not has_bias:
            self.bias_edit.clear()
        if linear:
            current = self.model.index(a, b)
            if self.table.currentIndex() != current:
                self.table.setCurrentIndex(current)

    def _weights_changed(self, name: str) -> None:
        """Only values changed: update the cells (and bars, bias) that show them."""
        layer = self.layer
        if layer is None or layer.name != name:
            return
        values = self.current_slice()
        if values is None:
            return
        self.model.set_values(values if values.ndim == 2 else values[None])
        if values.ndim == 1 and layer.type != "linear":
            self._show_bars(values)
        bias = self.document.weights.get(name, {}).get("bias")
        if bias is not None and not self.bias_edit.hasFocus():
            self.bias_edit.setText(f"{float(bias[self.bias_index()]):.6g}")

    def _fit_table(self) -> None:
        """A small kernel fills the width and shows whole; a large matrix scrolls (10 rows)."""
        rows, cols = self.model.rowCount(), self.model.columnCount()
        few = cols <= 9
        mode = QHeaderView.ResizeMode.Stretch if few else QHeaderView.ResizeMode.Fixed
        self.table.horizontalHeader().setSectionResizeMode(mode)
        bar = 0 if few else self.table.horizontalScrollBar().sizeHint().height()
        header = self.table.horizontalHeader().sizeHint().height()
        height = header + min(rows, 10) * self.table.verticalHeader().defaultSectionSize()
        self.table.setFixedHeight(height + bar + 2 * self.table.frameWidth() + 2)

    def _fill_presets(self, dims: int) -> None:
        if dims == self._preset_dims:
            return
        self._preset_dims = dims
        self.preset_combo.clear()
        names = list(kernel_preset_names(dims)) if dims in (1, 2) else []
        self.preset_combo.addItems([*names, RANDOM])

    def _show_bars(self, values: np.ndarray | None) -> None:
        if values is None:
            self.bars_plot.hide()
            return
        self.bars_plot.show()
        x = np.arange(values.shape[0])
        # Weights are finite (the document refuses others), but a view never raises on
        # inf/NaN: bars are drawn at the finite values and the range ignores the rest.
        shown = np.nan_to_num(np.asarray(values, np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        magnitude = float(np.abs(shown).max()) if shown.size else 0.0
        colours = [value_colour(float(v), magnitude) for v in shown]
        self.bars.setOpts(x=x, height=shown, width=0.7, brushes=colours, pen=pg.mkPen("#888"))
        if not self.bars_plot.stroking:
            top = min(max(1.0, 1.2 * magnitude), 1e300)
            self.bars_plot.setXRange(-0.6, values.shape[0] - 0.4, padding=0)
            self.bars_plot.setYRange(-top, top, padding=0)

    # ---------------------------------------------------------------- edits
    def _index_edited(self) -> None:
        self.document.set_kernel_index(self.out_spin.value(), self.in_spin.value())

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        layer = self.layer
        if layer is not None and layer.type == "linear" and current.isValid():
            self.document.set_kernel_index(current.row(), current.column())

    def _cell_edited(self, row: int, col: int, value: float) -> None:
        layer, weight = self.layer, self._weight()
        if layer is None or weight is None:
            return
        cell = (col,) if weight.ndim == 3 else (row, col)
        index = tuple(int(i) for i in (*self.slice_index(), *cell))
        self.document.set_kernel_value(layer.name, index, value)

    def _set_slice(self, values: np.ndarray, merge_key=None) -> bool:
        layer, weight = self.layer, self._weight()
        if layer is None or weight is None:
            return False
        new = np.array(weight, dtype=np.float32, copy=True)
        new[self.slice_index()] = values
        return self.document.set_weights(layer.name, "weight", new, merge_key=merge_key)

    def _engine_call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except EngineError as error:
            self.document.notify("error", str(error))
            return None

    def apply_preset(self, name: str | None = None) -> bool:
        """Put preset ``name`` (default: the combo's choice) into the current slice."""
        layer, values = self.layer, self.current_slice()
        if layer is None or values is None:
            return False
        name = name or self.preset_combo.currentText()
        weight = self._weight()
        if name == RANDOM:
            self._seed += 1
            fan_in = values.size if layer.type == "linear" else math.prod(weight.shape[1:])
            new = self._engine_call(kaiming, values.shape, self._seed, fan_in=fan_in)
        else:
            new = self._engine_call(preset_kernel, name, tuple(values.shape))
        return new is not None and self._set_slice(new)

    def normalize(self) -> bool:
        values = self.current_slice()
        new = None if values is None else self._engine_call(normalize_kernel, values)
        return new is not None and self._set_slice(new)

    def flip(self) -> bool:
        values = self.current_slice()
        if values is None:
            return False
        new = self._engine_call(flip_kernel, values, values.ndim)
        return new is not None and self._set_slice(new)

    def zero(self) -> bool:
        values = self.current_slice()
        return values is not None and self._set_slice(np.zeros_like(values))

    def _bias_edited(self) -> None:
        layer, i = self.layer, self.bias_index()
        bias = None if layer is None else self.document.weights.get(layer.name, {}).get("bias")
        if bias is None or i is None:
            return
        text = self.bias_edit.text()
        refusal = weight_refusal(text)
        if refusal is not None:
            self.document.notify("error", f"'{text}' {refusal}: the bias stays as it was")
            self.bias_edit.setText(f"{float(bias[i]):.6g}")
            return
        new = np.array(bias, dtype=np.float32, copy=True)
        new[i] = parse_number(text)
        self.document.set_weights(layer.name, "bias", new)

    def _bars_target(self) -> np.ndarray | None:
        """The 1D kernel the bars show, or None (no bars to drag)."""
        values = self.current_slice()
        return values if values is not None and values.ndim == 1 else None
