"""engine.memory: freed big arrays are reused instead of faulted in again (Linux/glibc)."""

import subprocess
import sys
import textwrap

import pytest

PROGRAM = textwrap.dedent(
    """
    import resource, sys, threading
    import numpy as np
    from engine.memory import keep_freed_memory
    if sys.argv[1] == "keep":
        assert keep_freed_memory() and keep_freed_memory()  # twice is harmless
    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    def passes():  # like the compute worker: each pass's outputs replace the last pass's
        previous = []
        for _ in range(40):
            previous = [np.ones(shape, np.float32) for shape in
                        [(16, 256, 256), (16, 128, 128), (16, 256, 256), (4, 256, 256)]]
    before = faults()
    worker = threading.Thread(target=passes)
    worker.start()
    worker.join()
    print(faults() - before)
    """
)


def _faults(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a glibc setting")
def test_freed_big_arrays_are_reused_not_faulted_in_again():
    default, kept = _faults("default"), _faults("keep")
    # 40 passes of 13 MiB are ~130,000 pages; glibc's defaults fault in ~30,000 of them
    # again (thread arenas trimmed, blocks unmapped), the kept heap only the first passes'.
    assert kept * 4 < default
