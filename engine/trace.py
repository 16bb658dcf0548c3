"""What a forward pass leaves behind: every layer's output, pooling indices and timings."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field

import numpy as np

from .errors import EngineError


class Indices(MutableMapping):
    """Layer name -> array, where an entry may be deferred: computed on first access.

    A max pool's argmax indices cost more than the pool itself and are rarely read (by a
    max unpool, or when someone asks), so ``forward`` stores how to compute them. Reading an
    entry computes it once; ``in``, ``len`` and iteration never compute anything. Safe to
    read from another thread than the one that made the trace (a race computes twice, and
    both get the same array).
    """

    def __init__(self, values: dict[str, np.ndarray] | None = None):
        self._values: dict[str, np.ndarray] = dict(values or {})
        self._deferred: dict[str, Callable[[], np.ndarray]] = {}

    def defer(self, name: str, compute: Callable[[], np.ndarray]) -> None:
        """Store ``compute`` (no arguments, returns the array) for ``name``."""
        self._values.pop(name, None)
        self._deferred[name] = compute

    def computed(self, name: str) -> bool:
        """True when ``name``'s array exists already (reading it costs nothing)."""
        return name in self._values

    def carry(self, other: Mapping, name: str) -> None:
        """Take ``other``'s entry for ``name`` as it is (a deferred one stays deferred)."""
        if isinstance(other, Indices) and name not in other._values:
            self.defer(name, other._deferred[name])
        else:
            self[name] = other[name]

    def __getitem__(self, name: str) -> np.ndarray:
        value = self._values.get(name)
        if value is None:
            value = self._deferred[name]()  # KeyError when there is no such entry
            self._values[name] = value
        return value

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        self._deferred.pop(name, None)
        self._values[name] = value

    def __delitem__(self, name: str) -> None:
        found = self._values.pop(name, None) is not None
        found = self._deferred.pop(name, None) is not None or found
        if not found:
            raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        yield from self._values
        yield from (name for name in list(self._deferred) if name not in self._values)

    def __len__(self) -> int:
        return len(self._values.keys() | self._deferred.keys())

    def __contains__(self, name: object) -> bool:
        return name in self._values or name in self._deferred

    def __repr__(self) -> str:
        return f"Indices({sorted(self)})"


_serials = itertools.count(1)


@dataclass
class Trace:
    """The result of ``engine.network.forward``.

    ``outputs[name]`` is each layer's output as float32, C-contiguous numpy without the batch
    axis (``outputs["input"]`` is the network input). ``indices[name]`` holds a max pool's
    argmax indices (torch's convention: flat index into each channel's spatial input),
    computed on first access (see :class:`Indices`).
    ``seconds[name]`` is the time the layer took. When a layer fails, ``errors[name]`` holds
    the engine's error, and every layer that depends on it is absent from ``outputs``
    and listed in ``skipped``; layers that do not depend on it still run.

    ``serial`` numbers traces (unique in the process). A pass that reused an earlier
    trace sets ``changed_since`` to that trace's serial, and ``changed_channels[name]``
    lists the only channels (axis 0) in which a layer's new output differs from its
    output there (a layer whose output array was reused is not listed: it is the very
    same array). ``params`` and ``weights`` are what each layer ran with (references).
    """

    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    indices: Indices = field(default_factory=Indices)
    seconds: dict[str, float] = field(default_factory=dict)
    errors: dict[str, EngineError] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # layer names in the order they ran
    params: dict[str, dict] = field(default_factory=dict)
    # the layers each layer read (its inputs and indices), as they were in this pass
    deps: dict[str, tuple[str, ...]] = field(default_factory=dict)
    weights: dict[str, dict | None] = field(default_factory=dict)
    changed_channels: dict[str, frozenset[int]] = field(default_factory=dict)
    changed_since: int | None = None
    serial: int = field(default_factory=lambda: next(_serials))

    @property
    def ok(self) -> bool:
        return not self.errors and not self.skipped

    def first_error(self) -> EngineError | None:
        return next(iter(self.errors.values()), None)
