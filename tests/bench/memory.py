"""Peak memory of one call: tracemalloc's count, or the peak RSS growth of a forked child.

tracemalloc slows allocation-heavy code about sevenfold, which the largest inputs cannot afford
within the benchmark's time; a forked child starts from the parent's resident pages, so its
peak RSS minus its RSS at the start is what the call added, at full speed.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

STATM = Path("/proc/self/statm")
MB = 1_000_000


def traced_peak(action: Callable[[], object]) -> float:
    """Peak MB that `action` allocated above what was live before it, by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        action()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / MB


def can_fork() -> bool:
    """Whether `rss_in_child` works here (it needs fork and Linux's /proc)."""
    return hasattr(os, "fork") and STATM.exists()


def rss_in_child(action: Callable[[], object]) -> tuple[float, float]:
    """Seconds and peak MB of RSS growth of `action`, run once in a forked child."""
    gc.collect()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe and never returns
        os.close(reader)
        _report_from_child(action, writer)
    os.close(writer)
    with os.fdopen(reader) as stream:
        message = stream.read()
    _pid, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not message:
        raise RuntimeError(f"the measuring child failed: {message or 'no report'}")
    seconds, grown = json.loads(message)
    return float(seconds), float(grown)


def _report_from_child(action: Callable[[], object], writer: int) -> None:
    code = 0
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        start = int(STATM.read_text().split()[1]) * page
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
        # ru_maxrss is in kilobytes on Linux, the only system with /proc/self/statm here.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        message = json.dumps([seconds, (peak - start) / MB])
    except BaseException as error:
        code, message = 1, f"{type(error).__name__}: {error}"
    with os.fdopen(writer, "w") as stream:
        stream.write(message)
    sys.stdout.flush()
    os._exit(code)
