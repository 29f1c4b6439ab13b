"""The Dask runner's bookkeeping: its attempts at trials, and the events it hands to ``poll``.

Threads meet here: the driver's (submit, poll, cancel, close), the Dask client's event loop
(events from the workers) and Dask's callback thread (ended tasks). Every Outcome is handed on
once, after the reports of its attempt, under one lock.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hypermax.execution.base import outcomes_of
from hypermax.execution.verdicts import STOP_WAIT_CAP_SECONDS
from hypermax.trial import KillReason, Launched, LiveStats, Outcome, Report, RunnerNote, TrialState

if TYPE_CHECKING:
    from collections.abc import Callable

    from distributed import Future

    from hypermax.execution.base import RunnerEvent
    from hypermax.execution.dask_health import SchedulerWatch
    from hypermax.execution.dask_worker import TrialTask


@dataclass(eq=False)
class Attempt:
    """One attempt at a trial: its task, where it runs, what was asked of it.

    ``future`` is None until the task is sent (it waits while the scheduler is away).
    """

    task: TrialTask
    trial_dir: Path
    log_path: Path
    future: Future | None = None
    worker: str | None = None
    claimed_by: str | None = None  # the worker whose run of its task claimed it, unheard since
    in_place: bool = False  # its worker writes its folder and log where hypermax reads them
    started: float | None = None  # monotonic, when its start event came
    stop: KillReason | None = None
    stopped_at: float | None = None  # monotonic, when it was asked to stop
    live: tuple[float, float, int] = (0.0, 0.0, 1)  # rss MiB, cpu %, processes
    reported: int = 0  # the number of its last report handed on
    done: bool = False

    @property
    def trial_id(self) -> int:
        return self.task.plan.proposal.trial_id

    @property
    def key(self) -> str:
        return self.task.key

    def interrupted(self, reason: str) -> Outcome:
        """The Outcome of this attempt, lost or stopped without its task's word."""
        wall = 0.0 if self.started is None else time.monotonic() - self.started
        return Outcome(
            self.trial_id,
            TrialState.INTERRUPTED,
            reason=reason,
            kill_reason=KillReason.INTERRUPT,
            wall_time=wall,
            ended_at=time.time(),
        )


def stop_wait(
    attempt: Attempt, kill_grace: float, spare: float, hurried_at: float | None
) -> float | None:
    """How long, from its stop, the worker of ``attempt`` has to carry the stop out before the
    runner gives up on it (None: not stopped): ``kill_grace`` + ``spare`` seconds (stopped
    early, also the longest wait for its next report and the ``kill_grace`` a trial has to end
    once that report raised); once the search was interrupted again (``hurried_at``,
    monotonic), which kills without the grace, ``spare`` seconds from then at most."""
    if attempt.stopped_at is None:
        return None
    wait = kill_grace + spare
    if attempt.stop is KillReason.EARLY_STOP:
        wait += STOP_WAIT_CAP_SECONDS + kill_grace
    if hurried_at is not None:
        wait = round(min(wait, hurried_at + spare - attempt.stopped_at), 1)
    return wait


def overdue_reason(attempt: Attempt, wait: float, silent_scheduler: str | None) -> str:
    """Why the runner gives up on ``attempt``, whose task did not end within ``wait`` seconds of
    its stop. ``silent_scheduler``: the scheduler's address when it has answered nothing since
    the stop (the stop reaches the worker, and the outcome comes back, through it), None when
    it answers: then the worker is the one that did not stop the trial."""
    worker = attempt.worker
    if silent_scheduler is not None:
        worker = worker or attempt.claimed_by
        said = f"the Dask scheduler at {silent_scheduler} did not answer within {wait:g} s"
        if worker is None:
            return f"{said} of the trial's stop; the trial was not heard to start"
        return f"{said} of the trial's stop, which may not have reached its Dask worker {worker}"
    if worker is None and attempt.claimed_by is not None:
        return (
            f"its Dask worker {attempt.claimed_by} took the trial and did not stop it within "
            f"{wait:g} s; its start was not heard"
        )
    if worker is None:
        return f"its task did not end within {wait:g} s of the trial's stop; no start was heard"
    return f"its Dask worker {worker} did not stop the trial within {wait:g} s"


