"""The document: the single source of the lab's state (house rule 1).

Widgets read the document's properties and change it only through its methods; they never
talk to each other. Undoable edits go through :class:`gui.state.commands.StateCommand` on
``undo_stack``; selection, probe, view settings and the training history are not undoable.

Arrays held by the document are never changed in place (they are made read-only), so the
compute scheduler can hand them to its worker thread without copying, and undo commands
can keep references instead of copies.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from engine.errors import EngineError
from engine.kernels import weight_axes
from engine.spec import INPUT, NetworkSpec
from gui.state.commands import StateCommand
from gui.state.training_history import TrainingHistory, TrainingRun

Weights = dict[str, dict[str, np.ndarray]]

COLORMAPS = ("auto", "diverging", "viridis", "magma", "gray")
"""View colormaps: 'auto' is diverging (blue-white-red, centred on zero) for layers with
negative values and sequential (viridis) for non-negative ones."""


@dataclass(frozen=True)
class Probe:
    """An output position the user hovers or clicked: ``layer`` may be ``"input"``."""

    layer: str
    channel: int
    position: tuple[int, ...]


@dataclass(frozen=True)
class ViewSettings:
    """How maps are drawn; changing them never recomputes the network."""

    colormap: str = "auto"
    shared_levels: bool = False
    show_receptive_field: bool = True


def _network():
    # Imported lazily so that importing the GUI never pays for torch before it is needed.
    from engine import network

    return network


def _frozen(array: np.ndarray) -> np.ndarray:
    # A writeable array may still be changed by whoever passed it: keep our own copy.
    if (
        isinstance(array, np.ndarray)
        and not array.flags.writeable
        and array.dtype == np.float32
        and array.flags.c_contiguous
    ):
        return array
    array = np.array(array, dtype=np.float32, order="C", copy=True)
    array.flags.writeable = False
    return array


def _finite_as_float32(array: Any) -> bool:
    """Whether every value stays finite once stored as float32 (1e39 does not: it is inf)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.all(np.isfinite(np.asarray(array, dtype=np.float32))))


FLOAT32_MAX = float(np.finfo(np.float32).max)


def _dims(array: np.ndarray) -> str:
    return "×".join(str(n) for n in np.shape(array))


def _frozen_weights(weights: Weights) -> Weights:
    return {name: {k: _frozen(v) for k, v in arrays.items()} for name, arrays in weights.items()}


