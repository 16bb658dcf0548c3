"""A form generated from ``engine.spec.LAYER_TYPES[type].params`` for the selected layer.

Each change applies live through ``document.set_layer_params(index, {...},
merge_key=(layer, param))``, so a spin-box drag is one undo step. Numeric fields refuse
text that is not a number in range and say so in a message; nothing is clamped silently.
An impossible combination (a kernel larger than the input) is applied: the engine's
analysis then shows the error at the layer.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from engine.spec import LAYER_TYPES, LayerSpec, ParamSpec

AUTO = "auto"  # the special text of an optional size left at its default


class _Refusing:
    """Mixin for spin boxes: report text the validator rejects (once per distinct text)."""

    def validate(self, text: str, pos: int):  # noqa: D401 - Qt's name
        lowered = text.lower()
        if "nan" in lowered or "inf" in lowered:
            # Qt leaves 'nan' Intermediate (reverted without a word on leaving the field)
            result = (QValidator.State.Invalid, text, pos)
        else:
            result = super().validate(text, pos)
        state = result[0] if isinstance(result, tuple) else result
        if state == QValidator.State.Invalid and text != self._last_refused:
            self._last_refused = text
            self.refused.emit(text)
        elif state != QValidator.State.Invalid:
            self._last_refused = None
        return result


class RefusingSpinBox(_Refusing, QSpinBox):
    """A QSpinBox that signals ``refused(text)`` instead of silently ignoring bad typing."""

    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._last_refused: str | None = None


class RefusingDoubleSpinBox(_Refusing, QDoubleSpinBox):
    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._last_refused: str | None = None


def _limits(ps: ParamSpec, lo: float, hi: float) -> tuple[float, float]:
    return (lo if ps.minimum is None else ps.minimum, hi if ps.maximum is None else ps.maximum)


class ParamForm(QWidget):
    """The selected layer's parameters as a form; rebuilt when the layer or its type changes."""

    def __init__(self, document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.editors: dict[str, Any] = {}  # param name -> its editor(s), for tests and refresh
        self._built_for: tuple[str, str, tuple] | None = None
        document.layerSelected.connect(self.refresh)
        document.specChanged.connect(self.refresh)
        self.refresh()

    # ------------------------------------------------------------------ state
    def _layer(self) -> tuple[int, LayerSpec] | None:
        name = self.document.selected_layer
        spec = self.document.spec
        if name is None or name not in spec.names():
            return None
        index = spec.index(name)
        return index, spec.layers[index]

    def refresh(self) -> None:
        found = self._layer()
        if found is None:
            self._clear()
            self._built_for = None
            return
        index, layer = found
        # a tuple value shows per-axis boxes: the shape of the form depends on it
        form_kind = tuple(isinstance(layer.param(k), tuple) for k in LAYER_TYPES[layer.type].params)
        key = (layer.name, layer.type, form_kind)
        if key != self._built_for:
            self._build(index, layer)
            self._built_for = key
        self._load(layer)

    def _clear(self) -> None:
        while self.layout_.rowCount():
            self.layout_.removeRow(0)
        self.editors = {}

    # ------------------------------------------------------------------ build
    def _build(self, index: int, layer: LayerSpec) -> None:
        self._clear()
        params = LAYER_TYPES[layer.type].params
        if not params:
            self.layout_.addRow(QLabel("This layer has no parameters."))
        for key, ps in params.items():
            editor = self._editor(key, ps, layer)
            label = QLabel(key.replace("_", " "))
            label.setToolTip(ps.help)
            self.layout_.addRow(label, editor)

    def _editor(self, key: str, ps: ParamSpec, layer: LayerSpec) -> QWidget:
        value = layer.param(key)
        kind = ps.kind
        if kind == "bool":
            box = QCheckBox()
            box.setToolTip(ps.help)
            box.toggled.connect(lambda on, k=key: self._apply(k, bool(on)))
            self.editors[key] = box
            return box
        if kind == "choice":
            combo = QComboBox()
            combo.addItems(list(ps.choices))
            combo.setToolTip(ps.help)
            combo.currentTextChanged.connect(lambda t, k=key: self._apply(k, t))
            self.editors[key] = combo
            return combo
        if kind == "layer":
            combo = QComboBox()
            combo.setToolTip(ps.help)
            spec = self.document.spec
            here = spec.index(layer.name)
            pools = [lay.name for lay in spec.layers[:here] if lay.type == "max_pool"]
            combo.addItems(pools or ([value] if value else []))
            combo.currentTextChanged.connect(lambda t, k=key: t and self._apply(k, t))
            self.editors[key] = combo
            return combo
        if kind == "float":
            spin = RefusingDoubleSpinBox()
            spin.setKeyboardTracking(False)  # typed values apply on Enter or focus-out
            spin.setDecimals(4)
            spin.setRange(*_limits(ps, -1e6, 1e6))
            spin.setSingleStep(0.01 if ps.maximum is not None and ps.maximum <= 1 else 0.1)
            spin.setToolTip(ps.help)
            spin.valueChanged.connect(lambda v, k=key: self._apply(k, float(v)))
            spin.refused.connect(lambda t, k=key, p=ps: self._refused(k, p, t))
            self.editors[key] = spin
            return spin
        if kind == "int":
            spin = self._int_spin(key, ps)
            spin.valueChanged.connect(lambda v, k=key: self._apply(k, int(v)))
            self.editors[key] = spin
            return spin
        if kind in ("size", "optional_size"):
            return self._size_editor(key, ps, value)
        if kind == "padding":
            return self._padding_editor(key, ps, value)
        raise ValueError(f"no editor for parameter kind {kind!r}")

    def _int_spin(self, key: str, ps: ParamSpec, optional: bool = False) -> RefusingSpinBox:
        spin = RefusingSpinBox()
        spin.setKeyboardTracking(False)  # "12" typed is 12, not 1 then 12 (Enter applies)
        lo, hi = _limits(ps, 0, 1 << 20)
        if optional:  # one below the minimum stands for "default"
            spin.setRange(int(lo) - 1, int(hi))
            spin.setSpecialValueText(AUTO)
        else:
            spin.setRange(int(lo), int(hi))
        spin.setToolTip(ps.help)
        spin.refused.connect(lambda t, k=key, p=ps: self._refused(k, p, t))
        return spin

    def _size_editor(self, key: str, ps: ParamSpec, value) -> QWidget:
        optional = ps.kind == "optional_size"
        axes = len(value) if isinstance(value, tuple) else 1
        spins = [self._int_spin(key, ps, optional) for _ in range(axes)]
        for spin in spins:
            spin.valueChanged.connect(lambda _v, k=key: self._apply_size(k))
        self.editors[key] = spins
        if axes == 1:
            return spins[0]
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        for i, spin in enumerate(spins):
            if i:
                layout.addWidget(QLabel("×"))
            layout.addWidget(spin, 1)
        return row

    def _padding_editor(self, key: str, ps: ParamSpec, value) -> QWidget:
        mode = QComboBox()
        mode.addItems(["P =", "same", "valid"])
        mode.setToolTip("zero padding P on each side, or 'same' / 'valid'")
        axes = len(value) if isinstance(value, tuple) else 1
        spins = [self._int_spin(key, ps) for _ in range(axes)]
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(mode)
        for spin in spins:
            layout.addWidget(spin, 1)
            spin.valueChanged.connect(lambda _v, k=key: self._apply_padding(k))
        mode.currentTextChanged.connect(lambda _t, k=key: self._apply_padding(k))
        self.editors[key] = (mode, spins)
        return row

    # ------------------------------------------------------------------ load
    def _load(self, layer: LayerSpec) -> None:
        """Show the layer's values without applying them back."""
        for key, ps in LAYER_TYPES[layer.type].params.items():
            editor = self.editors.get(key)
            if editor is None:
                continue
            value = layer.param(key)
            widgets = _flatten(editor)
            for w in widgets:
                w.blockSignals(True)
            try:
                if ps.kind == "bool":
                    editor.setChecked(bool(value))
                elif ps.kind in ("choice", "layer"):
                    if editor.findText(str(value)) < 0 and value:
                        editor.addItem(str(value))
                    editor.setCurrentText(str(value))
                elif ps.kind == "float":
                    editor.setValue(float(value))
                elif ps.kind == "int":
                    editor.setValue(int(value))
                elif ps.kind in ("size", "optional_size"):
                    values = value if isinstance(value, tuple) else (value,) * len(editor)
                    for spin, v in zip(editor, values, strict=False):
                        spin.setValue(spin.minimum() if v is None else int(v))
                elif ps.kind == "padding":
                    mode, spins = editor
                    if value in ("same", "valid"):
                        mode.setCurrentText(value)
                    else:
                        mode.setCurrentText("P =")
                        values = value if isinstance(value, tuple) else (value,) * len(spins)
                        for spin, v in zip(spins, values, strict=False):
                            spin.setValue(int(v))
                    for spin in spins:
                        spin.setEnabled(value not in ("same", "valid"))
            finally:
                for w in widgets:
                    w.blockSignals(False)

    # ------------------------------------------------------------------ apply
    def _apply(self, key: str, value: Any) -> None:
        found = self._layer()
        if found is None:
            return
        index, layer = found
        if layer.param(key) == value:
            return
        self.document.set_layer_params(index, {key: value}, merge_key=(layer.name, key))

    def _apply_size(self, key: str) -> None:
        spins = self.editors[key]
        values = [
            None if s.specialValueText() and s.value() == s.minimum() else s.value() for s in spins
        ]
        if len(values) == 1:
            self._apply(key, values[0])
        elif any(v is None for v in values):
            self._apply(key, None)
        else:
            self._apply(key, tuple(values))

    def _apply_padding(self, key: str) -> None:
        mode, spins = self.editors[key]
        for spin in spins:
            spin.setEnabled(mode.currentText() == "P =")
        if mode.currentText() != "P =":
            self._apply(key, mode.currentText())
        elif len(spins) == 1:
            self._apply(key, spins[0].value())
        else:
            self._apply(key, tuple(s.value() for s in spins))

    def _refused(self, key: str, ps: ParamSpec, text: str) -> None:
        found = self._layer()
        where = found[1].name if found else "layer"
        whole = ps.kind != "float"
        lo, hi = _limits(ps, -1e6, 1e6)
        what = "a whole number" if whole else "a number"
        lo_t, hi_t = (int(lo), int(hi)) if whole else (lo, hi)
        self.document.notify(
            "warning",
            f"{where}: {key.replace('_', ' ')} takes {what} from {lo_t} to {hi_t}; "
            f"'{text}' was not accepted",
        )


def _flatten(editor) -> list[QWidget]:
    if isinstance(editor, QWidget):
        return [editor]
    out: list[QWidget] = []
    for item in editor:
        out.extend(_flatten(item))
    return out