def overdue(
    attempts: list[Attempt],
    kill_grace: float,
    spare: float,
    hurried_at: float | None,
    scheduler: SchedulerWatch,
    every: bool = False,
) -> list[tuple[Attempt, str]]:
    """The stopped ``attempts`` whose task did not end within their :func:`stop_wait` (all of
    them, ``every``: the search is interrupted and the scheduler hangs), each with the reason
    the runner gives up on it (:func:`overdue_reason`): the scheduler's fault when it has
    answered nothing since the stop, else the worker's."""
    now = time.monotonic()
    late = []
    for attempt in attempts:
        wait = stop_wait(attempt, kill_grace, spare, hurried_at)
        stopped = attempt.stopped_at
        if every and stopped is not None:
            wait = round(now - stopped, 1)
        if wait is not None and stopped is not None and (every or now - stopped > wait):
            silent = scheduler.cluster.scheduler if scheduler.silent_since(stopped) else None
            late.append((attempt, overdue_reason(attempt, wait, silent)))
    return late


class Attempts:
    """The attempts in flight, by trial id and by task key, and the events for ``poll``."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self._events: queue.Queue[RunnerEvent] = queue.Queue()
        self._by_trial: dict[int, Attempt] = {}
        self._by_key: dict[str, Attempt] = {}
        self._held: list[Outcome] = []

    def __len__(self) -> int:
        with self.lock:
            return len(self._by_trial)

    def add(self, attempt: Attempt) -> None:
        with self.lock:
            self._by_trial[attempt.trial_id] = attempt
            self._by_key[attempt.key] = attempt

    def of_trial(self, trial_id: int) -> Attempt | None:
        with self.lock:
            return self._by_trial.get(trial_id)

    def of_key(self, key: str) -> Attempt | None:
        with self.lock:
            return self._by_key.get(key)

    def in_flight(self) -> list[Attempt]:
        with self.lock:
            return list(self._by_trial.values())

    def report(self, attempt: Attempt, report: Report, number: int) -> None:
        """Hand on the attempt's report ``number`` (its first is 1), unless its attempt already
        ended, or a report as late or later was handed on (one heard twice, or out of turn)."""
        with self.lock:
            if not attempt.done and number > attempt.reported:
                attempt.reported = number
                self._events.put(report)

    def note(self, text: str) -> None:
        """Hand on a line for the user (:class:`~hypermax.trial.RunnerNote`)."""
        self._events.put(RunnerNote(text))

    def finish(self, attempt: Attempt, outcome: Outcome, hold: bool = False) -> bool:
        """Hand on the attempt's Outcome, once (``hold``: at :meth:`release`); False if it was
        handed on already."""
        with self.lock:
            if attempt.done:
                return False
            attempt.done = True
            if self._by_trial.get(attempt.trial_id) is attempt:
                del self._by_trial[attempt.trial_id]
            self._by_key.pop(attempt.key, None)
            if hold:
                self._held.append(outcome)
            else:
                self._events.put(outcome)
            self.lock.notify_all()
        return True

    def release(self, trial_id: int | None = None) -> None:
        """Hand on the outcomes held so far (only trial ``trial_id``'s, if given)."""
        with self.lock:
            chosen = [o for o in self._held if trial_id in (None, o.trial_id)]
            self._held = [o for o in self._held if trial_id not in (None, o.trial_id)]
            for outcome in chosen:
                self._events.put(outcome)

    def wait_for_all(self, seconds: float, worth_it: Callable[[], bool]) -> None:
        """Wait until no attempt is in flight, ``seconds`` pass, or ``worth_it()`` is false."""
        deadline = time.monotonic() + seconds
        with self.lock:
            while self._by_trial and worth_it():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self.lock.wait(min(0.5, left))

    def take(self, timeout: float) -> list[RunnerEvent]:
        """The events handed on, waiting up to ``timeout`` for the first."""
        try:
            events = [self._events.get(timeout=timeout)]
        except queue.Empty:
            return []
        with contextlib.suppress(queue.Empty):
            while True:
                events.append(self._events.get_nowait())
        return events

    def outcomes(self) -> list[Outcome | Launched]:
        """The outcomes handed on and not taken yet; the reports stay for ``take``."""
        return outcomes_of(self.take(0), self._events.put)

    def live(self) -> dict[int, LiveStats]:
        """What is known of each started attempt."""
        now = time.monotonic()
        with self.lock:
            return {
                a.trial_id: LiveStats(
                    a.trial_id,
                    now - a.started,
                    *a.live,
                    where=f"Dask worker {a.worker}" if a.worker else "",
                )
                for a in self._by_trial.values()
                if a.started is not None
            }
