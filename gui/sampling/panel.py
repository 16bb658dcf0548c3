"""The sampling lab: every down- and upsampler side by side on the document's input,
checkerboard artefacts, transposed convolution as a matrix, 1×1 channel mixing.

The panel reads the document (input, selected kernel, colormap) and never writes to it
except for messages; every number comes from :mod:`engine.sampling` through the lab's
worker (a :class:`gui.compute.jobs.Jobs`: off the GUI thread, newest request per section
wins). While the tab is hidden nothing is computed; showing it brings every section up to
date.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QComboBox, QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from gui.compute.jobs import Jobs
from gui.sampling import jobs
from gui.sampling.mixing import MixingSection
from gui.sampling.section import spin, wrapping
from gui.sampling.views import CheckerSection, DownSection, MatrixSection, UpSection
from gui.state.document import Document
from gui.widgets.flow_layout import FlowLayout
from gui.widgets.themes import colours

JOBS = ("down", "up", "checker", "matrix", "mixing")
MIXING_PHOTO = "astronaut"  # the RGB photograph when the input has no three channels
MIXING_SIDE = 96
MATRIX_MAX_SIDE = {1: 64, 2: 8}
REGIONS = (None, 64, 32, 16)  # the down and up sections: the whole input or a centre crop
DEFAULT_REGION = 32
MATRIX_START_SIDE = {1: 8, 2: 4}


def selected_kernel(document: Document) -> tuple[np.ndarray | None, str]:
    """(kernel (K,) / (K, K), what it is) of the selected layer's kernel pair, when the
    selected layer is a convolution of the input's dimensionality; else (None, why)."""
    name = document.selected_layer
    weight = document.weights.get(name or "", {}).get("weight")
    layer = next((l for l in document.spec.layers if l.name == name), None)
    if weight is None or layer is None or layer.type != "conv":
        return None, "a 3-tap mean (select a convolution to use its kernel)"
    if weight.ndim - 2 != document.dims:
        return None, "a 3-tap mean (the selected kernel has the wrong dimensionality)"
    out, in_ = document.kernel_index
    return np.array(weight[out, in_]), f"the kernel of '{name}' ({out}, {in_})"


