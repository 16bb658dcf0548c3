"""The lab's worker threads give way to the GUI thread on a loaded machine.

Measured with ``benchmarks/symmetry_stall.py`` (2 cores, load 5-7): with the workers at the
default priority the event loop stalled up to 306 ms while the shift slider moved and 464 ms
during a 32-shift sweep; with the workers at nice 10 the longest gaps were 30-41 ms and
56-85 ms. Linux's nice is per thread, so only the worker is lowered.
"""

from __future__ import annotations

import os
import threading

WORKER_NICE = 10  # how much nicer than the process the lab's worker threads run


def yield_to_gui() -> None:
    """Run the calling worker thread at the process's nice + WORKER_NICE (Linux: nice is
    per thread; a syscall per job). On a loaded machine the GUI thread then runs before the
    worker, so a sweep does not delay a paint. On the GUI thread, or where threads have no
    nice of their own, it does nothing."""
    if threading.current_thread() is threading.main_thread():
        return
    try:
        target = os.getpriority(os.PRIO_PROCESS, os.getpid()) + WORKER_NICE  # the main thread
        tid = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, tid) < target:
            os.setpriority(os.PRIO_PROCESS, tid, min(target, 19))
    except (AttributeError, OSError):
        pass