class Document(QObject):
    """The lab's state: input, network spec, weights, selection, probe and view settings.

    Parameters
    ----------
    input:
        float32 array (C, L) or (C, H, W).
    spec:
        The network; its ``input_shape`` follows the input's shape.
    weights:
        Layer name -> {"weight", "bias"}; None draws them with ``init_weights(seed)``.

    Signals
    -------
    inputChanged()
        The input array changed (its values; a new shape also emits ``specChanged``).
    networkChanged(int)
        The spec or any weights changed; recompute from that layer index.
    specChanged()
        The spec or the input's shape changed: ``analysis`` (shapes, counts, errors) is new.
        Views of shapes and counts listen to this, not to ``networkChanged``.
    weightsChanged(str)
        Only that layer's weight arrays changed (spec and analysis did not); emitted after
        ``networkChanged``, once per changed layer. Kernel views update just those values.
    trainingChanged()
        The training history changed (a run was recorded, or a workspace replaced it).
    layerSelected()
        The selected layer changed (its kernel index went back to (0, 0)).
    kernelIndexChanged()
        The kernel shown for the selected layer changed: ``kernel_index`` ``(a, b)`` picks
        ``weight[a, b]``, whose axes :func:`engine.kernels.weight_axes` names ((out, in) for
        a convolution, (in, out) for a transposed one).
    probeChanged()
        The probed value changed (hover or pin); only the formula panel, the maps' readout
        and the receptive field read it. A spec edit emits these after ``specChanged``, so
        views that list layers are already refreshed when the selection moves.
    lessonChanged()
        The lesson's scenes changed (``lesson``: a tuple of :class:`engine.lessons.Scene`).
    viewChanged(), message(level, text)
    """

    inputChanged = Signal()
    networkChanged = Signal(int)
    specChanged = Signal()
    weightsChanged = Signal(str)
    layerSelected = Signal()
    kernelIndexChanged = Signal()
    probeChanged = Signal()
    viewChanged = Signal()
    trainingChanged = Signal()
    lessonChanged = Signal()
    message = Signal(str, str)

    def __init__(
        self,
        input: np.ndarray,
        spec: NetworkSpec,
        weights: Weights | None = None,
        *,
        seed: int = 0,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        problem = self._input_problem(input)
        if problem:
            raise ValueError(problem)
        self._input = _frozen(input)
        self._spec = spec.with_input_shape(self._input.shape)
        if weights is None:
            weights = _network().init_weights(self._spec, self._input.shape, seed=seed)
        self._weights = _frozen_weights(weights)
        self._seed = seed
        self._analysis = _network().analyze(self._spec, self._input.shape)
        self._selected: str | None = None
        self._kernel_index = (0, 0)
        self._probe: Probe | None = None
        self._view = ViewSettings()
        self._training = TrainingHistory()
        self._lesson: tuple = ()  # engine.lessons.Scene, in order
        self._undo_stack = QUndoStack(self)
        # (command, stack index, stack count, macro generation) of the last push: a later edit
        # with its merge key extends that command while nothing else happened since.
        self._last_push: tuple[StateCommand, int, int, int] | None = None
        self._macro_depth = 0
        self._macro_generation = 0

    # ----------------------------------------------------------------- state
    @property
    def input(self) -> np.ndarray:
        return self._input

    @property
    def spec(self) -> NetworkSpec:
        return self._spec

    @property
    def weights(self) -> Weights:
        return self._weights

    @property
    def analysis(self):
        """``engine.network.analyze(spec, input.shape)``, kept current."""
        return self._analysis

    @property
    def dims(self) -> int:
        return self._input.ndim - 1

    @property
    def selected_layer(self) -> str | None:
        return self._selected

    @property
    def kernel_index(self) -> tuple[int, int]:
        return self._kernel_index

    @property
    def probe(self) -> Probe | None:
        return self._probe

    @property
    def view(self) -> ViewSettings:
        return self._view

    @property
    def training(self) -> TrainingHistory:
        """The finished training runs of this workspace (oldest first)."""
        return self._training

    @property
    def lesson(self) -> tuple:
        """The lesson's scenes (:class:`engine.lessons.Scene`), in order."""
        return self._lesson

    @property
    def undo_stack(self) -> QUndoStack:
        return self._undo_stack

    # --------------------------------------------------------- undoable edits
    def set_input(
        self, array: np.ndarray, text: str = "Change input", merge_key: Hashable | None = None
    ) -> bool:
        """Replace the input. A new shape re-fits the weights (what still fits is kept)."""
        problem = self._input_problem(array)
        if problem:
            return self._reject(problem)
        array = _frozen(array)
        before: dict[str, Any] = {"input": self._input}
        after: dict[str, Any] = {"input": array}
        if array.shape != self._input.shape:
            spec = self._spec.with_input_shape(array.shape)
            try:
                weights, redrawn = self._refit(spec, self._weights, array.shape)
            except EngineError as error:
                return self._reject(str(error))
            before.update(spec=self._spec, weights=self._weights)
            after.update(spec=spec, weights=_frozen_weights(weights))
        else:
            redrawn = []
        self._push(before, after, 0, text, merge_key)
        self._report_redrawn(redrawn)
        return True

    def set_network(
        self,
        spec: NetworkSpec,
        weights: Weights | None = None,
        text: str = "Change network",
        merge_key: Hashable | None = None,
        *,
        refit: bool = False,
    ) -> bool:
        """Replace the network; ``weights=None`` keeps every array that still fits.

        ``refit``: ``weights`` are a start (e.g. a duplicated layer's copy); what does not
        fit ``spec`` is drawn afresh, as with ``weights=None``.
        """
        spec = spec.with_input_shape(self._input.shape)
        redrawn: list[str] = []
        try:
            if weights is None or refit:
                start = self._weights if weights is None else weights
                weights, redrawn = self._refit(spec, start, self._input.shape)
            else:
                problem = self._weights_problem(spec, weights)
                if problem:
                    return self._reject(problem)
        except EngineError as error:
            return self._reject(str(error))
        first = self._first_difference(self._spec, spec)
        after = {"spec": spec, "weights": _frozen_weights(weights)}
        self._push({"spec": self._spec, "weights": self._weights}, after, first, text, merge_key)
        self._report_redrawn(redrawn)
        return True

    def load(
        self,
        input: np.ndarray,
        spec: NetworkSpec,
        weights: Weights | None = None,
        text: str = "Load",
    ) -> bool:
        """Replace input, network and weights in one undo step (an example with its preset)."""
        problem = self._input_problem(input)
        if problem:
            return self._reject(problem)
        array = _frozen(input)
        spec = spec.with_input_shape(array.shape)
        try:
            if weights is None:
                weights = _network().reconcile_weights(spec, self._weights, array.shape, self._seed)
            else:
                problem = self._weights_problem(spec, weights)
                if problem:
                    return self._reject(problem)
        except EngineError as error:
            return self._reject(str(error))
        before = {"input": self._input, "spec": self._spec, "weights": self._weights}
        after = {"input": array, "spec": spec, "weights": _frozen_weights(weights)}
        self._push(before, after, 0, text, None)
        return True

    def set_lesson(self, scenes: tuple, text: str = "Change lesson") -> bool:
        """Replace the lesson's scenes (one undo step; the network is not recomputed)."""
        scenes = tuple(scenes)
        if len(scenes) == len(self._lesson) and all(
            a is b for a, b in zip(scenes, self._lesson, strict=True)
        ):
            return True
        self._push({"lesson": self._lesson}, {"lesson": scenes}, 0, text, None)
        return True

    def set_layer_params(
        self, index: int, params: dict[str, Any], merge_key: Hashable | None = None
    ) -> bool:
        """Merge ``params`` into layer ``index``'s params; weights are re-fitted.

        An impossible combination is allowed: the analysis then holds the error at that
        layer and the views show it there.
        """
        if not 0 <= index < len(self._spec.layers):
            return self._reject(f"there is no layer {index + 1}")
        layer = self._spec.layers[index]
        new_layer = layer.with_params(**params)
        spec = self._spec.replace_layer(index, new_layer)
        try:
            weights, redrawn = self._refit(spec, self._weights, self._input.shape)
        except EngineError as error:
            return self._reject(str(error))
        changes = ", ".join(f"{k}={v!r}" for k, v in params.items())
        before = {"spec": self._spec, "weights": self._weights}
        after = {"spec": spec, "weights": _frozen_weights(weights)}
        self._push(before, after, index, f"{layer.name}: {changes}", merge_key)
        self._report_redrawn(redrawn)
        return True

    def set_weights(
        self, layer: str, key: str, array: np.ndarray, merge_key: Hashable | None = None
    ) -> bool:
        """Replace one layer's ``"weight"`` or ``"bias"`` array (same shape, finite)."""
        current = self._weights.get(layer, {}).get(key)
        if current is None:
            return self._reject(f"layer '{layer}' has no {key}")
        array = np.asarray(array)
        if array.shape != current.shape:
            return self._reject(
                f"layer '{layer}': {key} must have shape {current.shape}, got {array.shape}"
            )
        if not np.issubdtype(array.dtype, np.number) or not _finite_as_float32(array):
            return self._reject(
                f"layer '{layer}': {key} values must be finite numbers within "
                f"±{FLOAT32_MAX:.3g} (float32); the {key} stays as it was"
            )
        self._push_weight(layer, key, _frozen(array), f"Edit {layer} {key}", merge_key)
        return True

    def set_kernel_value(
        self, layer: str, index: tuple[int, ...], value: float, merge_key: Hashable | None = None
    ) -> bool:
        """Set one element of ``weights[layer]["weight"]``."""
        current = self._weights.get(layer, {}).get("weight")
        if current is None:
            return self._reject(f"layer '{layer}' has no weights")
        index = tuple(index)
        inside = len(index) == current.ndim and all(
            isinstance(i, int | np.integer) and 0 <= i < n
            for i, n in zip(index, current.shape, strict=True)
        )
        if not inside:
            return self._reject(
                f"layer '{layer}': index {index} is outside the weight shape {current.shape}"
            )
        try:
            value = float(value)
        except (TypeError, ValueError):
            return self._reject(f"layer '{layer}': {value!r} is not a number")
        if not _finite_as_float32(value):
            return self._reject(
                f"layer '{layer}': a weight must be a finite number within ±{FLOAT32_MAX:.3g} "
                f"(float32), not {value:g}; the weight stays as it was"
            )
        array = current.copy()
        array[index] = value
        array.flags.writeable = False
        self._push_weight(layer, "weight", array, f"Edit {layer} weight", merge_key)
        return True

    def begin_stroke(self, text: str) -> None:
        """Start one undo step that holds every edit until :meth:`end_stroke`."""
        self._undo_stack.beginMacro(text)
        self._macro_depth += 1
        self._macro_generation += 1

    def end_stroke(self) -> None:
        self._undo_stack.endMacro()
        self._macro_depth -= 1
        self._macro_generation += 1

    # ----------------------------------------------------- not undoable
    def select_layer(self, name: str | None) -> None:
        if name is not None and name != INPUT and name not in self._spec.names():
            self._reject(f"there is no layer named '{name}'")
            return
        if name == self._selected:
            return
        self._selected = name
        self._kernel_index = (0, 0)
        self.layerSelected.emit()

    def set_kernel_index(self, a: int, b: int) -> None:
        """Show the kernel ``weight[a, b]`` of the selected layer."""
        weight = self._weights.get(self._selected or "", {}).get("weight")
        if weight is None:
            self._reject("select a layer with a kernel first")
            return
        if not (0 <= a < weight.shape[0] and 0 <= b < weight.shape[1]):
            first, second = weight_axes(self._spec.layer(self._selected).type)
            self._reject(
                f"layer '{self._selected}' has kernels for {first}s 0..{weight.shape[0] - 1}"
                f" and {second} 0..{weight.shape[1] - 1}; ({a}, {b}) is outside"
            )
            return
        if (a, b) != self._kernel_index:
            self._kernel_index = (int(a), int(b))
            self.kernelIndexChanged.emit()

    def set_probe(self, probe: Probe | None) -> None:
        if probe == self._probe:
            return
        if probe is not None and not self._probe_fits(probe):
            self._reject(f"{probe.layer}: channel {probe.channel} at {probe.position} is outside")
            return
        self._probe = probe
        self.probeChanged.emit()

    def set_view(self, **changes: Any) -> None:
        known = {f.name for f in fields(ViewSettings)}
        unknown = set(changes) - known
        if unknown:
            self._reject(f"unknown view setting(s): {', '.join(sorted(unknown))}")
            return
        if "colormap" in changes and changes["colormap"] not in COLORMAPS:
            self._reject(f"unknown colormap '{changes['colormap']}'; choose from {COLORMAPS}")
            return
        view = replace(self._view, **changes)
        if view != self._view:
            self._view = view
            self.viewChanged.emit()

    # A run is a record of what happened, not an edit of the lab: undoing a kernel edit
    # must not erase it, and nothing could redo it. So recording is not undoable.
    def record_training(self, run: TrainingRun) -> None:
        """Add a finished run to the training history."""
        self._training = self._training.with_run(run)
        self.trainingChanged.emit()

    def set_training(self, history: TrainingHistory) -> None:
        """Replace the training history (a workspace was opened, or a new one started)."""
        if history != self._training:
            self._training = history
            self.trainingChanged.emit()

    # ------------------------------------------------------------ helpers
    def layer_shape(self, name: str) -> tuple[int, ...] | None:
        """The output shape of ``name`` ("input" allowed) from the analysis, None if unknown."""
        if name == INPUT:
            return tuple(self._input.shape)
        for info in self._analysis.layers:
            if info.name == name:
                return None if info.out_shape is None else tuple(info.out_shape)
        return None

    def probe_fits(self, probe: Probe) -> bool:
        """Whether ``probe`` names a value the current network has (a map still drawn from
        the previous pass may show positions the edited network no longer has)."""
        return self._probe_fits(probe)

    def _probe_fits(self, probe: Probe) -> bool:
        shape = self.layer_shape(probe.layer)
        if shape is None or len(shape) < 2 or len(probe.position) != len(shape) - 1:
            return shape is not None and len(shape) == 1 and probe.position in ((), (0,))
        return 0 <= probe.channel < shape[0] and all(
            0 <= p < n for p, n in zip(probe.position, shape[1:], strict=True)
        )

    @staticmethod
    def _input_problem(array: Any) -> str | None:
        try:
            array = np.asarray(array)
        except Exception:  # noqa: BLE001 - anything unusable is one message
            return "the input is not an array"
        if array.ndim not in (2, 3):
            return f"the input must be (C, L) or (C, H, W); got shape {array.shape}"
        if array.size == 0 or min(array.shape) < 1:
            return f"the input is empty (shape {array.shape})"
        if array.dtype.kind not in "biuf":
            return f"the input must hold real numbers, not {array.dtype}"
        if not _finite_as_float32(array):
            return (
                f"the input holds NaN, infinite or too large values (float32 holds at most "
                f"±{FLOAT32_MAX:.3g})"
            )
        return None

    def _weights_problem(self, spec: NetworkSpec, weights: Weights) -> str | None:
        for name, arrays in weights.items():
            for key, array in arrays.items():
                if not _finite_as_float32(array):
                    return f"layer '{name}': {key} holds NaN or infinite values"
        return None

    @staticmethod
    def _first_difference(old: NetworkSpec, new: NetworkSpec) -> int:
        for i, (a, b) in enumerate(zip(old.layers, new.layers, strict=False)):
            if a != b:
                return i
        return min(len(old.layers), len(new.layers))

    def _refit(
        self, spec: NetworkSpec, weights: Weights, input_shape: tuple[int, ...]
    ) -> tuple[Weights, list[str]]:
        """``reconcile_weights``, and which of the document's arrays it drew afresh because
        their layer's shape changed (e.g. "conv1 4×1×3 → 8×1×3"). A new layer is not among
        them: there was nothing of the user's to replace."""
        fitted = _network().reconcile_weights(spec, weights, input_shape, self._seed)
        redrawn = []
        for name, arrays in fitted.items():
            old = self._weights.get(name, {})
            for key, array in arrays.items():
                if key in old and np.shape(old[key]) != np.shape(array):
                    redrawn.append(f"{name} {_dims(old[key])} → {_dims(array)}")
                    break  # one shape per layer says it ("weight" comes first)
        return fitted, redrawn

    def _report_redrawn(self, redrawn: list[str]) -> None:
        # Hand-edited kernels may have been among them: say so, and how to get them back.
        if len(redrawn) == 1:
            name, shapes = redrawn[0].split(" ", 1)
            text = f"New weights drawn for {name}: its weight shape changed ({shapes})"
        elif redrawn:
            text = f"New weights drawn for layers whose weight shape changed: {', '.join(redrawn)}"
        else:
            return
        self.notify("info", f"{text}. Undo brings the old weights back.")

    def notify(self, level: str, text: str) -> None:
        """Tell the user something ('info', 'warning' or 'error'); the status bar shows it."""
        if level not in ("info", "warning", "error"):
            raise ValueError(f"unknown message level {level!r}")
        self.message.emit(level, text)

    def _reject(self, text: str) -> bool:
        self.notify("error", text)
        return False

    def _push_weight(
        self, layer: str, key: str, array: np.ndarray, text: str, merge_key: Hashable | None
    ) -> None:
        weights = dict(self._weights)
        weights[layer] = {**weights[layer], key: array}
        index = self._spec.index(layer)
        # The key includes the layer so a drag on one kernel never swallows another's edit.
        key_ = None if merge_key is None else ("weights", layer, key, merge_key)
        self._push({"weights": self._weights}, {"weights": weights}, index, text, key_)

    def _push(
        self,
        before: dict[str, Any],
        after: dict[str, Any],
        first_index: int,
        text: str,
        merge_key: Hashable | None,
    ) -> None:
        last = self._mergeable_command(merge_key, after)
        if last is not None:
            last.extend(after, first_index)
            self._apply(after, first_index)  # what the step's redo would now do
            return
        command = StateCommand(self._apply, before, after, first_index, text, merge_key)
        self._undo_stack.push(command)
        stack = self._undo_stack
        self._last_push = (command, stack.index(), stack.count(), self._macro_generation)

    def _mergeable_command(self, merge_key: Hashable | None, after: dict) -> StateCommand | None:
        """The command pushed last, if this edit extends it (as Qt's merge would decide)."""
        if merge_key is None or self._last_push is None:
            return None
        command, index, count, generation = self._last_push
        stack = self._undo_stack
        if (stack.index(), stack.count(), self._macro_generation) != (index, count, generation):
            return None  # something was pushed, undone or begun since
        # Outside a stroke a saved state stays reachable by undo: never extend the step it
        # was saved at (Qt's own merge rule).
        if self._macro_depth == 0 and stack.cleanIndex() == stack.index():
            return None
        return command if command.accepts(merge_key, after) else None

    def _apply(self, state: dict[str, Any], first_index: int) -> None:
        """Install a state (called by undo commands only) and announce what changed."""
        input_changed = "input" in state and state["input"] is not self._input
        shape_changed = input_changed and state["input"].shape != self._input.shape
        old_weights = self._weights
        if "input" in state:
            self._input = state["input"]
        if "spec" in state:
            self._spec = state["spec"]
        if "weights" in state:
            self._weights = state["weights"]
        if "lesson" in state:
            self._lesson = state["lesson"]
            self.lessonChanged.emit()
        spec_changed = "spec" in state or shape_changed
        dropped: list = []
        if spec_changed:
            self._analysis = _network().analyze(self._spec, self._input.shape)
            dropped = self._drop_stale_selection()
        if input_changed:
            self.inputChanged.emit()
        if "spec" in state or "weights" in state:
            # First: the scheduler listens here, and compute is on the critical path.
            self.networkChanged.emit(0 if input_changed else first_index)
        if spec_changed:
            self.specChanged.emit()
        elif "weights" in state:
            for name, arrays in self._weights.items():
                if arrays is not old_weights.get(name):
                    self.weightsChanged.emit(name)
        # Last: a view that follows the selection finds the new spec already shown.
        for signal in dropped:
            signal.emit()

    def _drop_stale_selection(self) -> list:
        """Forget a selection the new spec no longer has; return the signals to emit."""
        dropped = []
        names = set(self._spec.names()) | {INPUT}
        if self._selected is not None and self._selected not in names:
            self._selected, self._kernel_index = None, (0, 0)
            dropped.append(self.layerSelected)
        weight = self._weights.get(self._selected or "", {}).get("weight")
        if weight is not None and weight.ndim >= 2:
            out, in_ = self._kernel_index
            if not (out < weight.shape[0] and in_ < weight.shape[1]):
                self._kernel_index = (0, 0)
                dropped.append(self.kernelIndexChanged)
        if self._probe is not None and not self._probe_fits(self._probe):
            self._probe = None
            dropped.append(self.probeChanged)
        return dropped
