"""The step-through panel: the selected layer's steps (``engine.stepthrough``) with play,
pause, step back and forward, a speed from 0.25 to 8 steps/s, a scrub slider, a click on an
output cell (an input cell for a transposed convolution) to jump, and the keys Space,
←/→ and Home/End.

It reads the document's selected layer and the scheduler's newest trace, and waits for
``traceReady`` while a recompute is on its way. An edit keeps the current step where it
still exists (:func:`engine.stepthrough.carry_step`).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.errors import EngineError
from engine.explain import fmt_num
from engine.spec import INPUT
from engine.stepthrough import STEPPABLE, build_plan, carry_step
from gui.compute.jobs import Jobs
from gui.state.document import STEP_THROUGH_VIEW
from gui.stepthrough.step_canvas import StepCanvas
from gui.widgets.stable_text import StableText
from gui.widgets.themes import set_tone

TITLE = STEP_THROUGH_VIEW
TIP = "The selected layer's kernel sliding over its input, step by step, forward and back"
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)  # steps per second
DEFAULT_SPEED = 2.0
ARITHMETIC_SCALE = 1.45  # the arithmetic's font, relative to the panel's
AHEAD = 4  # steps made off the GUI thread ahead of a playing step (1 when paused)


class StepPanel(QWidget):
    """The view; ``stepChanged(index)`` after every move."""

    stepChanged = Signal(int)

    def __init__(self, document, scheduler, parent: QWidget | None = None):
        super().__init__(parent)
        self.document, self.scheduler = document, scheduler
        self.plan = None
        self.index = 0
        self._wanted: int | None = None  # a step asked for before its plan was built
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        # the next steps are made on a worker after each paint: a played step only reads them
        self._prefetch = Jobs("stepthrough-steps", self, linger_s=2.0)
        self._build()
        self.set_speed(DEFAULT_SPEED)
        document.layerSelected.connect(self.refresh)
        document.specChanged.connect(self.refresh)
        document.kernelIndexChanged.connect(self.refresh)
        scheduler.traceReady.connect(lambda _r: self.refresh())
        self.refresh()

    # ---------------------------------------------------------------- building
    def _build(self) -> None:
        self.heading = QLabel()
        self.heading.setObjectName("layerTitle")
        self.channel_box = QSpinBox()
        self.channel_box.setPrefix("output channel ")
        self.channel_box.valueChanged.connect(lambda _v: self.refresh())
        self.shown_box = QSpinBox()
        self.shown_box.setPrefix("input channel ")
        self.shown_box.valueChanged.connect(lambda _v: self.refresh())
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.channel_box)
        top.addWidget(self.shown_box)

        self.canvas = StepCanvas()
        self.canvas.cellClicked.connect(self._jump_to_cell)
        self.canvas.painted.connect(self._make_next_steps)
        # These change on every step: they re-lay out the panel only for a new height.
        self.arithmetic = StableText()
        self.running = StableText()
        set_tone(self.running, "readout")  # the yellow numbers, in every theme

        self.home_button = self._button("|◀", "first step (Home)", lambda: self.go(0))
        self.back_button = self._button("◀ Back", "step back (←)", self.step_back)
        self.play_button = self._button("▶ Play", "play / pause (Space)", self.toggle_play)
        self.forward_button = self._button("Forward ▶", "step forward (→)", self.step_forward)
        self.end_button = self._button("▶|", "last step (End)", self.go_end)
        self.speed_box = QComboBox()
        self.speed_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for s in SPEEDS:
            self.speed_box.addItem(f"{fmt_num(s)} steps/s", s)
        self.speed_box.currentIndexChanged.connect(
            lambda i: self.set_speed(float(self.speed_box.itemData(i)))
        )
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.valueChanged.connect(self.go)
        self.counter = QLabel()  # of a fixed size (_fit_counter)
        self.counter.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        controls = QHBoxLayout()
        for w in (
            self.home_button,
            self.back_button,
            self.play_button,
            self.forward_button,
            self.end_button,
            self.speed_box,
        ):
            controls.addWidget(w)
        controls.addStretch(1)
        controls.addWidget(self.counter)
        scrub = QHBoxLayout()
        scrub.addWidget(self.slider)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.arithmetic)
        layout.addWidget(self.running)
        layout.addLayout(controls)
        layout.addLayout(scrub)
        self.controls = [
            self.home_button,
            self.back_button,
            self.play_button,
            self.forward_button,
            self.end_button,
            self.speed_box,
            self.slider,
            self.counter,
            self.channel_box,
            self.shown_box,
        ]
        self._set_fonts()

    def set_controls_visible(self, on: bool) -> None:
        """Show or hide the buttons, slider and channel boxes (a frame for slides has none)."""
        for widget in self.controls:
            widget.setVisible(on)

    def _button(self, text: str, tip: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the panel
        button.clicked.connect(slot)
        return button

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.ApplicationFontChange):
            self._set_fonts()

    def _set_fonts(self) -> None:
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(self.font().pointSizeF() * ARITHMETIC_SCALE)
        mono.setBold(True)
        self.arithmetic.setFont(mono)
        self.canvas.setFont(self.font())
        self._fit_counter()

    def _fit_counter(self) -> None:
        """The counter as wide as its widest text ("N / N"): a QLabel of fixed size does not
        invalidate the panel's layout on every step (one of the costs of a played step)."""
        n = self.plan.count if self.plan is not None else 0
        metrics = self.counter.fontMetrics()
        text = f"{max(n, 1)} / {max(n, 1)}"
        width = metrics.horizontalAdvance(text) + metrics.horizontalAdvance("0")
        size = QSize(width, self.counter.sizeHint().height())
        if self.counter.minimumSize() != size or self.counter.maximumSize() != size:
            self.counter.setFixedSize(size)

    # ---------------------------------------------------------------- the plan
    def refresh(self) -> None:
        """Rebuild the plan from the newest trace (keeping the step where it still exists)."""
        doc = self.document
        name = doc.selected_layer
        if name is None or name == INPUT or name not in doc.spec.names():
            return self._show_problem(
                "Select a layer (convolution, pooling, upsampling, "
                "transposed convolution) to step through it."
            )
        kind = doc.spec.layer(name).type
        if kind not in STEPPABLE:
            return self._show_problem(
                f"'{name}' is a {kind} layer: step-through shows "
                "convolutions, pools, sub- and upsampling."
            )
        result = self.scheduler.latest
        if result is None or result.generation != self.scheduler.generation:
            self.heading.setText(f"{name} · computing…")
            return None
        shape = doc.layer_shape(name)
        channels = shape[0] if shape else 1
        self._set_range(self.channel_box, channels, doc.kernel_index[0])
        try:
            plan = build_plan(
                doc.spec,
                doc.weights,
                result.trace,
                name,
                min(self.channel_box.value(), channels - 1),
            )
        except EngineError as error:
            return self._show_problem(str(error))
        inputs = plan.input_channels() or (0,)
        self._set_range(self.shown_box, len(inputs), self.shown_box.value())
        self.index = carry_step(self.plan, self.index, plan)
        if self._wanted is not None:  # a lesson's scene asked for this step
            self.index, self._wanted = min(self._wanted, max(plan.count - 1, 0)), None
        self.plan = plan
        what = "input position" if plan.kind == "scatter" else "output position"
        self.heading.setText(f"{name} · {kind} · {plan.count} steps, one per {what}")
        self.canvas.set_plan(plan, inputs[min(self.shown_box.value(), len(inputs) - 1)])
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(plan.count - 1, 0))
        self.slider.blockSignals(False)
        self._fit_counter()
        self._show_step()
        return None

    @staticmethod
    def _set_range(box: QSpinBox, n: int, value: int) -> None:
        box.blockSignals(True)
        box.setRange(0, max(n - 1, 0))
        box.setValue(min(max(value, 0), max(n - 1, 0)))
        box.setVisible(n > 1)
        box.blockSignals(False)

    def _show_problem(self, text: str) -> None:
        self.pause()
        self.plan = None
        self.heading.setText(text)
        self.canvas.set_plan(None, 0)
        self.arithmetic.setText("")
        self.running.setText("")
        self.counter.setText("")

    # ---------------------------------------------------------------- moving
    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    @property
    def speed(self) -> float:
        return 1000.0 / self.timer.interval()

    def set_speed(self, steps_per_second: float) -> None:
        s = min(max(float(steps_per_second), SPEEDS[0]), SPEEDS[-1])
        self.timer.setInterval(round(1000.0 / s))
        i = self.speed_box.findData(s)
        if i >= 0 and i != self.speed_box.currentIndex():
            self.speed_box.blockSignals(True)
            self.speed_box.setCurrentIndex(i)
            self.speed_box.blockSignals(False)

    def go(self, index: int) -> None:
        if self.plan is None or self.plan.count == 0:
            return
        index = min(max(int(index), 0), self.plan.count - 1)
        if index != self.index:
            self.index = index
            self._show_step()

    def request_step(self, index: int) -> None:
        """Show step ``index`` (a lesson's scene): now, or once the plan of the newest trace
        is built (after an edit the current plan is about to be replaced)."""
        result = self.scheduler.latest
        if (
            self.plan is not None
            and result is not None
            and (result.generation == self.scheduler.generation)
        ):
            self._wanted = None
            self.go(index)
        else:
            self._wanted = int(index)

    def go_end(self) -> None:
        if self.plan is not None:
            self.go(self.plan.count - 1)

    def step_forward(self) -> None:
        self.go(self.index + 1)

    def step_back(self) -> None:
        self.go(self.index - 1)

    def play(self) -> None:
        if self.plan is None:
            return
        if self.index >= self.plan.count - 1:
            self.go(0)  # play from the start again
        self.timer.start()
        self.play_button.setText("❚❚ Pause")

    def pause(self) -> None:
        self.timer.stop()
        self.play_button.setText("▶ Play")

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def _tick(self) -> None:
        if self.plan is None or self.index >= self.plan.count - 1:
            self.pause()
            return
        self.step_forward()

    def _jump_to_cell(self, position: tuple) -> None:
        if self.plan is not None:
            found = self.plan.index_of(position)
            if found is not None:
                self.go(found)
        self.setFocus()

    def _make_next_steps(self) -> None:
        """After a paint: the steps the next moves will show, made on the worker (the step
        before too when paused: ← is as quick as →)."""
        plan = self.plan
        if plan is None:
            return
        ahead = AHEAD if self.playing else 1
        wanted = [
            i
            for i in (*range(self.index + 1, self.index + 1 + ahead), self.index - 1)
            if 0 <= i < plan.count and not plan.has_step(i)
        ]
        tiles = self.canvas.tile_work()
        if wanted or tiles is not None:
            self._prefetch.submit(_make_steps, plan, wanted, tiles, tag="next")

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        keys = {
            Qt.Key.Key_Space: self.toggle_play,
            Qt.Key.Key_Right: self.step_forward,
            Qt.Key.Key_Left: self.step_back,
            Qt.Key.Key_Home: lambda: self.go(0),
            Qt.Key.Key_End: self.go_end,
        }
        action = keys.get(Qt.Key(event.key()))
        if action is None:
            super().keyPressEvent(event)
            return
        action()
        event.accept()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.setFocus()
        super().mousePressEvent(event)

    def _show_step(self) -> None:
        plan = self.plan
        step = plan.step(self.index)
        self.canvas.set_index(self.index)
        self.arithmetic.setText(step.text)
        self.running.setText(_running_text(step))
        self.counter.setText(f"{self.index + 1} / {plan.count}")
        self.slider.blockSignals(True)
        self.slider.setValue(self.index)
        self.slider.blockSignals(False)
        self.stepChanged.emit(self.index)


