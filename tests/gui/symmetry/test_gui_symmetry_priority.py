"""The symmetry lab's worker threads run nicer than the GUI thread (per-thread nice)."""

import os
import threading

from gui.symmetry.priority import WORKER_NICE, yield_to_gui


def test_a_worker_thread_is_lowered_and_the_gui_thread_is_not():
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen = []

    def work():
        yield_to_gui()
        yield_to_gui()  # twice: no further lowering
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    yield_to_gui()  # on the main (GUI) thread: nothing
    assert seen == [min(base + WORKER_NICE, 19)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base
