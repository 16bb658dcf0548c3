"""The GUI thread's CPU time per handler, for benchmarks on a loaded machine.

Wall-clock gaps (GapMeter) grow when other processes take the cores; the GUI thread's own CPU
time (``time.thread_time``) does not. ``HandlerCpu`` is a profiler (``sys.setprofile``, which
only ever sees the thread that installed it: the GUI thread) that times every Python call
made from C — what the event loop calls: a slot, a timer handler, an event or paint override —
and keeps, per handler (``module.qualname``), the count, the total and the longest CPU time, and
the longest wall time. Python code called back from C inside a handler (a slot of a signal
the handler emits, a paint override inside ``sendPostedEvents``) is a handler of its own as
well, and its time is also counted in the handler around it. ``skip`` names (the benchmark's
own timers) are not listed; what they call back is.

The profiler costs time of its own (a Python call per Python and C call), so its figures are
upper bounds; benchmarks run it only when asked (``--cpu``), and say so.

    cpu = HandlerCpu(skip=("benchmarks.",)); cpu.start(); ...event loop...; cpu.stop()
    print(cpu.report())
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass


@dataclass
class HandlerStat:
    count: int = 0
    total_ms: float = 0.0
    longest_ms: float = 0.0
    longest_wall_ms: float = 0.0


class HandlerCpu:
    """Per-handler CPU time of the GUI thread while started (see the module docstring)."""

    def __init__(self, skip: tuple[str, ...] = ("benchmarks.",)):
        self.stats: dict[str, HandlerStat] = {}
        self._skip = skip
        self._depth = 0
        self._c: list[int] = []
        self._open: list[tuple[int, str, float, float]] = []

    def start(self) -> None:
        self._depth = 0
        self._c: list[int] = []  # the depths of the open C calls
        self._open: list[tuple[int, str, float, float]] = []  # the running handlers
        sys.setprofile(self._profile)

    def stop(self) -> None:
        sys.setprofile(None)

    def _profile(self, frame, event, _arg) -> None:
        if event == "c_call":
            self._c.append(self._depth)
        elif event == "call":
            self._depth += 1
            if self._c and self._c[-1] == self._depth - 1:  # called back from C
                code = frame.f_code
                module = frame.f_globals.get("__name__", "?")
                name = f"{module}.{getattr(code, 'co_qualname', code.co_name)}"
                self._open.append((self._depth, name, time.thread_time(), time.perf_counter()))
        elif event == "return":
            if self._open and self._open[-1][0] == self._depth:
                self._record(*self._open.pop()[1:])
            self._depth -= 1
            while self._c and self._c[-1] > self._depth:
                self._c.pop()
        elif self._c and self._c[-1] == self._depth:  # c_return / c_exception
            self._c.pop()

    def _record(self, name: str, t0: float, w0: float) -> None:
        cpu = (time.thread_time() - t0) * 1000
        wall = (time.perf_counter() - w0) * 1000
        if name.startswith(self._skip):
            return
        stat = self.stats.setdefault(name, HandlerStat())
        stat.count += 1
        stat.total_ms += cpu
        stat.longest_ms = max(stat.longest_ms, cpu)
        stat.longest_wall_ms = max(stat.longest_wall_ms, wall)

    def longest_ms(self) -> float:
        """The longest CPU time of any one handler call (ms)."""
        return max((s.longest_ms for s in self.stats.values()), default=0.0)

    def report(self, top: int = 12, title: str = "GUI-thread CPU per handler") -> str:
        """The ``top`` handlers by longest CPU time: a table of lines."""
        rows = sorted(self.stats.items(), key=lambda kv: kv[1].longest_ms, reverse=True)
        lines = [
            f"{title} (profiled pass; upper bounds): longest cpu ms, longest wall ms, "
            "calls, total cpu ms"
        ]
        for name, s in rows[:top]:
            lines.append(
                f"  {s.longest_ms:7.2f} {s.longest_wall_ms:8.2f} {s.count:6d} "
                f"{s.total_ms:9.1f}  {name}"
            )
        total = sum(s.total_ms for s in self.stats.values())
        lines.append(f"  total GUI-thread cpu in handlers {total:.1f} ms")
        return "\n".join(lines)
