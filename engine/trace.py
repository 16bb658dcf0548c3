"""What a forward pass leaves behind: every layer's output, pooling indices and timings."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import EngineError


@dataclass
class Trace:
    """The result of ``engine.network.forward``.

    ``outputs[name]`` is each layer's output as float32, C-contiguous numpy without the batch
    axis (``outputs["input"]`` is the network input). ``indices[name]`` holds a max pool's
    argmax indices (torch's convention: flat index into each channel's spatial input).
    ``seconds[name]`` is the time the layer took. When a layer fails, ``errors[name]`` holds
    the engine's error, and every layer that depends on it is absent from ``outputs``
    and listed in ``skipped``; layers that do not depend on it still run.
    """

    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    indices: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    errors: dict[str, EngineError] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # layer names in the order they ran

    @property
    def ok(self) -> bool:
        return not self.errors and not self.skipped

    def first_error(self) -> EngineError | None:
        return next(iter(self.errors.values()), None)
