"""The inspector (right side): the selected layer's parameters, figures, kernel and formula.

The figures (output shape, parameter count, fully connected count, MACs, receptive field,
error) come from ``document.analysis``; the inspector never computes them.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from engine.spec import INPUT, LAYER_TYPES
from gui.lab.inspector.dropout_controls import DropoutControls
from gui.lab.inspector.formula_view import FormulaView
from gui.lab.inspector.kernel_editor import KERNEL_TYPES, KernelEditor
from gui.lab.inspector.param_form import ParamForm
from gui.widgets.themes import set_tone

NO_LAYER = "Select a layer (in the maps or the layer stack) to inspect it."


def shape_text(shape) -> str:
    return "—" if shape is None else "(" + ", ".join(str(s) for s in shape) + ")"


def count_text(n: int) -> str:
    return f"{n:,}".replace(",", "\u2009")  # a thin space groups thousands


class Inspector(QWidget):
    """Shows and edits ``document.selected_layer``."""

    def __init__(self, document, scheduler, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.scheduler = scheduler

        self.title = QLabel(NO_LAYER)
        self.title.setWordWrap(True)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color: palette(mid);")
        self.error_label = QLabel()
        self.error_label.setObjectName("layerError")
        self.error_label.setWordWrap(True)
        set_tone(self.error_label, "error")
        self.error_label.hide()

        self.figures_box = self._build_figures()
        self._build_boxes(document, scheduler)

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(6, 6, 6, 6)
        column.addWidget(self.title)
        column.addWidget(self.description)
        column.addWidget(self.error_label)
        column.addWidget(self.params_box)
        column.addWidget(self.figures_box)
        column.addWidget(self.kernel_box)
        column.addWidget(self.formula_box)
        column.addStretch(1)
        self.body = body
        self.scroll = QScrollArea()
        self.scroll.setWidget(body)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # the main window puts the inspector in a scroll area too (sideways only: this one
        # scrolls the parameters up and down, the hovered value stays)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.scroll, 1)
        pinned = QVBoxLayout()
        pinned.setContentsMargins(6, 0, 6, 6)
        pinned.addWidget(self.hovered_box)
        layout.addLayout(pinned)

        document.layerSelected.connect(self.refresh)
        document.specChanged.connect(self.refresh)  # figures follow the analysis only
        self.refresh()

    def _build_figures(self) -> QGroupBox:
        """The selected layer's shapes and counts, each with its name."""
        self.figures = {
            key: QLabel()
            for key in ("input", "output", "parameters", "fc", "macs", "receptive_field")
        }
        figures_box = QGroupBox("Shape and counts")
        form = QFormLayout(figures_box)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        labels = {
            "input": "input shape",
            "output": "output shape",
            "parameters": "parameters",
            "fc": "FC params",
            "macs": "multiply-adds",
            "receptive_field": "receptive field",
        }
        tips = {
            "fc": "for a layer with weights: the parameters a fully connected layer between the "
            "same input and output sizes would need",
            "receptive_field": "input positions that can affect one output value",
        }
        for key, label in labels.items():
            name = QLabel(label)
            name.setToolTip(tips.get(key, ""))
            self.figures[key].setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(name, self.figures[key])
        return figures_box

    def _build_boxes(self, document, scheduler) -> None:
        """Parameters, weights, the selected layer's formula and the hovered value."""
        self.param_form = ParamForm(document)
        self.params_box = QGroupBox("Parameters")
        params_column = QVBoxLayout(self.params_box)
        self.dropout_controls = DropoutControls(document)
        params_column.addWidget(self.dropout_controls)
        params_column.addWidget(self.param_form)
        self.kernel_editor = KernelEditor(document)
        self.kernel_box = QGroupBox("Weights")
        QVBoxLayout(self.kernel_box).addWidget(self.kernel_editor)
        self.formula_view = FormulaView(document, scheduler)
        # the selected layer's general formula scrolls with its parameters ...
        formula_box = QGroupBox("Formula, selected layer")
        formula_box.setToolTip("the selected layer's formula in the book's notation")
        QVBoxLayout(formula_box).addWidget(self.formula_view.general)
        self.formula_box = formula_box
        # ... the hovered value's arithmetic is pinned below, always in sight
        hovered_box = QGroupBox("Hovered value")
        hovered_box.setObjectName("hoveredValue")
        hovered_box.setToolTip(
            "the arithmetic behind the value under the pointer (or pinned by a click), "
            "in whichever layer it is"
        )
        QVBoxLayout(hovered_box).addWidget(self.formula_view)
        self.hovered_box = hovered_box

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        # as wide as the parameters need (they never scroll sideways in here), as tall as
        # the pinned hovered value and a few rows of the rest. The scroll bar in here takes
        # the place of the main window's (never shown: this is never taller than it), which
        # the window adds to what this needs.
        width = max(self.body.minimumSizeHint().width(), self.hovered_box.minimumSizeHint().width())
        height = self.hovered_box.minimumSizeHint().height() + 120
        return QSize(width, height)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = self.minimumSizeHint()
        return QSize(hint.width(), max(hint.height(), self.body.sizeHint().height()))

    def refresh(self) -> None:
        doc = self.document
        name = doc.selected_layer
        if name is None or name == INPUT or name not in doc.spec.names():
            self.title.setText(NO_LAYER if name != INPUT else "<b>input</b>")
            self.description.setText(
                "" if name != INPUT else f"shape {shape_text(doc.input.shape)}"
            )
            self.error_label.hide()
            for box in (self.params_box, self.figures_box, self.kernel_box, self.formula_box):
                box.hide()
            return
        layer = doc.spec.layer(name)
        kind = LAYER_TYPES[layer.type]
        index = doc.spec.index(name)
        self.title.setText(f"<b>{index + 1}. {name}</b> · {kind.title}")
        # a conv's description is its formula, which the formula box writes out in full
        text = "" if layer.type == "conv" else kind.description
        self.description.setText(text)
        self.description.setVisible(bool(text))
        self.params_box.show()
        self.figures_box.show()
        self.formula_box.show()
        self.kernel_box.setVisible(layer.type in KERNEL_TYPES)
        info = doc.analysis.layer(name)
        self.figures["input"].setText(", ".join(shape_text(s) for s in info.input_shapes) or "—")
        self.figures["output"].setText(shape_text(info.out_shape))
        self.figures["parameters"].setText(count_text(info.parameters))
        # the comparison where it teaches: a layer with weights (see the label's tooltip)
        self.figures["fc"].setText(
            count_text(info.fc_parameters) if info.parameters else "— (no weights to compare)"
        )
        self.figures["macs"].setText(count_text(info.macs))
        rf = info.receptive_field
        self.figures["receptive_field"].setText(
            "—" if rf is None else " × ".join(str(r) for r in rf) + " input positions"
        )
        if info.error is not None:
            self.error_label.setText(str(info.error))
            self.error_label.show()
        else:
            self.error_label.hide()
