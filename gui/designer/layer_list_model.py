"""The layer stack's table model: one row per layer, every figure read from the analysis.

Nothing here computes a shape, a count or a receptive field: the numbers come from
``document.analysis`` (``engine.network.analyze``). Rows can be dragged to a new place; the
drop becomes one undoable ``document.set_network``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QByteArray, QMimeData, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from engine.errors import DependencyError
from engine.spec import LAYER_TYPES, LayerSpec
from gui.widgets.text_format import ERROR_COLOR, fmt_count, fmt_shape

ROW_MIME = "application/x-convscope-layer-row"

COLUMNS = ("#", "Layer", "Type", "Settings", "Output", "Params", "FC params", "MACs", "RF")
COLUMN_TIPS = (
    "position in the network",
    "the layer's name",
    "layer type",
    "the layer's main settings",
    "output shape: (channels, length) or (channels, height, width)",
    "weights + biases of this layer",
    "for layers with weights: the weights + biases a fully connected layer between the same "
    "input and output sizes would need (a convolution shares its few weights across all "
    "positions; a fully connected layer has one per input-output pair). Blank for layers "
    "without weights (activations, pooling), which a fully connected layer would not replace.",
    "multiply-accumulates for one input",
    "receptive field: how many input positions one output position sees (per axis)",
)
ERROR_BACKGROUND = QColor(255, 225, 225)
DEPENDENT_COLOR = QColor(150, 150, 150)  # rows that only fail because an earlier one does
ERROR_TEXT_MAX = 70  # characters of the message shown in the row (all of it in the tooltip)

# The column a row's error text goes to (where the output shape would be).
OUTPUT_COLUMN = COLUMNS.index("Output")
NUMBER_COLUMNS = {COLUMNS.index(c) for c in ("#", "Params", "FC params", "MACs")}


def fmt_rf(rf: Any) -> str:
    """A receptive field (int or per-axis tuple) -> '5' or '5×5'; None -> '—'."""
    if rf is None:
        return "—"
    if isinstance(rf, (tuple, list)):
        return "×".join(str(int(r)) for r in rf) if rf else "—"
    return str(int(rf))


_SHORT = {
    "kernel_size": "K",
    "stride": "S",
    "padding": "P",
    "dilation": "D",
    "groups": "G",
    "output_padding": "OP",
    "factor": "×",
    "scale_factor": "×",
}


def settings_summary(layer: LayerSpec) -> str:
    """A short text of a layer's main settings, e.g. 'K3 S1 P1 → 4 ch'."""
    t = layer.type
    if t in ("conv", "conv_transpose"):
        parts = [
            f"{_SHORT[k]}{_compact(layer.param(k))}"
            for k in ("kernel_size", "stride", "padding", "dilation")
            if not (k in ("stride", "dilation") and layer.param(k) == 1)
        ]
        if layer.param("groups") != 1:
            parts.append(f"G{layer.param('groups')}")
        if t == "conv" and layer.param("padding_mode") != "zeros":
            parts.append(str(layer.param("padding_mode")))
        if t == "conv" and layer.param("flip"):
            parts.append("flipped")
        if not layer.param("bias"):
            parts.append("no bias")
        return " ".join(parts) + f" → {layer.param('out_channels')} ch"
    if t in ("max_pool", "avg_pool"):
        text = f"K{_compact(layer.param('kernel_size'))}"
        if layer.param("stride") is not None:
            text += f" S{_compact(layer.param('stride'))}"
        if layer.param("padding"):
            text += f" P{_compact(layer.param('padding'))}"
        return text
    if t == "subsample":
        return f"every {layer.param('factor')}"
    if t == "upsample":
        return f"×{layer.param('scale_factor')} {layer.param('mode')}"
    if t == "max_unpool":
        return f"of {layer.param('pool') or '?'}"
    if t == "activation":
        f = layer.param("function")
        return f"{f} {layer.param('negative_slope')}" if f == "leaky_relu" else f
    if t == "dropout":
        return f"p={layer.param('p')}"
    if t == "linear":
        return f"→ {layer.param('out_features')}"
    if t in ("add", "concat"):
        return " + ".join(layer.inputs) if layer.inputs else ""
    return ""


def _compact(value: Any) -> str:
    if isinstance(value, str):  # padding 'same' / 'valid'
        return f" {value}"
    if isinstance(value, (tuple, list)):
        return "×".join(str(v) for v in value)
    return str(value)


