"""Shared vocabulary of trials: states, kill reasons and the frozen records that cross seams."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class TrialState(StrEnum):
    """Where a trial is in its life. Every state but RUNNING is final."""

    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    KILLED = "killed"
    STOPPED = "stopped"
    INTERRUPTED = "interrupted"
    IMPORTED = "imported"

    @property
    def finished(self) -> bool:
        return self is not TrialState.RUNNING

    @property
    def counted(self) -> bool:
        """Whether a trial that ended so counts towards ``iterations`` (an interrupted one runs
        again; an imported one was run by another search)."""
        return self in (TrialState.OK, TrialState.FAILED, TrialState.KILLED, TrialState.STOPPED)


class KillReason(StrEnum):
    """Which watchdog limit a killed trial crossed."""

    TIME = "time"
    RAM = "ram"
    SYSTEM_RAM = "system_ram"
    EARLY_STOP = "early_stop"
    INTERRUPT = "interrupt"


def ended_states(trials: Iterable[Trial]) -> dict[TrialState, int]:
    """How many of ``trials`` that count towards ``iterations`` ended in each state."""
    return dict(Counter(trial.state for trial in trials if trial.state.counted))


@dataclass(frozen=True)
class Proposal:
    """Params the optimizer proposes for one trial.

    ``params`` is the nested value the trial receives; ``internal`` is the optimizer's own encoding
    (hyperopt labels to raw values), kept in the journal so the history can be rebuilt exactly.
    ``again``: for a trial that runs again (on resume, or lost by its runner), why, as the
    journal has its last run; its log says so before the new run's output.
    """

    trial_id: int
    params: dict[str, Any]
    internal: dict[str, Any]
    again: str | None = None


@dataclass(frozen=True)
class Report:
    """An intermediate report from a running trial: ``reporter(step, **metrics)``."""

    trial_id: int
    step: int
    metrics: dict[str, float]


@dataclass(frozen=True)
class Launched:
    """A trial the runner held on standby (:meth:`~hypermax.execution.base.BaseRunner.standby`)
    started, at ``started_at`` (seconds since the epoch): ``poll`` hands it on before anything
    else of that trial. ``process_ids`` is (pid, create time) of its main process, None when it
    has none (its start failed: its Outcome follows)."""

    trial_id: int
    started_at: float
    process_ids: tuple[int, float] | None = None


@dataclass(frozen=True)
class RunnerNote:
    """A line for the user from a runner, about no trial in particular: ``poll`` hands it on
    among the reports and outcomes, and the search shows it (the dashboard's messages, a
    ``hypermax: ...`` line without it). "the trials wait for a worker", say."""

    text: str
    news: bool = False
    """See :attr:`hypermax.events.Message.news`."""


@dataclass(frozen=True)
class LiveStats:
    """What the watchdog sees of a running trial's process tree right now; ``where``: the
    machine it runs on, when not this one (``Dask worker tcp://10.0.0.7:40213``)."""

    trial_id: int
    elapsed: float
    rss_mib: float
    cpu_percent: float
    processes: int
    where: str = ""


@dataclass(frozen=True)
class Outcome:
    """How a trial process ended, as the runner saw it, before any loss is computed.

    ``result`` is the trial's return value normalised to a dict (a bare number becomes
    ``{"loss": number}``), or None when no result arrived.
    """

    trial_id: int
    state: TrialState
    result: dict[str, Any] | None = None
    reason: str | None = None
    kill_reason: KillReason | None = None
    kill_value: float | None = None
    wall_time: float = 0.0
    cpu_time: float = 0.0
    peak_rss_mib: float = 0.0
    exit_code: int | None = None
    attachments: tuple[str, ...] = ()
    """Files inside the trial's folder that its result names (paths relative to that folder)."""
    ended_at: float | None = None
    """Unix time at which the runner saw the trial end."""


@dataclass(frozen=True)
class Trial:
    """One trial as the journal knows it; ``state`` RUNNING until it ends."""

    id: int
    params: dict[str, Any]
    internal: dict[str, Any]
    state: TrialState = TrialState.RUNNING
    loss: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    loss_terms: dict[str, float] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    time: float | None = None
    cpu_time: float | None = None
    peak_rss_mib: float | None = None
    reason: str | None = None
    kill_reason: str | None = None
    kill_value: float | None = None
    exit_code: int | None = None
    started_at: float | None = None
    ended_at: float | None = None
    attachments: tuple[str, ...] = ()
    reports: tuple[dict[str, Any], ...] = ()
    step: int | None = None
    """The step of the trial's last report: for a stopped trial, the step it reached."""

    @property
    def counts_for_optimizer(self) -> bool:
        """A trial teaches the optimizer when it ended with a loss."""
        return self.state is not TrialState.RUNNING and self.loss is not None
