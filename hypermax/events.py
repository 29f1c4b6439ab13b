"""What the driver tells its reporters (the dashboard, the console), and the Reporter protocol."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from hypermax.trial import LiveStats, Report, Trial


@dataclass(frozen=True)
class SearchStarted:
    name: str
    method: str
    iterations: int
    parallel: int
    results_folder: Path
    history: tuple[Trial, ...] = ()
    resumed: bool = False


@dataclass(frozen=True)
class TrialStarted:
    trial: Trial


@dataclass(frozen=True)
class TrialReported:
    report: Report


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


@dataclass(frozen=True)
class SearchFinished:
    best: Trial | None
    done: int
    reason: str
    interrupted: bool = False


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
