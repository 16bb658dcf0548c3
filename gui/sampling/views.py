"""The sampling lab's sections: each draws what one engine record holds and links hovers.

Down: the input and every downsampler at one factor, one colour range; hovering an output
highlights its source window in the input. Up: the max pool of the input (the small map),
duplicate, max unpool (with where each maximum came from and goes back), bilinear and the
transposed convolution with its live size formula. Checkerboard: a transposed convolution
of a constant input, its overlap count and resize-convolution. Matrix: a convolution and
its transposed convolution as matrices (one is the other's transpose), and the strided
transposed convolution as a stride-1 convolution over a zero-inserted input.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox

from engine import sampling as S
from gui.sampling.jobs import MatrixJob, UpJob
from gui.sampling.section import Section, spin, wrapping

DOWN_CAPTION = (
    "Every downsampler at the same factor on the current input, on one colour scale. "
    "Hover an output: its source window lights up in the input."
)
UP_CAPTION = (
    "Every upsampler on the max pool of the input. Max unpool puts each maximum back where "
    "it came from (blue: those places in the pooled input) and zeros elsewhere. Hover the "
    "small map or an output to see which values meet."
)
UNPOOL_NOTE = (
    "max unpool needs the max pool it undoes: choose the input's max pool or the output of a "
    "max-pool layer whose window is the factor"
)
MATRIX_CAPTION = (
    "With inputs flattened channel-first, a convolution is a sparse matrix C (rows: output "
    "positions, columns: input positions); the transposed convolution with the same kernel "
    "multiplies by Cᵀ (Dumoulin & Visin, §4). Hover a row of C: its output and the inputs "
    "it reads light up in both matrices."
)


def _channel(array: np.ndarray, channel: int) -> np.ndarray:
    return array[min(channel, array.shape[0] - 1)]


def _size(shape) -> str:
    return "×".join(str(s) for s in shape[1:])


class DownSection(Section):
    """Input | subsample | max pool | mean pool | strided conv (| blur pool)."""

    def __init__(self):
        super().__init__("Down: the same factor, side by side", DOWN_CAPTION)
        self.factor = self.control("factor", spin(2, 8, 2, "window = stride = factor"))
        self.plot("input", "input")
        self.result: S.DownComparison | None = None
        self.channel = 0

    def show_result(self, result: S.DownComparison, channel: int, colormap: str) -> None:
        self.result, self.channel = result, channel
        x = result.input
        self.plots["input"].set_title(f"input  {_size(x.shape)}")
        self.plots["input"].set_map(_channel(x, channel), result.levels, colormap)
        self.keep_plots(["input", *(v.name for v in result.views)])
        for view in result.views:
            if view.name not in self.plots:
                p = self.plot(view.name)
                p.hovered.connect(lambda pos, name=view.name: self.hover(name, pos))
            plot = self.plots[view.name]
            plot.set_title(f"{view.title} ×{result.factor}  {view.size_text}")
            plot.set_map(_channel(view.output, channel), result.levels, colormap)
        self.show_error("; ".join(n for n in result.notes if not n.startswith("blur pool")))

    def hover(self, name: str, position) -> None:
        """Highlight the source window of ``position`` of view ``name`` (None clears)."""
        if self.result is None:
            return
        for key, p in self.plots.items():
            if key != "input":
                p.highlight(None)
        if position is None:
            self.plots["input"].highlight(None)
            return
        view = self.result.view(name)
        channel = min(self.channel, view.output.shape[0] - 1)
        self.plots["input"].highlight(view.source_window(tuple(position), channel))
        own = np.zeros(view.output.shape[1:], dtype=bool)
        own[tuple(position)] = True
        self.plots[name].highlight(own)


class UpSection(Section):
    """Small map | pooled input | duplicate | max unpool | bilinear | transposed conv."""

    def __init__(self):
        super().__init__("Up: back to the input's size", UP_CAPTION)
        self.kernel = self.control("kernel K", spin(1, 7, 2, "the transposed convolution's K"))
        self.stride = self.control("stride S", spin(1, 4, 2, "the transposed convolution's S"))
        self.padding = self.control("padding P", spin(0, 6, 0, "the transposed convolution's P"))
        self.output_padding = self.control(
            "output_padding", spin(0, 3, 0, "extra positions at the end; must be < S")
        )
        self.source = self.control("small map", QComboBox())
        self.source.setToolTip("what to upsample: the input's max pool or a layer's output")
        self.source.addItem("max pool of the input", None)
        self.notes = wrapping(name="samplingNotes")
        self.notes.hide()
        self.formula = wrapping(name="samplingFormula")
        self.layout().insertWidget(3, self.formula)
        self.layout().insertWidget(4, self.notes)
        for key, title in (("small", "small map"), ("pool_input", "max pool's input")):
            p = self.plot(key, title)
            p.hovered.connect(lambda pos, k=key: self.hover(k, pos))
        self.result: UpJob | None = None
        self.channel = 0

    def show_result(self, job: UpJob, channel: int, colormap: str) -> None:
        self.result, self.channel = job, channel
        up = job.comparison
        pair = up.unpool
        self.plots["small"].set_title(f"small map: {job.small_source}  {_size(up.input.shape)}")
        self.plots["small"].set_map(_channel(up.input, channel), up.levels, colormap)
        self.keep_plots(["small", "pool_input", *(v.name for v in up.views)])
        self.plots["pool_input"].setVisible(pair is not None)
        notes = [UNPOOL_NOTE if n.startswith("max unpool") else n for n in up.notes]
        self.notes.setText("; ".join(notes))
        self.notes.setVisible(bool(notes))
        if pair is not None:
            self.plots["pool_input"].set_title(
                f"max pool's input  {_size(pair.pool_input.shape)} (blue: the maxima)"
            )
            self.plots["pool_input"].set_map(
                _channel(pair.pool_input, channel), up.levels, colormap
            )
        for view in up.views:
            if view.name not in self.plots:
                p = self.plot(view.name)
                p.hovered.connect(lambda pos, name=view.name: self.hover(name, pos))
            self.plots[view.name].set_title(f"{view.title}  {view.size_text}")
            self.plots[view.name].set_map(_channel(view.output, channel), up.levels, colormap)
        formulas = up.transposed_formula
        if len(set(formulas)) == 1:
            lines = [("each axis: " if len(formulas) > 1 else "") + formulas[0]]
        else:
            lines = [f"axis {i}: {f}" for i, f in enumerate(formulas)]
        self.formula.setText(
            "transposed convolution output size o′ = (i′ − 1)·S − 2P + D·(K − 1) + "
            "output_padding + 1:  " + ";  ".join(lines)
        )
        self.hover(None, None)

    def set_layers(self, names: list[str]) -> None:
        """The layers whose output can be the small map (keeps the choice if it stays)."""
        current = self.source.currentData()
        self.source.blockSignals(True)
        while self.source.count() > 1:
            self.source.removeItem(1)
        for name in names:
            self.source.addItem(f"output of '{name}'", name)
        index = self.source.findData(current) if current is not None else 0
        self.source.setCurrentIndex(max(index, 0))
        self.source.blockSignals(False)

    def _maxima(self) -> np.ndarray | None:
        pair = self.result.comparison.unpool if self.result else None
        if pair is None:
            return None
        return _channel(pair.came_from, self.channel) >= 0

    def hover(self, name: str | None, position) -> None:
        """Link a hovered position: small map -> where its value goes in every output;
        an output -> the small-map values it reads."""
        if self.result is None:
            return
        up = self.result.comparison
        for p in self.plots.values():
            p.highlight(None)
        maxima = self._maxima()
        self.plots["pool_input"].highlight(None, maxima)
        if "max_unpool" in self.plots:
            self.plots["max_unpool"].highlight(None, maxima)
        if position is None or name is None:
            return
        pos = tuple(position)
        if name in ("small", "pool_input"):
            small = self._small_position(name, pos)
            if small is None:
                return
            self._from_small(small, maxima)
            return
        view = up.view(name)
        channel = min(self.channel, view.output.shape[0] - 1)
        own = np.zeros(view.output.shape[1:], dtype=bool)
        own[pos] = True
        self.plots[name].highlight(own, maxima if name == "max_unpool" else None)
        self.plots["small"].highlight(view.source_window(pos, channel))

    def _small_position(self, name: str, pos: tuple[int, ...]):
        pair = self.result.comparison.unpool
        if name == "small":
            return pos
        if pair is None:
            return None
        flat = int(_channel(pair.came_from, self.channel)[pos])
        if flat < 0:
            return None
        return tuple(int(i) for i in np.unravel_index(flat, pair.pooled.shape[1:]))

    def _from_small(self, small: tuple[int, ...], maxima) -> None:
        """Small-map position ``small``: every output position that reads it."""
        up = self.result.comparison
        mask = np.zeros(up.input.shape[1:], dtype=bool)
        mask[small] = True
        self.plots["small"].highlight(mask)
        for view in up.views:
            reads = view.target_window(small, min(self.channel, view.output.shape[0] - 1))
            paired = maxima if view.name == "max_unpool" else None
            self.plots[view.name].highlight(reads, paired)
        pair = up.unpool
        if pair is not None:
            src = np.zeros(pair.pool_input.shape[1:], dtype=bool)
            src[tuple(_channel(pair.sources, self.channel)[small])] = True
            self.plots["pool_input"].highlight(src, maxima)


class CheckerSection(Section):
    """Transposed conv of a constant input | its overlap count | resize-convolution."""

    def __init__(self):
        super().__init__(
            "Checkerboard artefacts (Odena, Dumoulin & Olah, Distill 2016)", S.CHECKERBOARD_RULE
        )
        self.kernel = self.control("kernel K", spin(1, 7, 3, "kernel size of both"))
        self.stride = self.control("stride S", spin(1, 5, 2, "stride = resize factor"))
        self.mode = self.control("resize", QComboBox())
        self.mode.addItems(["nearest", "bilinear"])
        self.plot("transposed", "transposed conv of ones")
        self.plot("overlap", "overlap count")
        self.plot("resized", "resize-convolution of ones")
        self.result: S.Checkerboard | None = None

    def show_result(self, result: S.Checkerboard, colormap: str) -> None:
        self.result = result
        t = result.transposed[0]
        self.plots["transposed"].set_title(
            f"transposed conv (K {result.kernel_size}, S {result.stride}) of ones  "
            f"{'×'.join(map(str, t.shape))}"
        )
        self.plots["transposed"].set_map(t, (0.0, float(t.max())), colormap)
        o = result.overlap
        self.plots["overlap"].set_title(
            f"overlap count (taps per output): {'even' if result.even else 'uneven'}"
        )
        self.plots["overlap"].set_map(o.astype(np.float32), (0.0, float(o.max())), colormap)
        r = result.resized[0]
        self.plots["resized"].set_title(
            f"resize-convolution ({result.resize_mode} ×{result.stride}, then conv K "
            f"{result.kernel_size}): {'even' if result.resize_even else 'uneven'}"
        )
        self.plots["resized"].set_map(r, (0.0, float(r.max())), colormap)
        self.caption.setText(result.caption)


class MatrixSection(Section):
    """C (conv) | Cᵀ (transposed conv) | zero insertion, for a small input."""

    def __init__(self):
        super().__init__("Transposed convolution as a matrix", MATRIX_CAPTION)
        self._side = 200
        self.result: MatrixJob | None = None
        self.side = self.control("input size", spin(2, 64, 8, "positions per axis (2D: ≤ 8)"))
        self.channels = self.control("channels", spin(1, 3, 1, "input = output channels"))
        self.kernel = self.control("kernel K", spin(1, 5, 3, "kernel size"))
        self.stride = self.control("stride S", spin(1, 4, 2, "stride"))
        self.padding = self.control("padding P", spin(0, 3, 1, "zero padding"))
        self.kernel_source = self.control("weights", QComboBox())
        self.kernel_source.addItem("random (K, S, P above)", None)
        self.kernel_source.addItem("the selected convolution's", "selected")
        self.kernel_source.setToolTip(
            "random weights in tenths with the K, S, P above, or the selected layer's own "
            "weights, stride, padding, dilation and groups"
        )
        self.readout = wrapping(name="samplingReadout")
        self.insertion_text = wrapping(name="samplingFormula")
        self.plot("conv", "C: convolution")
        self.plot("transposed", "Cᵀ: transposed convolution")
        self.layout().addWidget(self.readout)
        self.layout().addWidget(self.insertion_text)
        self.insertion = Section("", "")
        self.insertion.heading.hide()
        self.insertion.caption.hide()
        for key, title in (
            ("y", "input of the transposed conv"),
            ("padded", "zeros inserted, padded"),
            ("convolved", "stride-1 conv of that"),
            ("direct", "transposed conv"),
        ):
            self.insertion.plot(key, title)
        self.layout().addWidget(self.insertion)
        self.plots["conv"].hovered.connect(self.hover_row)
        self.plots["transposed"].hovered.connect(self.hover_column)
        self.result: MatrixJob | None = None
        self._texts: list[pg.TextItem] = []

    def set_side(self, side: int) -> None:
        self._side = side
        self.insertion.set_side(side)
        if self.result is None:
            super().set_side(int(side * 1.5))
            return
        for key, m in (
            ("conv", self.result.pair.conv),
            ("transposed", self.result.pair.transposed),
        ):
            self.plots[key].fit_box(m.matrix.shape, int(side * 1.9), int(side * 1.5))

    def show_result(self, job: MatrixJob, colormap: str) -> None:
        self.result = job
        c, t = job.pair.conv, job.pair.transposed
        bound = float(max(np.abs(c.matrix).max(), 1e-9))
        self.plots["conv"].set_title(
            f"C: conv {_shape(c.input_shape)} → {_shape(c.output_shape)}, "
            f"{c.matrix.shape[0]}×{c.matrix.shape[1]}"
        )
        self.plots["conv"].set_map(c.matrix, (-bound, bound), colormap)
        self.plots["transposed"].set_title(
            f"Cᵀ: transposed conv {_shape(t.input_shape)} → {_shape(t.output_shape)}, "
            f"{t.matrix.shape[0]}×{t.matrix.shape[1]}; equals Cᵀ: "
            f"{'yes' if np.array_equal(t.matrix, c.matrix.T) else 'NO'}"
        )
        self.plots["transposed"].set_map(t.matrix, (-bound, bound), colormap)
        for key, m in (("conv", c.matrix), ("transposed", t.matrix)):
            self.plots[key].fit_box(m.shape, int(self._side * 1.9), int(self._side * 1.5))
        self._numbers(self.plots["conv"], c.matrix)
        self._numbers(self.plots["transposed"], t.matrix)
        self._show_insertion(job, colormap)
        self.readout.setText("Hover a row of C.")

    def _show_insertion(self, job: MatrixJob, colormap: str) -> None:
        z = job.insertion
        lo = float(min(z.padded.min(), z.transposed.min(), z.convolved.min()))
        hi = float(max(z.padded.max(), z.transposed.max(), z.convolved.max()))
        levels = (min(lo, -hi), max(hi, -lo))
        for key, array in (
            ("y", z.input),
            ("padded", z.padded),
            ("convolved", z.convolved),
            ("direct", z.transposed),
        ):
            plot = self.insertion.plots[key]
            base = plot.title.text().split("  ")[0]
            plot.set_title(f"{base}  {_size(array.shape)}")
            plot.set_map(array[0], levels, colormap)
        self.insertion_text.setText(
            f"Strided transposed convolution = stride-1 convolution over the input with S − 1 "
            f"zeros inserted: {_unique_axes(z.text)}; largest difference {z.max_difference:.1e}."
        )

    def _numbers(self, plot, matrix: np.ndarray) -> None:
        for item in [t for t in self._texts if t.getViewBox() is plot.view]:
            plot.view.removeItem(item)
            self._texts.remove(item)
        rows, cols = matrix.shape
        cell = min(plot.canvas.width() / max(cols, 1), plot.canvas.height() / max(rows, 1))
        if rows * cols > 400 or cell < 22:
            return  # numbers only when they fit their cells
        font = QFont()
        font.setPixelSize(max(8, int(cell * 0.36)))
        bound = float(np.abs(matrix).max()) or 1.0
        for (r, col), v in np.ndenumerate(matrix):
            if v == 0:
                continue
            ink = (250, 250, 250) if abs(v) > 0.55 * bound else (20, 20, 20)
            text = pg.TextItem(f"{v:g}", color=ink, anchor=(0.5, 0.5))
            text.setFont(font)
            text.setPos(col + 0.5, r + 0.5)
            plot.view.addItem(text)
            self._texts.append(text)

    def hover_row(self, position) -> None:
        if self.result is None:
            return
        c = self.result.pair.conv
        if position is None:
            self.plots["conv"].highlight(None)
            self.plots["transposed"].highlight(None)
            return
        row = int(position[0])
        reads = c.row_reads(row)
        self._mark(row, reads.columns)
        inputs = ", ".join(str(i) for i in reads.inputs)
        self.readout.setText(
            f"row {row} = output {reads.output} (channel, position) reads inputs {inputs} "
            f"with weights {', '.join(f'{w:g}' for w in reads.weights)}; in Cᵀ it is "
            f"column {row}: input {reads.output} of the transposed conv feeds those positions."
        )

    def hover_column(self, position) -> None:
        if self.result is None or position is None:
            self.hover_row(None)
            return
        self.hover_row((int(position[1]),))

    def _mark(self, row: int, columns: np.ndarray) -> None:
        c = self.result.pair.conv.matrix
        band = np.zeros(c.shape, dtype=bool)
        band[row] = True
        cells = np.zeros(c.shape, dtype=bool)
        cells[row, columns] = True
        self.plots["conv"].highlight(cells, band & ~cells)
        self.plots["transposed"].highlight(cells.T, (band & ~cells).T)


def _shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _unique_axes(text: str) -> str:
    """One per-axis clause when every axis says the same (a square 2D case)."""
    parts = text.split("; ")
    return parts[0] if len(set(parts)) == 1 else text