class SamplingPanel(QWidget):
    """The lab. ``drawn(job)`` is emitted after a section drew its newest result."""

    drawn = Signal(str)

    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.worker = Jobs("convscope-sampling", self)
        self.worker.done.connect(self._ready)
        self.worker.failed.connect(self._failed)
        self._dirty: set[str] = set(JOBS)
        self._matrix_dims = 0
        self.down, self.up = DownSection(), UpSection()
        self.checker, self.matrix, self.mixing = CheckerSection(), MatrixSection(), MixingSection()
        self.sections = {
            "down": self.down,
            "up": self.up,
            "checker": self.checker,
            "matrix": self.matrix,
            "mixing": self.mixing,
        }
        self.channel = spin(0, 0, 0, "the channel every map shows")
        self.kernel_text = wrapping()
        self.region = QComboBox()
        self.region.setToolTip("a centre crop makes each sampler's windows big enough to see")
        for side in REGIONS:
            self.region.addItem("the whole input" if side is None else f"its centre {side}", side)
        self.region.setCurrentIndex(REGIONS.index(DEFAULT_REGION))
        self._build_layout()
        self._connect()
        self._apply_side()

    # ---------------------------------------------------------------- layout
    def _build_layout(self) -> None:
        top = QWidget()
        row = FlowLayout(top, spacing=8)
        row.addWidget(QLabel("channel"))
        row.addWidget(self.channel)
        row.addWidget(QLabel("down and up on"))
        row.addWidget(self.region)
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(top)
        column.addWidget(self.kernel_text)
        for section in self.sections.values():
            line = QFrame()
            line.setFrameShape(QFrame.Shape.HLine)
            line.setStyleSheet(f"color: {colours().grid};")
            column.addWidget(line)
            column.addWidget(section)
        column.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidget(body)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)

    def _connect(self) -> None:
        d = self.document
        d.inputChanged.connect(lambda: self.invalidate("down", "up", "mixing"))
        d.specChanged.connect(lambda: self.invalidate(*JOBS))
        d.weightsChanged.connect(lambda _n: self.invalidate("down"))
        d.layerSelected.connect(lambda: self.invalidate("down"))
        d.kernelIndexChanged.connect(lambda: self.invalidate("down"))
        d.viewChanged.connect(lambda: self.invalidate(*JOBS))
        self.channel.valueChanged.connect(lambda _v: self.invalidate("down", "up"))
        self.region.currentIndexChanged.connect(lambda _i: self.invalidate("down", "up"))
        self.down.factor.valueChanged.connect(lambda _v: self.invalidate("down", "up"))
        for box in (self.up.kernel, self.up.stride, self.up.padding, self.up.output_padding):
            box.valueChanged.connect(lambda _v: self.invalidate("up"))
        self.up.source.currentIndexChanged.connect(lambda _i: self.invalidate("up"))
        d.networkChanged.connect(self._network_changed)
        self.checker.kernel.valueChanged.connect(lambda _v: self.invalidate("checker"))
        self.checker.stride.valueChanged.connect(lambda _v: self.invalidate("checker"))
        self.checker.mode.currentIndexChanged.connect(lambda _i: self.invalidate("checker"))
        m = self.matrix
        for box in (m.side, m.channels, m.kernel, m.stride, m.padding):
            box.valueChanged.connect(lambda _v: self.invalidate("matrix"))
        m.kernel_source.currentIndexChanged.connect(lambda _i: self.invalidate("matrix"))
        for signal in (d.layerSelected, d.kernelIndexChanged):
            signal.connect(self._selection_changed)
        d.weightsChanged.connect(lambda _n: self._selection_changed())
        self.mixing.edited.connect(lambda: self.invalidate("mixing"))

    def _selection_changed(self) -> None:
        if self.matrix.kernel_source.currentData() == "selected":
            self.invalidate("matrix")

    def _network_changed(self, _index: int) -> None:
        if self.up.source.currentData() is not None:  # the small map is a layer's output
            self.invalidate("up")

    # ------------------------------------------------------------- requests
    def invalidate(self, *names: str) -> None:
        """Recompute these sections (now if the lab is visible, else when it is shown)."""
        self._dirty.update(names)
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Request every section marked out of date."""
        dirty, self._dirty = self._dirty, set()
        x = self.document.input
        self.channel.setMaximum(max(x.shape[0] - 1, self.channel.maximum()))
        ch_text = f"{x.shape[0]} channel{'s' if x.shape[0] != 1 else ''}"
        kernel, what = selected_kernel(self.document)
        side = self.region.currentData()
        region = "the whole input"
        if side is not None and max(x.shape[1:]) > side:
            region = f"its centre {'×'.join(str(min(side, n)) for n in x.shape[1:])}"
        self.kernel_text.setText(
            f"Input {'×'.join(map(str, x.shape[1:]))} ({ch_text}); down and up show "
            f"{region}. The strided convolution uses {what}."
        )
        if "up" in dirty:
            self.up.set_layers(self._small_map_layers())
        for name in JOBS:
            if name in dirty:
                getattr(self, f"_request_{name}")(x, kernel)

    def _request_down(self, x, kernel) -> None:
        side = self.region.currentData()
        self._request("down", jobs.down, x, self.down.factor.value(), kernel, side)

    def _request_up(self, x, _kernel) -> None:
        u = self.up
        args = (u.kernel.value(), u.stride.value(), u.padding.value(), u.output_padding.value())
        layer = u.source.currentData()
        network = (self.document.spec, self.document.weights) if layer else None
        side = self.region.currentData()
        job = (x, self.down.factor.value(), *args, layer, network, side)
        self._request("up", jobs.up, *job)

    def _small_map_layers(self) -> list[str]:
        """Layers with a map output of the input's dimensionality (the up section's choice)."""
        analysis, dims = self.document.analysis, self.document.dims
        names = []
        for layer in self.document.spec.layers:
            info = analysis.layer(layer.name)
            shape = info.out_shape if info.error is None else None
            if shape is not None and len(shape) == dims + 1:
                names.append(layer.name)
        return names

    def _request_checker(self, _x, _kernel) -> None:
        c = self.checker
        mode = c.mode.currentText()
        self._request(
            "checker", jobs.checker, c.kernel.value(), c.stride.value(), self.document.dims, mode
        )

    def _request_matrix(self, _x, _kernel) -> None:
        m, dims = self.matrix, self.document.dims
        if dims != self._matrix_dims:  # the sizes: up to 64 positions, 8×8 in 2D
            self._matrix_dims = dims
            m.side.blockSignals(True)
            m.side.setMaximum(MATRIX_MAX_SIDE[dims])
            m.side.setValue(MATRIX_START_SIDE[dims])
            m.side.blockSignals(False)
        if m.kernel_source.currentData() == "selected":
            name = self.document.selected_layer
            layer = next((l for l in self.document.spec.layers if l.name == name), None)
            weight = self.document.weights.get(name or "", {}).get("weight")
            if layer is None or weight is None:
                m.show_error("select a convolution (Layers tab) to see its matrix")
                return
            self._request("matrix", jobs.layer_matrix, layer, weight, dims, m.side.value())
            return
        args = (dims, m.side.value(), m.channels.value(), m.kernel.value(), m.stride.value())
        self._request("matrix", jobs.matrix, *args, m.padding.value(), 0)

    def _request_mixing(self, x, _kernel) -> None:
        matrix = self.mixing.matrix()
        if matrix is None:
            return
        image = x if (x.ndim == 3 and x.shape[0] == 3) else None
        self._request("mixing", jobs.mixing_on, image, MIXING_PHOTO, MIXING_SIDE, matrix)

    # -------------------------------------------------------------- results
    def _request(self, job: str, fn, *args) -> int:
        # one pending request per section: a newer one replaces it in its place
        return self.worker.submit(fn, *args, tag=job, token=job)

    def _ready(self, job: str, result) -> None:
        colormap = self.document.view.colormap
        section = self.sections[job]
        section.show_error(None)
        if job == "up":  # a layer's output may have more channels than the input
            small = result.comparison.input
            self.channel.setMaximum(max(self.document.input.shape[0], small.shape[0]) - 1)
        if job in ("down", "up"):
            section.show_result(result, self.channel.value(), colormap)
        elif job == "mixing":
            section.show_result(*result)
        else:
            section.show_result(result, colormap)
        self.drawn.emit(job)

    def _failed(self, job: str, text: str) -> None:
        self.sections[job].show_error(text)
        self.document.notify("error", f"sampling lab: {text}")
        self.drawn.emit(job)

    # ----------------------------------------------------------------- Qt
    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._dirty:
            self.refresh()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.ApplicationFontChange):
            self._apply_side()

    def _apply_side(self) -> None:
        """Map sides follow the font (presentation mode makes them larger)."""
        side = max(150, self.fontMetrics().height() * 10)
        for section in self.sections.values():
            section.set_side(side)

    def shutdown(self) -> None:
        self.worker.shutdown()


def install_sampling_lab(window) -> None:
    """Add the sampling lab as a tab beside the maps (built when first shown)."""

    def build() -> SamplingPanel:
        panel = SamplingPanel(window.document)
        window.destroyed.connect(panel.shutdown)
        return panel

    window.add_lab(
        "Sampling",
        build,
        "Down- and upsampling side by side, checkerboard artefacts, transposed convolution "
        "as a matrix, 1×1 channel mixing",
    )
