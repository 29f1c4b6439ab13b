"""Run trials on an existing Dask cluster (``cluster.scheduler``): the runner on hypermax's side.

Each attempt at a trial is one Dask task (:func:`~hypermax.execution.dask_worker.run_attempt`,
sent as :func:`~hypermax.execution.dask_worker.task_payload`)
that runs the trial's process tree on a worker under that worker's watchdog and returns its
Outcome; the driver keeps ``parallel`` tasks in flight, as it keeps local trials running.

How things cross the cluster, and why that way:

- **Reports, starts, live looks** travel worker → runner as Dask events on a topic of the
  runner's own (``Worker.log_event`` → ``Client.subscribe_topic``; Dask's successor of pub/sub).
  Sending never blocks the trial's output thread, costs no round trip, and the worker's one
  ordered stream carries them before the task's result, so every report reaches :meth:`poll`
  before its trial's Outcome. A Queue or a Variable would cost a scheduler round trip per report.
  Reports and looks have a topic of their own, which the runner leaves while hypermax is stopped
  (Ctrl-Z: a flood would fill a connection nothing reads); a task returns its trial's last
  report, and :meth:`unpause` fetches the reports the scheduler kept.
- **Stop decisions** travel runner → worker by ``Client.run`` on the one worker that runs the
  trial, which stops it there at once; one not started yet has its task dropped where it waits
  (:mod:`~hypermax.execution.dask_stops`).
- **A lost worker**: the runner watches the event topic of each worker running its trials (and
  asks whether the scheduler removed it already, as the start event of its first trial there may
  cross its end); when the scheduler removes the worker, each of those trials comes back
  ``interrupted`` ("lost with its Dask worker ...") and its task is cancelled. Dask's own retry
  of such a task finds the task's claim and returns at once without running, so the driver
  alone decides to run the trial again (``cluster.lost_worker_reruns``).
- **A lost scheduler**: the running trials come back ``interrupted``; if the scheduler does not
  answer again within ``cluster.lost_scheduler_wait`` seconds, :meth:`poll` raises
  :class:`~hypermax.errors.SearchFailed` (exit code 1). The workers stop the trials whose tasks
  were cancelled, and a worker that dies takes its trials with it (parent-death signal).
"""

from __future__ import annotations

import contextlib
import json
import logging
import pickle
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypermax.errors import SpecError
from hypermax.execution import dask_files
from hypermax.execution.base import BaseRunner, RunnerEvent
from hypermax.execution.dask_attempts import Attempt, Attempts
from hypermax.execution.dask_capacity import module_lacking, waiting_note
from hypermax.execution.dask_cluster import connect, dask_logs_to_hypermax
from hypermax.execution.dask_health import Scheduler, SchedulerWatch, WorkerWatch
from hypermax.execution.dask_scheduler_calls import all_sent, forget_gone_searches, forget_search
from hypermax.execution.dask_stops import Stops
from hypermax.execution.dask_task_failure import LOST_CONNECTION, failed_task_outcome
from hypermax.execution.dask_worker import (
    TaskResult,
    TrialTask,
    lost_text,
    task_payload,
)
from hypermax.execution.dask_worker_trials import live_topic
from hypermax.execution.trial_plan import TrialPlan
from hypermax.trial import KillReason, Launched, LiveStats, Outcome, Proposal, Report
from hypermax.values import quoted

if TYPE_CHECKING:
    from distributed import Future

    from hypermax.spec import ClusterSpec, FunctionSpec

log = logging.getLogger("hypermax")

_POLL_SLICE = 0.5


