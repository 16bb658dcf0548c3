"""The event-loop stall meter the benchmarks share.

A 5 ms QTimer on the GUI thread records the gap between consecutive ticks: a gap much longer
than the interval is time the event loop could not run (a stall).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QTimer


class GapMeter:
    """Ticks every ``interval_ms`` while started; ``gaps`` are the seconds between ticks.

    ``on_tick`` (optional) is called after each tick is recorded.
    """

    def __init__(self, interval_ms: int = 5, on_tick: Callable[[], None] | None = None):
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self._on_tick = on_tick
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def longest_ms(self) -> float:
        """The longest gap so far in milliseconds (0 before the first tick)."""
        return max(self.gaps, default=0.0) * 1000

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now
        if self._on_tick is not None:
            self._on_tick()
