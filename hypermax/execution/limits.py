"""The watchdog limits of a trial, and the decisions over them: pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hypermax.trial import KillReason

if TYPE_CHECKING:
    from hypermax.spec import FunctionSpec

#: consecutive over-limit samples before a memory limit kills (one spike does not)
RAM_SAMPLES_TO_KILL = 3


@dataclass(frozen=True)
class Limits:
    """The watchdog limits of one trial (None: no limit)."""

    max_time: float | None = None
    max_ram_mib: float | None = None
    max_system_ram_mib: float | None = None

    @classmethod
    def of(cls, function: FunctionSpec) -> Limits:
        """The limits the spec's ``function`` section sets."""
        return cls(
            function.auto_kill_max_time,
            function.auto_kill_max_ram,
            function.auto_kill_max_system_ram,
        )


def time_breach(limits: Limits, elapsed: float) -> bool:
    return limits.max_time is not None and elapsed > limits.max_time


def ram_strikes(limits: Limits, rss_mib: float, strikes: int) -> int:
    """Consecutive samples over the tree RSS limit, this one included (0 when under it)."""
    if limits.max_ram_mib is None or rss_mib <= limits.max_ram_mib:
        return 0
    return strikes + 1


def kill_text(reason: KillReason, value: float | None, limits: Limits) -> str:
    """The one-line reason recorded for a trial the watchdog killed. A memory kill names the
    tree's summed PSS, the figure the kill rests on (each shared page split among the
    processes that map it), not its summed RSS."""
    if reason is KillReason.TIME and value is not None:
        return f"time limit: ran {value:.2f} s, limit {limits.max_time:g} s"
    if reason is KillReason.RAM and value is not None:
        ram = limits.max_ram_mib
        return f"memory limit: tree PSS {_over(value, ram, 0)} MiB, limit {ram:g} MiB"
    if reason is KillReason.SYSTEM_RAM and value is not None:
        system = limits.max_system_ram_mib
        return f"system memory limit: {_over(value, system, 0)} MiB in use, limit {system:g} MiB"
    return reason.value


def _over(value: float, limit: float | None, decimals: int) -> str:
    """``value`` with ``decimals`` decimals, or as many more as it takes to read over ``limit``
    (a tree of 10.4 MiB over a limit of 10.2 MiB is not said to hold 10 MiB)."""
    for places in range(decimals, decimals + 7):
        text = f"{value:.{places}f}"
        if limit is None or float(text) > limit:
            return text
    return repr(value)
