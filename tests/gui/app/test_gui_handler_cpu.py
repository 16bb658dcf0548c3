"""benchmarks.gui_cpu.HandlerCpu: which GUI-thread handlers it names and how it nests them."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # benchmarks/ is no package
from benchmarks.gui_cpu import HandlerCpu  # noqa: E402


class _Source(QObject):
    ping = Signal()


def helper() -> int:  # called from Python inside a handler: part of it, not a handler
    return sum(range(1000))


def test_slots_called_by_the_event_loop_are_handlers_and_nested_slots_too(qtbot):
    source = _Source()
    seen: list[str] = []

    def inner() -> None:
        seen.append("inner")

    def outer() -> None:
        helper()
        source.ping.emit()  # Qt calls ``inner`` back from C: a handler inside this one
        seen.append("outer")

    source.ping.connect(inner)
    cpu = HandlerCpu(skip=("tests.nothing",))
    cpu.start()
    try:
        QTimer.singleShot(0, outer)
        qtbot.waitUntil(lambda: "outer" in seen)
    finally:
        cpu.stop()
    names = {name.rsplit(".", 1)[-1]: stat for name, stat in cpu.stats.items()}
    assert names["outer"].count == 1
    assert names["inner"].count == 1
    assert "helper" not in names  # a plain Python call is counted in its caller
    assert names["outer"].total_ms >= names["inner"].total_ms  # the inner time is inside
    assert "outer" in cpu.report()


def test_skipped_handlers_are_not_listed_but_what_they_call_back_is(qtbot):
    source = _Source()
    seen: list[str] = []

    def slot() -> None:
        seen.append("slot")

    def timer_of_the_benchmark() -> None:
        source.ping.emit()

    source.ping.connect(slot)
    here = test_skipped_handlers_are_not_listed_but_what_they_call_back_is.__qualname__
    cpu = HandlerCpu(skip=(f"{__name__}.{here}.<locals>.timer_of",))
    cpu.start()
    try:
        QTimer.singleShot(0, timer_of_the_benchmark)
        qtbot.waitUntil(lambda: seen == ["slot"])
    finally:
        cpu.stop()
    listed = [name.rsplit(".", 1)[-1] for name in cpu.stats]
    assert "timer_of_the_benchmark" not in listed
    assert "slot" in listed
