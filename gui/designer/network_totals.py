"""The layer stack's footer: the whole network's totals, read from ``document.analysis``."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from engine.errors import DependencyError
from gui.widgets.text_format import fmt_count, fmt_shape
from gui.widgets.themes import colours


def totals_text(analysis) -> str:
    """'Total: 2,050 parameters · fully connected: 59,065 · 66,560 MACs · output 10'."""
    total = analysis.total
    layers = analysis.layers
    errors = [
        info
        for info in layers
        if getattr(info, "error", None) is not None and not isinstance(info.error, DependencyError)
    ]
    blocked = sum(isinstance(getattr(info, "error", None), DependencyError) for info in layers)
    out = next((info.out_shape for info in reversed(layers) if info.out_shape is not None), None)
    text = (
        f"<b>Total: {fmt_count(total.parameters)} parameters</b>"
        f" &nbsp;·&nbsp; a fully connected net of the same sizes: {fmt_count(total.fc_parameters)}"
        f" &nbsp;·&nbsp; {fmt_count(total.macs)} MACs"
    )
    if not layers:
        return "No layers yet: add one with <b>Add layer</b> or load a preset."
    if errors:
        first = errors[0]
        text += (
            f" &nbsp;·&nbsp; <span style='color:{colours().error}'>{len(errors)} layer"
            f"{'s' if len(errors) != 1 else ''} cannot work (first: {first.name})"
            + (f"; {blocked} after it cannot run" if blocked else "")
            + "</span>"
        )
    elif out is not None:
        text += f" &nbsp;·&nbsp; output {fmt_shape(out)}"
    return text


class NetworkTotals(QLabel):
    """A one-line summary of the whole network, kept current with the document."""

    def __init__(self, document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.refresh()
        document.specChanged.connect(self.refresh)  # weights never change the totals

    def refresh(self, *_args) -> None:
        self.setText(totals_text(self.document.analysis))
