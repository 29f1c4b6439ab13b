"""What a trial leaves behind, killed and removed: its processes (those its kill ladder finds,
and those that hold its output pipes), and what its killed processes left in /dev/shm."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hypermax.execution import procfs
from hypermax.execution.kill import Ladder, kill_ladder
from hypermax.execution.shm import SHM, ShmLeftovers

if TYPE_CHECKING:
    from hypermax.execution.host import TrialHost
    from hypermax.execution.output import TrialOutput
    from hypermax.execution.procfs import ProcInfo


def targets(host: TrialHost, key: int, shm: ShmLeftovers | None) -> list[ProcInfo]:
    """The trial's live processes, for its kill ladder: what each holds in /dev/shm is
    read the first time, before it gets a signal."""
    members = host.members(key)
    return members if shm is None else shm.note(members)


def sweep(
    ladder: Ladder,
    output: TrialOutput | None,
    host: TrialHost,
    shm: ShmLeftovers | None,
    note: Callable[[str], None],
    close_lifeline: Callable[[], None],
) -> None:
    """Kill what the trial left running (or wait for the kill under way to end), then
    remove what the killed processes left in /dev/shm."""
    if output is not None and not ladder.begun:
        # its own output first, then the notes; why it failed is in its own
        output.catch_up(host.catch_up, host.resume_held)
        output.settle_stderr_tail()
    ladder.nudge()
    ladder.run("the trial left processes running")
    close_lifeline()
    removed = shm.remove() if shm is not None else []
    if removed:
        note(f"removed what its killed processes left in {SHM}: {', '.join(removed)}")


def kill_holders(
    pipes: set[int], kill_grace: float, note: Callable[[str], None], host: TrialHost
) -> None:
    """Kill the processes that still hold the trial's output pipes: only its own could have
    them, though the watchdog never saw them (one that cleared its environment, called
    ``setsid`` and lost its parent within one of its ticks)."""
    holders = [info for pid in procfs.pipe_holders(pipes) if (info := procfs.read_proc(pid))]
    if not holders:
        return

    def find() -> list[ProcInfo]:
        alive = [procfs.read_proc(info.pid) for info in holders]
        return [
            now for now, then in zip(alive, holders, strict=True) if now and now.start == then.start
        ]

    kill_ladder(
        find,
        kill_grace,
        note,
        "processes the watchdog never saw held the trial's output",
        hurry=lambda: "interrupted again" if host.hurry else None,
    )