class DaskRunner(BaseRunner):
    """Trials as tasks on the workers of an existing Dask cluster.

    Args:
        function: the spec's ``function`` section.
        spec_folder: where relative ``module``/``src``/``cwd`` paths start.
        cluster: the spec's ``cluster`` section.
        spec_name: the spec file's name, for errors.
        share_files: let workers that see the results folder (a shared filesystem, or this
            machine) write trial folders and logs there directly; False sends them back always.

    Raises:
        SearchFailed: no scheduler answers within ``cluster.lost_scheduler_wait`` seconds.
        SpecError: the function's code is too large to send to the workers.

    Example:
        >>> runner = DaskRunner(spec.function, spec.folder, spec.cluster)
        >>> runner.submit(Proposal(1, {"x": 0.5}, {}), Path("trials/1"), Path("logs/trial_1.log"))
        >>> runner.poll(1.0)
        [Report(trial_id=1, step=1, metrics={'loss': 0.7}), Outcome(trial_id=1, ...)]
    """

    hurries = True  # a second Ctrl-C kills the trials still in their grace on their workers

    def __init__(
        self,
        function: FunctionSpec,
        spec_folder: Path,
        cluster: ClusterSpec,
        spec_name: str = "search.json",
        share_files: bool = True,
    ) -> None:
        self.function = function
        self.spec_folder = spec_folder.resolve()
        self.cluster = cluster
        self.spec_name = spec_name
        self.share_files = share_files
        self.elsewhere = f"on the Dask cluster at {cluster.scheduler}"
        try:
            self._code = dask_files.code_bundle(function, self.spec_folder)
        except dask_files.CodeTooLarge as exc:
            raise SpecError(spec_name, [("function", str(exc))]) from None
        self._attempts = Attempts()
        self._probes: dict[Path, tuple[str, str] | None] = {}
        self._sent_back = dask_files.SentBack()
        self._closed = False
        self._waiting_checked = False  # whether the trials sent can run on a worker
        self._said_lost = False  # whether the user was told that the scheduler is lost
        self._worker_left = False  # a worker running a trial left the cluster
        dask_logs_to_hypermax()
        self.client = connect(cluster, spec_name)
        self._scheduler = SchedulerWatch(self.client, cluster)
        self._workers = WorkerWatch(self.client, self._lost_worker, self._on_loop)
        lacking = module_lacking(self.client, function, self.spec_folder, cluster, spec_name)
        for worker in lacking:  # the module is the workers' to have: those without it are said
            self._attempts.note(
                f"Dask worker {worker} cannot find the function's module "
                f"{quoted(function.module or '')}: a trial sent there fails (install it there)"
            )
        forget_gone_searches(self.client)
        self.topic = f"hypermax-{uuid.uuid4().hex}"
        self.live_topic = live_topic(self.topic)
        self._paused = False
        self._stops = Stops(
            self.client, self._attempts, self._scheduler, function.kill_grace, self._on_loop
        )
        self.client.subscribe_topic(self.topic, self._on_event)
        self.client.subscribe_topic(self.live_topic, self._on_event)

    # -- the seam ---------------------------------------------------------------------------
    def submit(self, proposal: Proposal, trial_dir: Path, log_path: Path) -> None:
        """Send the trial to the cluster as one task (once the scheduler answers); return."""
        # as a worker sees them: a relative path would start from its own folder
        trial_dir, log_path = trial_dir.absolute(), log_path.absolute()
        plan = TrialPlan(self.function, self.spec_folder, proposal, trial_dir, log_path)
        key = f"hypermax-trial-{proposal.trial_id}-{uuid.uuid4().hex[:12]}"
        task = TrialTask(plan, key, self.topic, self._probe(trial_dir.parent), self._code)
        attempt = Attempt(task, trial_dir, log_path)
        self._attempts.add(attempt)
        if self._scheduler.answers:
            self._send(attempt)

    def poll(self, timeout: float) -> list[RunnerEvent]:
        """Reports and outcomes; raises SearchFailed once the scheduler is lost for too long,
        and FolderUnwritable (once) when the results folder refused what a worker sent back."""
        self._sent_back.raise_refusal()
        deadline = time.monotonic() + timeout
        while True:
            self._check_scheduler()
            self._stops.drop_unstarted()
            self._stops.check()
            left = deadline - time.monotonic()
            events = self._attempts.take(max(0.0, min(_POLL_SLICE, left)))
            if events or left <= _POLL_SLICE:
                return events

    def cancel(self, trial_id: int, reason: KillReason) -> None:
        """Stop the trial on its worker (or before it starts); its Outcome comes through poll."""
        attempt = self._attempts.of_trial(trial_id)
        if attempt is None:  # ended; lost with the scheduler, its Outcome need not wait for it
            self._attempts.release(trial_id)
            return
        self._stops.stop(attempt, reason)

    def close(self) -> list[Outcome | Launched]:
        """Stop every trial in flight (as interrupted), wait for them, and disconnect."""
        if not self._closed:
            self._stops.stop_all()
            self._closed = True
            with contextlib.suppress(Exception):
                if self.client.status == "running" and not self._scheduler.hangs():
                    forget_search(self.client, [self.topic, self.live_topic])
                self.client.close(timeout=5)
        self._attempts.release()
        return self._attempts.outcomes()

    def interrupt(self) -> None:
        """Called again (a second Ctrl-C): the trials still stopping on their workers are
        killed there at once, without the rest of their ``kill_grace``. Only sets flags and
        hands the rest to the client's event loop, as a signal handler may."""
        self._stops.interrupt()

    def pause(self) -> int:
        """Hypermax is about to stop (Ctrl-Z): the trials run on, but their live messages
        (reports, looks) are no longer sent here, where nothing would read them and a flood of
        reports would fill the connection until the scheduler drops this client. Each trial's
        last report comes with its outcome; :meth:`unpause` fetches what the scheduler kept."""
        if self._paused or self._closed or self.client.status != "running":
            return 0
        self._paused = True
        with contextlib.suppress(Exception):
            self.client.unsubscribe_topic(self.live_topic)
            # what was sent leaves before this process stops
            self.client.sync(all_sent, self.client, callback_timeout=1.0)
        return 0

    def unpause(self) -> None:
        if not self._paused:
            return
        self._paused = False
        self._scheduler.forgive()  # its question waited while this process was stopped
        with contextlib.suppress(Exception):
            self.client.subscribe_topic(self.live_topic, self._on_event)
            self._on_loop(self._catch_up)

    def live(self) -> dict[int, LiveStats]:
        return self._attempts.live()

    def running(self) -> int:
        return len(self._attempts)

    # -- sending, and what comes back -------------------------------------------------------
    def _send(self, attempt: Attempt) -> None:
        try:
            future = self.client.submit(
                pickle.loads,
                task_payload(attempt.task),
                key=attempt.key,
                pure=False,
                resources=self.cluster.resources or None,
            )
        except Exception as exc:  # the client gave up on the scheduler
            self._attempts.finish(attempt, attempt.interrupted(LOST_CONNECTION))
            raise self._scheduler.lost() from exc
        attempt.future = future
        future.add_done_callback(self._on_done)
        if not self._waiting_checked:  # at the first trial, and after a worker left
            self._waiting_checked = True
            note = waiting_note(self.client, self.cluster, self._worker_left)
            if note is not None:
                self._attempts.note(note)

    def _on_event(self, event: tuple[float, dict[str, Any]]) -> None:
        """An event of this runner's topic (on the client's event loop)."""
        message = event[1]
        attempt = self._attempts.of_key(str(message.get("key")))
        if attempt is None:
            return
        kind = message.get("kind")
        if kind == "report":
            metrics = json.loads(message["metrics"])  # JSON text: see dask_worker's report
            report = Report(attempt.trial_id, int(message["step"]), metrics)
            self._attempts.report(attempt, report, int(message["n"]))
        elif kind == "live":
            attempt.live = (message["rss_mib"], message["cpu_percent"], message["processes"])
        elif kind in ("starting", "started"):  # the trial starts there; it started
            with self._attempts.lock:
                first = attempt.worker is None
                attempt.worker = str(message["worker"])
                attempt.in_place = attempt.in_place or bool(message.get("in_place"))
                if kind == "started":
                    attempt.started = time.monotonic()
                stop = attempt.stop
            if first:  # the worker finds a stop that comes before the trial started
                self._workers.watch(attempt.worker)
                if stop is not None:
                    self._stops.deliver(attempt)

    def _on_done(self, future: Future) -> None:
        """The task of an attempt ended (in Dask's callback thread)."""
        attempt = self._attempts.of_key(str(future.key))
        if attempt is None or attempt.done:
            return
        try:
            result: TaskResult = future.result()
        except Exception as exc:
            connected = self.client.status == "running"
            outcome = failed_task_outcome(attempt, exc, connected, self._attempts.lock)
            lost = outcome.reason == LOST_CONNECTION and attempt.stop is None
            self._attempts.finish(attempt, outcome, hold=lost)
            return
        if result.last_report is not None:  # unheard if this process was stopped (Ctrl-Z)
            number, step, metrics = result.last_report
            report = Report(attempt.trial_id, step, json.loads(metrics))
            self._attempts.report(attempt, report, number)
        if result.files is not None:
            self._sent_back.restore(
                result.files, attempt.trial_dir, attempt.log_path, result.worker
            )
        self._attempts.finish(attempt, result.outcome)

    def _probe(self, trials_root: Path) -> tuple[str, str] | None:
        """The probe workers look for to find they share the results folder."""
        if not self.share_files:
            return None
        if trials_root not in self._probes:
            self._probes[trials_root] = dask_files.write_probe(trials_root)
        return self._probes[trials_root]

    # -- workers and the scheduler ----------------------------------------------------------
    def _lost_worker(self, worker: str) -> None:
        """The scheduler removed ``worker``: the trials running there are lost."""
        self._worker_left = True
        self._waiting_checked = False  # its trials run again: the next one sent says if none can
        for attempt in self._attempts.in_flight():
            if attempt.worker == worker:
                stayed = "" if attempt.in_place else "; its output stayed there"
                self._stops.give_up(attempt, lost_text(worker), f"{lost_text(worker)}{stayed}")

    def _check_scheduler(self) -> None:
        """Note a lost scheduler, and give up on it after ``cluster.lost_scheduler_wait``.

        The trials lost with it are handed on once it answers again (the driver runs them
        again then), or when the runner closes; trials submitted meanwhile wait for it.
        """
        if self._closed:
            return
        where = self.cluster.scheduler
        found = self._scheduler.look()
        if found is Scheduler.BACK:
            if self._said_lost:
                self._said_lost = False
                self._attempts.note(f"cluster: the Dask scheduler at {where} answers again")
            self._scheduler_back()
        elif found is Scheduler.UP:  # an outcome held as its connection broke, handed on now
            self._attempts.release()
            if self._stops.interrupted and self._scheduler.hangs():  # it ends as interrupted
                self._stops.check(every=True)
            else:
                self._scheduler.check_answers()
        else:
            if found is Scheduler.LOST_NOW:
                self._said_lost = True
                self._attempts.note(
                    f"cluster: lost the Dask scheduler at {where}: the trials running are lost; "
                    f"waiting up to {self.cluster.lost_scheduler_wait:g} s for it to answer "
                    "(cluster.lost_scheduler_wait)"
                )
                note = f"{LOST_CONNECTION}; the trial's output may be lost"
                for attempt in self._attempts.in_flight():
                    if attempt.future is not None:  # one that was stopped need not run again
                        hold = attempt.stop is None
                        self._stops.give_up(attempt, LOST_CONNECTION, note, hold)
            self._scheduler.check_wait()

    def _scheduler_back(self) -> None:
        """The scheduler answers again (subscriptions do not survive a reconnect)."""
        self._waiting_checked = False  # a scheduler started again may have no worker yet
        self._workers.forget()
        self.client.subscribe_topic(self.topic, self._on_event)
        self.client.subscribe_topic(self.live_topic, self._on_event)
        self._attempts.release()
        for attempt in self._attempts.in_flight():
            if attempt.future is None:
                self._send(attempt)

    # -- on the client's event loop ---------------------------------------------------------
    def _on_loop(self, coroutine_function: Any, *args: Any) -> None:
        """Run ``coroutine_function(*args)`` on the client's event loop; return at once."""
        loop = self.client.loop
        if loop is not None:
            loop.add_callback(coroutine_function, *args)

    async def _catch_up(self) -> None:
        """Hand on the reports the scheduler kept (its last events of the live topic) that were
        not heard while this process was stopped."""
        with contextlib.suppress(Exception):
            for event in await self.client.scheduler.events(topic=self.live_topic):
                if event[1].get("kind") == "report":
                    self._on_event(event)
