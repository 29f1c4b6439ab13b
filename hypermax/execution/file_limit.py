"""Open files for the trials of a search on this machine (``ulimit -n``).

hypermax holds about 15 files of its own and 5 a running trial (its output and lifeline pipes,
its log), 3 more while one starts. Before the first trial, a soft limit below what
``function.parallel`` trials need is raised towards it, up to the hard limit (which only root
may raise), as many tools do; trials inherit the raised limit. When even the hard limit is too
low, the search says so at its start; should it run out, it stops as for a full disk
(:class:`hypermax.errors.OutOfFiles`).
"""

from __future__ import annotations

#: open files hypermax holds without trials, with room for an optimizer's and a dashboard's
FILES_AT_START = 32
#: open files each running trial takes, with room for one starting
FILES_PER_TRIAL = 8


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
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft >= needed:
        return None
    return (
        f"ulimit -n is {soft}, too few open files for {parallel} trials at once (about "
        f"{needed}): raise it (ulimit -n {needed}) or lower function.parallel"
    )
