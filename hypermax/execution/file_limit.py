"""Open files for the trials of a search on this machine (``ulimit -n``).

hypermax holds about 15 files of its own and 5 a running trial (its output and lifeline pipes,
its log), 3 more while one starts. Before the first trial, a soft limit below what
``function.parallel`` trials need is raised towards it, up to the hard limit (which only root
may raise), as many tools do; trials inherit the raised limit. When even the hard limit is too
low, the search says so at its start; should it run out, it stops as for a full disk
(:class:`hypermax.errors.OutOfFiles`). Once the searches of the process have ended
(:func:`limit_kept`), the soft limit is back at what it was: a program that calls
``optimize()`` keeps its own.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

#: open files hypermax holds without trials, with room for an optimizer's and a dashboard's
FILES_AT_START = 32
#: open files each running trial takes, with room for one starting
FILES_PER_TRIAL = 8


class _Raised:
    """The soft limit before a search of this process raised it, what it was raised to, and
    how many searches are running (in threads of a program that calls ``optimize()``)."""

    lock = threading.Lock()
    searches = 0
    before: int | None = None
    to: int | None = None


@contextlib.contextmanager
def limit_kept() -> Iterator[None]:
    """While inside, a search may raise the soft limit on open files (:func:`make_room_for`);
    once the last search inside has ended, it is set back to what it was before the first,
    unless something else set it since. A program that calls ``optimize()`` keeps its limit:
    one that uses ``select()``, which takes no file above 1023, relies on the usual 1024."""
    with _Raised.lock:
        _Raised.searches += 1
    try:
        yield
    finally:
        with _Raised.lock:
            _Raised.searches -= 1
            if _Raised.searches == 0 and _Raised.before is not None:
                _set_back(_Raised.before, _Raised.to)
                _Raised.before = _Raised.to = None


def _set_back(before: int, raised_to: int | None) -> None:
    """The soft limit on open files back at ``before`` when it is still ``raised_to``."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == raised_to:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (before, hard))


def files_needed(parallel: int) -> int:
    """About how many open files a search of ``parallel`` trials at once needs."""
    return FILES_AT_START + FILES_PER_TRIAL * parallel


def make_room_for(parallel: int) -> str | None:
    """Raise the soft limit on open files to what ``parallel`` trials need, as far as the hard
    limit allows; a line saying what to do when it stays below, else None."""
    try:
        import resource
    except ImportError:  # no such limit to read (Windows)
        return None
    needed = files_needed(parallel)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return None
    target = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
    if target > soft:
        with _Raised.lock:
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            except (ValueError, OSError):
                pass
            else:
                if _Raised.before is None:
                    _Raised.before = soft
                _Raised.to, soft = target, target
    if soft >= needed:
        return None
    return (
        f"ulimit -n is {soft}, too few open files for {parallel} trials at once (about "
        f"{needed}): raise it (ulimit -n {needed}) or lower function.parallel"
    )