def _make_steps(plan, indices, tiles=None) -> None:
    """On the worker: make the steps (kept in the plan; a step that cannot be made waits
    for the GUI thread to say why), then the canvas's tiles around the shown ones."""
    for i in indices:
        try:
            plan.step(i)
        except EngineError:
            break
    if tiles is not None:
        tiles()


def _running_text(step) -> str:
    """The running result along the taps: 'running sum: 0.1 → 0.7 → … → 1.3'."""
    if step.kind == "scatter":
        kept = sum(not t.cropped for t in step.targets)
        cropped = len(step.targets) - kept
        text = f"{kept} products land in the output"
        if cropped:
            text += f", {cropped} fall on the cropped border"
        return text
    name = {"sum": "running sum", "max": "running max", "mean": "running sum", "copy": "copied"}[
        step.combine
    ]
    running = [t.running for t in step.taps]
    if step.combine == "sum" and step.bias is not None:
        running.insert(0, step.bias)
    values = [fmt_num(v) for v in (running if len(running) <= 8 else running[:6])]
    if len(running) > 8:
        values += ["…", fmt_num(running[-1])]
    text = f"{name}: {' → '.join(values)}"
    if step.combine == "mean":
        text += f"; ÷ {len(step.taps)} = {fmt_num(step.value)}"
    return text + f";  output = {fmt_num(step.value)}"


def install_stepthrough(window) -> None:
    """Add the Step through tab beside the maps (built the first time it is shown)."""

    def build() -> QWidget:
        panel = StepPanel(window.document, window.scheduler)
        window.stepthrough_panel = panel
        return panel

    window.add_lab(TITLE, build, TIP)
    # "Step through" in the inspector and the maps' menu: a request through the document
    window.document.viewRequested.connect(
        lambda view: window.show_lab(TITLE) if view == TITLE else None
    )
