"""What the dashboard shows, folded from the driver's events; pure Python, no urwid.

:class:`DashboardState` consumes events with :meth:`DashboardState.apply` and answers the panels'
questions (counts, best trial, ETA, the best-so-far series, running rows, which params relate to
the loss). The dashboard renders from it; tests drive it with events and a fake clock.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hypermax import events as ev
from hypermax.analysis import MIN_TRIALS, ParamRelation, rank_params
from hypermax.best import best_trial, ended_order
from hypermax.clock import SearchClock, awake, stood_still
from hypermax.journal import JOURNAL_NAME
from hypermax.journal_records import trial_metadata
from hypermax.optimizers.ablation import planned_trial
from hypermax.space import flatten
from hypermax.stopping import Standing
from hypermax.trial import LiveStats, Trial, TrialState
from hypermax.ui.formatting import not_run_text, unfinished_text, until_timeout
from hypermax.ui.pace import Pace, trial_duration
from hypermax.ui.running import RunningRow, params_differing

#: Fewest finished trials with a loss before params are ranked against it.
MIN_RANKED_TRIALS = MIN_TRIALS
MESSAGES_KEPT = 50
#: How long the status line shows a line of news (an export written, the objective's module
#: loaded, a key's answer); a warning stays until another line comes.
NEWS_SECONDS = 10.0
#: How many of a running trial's latest judged losses its curve keeps.
CURVE_POINTS = 24


@dataclass(frozen=True)
class StatusMessage:
    """The latest line for the status: its text, when it came (by the state's clock), and
    whether it is news (:attr:`hypermax.events.Message.news`), shown ``NEWS_SECONDS`` only."""

    text: str
    at: float
    news: bool = False


class DashboardState:
    """The dashboard's model, updated one event at a time.

    Args:
        clock: monotonic seconds, the time hypermax spent stopped (Ctrl-Z) left out, when its
            trials stood still too; injectable for tests.
        stood: the seconds hypermax spent stopped so far (what ``clock`` leaves out, and the
            wall times of the trials stopped with it count); injectable for tests.
    """

    def __init__(
        self, clock: Callable[[], float] = awake, stood: Callable[[], float] = stood_still
    ) -> None:
        self.clock = clock
        self.stood = stood
        self._search_time = SearchClock(clock)  # this run's, paused time left out too
        self.name = ""
        self.method = ""
        self.iterations = 0
        self.parallel = 1
        self.timeout: float | None = None
        self.results_folder: Path | None = None
        #: trials whose metadata a resume left in the journal, until one is shown whole
        self.metadata_in_journal: set[int] = set()
        self.resumed = False
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.finished: dict[int, Trial] = {}
        self.order: list[int] = []
        self.running: dict[int, Trial] = {}
        self.live: dict[int, LiveStats] = {}
        self.last_report: dict[int, dict[str, Any]] = {}
        self.standing: dict[int, Standing] = {}
        self.curves: dict[int, deque[float]] = {}
        self.best: Trial | None = None
        self.paused = False
        self.ended = False
        self.end_reason: str | None = None
        self.end: ev.SearchFinished | None = None  # how the search ended, once it did
        self.interrupted = False
        #: Ctrl-C (or quit) asked the search to stop, or a trial was interrupted: no ETA since
        self.stopping = False
        self.messages: deque[str] = deque(maxlen=MESSAGES_KEPT)
        self.latest: StatusMessage | None = None  # the last of :attr:`messages`
        self.version = 0
        self.finished_version = 0
        self._launched_at: dict[int, float] = {}
        self._stood_at: dict[int, float] = {}  # what ``stood`` said as each trial started
        self._flat: dict[int, dict[str, Any]] = {}
        self._pace = Pace()
        self._ranking: tuple[int, list[ParamRelation]] | None = None
        #: the finished trials by state, kept as they finish: a redraw does not count them all
        self._counts = {state.value: 0 for state in TrialState if state is not TrialState.RUNNING}
        #: the chart's series as far as :attr:`order` was folded into them (None: to be made
        #: anew, after a trial was recorded again); a trial that ends extends them
        self._chart: _Chart | None = None

    # -- folding events -------------------------------------------------------------------------
    def apply(self, event: ev.Event, at: float | None = None) -> None:
        """Fold one driver event into the state; ``at``: when it came, by :attr:`clock` (now
        when not given; the UI takes events in batches, and a trial's end is counted in the
        pace of the search when it came, not when its batch was taken)."""
        self.version += 1
        if isinstance(event, ev.SearchStarted):
            self._start(event)
        elif isinstance(event, ev.TrialStarted):
            self.running[event.trial.id] = event.trial
            self._launched_at[event.trial.id] = self.clock()
            self._stood_at[event.trial.id] = self.stood()
        elif isinstance(event, ev.TrialReported):
            self._reported(event)
        elif isinstance(event, ev.TrialFinished):
            self._finish(event.trial)
            if event.trial.state.counted:
                self._pace.trial_ended(self.clock() if at is None else at)
            if event.trial.state is TrialState.INTERRUPTED:
                self.stopping = True  # the trials left do not run now
            if event.trial.state in (TrialState.FAILED, TrialState.KILLED):
                self._say(problem_line(event.trial))
            if event.best is not None:
                self.best = event.best
        elif isinstance(event, ev.LiveUpdate):
            self.live = {tid: stats for tid, stats in event.stats.items() if tid in self.running}
        elif isinstance(event, ev.Paused):
            self.paused = event.paused
            self._search_time.pause(event.paused)
            self.forget_pace()  # a pause is no part of the pace
        elif isinstance(event, ev.Message):
            self._say(event.text, event.news)
        elif isinstance(event, ev.SearchFinished):
            self.ended = True
            self.end = event
            self.ended_at = self.clock()
            self._search_time.end()
            self.end_reason = event.reason
            self.interrupted = event.interrupted
            self.paused = False
            if event.best is not None:
                self.best = event.best

    def _reported(self, event: ev.TrialReported) -> None:
        report, standing = event.report, event.standing
        self.last_report[report.trial_id] = {"step": report.step, **report.metrics}
        if standing is not None and report.trial_id in self.running:
            self.standing[report.trial_id] = standing
            curve = self.curves.setdefault(report.trial_id, deque(maxlen=CURVE_POINTS))
            curve.append(standing.loss)

    def forget_pace(self) -> None:
        """Measure the pace at which trials end (for :meth:`eta`) anew: after a pause, or after
        the process stood still (Ctrl-Z, then ``fg``), the time between the trials before and
        after it says nothing of the search."""
        self._pace.forget()

    def stop_asked(self) -> None:
        """The search was asked to stop (Ctrl-C, a quit): until it ends, the trials left do not
        run, and no ETA is shown (the elapsed time alone, as the console's lines)."""
        self.version += 1
        self.stopping = True

    def note(self, text: str, news: bool = False) -> None:
        """Add a line to the messages (the dashboard's own notes: errors, a key's answer);
        ``news``: shown ``NEWS_SECONDS`` only."""
        self.version += 1
        self._say(text, news)

    def _say(self, text: str, news: bool = False) -> None:
        self.messages.append(text)
        self.latest = StatusMessage(text, self.clock(), news)

    def status_message(self) -> str:
        """The line the status shows: the latest message, but news only ``NEWS_SECONDS`` after
        it came (the status line is empty then: the progress bar takes it); a warning (a
        failed trial's, a logged one) stays until another line comes."""
        latest = self.latest
        if latest is None or (latest.news and self.clock() - latest.at >= NEWS_SECONDS):
            return ""
        return latest.text

    def _start(self, event: ev.SearchStarted) -> None:
        self.name = event.name
        self.method = event.method
        self.iterations = event.iterations
        self.parallel = max(1, event.parallel)
        self.timeout = event.timeout
        self.results_folder = event.results_folder
        self.metadata_in_journal = set(event.metadata_in_journal)
        self.resumed = event.resumed
        self.started_at = self.clock()
        self._search_time.start()
        for trial in sorted(event.history, key=lambda t: (t.ended_at or 0.0, t.id)):
            self._finish(trial)
        if event.resumed:
            done = self.counts()["done"]
            self._say(
                f"resumed: {done} of {self.iterations} trials were done"
                + unfinished_text(event.unfinished)
                + not_run_text(event.not_run, done),
                news=True,
            )

    def _finish(self, trial: Trial) -> None:
        self.running.pop(trial.id, None)
        self.live.pop(trial.id, None)
        self.last_report.pop(trial.id, None)
        self.standing.pop(trial.id, None)
        self.curves.pop(trial.id, None)
        launched = self._launched_at.pop(trial.id, None)
        stood_at = self._stood_at.pop(trial.id, None)
        stopped = 0.0 if stood_at is None else self.stood() - stood_at
        old = self.finished.get(trial.id)
        if old is None:
            self.order.append(trial.id)
        else:
            self._counts[old.state.value] -= 1
            self._chart = None  # a point in the middle of the series changes
        self._counts[trial.state.value] = self._counts.get(trial.state.value, 0) + 1
        self.finished[trial.id] = trial
        self._flat[trial.id] = flatten(trial.params)
        self.finished_version += 1
        duration = trial_duration(trial, launched, self.clock(), stopped)
        if duration is not None and trial.state.counted:
            self._pace.trial_took(duration)
        self.best = best_trial([trial] if self.best is None else [self.best, trial])

    # -- derived views --------------------------------------------------------------------------
    def baseline(self) -> Trial | None:
        """In an ablation study, the first baseline trial that has a loss; else None."""
        for trial_id in sorted(self.finished):
            trial = self.finished[trial_id]
            planned = planned_trial(trial)
            if planned is not None and planned.group is None and trial.loss is not None:
                return trial
        return None

    def counts(self) -> dict[str, int]:
        """Trials by state, plus ``done`` (those counted towards iterations) and ``running``."""
        counts = dict(self._counts)
        counts["done"] = sum(counts[s.value] for s in TrialState if s.counted)
        counts["running"] = len(self.running)
        return counts

    def elapsed(self) -> float:
        """Seconds the search has run in this session (frozen once it ended), the time it was
        paused or stopped (Ctrl-Z) left out, as its ``timeout`` counts them."""
        return self._search_time.elapsed()

    def eta(self) -> float | None:
        """Seconds until ``iterations`` trials are done, each taking a slot for the typical
        time of :meth:`hypermax.ui.pace.Pace.typical`, the running ones less what they ran.

        None before any trial finished, once the search ended or was asked to stop (the trials
        left do not run then), and while it is paused.
        """
        typical = self._pace.typical(self.parallel)
        if self.ended or self.stopping or self.paused or typical is None:
            return None
        now = self.clock()
        running_left = [max(0.0, typical - self._running_elapsed(tid, now)) for tid in self.running]
        to_launch = max(0, self.iterations - self.counts()["done"] - len(self.running))
        work = sum(running_left) + to_launch * typical
        return until_timeout(
            max(work / self.parallel, max(running_left, default=0.0)),
            self.timeout,
            self.elapsed(),
        )

    def chart_points(self) -> list[tuple[float | None, str]]:
        """``(loss, state)`` of every finished trial that counts, in the order they finished."""
        return self._series()[0]

    def best_series(self) -> list[float | None]:
        """The best loss so far after each point of :meth:`chart_points` (None before the first)."""
        return self._series()[1]

    def _series(self) -> tuple[list[tuple[float | None, str]], list[float | None]]:
        """Both chart series, extended by the trials that finished since the last call (made
        anew only after a trial was recorded again)."""
        chart = self._chart
        if chart is None:
            chart = self._chart = _Chart()
        for tid in self.order[chart.folded :]:
            trial = self.finished[tid]
            chart.folded += 1
            if not trial.state.counted:
                continue
            loss = trial.loss
            chart.points.append((loss, trial.state.value))
            best = chart.series[-1] if chart.series else None
            if loss is not None and math.isfinite(loss) and (best is None or loss < best):
                best = loss
            chart.series.append(best)
        return chart.points, chart.series

    def running_rows(self) -> list[RunningRow]:
        """The running trials, oldest first, with live resource use and params unlike the best."""
        now = self.clock()
        best_flat = flatten(self.best.params) if self.best is not None else None
        rows = []
        for tid in sorted(self.running):
            trial = self.running[tid]
            stats = self.live.get(tid)
            where = stats.where if stats else ""
            if stats is not None and not stats.processes:
                stats = None  # not looked at yet (or all gone): not "0 MiB  CPU 0%"
            rows.append(
                RunningRow(
                    trial_id=tid,
                    elapsed=self._running_elapsed(tid, now),
                    rss_mib=stats.rss_mib if stats else None,
                    cpu_percent=stats.cpu_percent if stats else None,
                    last_report=self.last_report.get(tid),
                    differs=params_differing(flatten(trial.params), best_flat),
                    curve=tuple(self.curves.get(tid, ())),
                    standing=self.standing.get(tid),
                    where=where,
                )
            )
        return rows

    def trials(self, sort: str = "loss", reverse: bool = False) -> list[Trial]:
        """Finished and running trials, by ``loss`` (no loss last) or by ``id``."""
        everyone = [*self.finished.values(), *self.running.values()]
        if sort == "id":
            return sorted(everyone, key=lambda t: t.id, reverse=reverse)
        with_loss = sorted(
            (t for t in everyone if t.loss is not None),
            key=lambda t: (t.loss, ended_order(t), t.id),
        )
        if reverse:
            with_loss.reverse()
        without = sorted((t for t in everyone if t.loss is None), key=lambda t: t.id)
        return [*with_loss, *without]

    def trial(self, trial_id: int) -> Trial | None:
        """A finished or running trial by id."""
        return self.finished.get(trial_id) or self.running.get(trial_id)

    def whole(self, trial: Trial) -> Trial:
        """``trial`` with its metadata: read back from the journal, once, for a trial whose
        metadata a resume left there (:attr:`.events.SearchStarted.metadata_in_journal`)."""
        if trial.id not in self.metadata_in_journal or self.results_folder is None:
            return trial
        self.metadata_in_journal.discard(trial.id)
        metadata = trial_metadata(self.results_folder / JOURNAL_NAME, trial.id)
        if not metadata or self.finished.get(trial.id) is not trial:
            return trial
        self.finished[trial.id] = whole = replace(trial, metadata=metadata)
        return whole

    def param_ranking(self, min_trials: int = MIN_RANKED_TRIALS) -> list[ParamRelation]:
        """Flat params ranked by ``|rho|`` against the loss (cached until another trial ends).

        See :func:`hypermax.analysis.rank_params`.
        """
        if self._ranking is not None and self._ranking[0] == self.finished_version:
            return self._ranking[1]
        scored = [
            (self._flat[tid], t.loss) for tid, t in self.finished.items() if t.loss is not None
        ]
        ranking = rank_params(scored, min_trials)
        self._ranking = (self.finished_version, ranking)
        return ranking

    def running_elapsed(self, trial_id: int) -> float:
        """Seconds a running trial has run so far."""
        return self._running_elapsed(trial_id, self.clock())

    def _running_elapsed(self, trial_id: int, now: float) -> float:
        """Seconds since the trial started: by our clock (live stats are up to a second old)."""
        launched = self._launched_at.get(trial_id)
        if launched is not None:
            return max(0.0, now - launched)
        stats = self.live.get(trial_id)
        return stats.elapsed if stats is not None else 0.0


@dataclass
class _Chart:
    """The chart's series (:meth:`DashboardState.chart_points`, ``best_series``) and how many
    trials of ``order`` they fold."""

    points: list[tuple[float | None, str]] = field(default_factory=list)
    series: list[float | None] = field(default_factory=list)
    folded: int = 0


def problem_line(trial: Trial) -> str:
    """One line on what went wrong with a failed or killed trial, for the status line."""
    reason = (trial.reason or "no reason given").splitlines()[0]
    return f"trial {trial.id} {trial.state.value}: {reason}"
