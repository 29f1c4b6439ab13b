"""Stopping a search's trials on a Dask cluster, and giving up on those that do not stop.

A stop travels runner → worker by ``Client.run`` on the one worker that runs the trial (known
from the event its worker sends as the trial starts), which calls
:func:`~hypermax.execution.dask_worker_trials.stop_trial` there at once, without any polling. A
trial stopped before it started has its task cancelled where it waits (for a worker, a free
thread: it may wait for ever), and is marked in the scheduler's metadata (all those stopped at
once in one round trip, at the runner's next ``poll``), where a task that starts all the same
looks for its claim before it starts the trial (the runner clears them when it closes). The
search interrupted again (a second Ctrl-C), the stops are delivered again, hurried: their kills
take no more of their grace. A stop not carried out in time (a worker or the scheduler that
hangs) is given up on: the trial comes back ``interrupted`` and its task is cancelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from hypermax.execution import dask_files
from hypermax.execution.dask_attempts import overdue
from hypermax.execution.dask_scheduler_calls import (
    cancel_tasks,
    deliver_stop,
    drop_unstarted,
    hurry_stops,
)
from hypermax.execution.dask_worker import not_run
from hypermax.trial import KillReason

if TYPE_CHECKING:
    from distributed import Client

    from hypermax.execution.dask_attempts import Attempt, Attempts
    from hypermax.execution.dask_health import SchedulerWatch

#: how long :meth:`Stops.stop_all` waits for stopped trials beyond their kill grace
CLOSE_SECONDS = 10.0


class Stops:
    """The stops of a search's trials, from the runner to their workers (or to the tasks still
    waiting for one), and the runner giving up on those not carried out in time.

    Args:
        client: the runner's Dask client.
        attempts: the runner's attempts.
        scheduler: the runner's watch on the scheduler, which every stop goes through.
        kill_grace: the function's ``kill_grace``.
        on_loop: runs a coroutine function on the client's event loop and returns at once.
    """

    def __init__(
        self,
        client: Client,
        attempts: Attempts,
        scheduler: SchedulerWatch,
        kill_grace: float,
        on_loop: Callable[..., None],
    ) -> None:
        self.client = client
        self.attempts = attempts
        self.scheduler = scheduler
        self.kill_grace = kill_grace
        self.on_loop = on_loop
        self.interrupted = False  # the search is being interrupted
        self._hurry = False  # interrupted again: stops kill without the rest of their grace
        self._hurried_at: float | None = None  # monotonic, when it was interrupted again
        self._unstarted: list[Attempt] = []  # stopped before they started: see drop_unstarted

    def stop(self, attempt: Attempt, reason: KillReason) -> None:
        """Stop ``attempt`` on its worker (or before it starts); its Outcome comes through the
        attempts, as any other."""
        self.scheduler.ask_now()  # the stop goes through it: whether it answers from now on
        with self.attempts.lock:
            if attempt.done or attempt.stop is not None:
                return
            attempt.stop = reason
            attempt.stopped_at = time.monotonic()
            started = attempt.worker is not None
        if attempt.future is None:  # never sent: it ends here
            self.attempts.finish(attempt, not_run(attempt.task.plan, reason))
            return
        if started:
            self.deliver(attempt)
        else:  # not started: marked, then dropped where it waits, with the others stopped now
            self._unstarted.append(attempt)

    def deliver(self, attempt: Attempt) -> None:
        """Send the stop of ``attempt`` to the worker that runs it (it may be none yet)."""
        self.on_loop(deliver_stop, self.client, attempt, self._hurry)

    def drop_unstarted(self) -> None:
        """Drop the tasks of the trials stopped before they started, where they wait (see
        :func:`~hypermax.execution.dask_scheduler_calls.drop_unstarted`)."""
        with self.attempts.lock:  # one that started since has its stop delivered there
            chosen = [a for a in self._unstarted if a.worker is None and not a.done]
            self._unstarted = []
        if chosen:
            self.on_loop(cancel_tasks, self.client, drop_unstarted(self.client, chosen))

    def interrupt(self) -> None:
        """The search is interrupted; called again, the trials still stopping on their workers
        are killed there at once. Only sets flags and hands the rest to the client's event
        loop, as a signal handler may."""
        if self.interrupted and not self._hurry:
            self._hurry = True
            self._hurried_at = time.monotonic()
            self.on_loop(hurry_stops, self.client, self.attempts)
        self.interrupted = True

    def stop_all(self) -> None:
        """Stop every trial in flight (as interrupted) and wait for them: up to their kill
        grace and :data:`CLOSE_SECONDS`, while the cluster answers; give up on the rest."""
        for attempt in self.attempts.in_flight():
            self.stop(attempt, KillReason.INTERRUPT)
        self.drop_unstarted()
        self.attempts.wait_for_all(
            self.kill_grace + CLOSE_SECONDS,
            lambda: (
                self.client.status == "running"
                and not self._hurry_overdue()
                and not self.scheduler.hangs()
            ),
        )
        for attempt in self.attempts.in_flight():
            self.give_up(attempt, "interrupted", "the Dask cluster did not answer in time")

    def check(self, every: bool = False) -> None:
        """Give up on the trials whose stop was not carried out in time (a worker that hangs,
        or the scheduler: see :func:`~hypermax.execution.dask_attempts.overdue`), or on every
        one stopped (``every``). Their tasks are cancelled; a worker that comes back stops them."""
        in_flight = self.attempts.in_flight()
        grace, hurried = self.kill_grace, self._hurried_at
        late = overdue(in_flight, grace, CLOSE_SECONDS, hurried, self.scheduler, every)
        for attempt, reason in late:
            self.give_up(attempt, reason, reason)

    def give_up(self, attempt: Attempt, reason: str, note: str, hold: bool = False) -> None:
        """End an attempt whose task will not answer: interrupted (its Outcome held until
        released, ``hold``), ``note`` in its log, its task cancelled."""
        if self.attempts.finish(attempt, attempt.interrupted(reason), hold):
            dask_files.append_note(attempt.log_path, note)
            if attempt.future is not None and self.client.status == "running":
                self.on_loop(cancel_tasks, self.client, [attempt.future])

    def _hurry_overdue(self) -> bool:
        """Whether :data:`CLOSE_SECONDS` passed since the search was interrupted again."""
        hurried = self._hurried_at
        return hurried is not None and time.monotonic() - hurried > CLOSE_SECONDS
