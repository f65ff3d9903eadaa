"""Process-wide settings of the runtime docqa runs on.

glibc gives each thread that allocates its own memory arena, up to eight per core; with
the tokenizer's and the inference runtime's threads, memory freed in one arena is not
reused by another, and a process indexing a large file keeps tens of megabytes it no
longer uses. Two arenas keep that in check: on this machine the peak memory of indexing
one 12 MB file fell from 530 to 477 MB, and each further byte of text costs about a third
less (``python -m tests.bench --only-memory``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

__all__ = ["compact_allocator"]

_M_ARENA_MAX = -8  # glibc's mallopt parameter
ARENAS = 2


@functools.cache
def compact_allocator() -> bool:
    """Limit glibc's allocator to ``ARENAS`` arenas (once per process, before the heavy
    threads start); False where the C library is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_ARENA_MAX, ARENAS))
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
