"""The boundary between a search and its user interfaces.

The driver tells its reporters (the dashboard, the console) what happens through the events
below; a user interface steers the search with a :class:`Command` through the small
:class:`SearchControl` protocol and knows nothing else of the driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from hypermax.trial import LiveStats, Report, Trial, TrialState

if TYPE_CHECKING:
    from hypermax.stopping import Standing


@dataclass(frozen=True)
class SearchStarted:
    name: str
    method: str
    iterations: int
    parallel: int
    results_folder: Path
    history: tuple[Trial, ...] = ()
    resumed: bool = False
    unfinished: int = 0
    """Trials of a resumed search that had not finished: they run again first."""
    not_run: int = 0
    """Trials of a resumed search that had not finished and do not run again in this run: no
    iterations are left for them."""
    timeout: float | None = None
    """The search's ``timeout``: seconds from this start after which it ends (None: none)."""
    metadata_in_journal: frozenset[int] = frozenset()
    """Trials of ``history`` whose metadata a resume left in the journal (all but the best's):
    read back from there when one is shown (:func:`~hypermax.journal_records.trial_metadata`)."""


@dataclass(frozen=True)
class TrialStarted:
    trial: Trial


@dataclass(frozen=True)
class TrialReported:
    report: Report
    standing: Standing | None = None
    """Where early stopping puts the trial after this report (None without early stopping)."""


@dataclass(frozen=True)
class TrialFinished:
    trial: Trial
    best: Trial | None
    done: int


@dataclass(frozen=True)
class LiveUpdate:
    """Resource use of every running trial, sent about once a second."""

    stats: dict[int, LiveStats] = field(default_factory=dict)


@dataclass(frozen=True)
class Paused:
    paused: bool


@dataclass(frozen=True)
class Message:
    """A line for the user: resuming, a warning, an export written."""

    text: str
    news: bool = False
    """Whether it tells of something done (an export written, the objective's module loaded),
    which the dashboard's status line shows for a while only, rather than of something that
    goes on mattering (a warning), which it shows until another line comes."""


@dataclass(frozen=True)
class SearchFinished:
    best: Trial | None
    done: int
    reason: str
    interrupted: bool = False
    best_run: Trial | None = None
    """The best of the trials the search ran itself, not those its warm start imported."""
    warm_start: str | None = None
    """The spec's ``search.warm_start``: where the imported trials came from."""
    states: Mapping[TrialState, int] | None = None
    """How many of the trials done ended in each state (:func:`~hypermax.trial.ended_states`)."""


Event = (
    SearchStarted
    | TrialStarted
    | TrialReported
    | TrialFinished
    | LiveUpdate
    | Paused
    | Message
    | SearchFinished
)


class Reporter(Protocol):
    """Anything that consumes the driver's events. ``handle`` must not block."""

    def handle(self, event: Event) -> None: ...


class Command(StrEnum):
    """What a user interface may ask of a running search."""

    PAUSE = "pause"
    RESUME = "resume"
    TOGGLE_PAUSE = "toggle_pause"
    EXPORT = "export"
    INTERRUPT = "interrupt"
    #: Ctrl-Z: stop the running trials with hypermax; continue them when it continues
    STOP = "stop"


@dataclass(frozen=True)
class SearchOutcome:
    """How a search ended."""

    best: Trial | None
    done: int
    reason: str
    interrupted: bool
    trials: tuple[Trial, ...]
    #: the trials among ``trials`` whose metadata the search let go of (not the best's: see
    #: :meth:`~hypermax.search_record.SearchRecord.keep`): the journal has it
    metadata_in_journal: frozenset[int] = frozenset()


class SearchControl(Protocol):
    """All a user interface needs of a search: run it, steer it, hear from it.

    ``run`` blocks until the search ends (the dashboard calls it from a worker thread);
    ``request`` and ``subscribe`` may be called from any thread before or during ``run``.
    """

    def run(self) -> SearchOutcome: ...

    def request(self, command: Command) -> None: ...

    def subscribe(self, reporter: Reporter) -> None: ...

    def log_path(self, trial_id: int) -> Path: ...

    def pause_trials(self, quiet: bool = False) -> int: ...

    def continue_trials(self, stopped: int, quiet: bool = False) -> None: ...
