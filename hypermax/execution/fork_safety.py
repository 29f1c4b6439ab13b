"""Whether the preloaded server may fork its trials: what a fork would break in them.

A fork copies one thread. A Python thread running in the server is missing from every trial
while the locks it held stay held; CUDA, once initialised, does not work in a forked child; and
GNU OpenMP's thread pool, once a parallel region ran (a torch, scikit-learn or LightGBM
operation at import time), is missing from the child while OpenMP believes it is there: the
child's first parallel region waits for it for ever. Intel's and LLVM's OpenMP, and OpenBLAS,
start their pools again after a fork and are safe. A ``multiprocessing`` lock or queue (a
``ProcessPoolExecutor`` made at import time holds both) is a semaphore and pipes that every
forked trial would share: one trial's workers would take another's tasks, and a lock a killed
trial held would stay held for the next.
"""

from __future__ import annotations

import os
import sys
import time

#: how long to wait for OpenMP's threads, which spin a while after a parallel region, to settle
SETTLE_SECONDS = 0.2


def fork_hazard() -> str | None:
    """Why forking this process now would be unsafe for the trials, or None when it is safe."""
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        names = ", ".join(t.name for t in threading.enumerate() if t is not threading.main_thread())
        return f"the module started threads when imported ({names}); a fork would lose them"
    torch = sys.modules.get("torch")
    cuda = getattr(torch, "cuda", None)
    if cuda is not None and getattr(cuda, "is_initialized", lambda: False)():
        return "the module initialised CUDA when imported, which does not survive a fork"
    if gnu_openmp_pool():
        return (
            "the module ran a parallel operation when imported (torch, scikit-learn, LightGBM...) "
            "and GNU OpenMP's thread pool hangs in a forked process (OMP_NUM_THREADS=1 avoids it)"
        )
    shared = multiprocessing_locks()
    if shared:
        return (
            f"the module made multiprocessing locks or queues when imported ({', '.join(shared)}:"
            " a ProcessPoolExecutor, a multiprocessing Queue or Lock), which every forked trial"
            " would share (one trial's workers take another's tasks; a lock held by a killed"
            " trial hangs the next)"
        )
    return None


def multiprocessing_locks() -> list[str]:
    """The kinds of ``multiprocessing`` locks and queues this process made (each a semaphore,
    and pipes, that a fork shares rather than copies), by class name, sorted; none when
    ``multiprocessing`` was not imported. Found in the registry of what ``multiprocessing``
    readies after a fork, which holds each of them (and little else)."""
    util = sys.modules.get("multiprocessing.util")
    registry = getattr(util, "_afterfork_registry", None)
    if registry is None:
        return []
    kinds = tuple(
        kind
        for kind in (
            getattr(sys.modules.get("multiprocessing.synchronize"), "SemLock", None),
            getattr(sys.modules.get("multiprocessing.queues"), "Queue", None),
        )
        if isinstance(kind, type)
    )
    if not kinds:
        return []
    try:
        made = list(registry.values())
    except Exception:  # changed meanwhile (a weak reference died): not worth a second look
        return []
    return sorted({type(thing).__name__ for thing in made if isinstance(thing, kinds)})


def gnu_openmp_pool(settle: float = SETTLE_SECONDS) -> bool:
    """Whether GNU OpenMP's thread pool runs in this process (Linux; False where it cannot tell).

    A thread of the pool waits in a system call made from ``libgomp``'s own code: the
    instruction pointer in ``/proc/self/task/<tid>/syscall`` lies in its mapping. Right after a
    parallel region its threads still spin (``running``): they are looked at again for up to
    ``settle`` seconds; one that never settles while ``libgomp`` is loaded counts as the pool.
    """
    ranges = _mapped("libgomp")
    if not ranges:
        return False
    own = os.getpid()
    deadline = time.monotonic() + settle
    while True:
        unsettled = False
        for tid in _threads():
            if tid == own:
                continue
            at = _waiting_at(tid)
            if at is None:
                unsettled = True
            elif any(low <= at < high for low, high in ranges):
                return True
        if not unsettled or time.monotonic() > deadline:
            return unsettled
        time.sleep(0.005)


def _mapped(name: str) -> list[tuple[int, int]]:
    """The address ranges of this process's mappings of a file whose name starts with ``name``."""
    ranges = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="surrogateescape") as maps:
            for line in maps:
                parts = line.split()
                if len(parts) >= 6 and os.path.basename(parts[5]).startswith(name):
                    low, high = (int(x, 16) for x in parts[0].split("-"))
                    ranges.append((low, high))
    except (OSError, ValueError):
        return []
    return ranges


def _threads() -> list[int]:
    try:
        return [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:
        return []


def _waiting_at(tid: int) -> int | None:
    """Where thread ``tid`` waits (its instruction pointer); None while it runs. A thread that
    cannot be read (it ended) counts as waiting nowhere: 0."""
    try:
        with open(f"/proc/self/task/{tid}/syscall") as syscall:
            fields = syscall.read().split()
    except OSError:
        return 0
    if not fields or fields[0] == "running":
        return None
    try:
        return int(fields[-1], 16)
    except ValueError:
        return 0