class LayerListModel(QAbstractTableModel):
    """Rows = the document's layers; columns = :data:`COLUMNS`.

    ``on_move(source_row, target_row)`` is called when a row is dropped (the layer stack turns
    it into one undoable edit); the model itself never edits anything.
    """

    def __init__(self, document, on_move: Callable[[int, int], None] | None = None, parent=None):
        super().__init__(parent)
        self.document = document
        self.on_move = on_move
        self._layers: list[LayerSpec] = []
        self._infos: list[Any] = []
        self.refresh()
        # Shapes and counts change only with the spec or the input's shape, never with
        # weights or input values (a kernel edit must not cost a table reset).
        document.specChanged.connect(self.refresh)

    # ----------------------------------------------------------------- data
    def refresh(self, *_args) -> None:
        """Re-read spec and analysis (a full reset: a network has at most a few dozen rows)."""
        self.beginResetModel()
        self._layers = list(self.document.spec.layers)
        infos = {info.name: info for info in self.document.analysis.layers}
        self._infos = [infos.get(layer.name) for layer in self._layers]
        self.endResetModel()

    def layer_name(self, row: int) -> str:
        return self._layers[row].name

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._layers)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMN_TIPS[section]
        return None

    def error(self, row: int):
        info = self._infos[row]
        return getattr(info, "error", None) if info is not None else None

    def error_text(self, row: int) -> str | None:
        """The engine's whole message for the row's layer, or None."""
        error = self.error(row)
        return None if error is None else str(error)

    def breaks_here(self, row: int) -> bool:
        """True where the network breaks (not merely downstream of a broken layer)."""
        error = self.error(row)
        return error is not None and not isinstance(error, DependencyError)

    def short_error(self, row: int) -> str:
        """The message without the 'layer N 'name': ' the row already shows, shortened."""
        error = self.error(row)
        text = getattr(error, "detail", None) or str(error)
        if len(text) > ERROR_TEXT_MAX:
            text = text[: ERROR_TEXT_MAX - 1].rstrip() + "…"
        return text

    def text(self, row: int, column: int) -> str:
        layer, info = self._layers[row], self._infos[row]
        if column == 0:
            return str(row + 1)
        if column == 1:
            return layer.name
        if column == 2:
            return LAYER_TYPES[layer.type].title if layer.type in LAYER_TYPES else layer.type
        if column == 3:
            return settings_summary(layer)
        if column == OUTPUT_COLUMN and self.error(row) is not None:
            return f"{'⚠ ' if self.breaks_here(row) else ''}{self.short_error(row)}"
        if info is None:
            return "—"
        if column == OUTPUT_COLUMN:
            return fmt_shape(info.out_shape)
        if column == 5:
            return fmt_count(info.parameters)
        if column == 6:
            # the comparison teaches where a layer has weights; a ReLU or a pooling layer
            # would be "replaced" by a huge matrix nobody proposes (the header says so)
            return fmt_count(info.fc_parameters) if info.parameters else ""
        if column == 7:
            return fmt_count(info.macs)
        return fmt_rf(info.receptive_field)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(row, column)
        error = self.error_text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            if error is not None:
                return error
            if column == 2:
                return LAYER_TYPES.get(self._layers[row].type).description or None
            return COLUMN_TIPS[column]
        if role == Qt.ItemDataRole.ForegroundRole and error is not None:
            return QBrush(ERROR_COLOR if self.breaks_here(row) else DEPENDENT_COLOR)
        if role == Qt.ItemDataRole.BackgroundRole and self.breaks_here(row):
            return QBrush(ERROR_BACKGROUND)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMBER_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # ----------------------------------------------------------- drag and drop
    def flags(self, index: QModelIndex):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid():
            return base | Qt.ItemFlag.ItemIsDragEnabled
        return Qt.ItemFlag.ItemIsDropEnabled

    def supportedDropActions(self):  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [ROW_MIME]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        if rows:
            mime.setData(ROW_MIME, QByteArray(str(rows[0]).encode()))
        return mime

    def dropMimeData(self, mime, action, row, column, parent) -> bool:  # noqa: N802
        """Move the dragged layer to ``row`` (a drop between rows) or onto ``parent``'s row.

        Returns False even when it moved: the view must not remove the dragged row itself
        (the document edit has already rebuilt the model).
        """
        if not mime.hasFormat(ROW_MIME) or self.on_move is None:
            return False
        try:
            source = int(bytes(mime.data(ROW_MIME).data()).decode())
        except ValueError:
            return False
        if not 0 <= source < len(self._layers):
            return False
        if row < 0 and parent.isValid():
            target = parent.row()  # dropped onto a row: take its place
        else:
            target = row if row >= 0 else len(self._layers)
            if target > source:  # a gap between rows counts positions before the move
                target -= 1
        if target != source:
            self.on_move(source, target)
        return False
