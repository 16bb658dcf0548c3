"""Process-wide memory settings for a program that makes big, short-lived arrays.

Every edit in the lab allocates and frees layer outputs of several megabytes. glibc's
malloc hands such blocks back to the operating system on free (``munmap`` / trimming the
heap), so each new output first page-faults its memory in again: about 700 faults and 2-3 ms
of worker time per edit on the reference workload. :func:`keep_freed_memory` tells malloc to
keep freed blocks for reuse instead (the process keeps its high-water mark of memory). On
platforms without glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1  # glibc mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's largest: blocks up to 32 MiB come from reusable heap
TRIM_THRESHOLD = 512 << 20  # free memory kept at the top of a heap before giving it back

_done = False


def keep_freed_memory() -> bool:
    """Ask glibc to reuse freed big blocks rather than return them; True when applied."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl has no mallopt tuning)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    return _done
