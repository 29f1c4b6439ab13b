"""The trials running on a Dask worker: what each sends the runner, how a stop finds it, and
the watcher that looks at each of them.

A :class:`RunningTrial` is the task's trial as the rest of the worker finds it: the runner's
:func:`stop_trial`, run here through ``Client.run``, and the watcher thread, which every
:data:`LIVE_SECONDS` sends the runner a look at each trial, and stops a trial whose task was
cancelled (its client went away: Ctrl-C, a crash, a lost scheduler) or whose worker closes.
Its start, its reports and its looks travel as Dask events (``Worker.log_event``) on the
runner's topics.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from distributed.core import Status

from hypermax.trial import KillReason, Report

if TYPE_CHECKING:
    from distributed import Worker

    from hypermax.execution.dask_worker import TrialTask
    from hypermax.execution.trial_run import TrialRun

#: seconds between two looks at each running trial, sent to the runner
LIVE_SECONDS = 1.0
#: what a trial's task is in, on its worker, once it is cancelled
_CANCELLED = ("cancelled", "released", "forgotten")
#: a worker closing (``dask worker`` got SIGTERM, or Ctrl-C): its scheduler has let it go
_CLOSING = (Status.closing, Status.closed, Status.failed)
#: why a trial's kill ladder takes no more of its grace, once the search was interrupted again
HURRIED = "interrupted again"

#: a trial's last report as its task returns it: (its number, step, metrics as JSON text)
LastReport = tuple[int, int, str]


def live_topic(topic: str) -> str:
    """The topic of the runner's live messages (reports, looks at running trials): one of its
    own, which the runner leaves while hypermax is stopped (Ctrl-Z), so that a trial's flood of
    reports does not fill a connection that nothing reads."""
    return f"{topic}-live"


class RunningTrial:
    """A trial running on this worker, as :func:`stop_trial` and the watcher find it."""

    def __init__(self, task: TrialTask, worker: Worker, in_place: bool) -> None:
        self.key = task.key
        self.in_place = in_place  # it writes its folder and log where hypermax reads them
        self.topic = task.topic
        self.worker = worker
        self.run: TrialRun | None = None
        self.started = False
        self.stop_reason: KillReason | None = None
        self.last_report: LastReport | None = None

    def send(self, message: dict[str, Any], live: bool = False) -> None:
        """An event for the runner (the worker adds its address to it); ``live``: on the topic
        of live messages."""
        topic = live_topic(self.topic) if live else self.topic
        try:
            self.worker.log_event(topic, {"key": self.key, **message})
        except Exception:  # a closing worker: the runner learns of the trial from its task
            return

    def announce(self) -> bool:
        """Tell the runner, before the trial starts, that it starts on this worker; False if
        the worker closes already, and the trial must not start. A closing worker sends what
        it was given to send before it closes, not after: so the runner hears where each trial
        that started ran before it hears of the worker's end, even when that end comes before
        the trial's start event could be sent."""
        if self.worker.status in _CLOSING:
            return False
        self.send({"kind": "starting", "in_place": self.in_place})
        return True

    def report(self, report: Report) -> None:
        """Send a report, numbered (in the trial's output thread, one at a time). Its metrics,
        which the trial's report line gave as JSON, travel as JSON text: Dask's msgpack cannot
        carry every JSON value (an integer beyond 64 bits, a lone surrogate, deep nesting), and
        a message it cannot carry breaks the worker's connection, and the worker ends."""
        n = 1 if self.last_report is None else self.last_report[0] + 1
        metrics = json.dumps(report.metrics)
        self.last_report = (n, report.step, metrics)
        self.send({"kind": "report", "n": n, "step": report.step, "metrics": metrics}, True)

    def begin(self) -> None:
        """The trial's process started: carry out a stop that came before it."""
        with _lock:
            self.started = True
            reason = self.stop_reason
        if reason is not None and self.run is not None:
            self.run.stop(reason)

    def stop(self, reason: KillReason) -> None:
        with _lock:
            self.stop_reason = self.stop_reason or reason
            started = self.started
        if started and self.run is not None:
            self.run.stop(reason)

    def hurry(self) -> None:
        """The search was interrupted again: the trial's kill ladder, under way or to come,
        sends SIGKILL at once, without the rest of its grace (as a second Ctrl-C does to a
        trial on hypermax's own machine; the worker's host, which other searches' trials may
        share, is left as it is)."""
        if self.run is not None and self.run.usage.over_in_grace is None:
            self.run.usage.over_in_grace = HURRIED

    def cancelled(self) -> bool:
        """Whether Dask cancelled the trial's task (it goes on running in its thread), or the
        worker closes: its scheduler gave up on the task, and the worker, which waits for its
        tasks' threads as it closes, would otherwise wait for the trial (30 s, while a nanny
        SIGKILLs it after 8 s)."""
        if self.worker.status in _CLOSING:
            return True
        state = self.worker.state.tasks.get(self.key)
        return state is None or state.state in _CANCELLED

    def look(self) -> None:
        """Stop the trial if its task was cancelled (or its worker closes), else send the
        runner how it runs."""
        if self.run is None or not self.started:
            return
        if self.cancelled():
            self.stop(KillReason.INTERRUPT)
            return
        stats = self.run.live()
        self.send(
            {
                "kind": "live",
                "rss_mib": stats.rss_mib,
                "cpu_percent": stats.cpu_percent,
                "processes": stats.processes,
            },
            live=True,
        )


_lock = threading.Lock()
_runs: dict[str, RunningTrial] = {}
_watcher: threading.Thread | None = None


@contextmanager
def running_here(running: RunningTrial) -> Iterator[None]:
    """Let :func:`stop_trial` and the watcher find ``running`` while the block runs."""
    with _lock:
        _runs[running.key] = running
    try:
        yield
    finally:
        with _lock:
            _runs.pop(running.key, None)


def stop_trial(key: str, reason: str, hurry: bool = False) -> bool:
    """Stop the trial of attempt ``key`` on this worker (run here by ``Client.run``);
    ``hurry``: the search was interrupted again, and its kill takes no more of its grace.

    Returns whether the attempt runs here.
    """
    with _lock:
        running = _runs.get(key)
    if running is not None:
        if hurry:
            running.hurry()
        running.stop(KillReason(reason))
    return running is not None


def ensure_watcher() -> None:
    """Start the watcher thread, unless it runs: it ends once no trial is left here."""
    global _watcher
    with _lock:
        if _watcher is None:
            _watcher = threading.Thread(target=_watch, name="hypermax-dask-watch", daemon=True)
            _watcher.start()


def _watch() -> None:
    """Every :data:`LIVE_SECONDS`, look at each running trial; end when none is left."""
    global _watcher
    while True:
        time.sleep(LIVE_SECONDS)
        with _lock:
            runs = list(_runs.values())
            if not runs:
                _watcher = None
                return
        for running in runs:
            running.look()
