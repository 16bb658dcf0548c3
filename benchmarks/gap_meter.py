"""The event-loop stall meter the benchmarks share.

A 5 ms QTimer on the GUI thread records the gap between consecutive ticks: a gap much longer
than the interval is time the event loop could not run (a stall).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from PySide6.QtCore import QTimer


class GapMeter:
    """Ticks every ``interval_ms`` while started; ``gaps`` are the seconds between ticks.

    ``on_tick`` (optional) is called after each tick is recorded.

    ``split`` (Linux): each gap is also split by the GUI thread's scheduler counters
    (``/proc/thread-self/schedstat``) into the time it ran on a core, the time it waited for
    a core (the machine's load: other processes) and the rest (blocked: waiting for the GIL
    another thread holds, or idle in the event loop) — see :meth:`longest_split`.
    """

    def __init__(
        self,
        interval_ms: int = 5,
        on_tick: Callable[[], None] | None = None,
        split: bool = False,
    ):
        self.gaps: list[float] = []
        self.splits: list[tuple[float, float]] = []  # (ran, waited for a core) seconds per gap
        self._split = split and os.path.exists(SCHEDSTAT)
        self._sched = (0.0, 0.0)
        self._last = time.perf_counter()
        self._on_tick = on_tick
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        if self._split:
            self._sched = _schedstat()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def longest_ms(self) -> float:
        """The longest gap so far in milliseconds (0 before the first tick)."""
        return max(self.gaps, default=0.0) * 1000

    def longest_split(self) -> tuple[float, float, float, float] | None:
        """The longest gap in ms as (wall, ran on a core, waited for a core, blocked), or
        None without ``split``."""
        if not self._split or not self.gaps:
            return None
        i = max(range(len(self.gaps)), key=self.gaps.__getitem__)
        wall, (ran, queued) = self.gaps[i], self.splits[i]
        return wall * 1000, ran * 1000, queued * 1000, max(0.0, wall - ran - queued) * 1000

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now
        if self._split:
            ran, queued = _schedstat()
            self.splits.append((ran - self._sched[0], queued - self._sched[1]))
            self._sched = (ran, queued)
        if self._on_tick is not None:
            self._on_tick()


SCHEDSTAT = "/proc/thread-self/schedstat"


def _schedstat() -> tuple[float, float]:
    """(seconds this thread ran on a core, seconds it waited in the run queue)."""
    with open(SCHEDSTAT) as f:
        ran, queued, _ = f.read().split()
    return int(ran) / 1e9, int(queued) / 1e9
