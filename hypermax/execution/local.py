"""Run each trial as its own process on this machine: a host, a follower per trial, a queue.

The :class:`~hypermax.execution.host.TrialHost` watches every trial (one monitor thread, one
output thread, one guardian process); each trial is a
:class:`~hypermax.execution.trial_run.TrialRun` started in the caller's thread and finished in a
follower thread, which queues its Outcome for :meth:`LocalRunner.poll`. Followers are kept for
the next trials (as many as ever ran at once): starting a thread per trial would cost each
trial a wait for the new thread to run. A trial held on standby (:meth:`LocalRunner.standby`)
is started by the follower that reaped the process of the trial before it, before that trial's
Outcome is built: its slot does not wait for the bookkeeping of the trial that left it.

No trial outlives hypermax: the launcher ties each trial's life to hypermax's (see
:mod:`~hypermax.execution.launch`), and the guardian kills what left the trial's process group.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from hypermax.errors import is_disk_full
from hypermax.execution import protocol
from hypermax.execution.base import BaseRunner, RunnerEvent, outcomes_of
from hypermax.execution.host import TrialHost
from hypermax.execution.limits import Limits
from hypermax.execution.trial_plan import TrialPlan
from hypermax.execution.trial_run import TrialRun
from hypermax.trial import (
    KillReason,
    Launched,
    LiveStats,
    Outcome,
    Proposal,
    Report,
    RunnerNote,
    TrialState,
)

#: the most events one :meth:`LocalRunner.poll` hands back: trials that report thousands of
#: times a second must not hold the driver from its stop rules (a search's timeout), its
#: controls (Ctrl-C, quit) and its journal while it takes in a backlog of their reports
POLL_BATCH = 500
#: the most reports queued for :meth:`LocalRunner.poll` before the trials' stdout is read no
#: faster than the driver takes them in (their writes wait, as on a full pipe); reading goes
#: on once it took the queue down to half of it. A trial that reports hundreds of thousands of
#: times a second would otherwise grow the queue by megabytes a second; no report is dropped
MAX_QUEUED_REPORTS = 10_000

if TYPE_CHECKING:
    from hypermax.execution.launch import Launcher
    from hypermax.spec import FunctionSpec

log = logging.getLogger("hypermax")


class LocalRunner(BaseRunner):
    """Trials as processes on this machine, each in its own session and process group.

    Args:
        function: the spec's ``function`` section.
        spec_folder: where relative ``module``/``src``/``cwd`` paths start.
        tick: seconds between two watchdog samples.
        launcher: how each trial's process starts (default: a fresh process each).
        verdict_wait: when early stopping judges reports, how long a ``python_function``
            trial waits after each for the verdict (:meth:`go_on` or ``cancel``); None: never.
    """

    hurries = True

    def __init__(
        self,
        function: FunctionSpec,
        spec_folder: Path,
        tick: float = 0.1,
        launcher: Launcher | None = None,
        verdict_wait: float | None = None,
    ) -> None:
        self.function = function
        self.verdict_wait = verdict_wait
        self.spec_folder = spec_folder.resolve()
        self.host = TrialHost(Limits.of(function), launcher, tick)
        # an entry is one event, or several queued as one (see _announce)
        self._events: queue.Queue[RunnerEvent | list[RunnerEvent]] = queue.Queue()
        self._queued_reports = 0  # the Reports in _events
        self._reading_held = False  # a trial's stdout is held since the queue was full
        # trials held on standby that are starting: their reports wait for their Launched
        self._launching: dict[int, list[Report]] = {}
        self.host.launcher.listener = self._told
        self._submitting: int | None = None  # the thread in :meth:`submit`
        self._runs: dict[int, TrialRun] = {}
        self._to_follow: queue.SimpleQueue[TrialRun | None] = queue.SimpleQueue()
        self._followers: list[threading.Thread] = []
        self._idle = 0  # followers waiting for a trial (below 0: owed to trials queued ahead)
        self._lock = threading.Lock()
        self._prepared: dict[int, TrialRun] = {}  # trials whose files are made, not yet submitted
        self._standby: deque[TrialRun] = deque()  # to start when a trial's process ends
        self._standby_lock = threading.Lock()  # held while one of them starts
        #: trials held on standby that started, and whose start is not queued yet: it goes
        #: with the Outcome of the trial whose end started them (see _announce)
        self._unsaid: dict[int, Launched] = {}
        self._paused = False  # none of them starts while the running trials are paused

    @property
    def limits(self) -> Limits:
        return self.host.limits

    def prepare(self, proposal: Proposal, trial_dir: Path, log_path: Path) -> None:
        """Make the trial's folder, params file and log now, for its :meth:`submit` to come."""
        if proposal.trial_id in self._prepared:
            return
        run = TrialRun(self.host, self._plan(proposal, trial_dir, log_path), self._queue_report)
        if run.prepare():
            self._prepared[proposal.trial_id] = run

    def _plan(self, proposal: Proposal, trial_dir: Path, log_path: Path) -> TrialPlan:
        return TrialPlan(
            self.function, self.spec_folder, proposal, trial_dir, log_path, self.verdict_wait
        )

    def submit(self, proposal: Proposal, trial_dir: Path, log_path: Path) -> None:
        """Start the trial; when it cannot start, its failed Outcome is queued at once."""
        run = self._run_of(proposal, trial_dir, log_path)
        with self._lock:  # Ctrl-Z finds it as it starts (see TrialRun.pause)
            self._runs[run.trial_id] = run
        self._submitting = threading.get_ident()
        try:
            started = run.start()
        finally:
            self._submitting = None
        if not started:
            with self._lock:
                self._runs.pop(run.trial_id, None)
            self._events.put(run.finish())
            return
        self._follow_up(run)

    def _told(self, text: str, news: bool = False) -> None:
        """A note of the launcher's: told at once when said in :meth:`submit`'s thread, which
        waits there (see :attr:`tell_now`); queued for :meth:`poll` otherwise."""
        if self.tell_now is not None and self._submitting == threading.get_ident():
            self.tell_now(text, news)
        else:
            self._events.put(RunnerNote(text, news))

    def _run_of(self, proposal: Proposal, trial_dir: Path, log_path: Path) -> TrialRun:
        """The trial's run: the one prepared for it, else a new one."""
        plan = self._plan(proposal, trial_dir, log_path)
        run = self._prepared.pop(proposal.trial_id, None)
        if run is None or run.plan != plan:
            if run is not None:
                run.discard()
            run = TrialRun(self.host, plan, self._queue_report)
        return run

    def _follow_up(self, run: TrialRun, owed: bool = False) -> None:
        """Have a follower finish the started ``run``. ``owed``: queued by a follower that takes
        no other trial before it comes back for one (it started ``run`` after its own trial's
        process ended), so no new follower is needed for it."""
        with self._lock:
            self._runs[run.trial_id] = run
            more = self._idle <= 0 and not owed
            if not more:
                self._idle -= 1
        self._to_follow.put(run)
        if more:  # every follower has a trial: one more (there are never more than ever ran)
            follower = threading.Thread(target=self._follow, name="hypermax-follower", daemon=True)
            with self._lock:
                self._followers.append(follower)
            follower.start()

    def standby(self, proposal: Proposal, trial_dir: Path, log_path: Path) -> bool:
        """Hold the trial (its files made now, if not prepared) to start in the follower that
        reaps the next trial process to end. Its files are made under the lock of the trials
        held: a trial process that ends once they are there finds it held."""
        with self._standby_lock:
            run = self._run_of(proposal, trial_dir, log_path)
            if not run.prepared and not run.prepare():
                return False  # its submit makes its files, or says why it cannot
            self._standby.append(run)
        return True

    def withdraw(self) -> list[int]:
        with self._standby_lock:  # a start under way ends first
            runs, self._standby = list(self._standby), deque()
        for run in runs:
            self._prepared[run.trial_id] = run
        return [run.trial_id for run in runs]

    def _start_held(self, started: list[int], failed: list[Outcome]) -> None:
        """A trial's process ended: start the first trial held on standby, if any (in the
        follower that reaped it, which follows the new one next, or another does). Never
        raises: what goes wrong is the new trial's, not the ended one's. That it started is
        kept unsaid (its id put in ``started``), for :meth:`_announce` to queue with the ended
        trial's Outcome; so is its Outcome when it could not start (put in ``failed``), to come
        after the ended trial's."""
        with self._standby_lock:
            if not self._standby or self._paused:
                return
            run = self._standby.popleft()
            with self._lock:
                self._launching[run.trial_id] = []
            started_at = time.time()
            try:
                if run.start():
                    with self._lock:  # cancel finds it once the driver hears of it
                        self._runs[run.trial_id] = run
                        # unsaid before another follower can take it, and end it
                        self._unsaid[run.trial_id] = Launched(
                            run.trial_id, started_at, run.process_ids()
                        )
                    started.append(run.trial_id)
                    self._follow_up(run, owed=True)
                    return
                failure = run.finish()
            except OSError as exc:  # what stops the search: a full disk stops it now; the
                # others (an unwritable folder, no file descriptor left) when the trial, run
                # again, starts in the driver's turn
                why = protocol.NOT_STARTED_NO_SPACE_REASON
                if not is_disk_full(exc):
                    why = f"not started: {exc}"
                failure = replace(run.finish(), state=TrialState.INTERRUPTED, reason=why)
            except Exception as exc:  # a bug here must cost one trial, not the search
                log.exception("starting trial %s failed", run.trial_id)
                failure = replace(
                    run.finish(),
                    state=TrialState.FAILED,
                    reason=f"hypermax could not start it: {type(exc).__name__}: {exc}",
                )
            with self._lock:
                self._unsaid[run.trial_id] = Launched(run.trial_id, started_at)
            failed.append(failure)

    def _announce(
        self,
        started: list[int],
        outcome: Outcome | None = None,
        failed: list[Outcome] | None = None,
    ) -> None:
        """Queue that the trials ``started`` (held on standby) started, each with the reports
        it sent meanwhile (the driver hears of a trial before its reports: a report of a trial
        it does not know to run is dropped), then ``outcome`` (after its own trial's start, if
        that was still unsaid), then the start and Outcome of each trial held that ``failed``
        to start; all as one entry, which the driver takes in one turn. ``started`` and
        ``failed`` are emptied."""
        with self._lock:
            batch: list[RunnerEvent] = []
            ids = [*started, outcome.trial_id] if outcome is not None else list(started)
            ends = [outcome] if outcome is not None else []
            for failure in failed or ():
                ids.append(failure.trial_id)
                ends.append(failure)
            for trial_id in ids:
                event = self._unsaid.pop(trial_id, None)
                if event is not None:
                    batch += [event, *self._launching.pop(trial_id, ())]
                batch += [end for end in ends if end.trial_id == trial_id]
            started.clear()
            if failed:
                failed.clear()
            if batch:
                self._events.put(batch[0] if len(batch) == 1 else batch)

    def _follow(self) -> None:
        """A follower: finish one trial after another (each in turn blocks until it ended).

        The trial held on standby that a trial's end starts is said to have started with that
        trial's Outcome, in one entry: the driver takes both in one turn (one journal write,
        one wake-up), not one after the other. A trial whose end may take long (it left
        processes running, or they hold its pipes) says it at once; a trial held that could not
        start is told after the Outcome all the same."""
        while True:
            run = self._to_follow.get()
            if run is None:
                return
            started: list[int] = []
            failed: list[Outcome] = []  # held trials that could not start
            try:
                outcome = run.finish(
                    lambda: self._start_held(started, failed),  # noqa: B023 - in this turn
                    lambda: self._announce(started),  # noqa: B023 - failed: after outcome
                )
            finally:
                with self._lock:
                    self._runs.pop(run.trial_id, None)
                    self._idle += 1  # before the Outcome: the next submit finds this one idle
            self._announce(started, outcome, failed)

    def _queue_report(self, report: Report) -> bool:
        """Queue a trial's report (in the output pump's thread); True when the queue is full:
        then the trial's stdout is held until :meth:`_take` took it down to half."""
        with self._lock:
            self._queued_reports += 1
            full = self._queued_reports > MAX_QUEUED_REPORTS
            self._reading_held = self._reading_held or full
            waiting = self._launching.get(report.trial_id)
            if waiting is None:
                self._events.put(report)
            else:  # before its Launched: see _launched
                waiting.append(report)
        return full

    def poll(self, timeout: float) -> list[RunnerEvent]:
        """What happened since the last call, at most :data:`POLL_BATCH` events (the rest comes
        at the next call); waits up to ``timeout`` for the first."""
        events: list[RunnerEvent] = []
        try:
            _add(events, self._events.get(timeout=timeout))
        except queue.Empty:
            return events
        return self._take(events, POLL_BATCH)

    def _take(self, events: list[RunnerEvent], most: float) -> list[RunnerEvent]:
        """``events`` and the queued events after them, up to ``most`` in all (an entry of
        several events is taken whole)."""
        while len(events) < most:
            try:
                _add(events, self._events.get_nowait())
            except queue.Empty:
                break
        taken = sum(isinstance(event, Report) for event in events)
        with self._lock:
            self._queued_reports -= taken
            resume = self._reading_held and self._queued_reports <= MAX_QUEUED_REPORTS // 2
            self._reading_held = self._reading_held and not resume
        if resume:
            self.host.resume_held()
        return events

    def cancel(self, trial_id: int, reason: KillReason) -> None:
        with self._lock:
            run = self._runs.get(trial_id)
        if run is not None:
            run.stop(reason)

    def go_on(self, trial_id: int) -> None:
        with self._lock:
            run = self._runs.get(trial_id)
        if run is not None:
            run.go_on()

    def interrupt(self) -> None:
        if self.host.launcher.interrupted:  # again: no more grace for the trials still stopping
            self.host.hurry = True
        self.host.launcher.interrupt()

    def pause(self) -> int:
        with self._standby_lock:  # a trial held on standby starting now starts before the pause
            self._paused = True
        with self._lock:
            runs = list(self._runs.values())
        return sum(run.pause() for run in runs)

    def unpause(self) -> None:
        with self._standby_lock:
            self._paused = False
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.unpause()

    def close(self) -> list[Outcome | Launched]:
        """Stop every running trial (as interrupted), wait for them, free the threads; remove
        the files of trials prepared and never submitted."""
        self.withdraw()
        for prepared in self._prepared.values():
            prepared.discard()
        self._prepared.clear()
        with self._lock:
            runs = list(self._runs.values())
            followers, self._followers = self._followers, []
        for run in runs:
            run.stop(KillReason.INTERRUPT)
        for _ in followers:
            self._to_follow.put(None)  # after the trials queued before it
        for follower in followers:
            follower.join()
        self._idle = 0
        self.host.close()
        return outcomes_of(self._take([], math.inf), self._events.put)

    def live(self) -> dict[int, LiveStats]:
        with self._lock:
            runs = list(self._runs.values())
        return {run.trial_id: run.live() for run in runs}

    def running(self) -> int:
        with self._lock:
            return len(self._runs)

    def process_ids(self, trial_id: int) -> tuple[int, float] | None:
        with self._lock:
            run = self._runs.get(trial_id)
        return None if run is None else run.process_ids()


def _add(events: list[RunnerEvent], entry: RunnerEvent | list[RunnerEvent]) -> None:
    """Add a queued entry, one event or several, to ``events``."""
    if isinstance(entry, list):
        events.extend(entry)
    else:
        events.append(entry)
