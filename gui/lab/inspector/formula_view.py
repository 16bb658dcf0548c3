"""The formula panel: the selected layer's formula in the book's notation, with its numbers,
and the arithmetic behind the probed output value (``engine.explain``) from the latest trace.

It only shows what a trace holds: when the newest result is older than the document (a
recompute is on its way) it waits for ``traceReady`` rather than mixing old outputs with new
weights.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.errors import EngineError
from engine.explain import explain, fmt_num, general_formula
from engine.spec import INPUT
from gui.widgets.stable_text import StableText

HINT = "Hover or click a value in the maps to see the arithmetic behind it."


class FormulaView(QWidget):
    def __init__(self, document, scheduler, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.scheduler = scheduler
        self.general = QLabel(self)
        self.general.setWordWrap(True)
        self.general.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where = QLabel()
        self.where.setWordWrap(True)
        # These two change on every edit: they re-lay out the panel only for a new height.
        self.arithmetic = StableText(HINT)
        self.details = StableText()
        self.details.setStyleSheet("color: palette(mid);")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # self.general goes where the inspector puts it (beside the selected layer's figures)
        layout.addWidget(self.where)
        layout.addWidget(self.arithmetic)
        layout.addWidget(self.details)
        self.explanation = None  # the last Explanation shown (for tests and other views)
        self._set_mono_fonts()
        document.layerSelected.connect(self._show_general)
        document.probeChanged.connect(self._show_probe)
        document.specChanged.connect(self._show_general)
        # An edit of the network changes the arithmetic once its trace arrives (traceReady);
        # until then the last arithmetic stays: it is consistent (old weights, old outputs),
        # and flipping to "computing…" and back re-laid out the whole inspector twice per
        # kernel edit, beside the worker computing it (measured: ~5 ms of GUI time).
        scheduler.traceReady.connect(lambda _r: self._show_probe())  # (general: spec only)
        self.refresh()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # e.g. presentation mode's bigger fonts
            self._set_mono_fonts()

    def _set_mono_fonts(self) -> None:
        # A font set on a widget no longer follows the application's: size the fixed-width
        # font like the panel's own text, now and whenever that changes.
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(self.font().pointSizeF())
        self.general.setFont(mono)
        self.arithmetic.setFont(mono)

    def refresh(self) -> None:
        self._show_general()
        self._show_probe()

    def _show_general(self) -> None:
        doc = self.document
        name = doc.selected_layer
        if name is None or name == INPUT or name not in doc.spec.names():
            self.general.setText("")
            self.general.hide()
            return
        try:
            info = doc.analysis.layer(name)
            in_shape = info.input_shapes[0] if info.input_shapes else None
            text = general_formula(doc.spec, name, in_shape, info.out_shape)
        except (EngineError, IndexError) as error:
            text = f"({error})"
        self.general.setText(text)
        self.general.setVisible(bool(text))

    def _show_probe(self) -> None:
        where, arithmetic, details, self.explanation = self._probe_texts()
        # Each text set once: clearing first would change the panel's height and back.
        self.where.setText(where)
        self.arithmetic.setText(arithmetic)
        self.details.setText(details)

    def _probe_texts(self):
        """(where, arithmetic, details, explanation or None) for the document's probe and
        the newest trace."""
        doc, probe = self.document, self.document.probe
        if probe is None or probe.layer == INPUT:
            return "", HINT, "", None
        at = ", ".join(str(p) for p in probe.position) or "—"
        where = f"<b>{probe.layer}</b> · channel {probe.channel} · position ({at})"
        result = self.scheduler.latest
        if result is None or result.generation != self.scheduler.generation:
            return where, "computing…", "", None
        try:
            exp = explain(
                doc.spec, doc.weights, result.trace, probe.layer, probe.channel, probe.position
            )
        except EngineError as error:
            return where, str(error), "", None
        return where, exp.format(), _details(exp), exp


def _details(exp) -> str:
    """One line about the terms: how many, what padding supplied, which position won."""
    n = exp.n_terms
    if exp.kind == "sum":
        padded = sum(t.padded for t in exp.terms)
        text = f"{n} terms"
        if padded:
            text += f", {padded} from padding"
        if exp.bias is not None:
            text += f"; bias β = {fmt_num(exp.bias)}"
        text += f"; sum z = {fmt_num(exp.pre_activation, 6)}"
        if exp.activation:
            text += f"; after {exp.activation} ({exp.activation_layer}): {fmt_num(exp.result, 6)}"
        return text
    if exp.kind == "max" and exp.winner is not None:
        won = exp.terms[exp.winner]
        at = ", ".join(str(p) for p in won.position)
        return f"max of {n} values; the winner (*) is {won.source}[{won.channel}, {at}]"
    if exp.kind == "mean":
        return f"mean of {n} values (zero padding counts)"
    return exp.note
