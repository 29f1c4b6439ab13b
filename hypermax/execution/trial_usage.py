"""What one trial's tree uses, as the watchdog and its reaping saw it, held to its RAM limit.

:class:`TrialUsage` keeps the figures of a trial's Outcome and of the dashboard (memory now
and at its peak, CPU time and share, processes), and counts the samples in a row its tree is
over its RAM limit: while the trial runs, and through the grace of its kill (``kill_grace``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from hypermax.execution.limits import RAM_SAMPLES_TO_KILL, Limits, kill_text, ram_strikes
from hypermax.execution.tree_memory import TreeMemory
from hypermax.trial import KillReason

if TYPE_CHECKING:
    from hypermax.execution.tree_memory import TreeSample
    from hypermax.execution.trial_files import TrialFiles

#: how much more memory than it held when killed, as a share of its RAM limit, a tree killed
#: at that limit may use during its ``kill_grace`` before it gets SIGKILL at once
GRACE_RAM_GROWTH = 0.1


class TrialUsage:
    """What one trial's tree used so far, and how many samples in a row it broke its RAM limit."""

    def __init__(self) -> None:
        # what the watchdog saw of the tree
        self.rss_mib = 0.0
        self.peak_rss_mib = 0.0
        self.cpu_seconds = 0.0
        self.cpu_percent = 0.0
        self.processes = 0  # none seen yet: the dashboard shows no memory nor CPU until then
        self.ram_strikes = 0
        self.over_in_grace: str | None = None  # why its kill cannot wait for the grace
        self.ram_at_kill: float | None = None  # MiB, when its kill began at its RAM limit
        self.memory = TreeMemory()  # its memory with shared pages once: limit and peak
        self.sampled_at = 0.0

    def take_cpu_sample(self, sample: TreeSample, now: float, started: float) -> None:
        """The watchdog's latest look at the tree: its CPU time, share and processes."""
        since = now - (self.sampled_at or started)
        if since > 0 and sample.cpu_seconds >= self.cpu_seconds:
            self.cpu_percent = 100.0 * (sample.cpu_seconds - self.cpu_seconds) / since
        self.sampled_at = now
        self.cpu_seconds = max(self.cpu_seconds, sample.cpu_seconds)
        self.processes = sample.processes

    def over_ram(self, sample: TreeSample, limits: Limits, now: float) -> float | None:
        """The tree's memory (MiB) once it was over its RAM limit as many samples in a row as
        kill it; None while it was not."""
        ram_mib = self.memory.weigh(sample, limits.max_ram_mib, now)  # shared pages once
        self.ram_strikes = ram_strikes(limits, ram_mib, self.ram_strikes)
        if self.ram_strikes >= RAM_SAMPLES_TO_KILL:
            return ram_mib
        return None

    def take_memory_sample(self, sample: TreeSample, now: float) -> None:
        """The tree's memory at the watchdog's latest look: its peak, and what it holds now."""
        self.peak_rss_mib = max(self.peak_rss_mib, self.memory.peak(sample, now))
        self.rss_mib = self.memory.now_mib(sample)  # what the dashboard shows: as the peak

    def killed(self, reason: KillReason, value: float | None) -> None:
        """A kill began for ``reason`` (``value``: the measure that broke a limit)."""
        if reason is KillReason.RAM and value is not None:  # what its grace may hold
            self.ram_at_kill = value
        self.ram_strikes = 0  # counted afresh against what its kill allows

    def hold_in_grace(self, sample: TreeSample, limits: Limits, now: float) -> bool:
        """A kill is under way (SIGTERM sent, its grace running): the tree is still held to its
        RAM limit, as many samples in a row as while it ran; past it, what is left gets SIGKILL
        at once. A tree killed at that limit may keep what it held when killed (its grace is
        for it to let go of it), and a tenth of the limit more, but not grow beyond that."""
        limit = limits.max_ram_mib
        if limit is None or self.over_in_grace is not None:
            return False
        held = self.ram_at_kill
        allowed = limit if held is None else max(limit, held) + limit * GRACE_RAM_GROWTH
        ram_mib = self.memory.weigh(sample, allowed, now)  # shared pages once
        self.ram_strikes = self.ram_strikes + 1 if ram_mib > allowed else 0
        if self.ram_strikes < RAM_SAMPLES_TO_KILL:
            return False
        why = kill_text(KillReason.RAM, ram_mib, limits)
        if held is not None:
            why += f", {ram_mib - held:.0f} MiB more than when it was killed"
        self.over_in_grace = why
        return True

    def take_peak(self, peak: float | None, function_type: str, files: TrialFiles) -> None:
        """The process's peak RSS as its reaping told it; when it could not, what the
        bootstrap of a ``python_function`` read before it exited."""
        if peak is None and function_type == "python_function":
            peak = files.peak_mib()
        if peak is not None:
            self.peak_rss_mib = max(self.peak_rss_mib, peak)

    def look_at_leftovers(self, last: TreeSample | None) -> None:
        """Take the high-water marks of what the trial left running, before it is killed."""
        if last is not None and last.processes:
            self.peak_rss_mib = max(self.peak_rss_mib, self.memory.peak(last, time.monotonic()))

    def take_cpu(self, last: TreeSample | None, reaped: float | None) -> None:
        """The tree's CPU time once its processes are gone: what the watchdog counted, the
        main process's (with the children it reaped) as its reaping told it, the final figure,
        rather than as last read."""
        if last is None:
            return
        total = last.cpu_seconds
        if reaped is not None:
            total += max(0.0, reaped - last.root_cpu_seconds)
        self.cpu_seconds = max(self.cpu_seconds, total)
