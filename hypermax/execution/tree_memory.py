"""A trial's memory: one sample of its process tree, and the tree's memory with the pages its
processes share counted once (what its RAM limit weighs, and its peak)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from hypermax.execution.procfs import MIB, read_proc, read_pss

#: seconds between two readings of a tree's PSS while its RSS stays over its limit (a reading
#: walks the page tables of every process: about 80 ms for five processes sharing 1 GiB)
PSS_EVERY = 1.0
#: a reading of a tree's PSS for its peak alone waits at least this many times as long as the
#: last one took: a tree whose readings are costly takes no more than 5 % of the watchdog's time
PEAK_PSS_COST_FACTOR = 20


@dataclass(frozen=True)
class TreeSample:
    """One look at a trial's tree: summed RSS, summed CPU seconds, live process count.

    ``own_peak_mib`` is the highest of its processes' own high-water marks (0 when not read
    this time): a spike of one of them between two samples.
    ``members`` are the live processes' (pid, RSS in bytes). ``root_cpu_seconds`` is what
    ``cpu_seconds`` counts of the main process and the children it reaped, as last read.
    """

    rss_mib: float
    cpu_seconds: float
    processes: int
    own_peak_mib: float = 0.0
    members: tuple[tuple[int, int], ...] = ()
    root_cpu_seconds: float = 0.0

    def proportional_mib(self) -> float:
        """The tree's memory with the pages its processes share counted once, split among them
        (the sum of their PSS; a process whose PSS cannot be read counts its RSS, unless it
        has ended since the sample: a pool's workers exiting hold nothing): forked workers that
        share their parent's data copy-on-write do not count it once each. Reads each
        process's ``smaps_rollup``: ask only when the summed RSS is over a limit."""
        total = 0
        for pid, rss in self.members:
            pss = read_pss(pid)
            if pss is None:
                now = read_proc(pid)  # gone, a zombie, or exiting: its memory is released
                pss = 0 if now is None or now.zombie else now.rss
            total += min(pss, rss)
        return total / MIB


class TreeMemory:
    """A trial's memory with the pages its processes share counted once: what its RAM limit
    weighs (:meth:`weigh`) and the peak recorded for it (:meth:`peak`).

    The summed RSS of a tree of several processes counts a page they share (a forked worker's
    copy-on-write view of its parent's data, shared memory) once per process: 970 forks of a
    parent holding 9 MiB sum to 8.9 GB. Their summed PSS splits each such page among them, but
    reading it walks every process's page tables (about 80 ms for five processes sharing
    1 GiB), so it is read at most every :data:`PSS_EVERY` seconds (for the peak alone, the
    longer :data:`PEAK_PSS_COST_FACTOR` times the last reading's cost), and only when the summed
    RSS scaled by the share the last reading found could be over the limit, or over the peak.
    A tree of one process is its RSS; and a tree is at least the high-water mark of each of its
    processes (a spike between two samples).
    """

    def __init__(self) -> None:
        self._share: float | None = None  # PSS / RSS at the last reading
        self._read_at: float | None = None
        self._cost = 0.0  # seconds the last reading took
        self.peak_mib = 0.0

    def weigh(self, sample: TreeSample, limit_mib: float | None, now: float) -> float:
        """The tree's memory in MiB as its RAM limit ``limit_mib`` weighs it; ``now`` is a
        monotonic time.

        While the tree's summed RSS is within the limit, that is its memory (PSS is never more).
        Over it, the PSS is read at most every :data:`PSS_EVERY` seconds; in between, the RSS is
        scaled by the share the last reading found. Whenever that estimate is over the limit,
        the PSS is read afresh: a kill always rests on a reading of its own.
        """
        if limit_mib is None or sample.rss_mib <= limit_mib:
            return sample.rss_mib
        estimate = self._estimate(sample, now)
        if estimate is not None and estimate <= limit_mib:
            return estimate
        return self._read(sample, now)

    def peak(self, sample: TreeSample, now: float) -> float:
        """The highest the tree's memory was seen at, this sample included, in MiB."""
        own = sample.rss_mib if sample.processes <= 1 else 0.0
        self.peak_mib = max(self.peak_mib, sample.own_peak_mib, own)
        if sample.processes > 1 and sample.rss_mib > self.peak_mib:  # PSS is never more
            every = max(PSS_EVERY, PEAK_PSS_COST_FACTOR * self._cost)
            fresh = self._read_at is not None and now - self._read_at < every
            estimate = None if self._share is None else sample.rss_mib * self._share
            if not fresh and (estimate is None or estimate > self.peak_mib):
                self._read(sample, now)
        return self.peak_mib

    def now_mib(self, sample: TreeSample) -> float:
        """The tree's memory at ``sample``, shared pages once as far as the last reading tells:
        the summed RSS of several processes scaled by the share that reading found."""
        if sample.processes <= 1 or self._share is None:
            return sample.rss_mib
        return sample.rss_mib * self._share

    def _estimate(self, sample: TreeSample, now: float) -> float | None:
        """The summed RSS scaled by the share of the last reading, while it is recent."""
        if self._share is None or self._read_at is None or now - self._read_at >= PSS_EVERY:
            return None
        return sample.rss_mib * self._share

    def _read(self, sample: TreeSample, now: float) -> float:
        began = time.monotonic()
        pss = sample.proportional_mib()
        self._cost = time.monotonic() - began
        self._share = pss / sample.rss_mib if sample.rss_mib > 0 else None
        self._read_at = now
        self.peak_mib = max(self.peak_mib, pss)
        return pss
