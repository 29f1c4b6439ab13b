"""Plain progress lines: one per finished trial, with a progress bar; for pipes, logs and CI."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from typing import TextIO

from hypermax import events as ev
from hypermax.clock import SearchClock, awake
from hypermax.trial import Trial, TrialState
from hypermax.ui.formatting import (
    eta_text,
    format_duration,
    format_loss,
    format_params,
    not_run_text,
    one_line,
    stopped_at,
    trials_text,
    unfinished_text,
    until_timeout,
)

log = logging.getLogger("hypermax")

__all__ = [
    "ConsoleReporter",
    "best_line",
    "closing_lines",
    "format_loss",
    "format_params",
    "progress_bar",
    "summary_lines",
    "trials_text",
]

BAR_WIDTH = 20


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``[#######.............]`` for ``done`` of ``total``."""
    filled = 0 if total <= 0 else min(width, round(width * done / total))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def summary_lines(
    reason: str,
    done: int,
    best: Trial | None,
    best_run: Trial | None = None,
    warm_start: str | None = None,
    states: Mapping[TrialState, int] | None = None,
) -> list[str]:
    """How a search ended and its best trial, as printed at the end of every run. When the best
    is a trial its warm start imported, from ``warm_start``, the line says so, and the next
    names ``best_run``, the best of the trials the search ran itself (if one has a loss).
    ``states``: how many of the trials done ended in each state; those that did not end ``ok``
    are named (``20 trials done (15 failed, 2 killed)``), which the dashboard showed until its
    screen was gone."""
    lines = [f"hypermax: search ended ({reason}); {trials_text(done)} done"]
    not_ok = [
        f"{states[state]} {state.value}"
        for state in (TrialState.FAILED, TrialState.KILLED, TrialState.STOPPED)
        if states and states.get(state)
    ]
    if not_ok:
        lines[0] += f" ({', '.join(not_ok)})"
    if best is None:
        return [*lines, "no trial produced a loss"]
    lines.append(best_line(best, warm_start))
    if best.state is TrialState.IMPORTED and best_run is not None:
        lines.append(f"best of this search: {best_line(best_run).removeprefix('best ')}")
    return lines


def closing_lines(finished: ev.SearchFinished) -> list[str]:
    """What every run prints as its search ends (:func:`summary_lines`): how it ended, how many
    trials were done (and how many of those failed, were killed or stopped), its best trial."""
    return summary_lines(
        finished.reason,
        finished.done,
        finished.best,
        finished.best_run,
        finished.warm_start,
        finished.states,
    )


def best_line(best: Trial, warm_start: str | None = None) -> str:
    """``best loss 0.0511 (trial 9): x=0.31, opt="adam"``; with no params, no ``: ``. A trial
    a warm start imported is ``(trial 9, imported)``, ``(trial 9, imported from ws/a)`` when
    the ``warm_start`` it came from is known; one stopped early (the best only when no trial
    that ran to its end has a loss) is ``(trial 9, stopped at step 3)``: its loss is that step's."""
    params = format_params(best.params)
    where = f"trial {best.id}"
    if best.state is TrialState.IMPORTED:
        where += f", imported from {one_line(warm_start)}" if warm_start else ", imported"
    elif best.state is TrialState.STOPPED:
        where += stopped_at(best.step)
    line = f"best loss {format_loss(best.loss)} ({where})"
    return f"{line}: {params}" if params else line


class ConsoleReporter:
    """Writes one line per finished trial and a summary at the end."""

    def __init__(self, stream: TextIO | None = None, clock: Callable[[], float] = awake) -> None:
        self.stream = stream or sys.stdout
        self.clock = clock
        self.total = 0
        self._timeout: float | None = None
        self._search_time = SearchClock(clock)  # this run's, paused or stopped time left out
        self._search_time.start()
        self._done_before = 0  # trials a resumed search had done before this run
        self._closed = False  # the stream's reader went away (``| head``): the search goes on

    def _print(self, text: str) -> None:
        if self._closed:
            return
        try:
            try:
                print(text, file=self.stream, flush=True)
            except UnicodeEncodeError:  # a letter its encoding lacks (an ASCII locale): escaped
                encoding = getattr(self.stream, "encoding", None) or "ascii"
                text = text.encode(encoding, "backslashreplace").decode(encoding)
                print(text, file=self.stream, flush=True)
        except BrokenPipeError:
            self._closed = True
            log.warning("the output's reader is gone: no more trial lines; the search goes on")
        except OSError as exc:  # a full disk, an output closed under it: as a reader gone
            self._closed = True
            log.warning(
                "the output cannot be written (%s): no more trial lines; the search goes on",
                exc.strerror or exc,
            )

    def handle(self, event: ev.Event) -> None:
        if isinstance(event, ev.SearchStarted):
            self.total = event.iterations
            self._timeout = event.timeout
            self._search_time.start()
            self._print(
                f"hypermax: {event.name}: {event.method}, {trials_text(event.iterations)}, "
                f"parallel {event.parallel}, results in {one_line(str(event.results_folder))}"
            )
            if event.resumed:
                done = sum(t.state.counted for t in event.history)
                self._done_before = done
                if done < event.iterations:
                    self._print(
                        f"resuming {event.name}: {done} of {event.iterations} trials done"
                        + unfinished_text(event.unfinished)
                    )
                else:  # iterations lowered below what ran: nothing is left to run
                    self._print(
                        f"resuming {event.name}: {done} trials done, iterations "
                        f"{event.iterations}: none left to run" + not_run_text(event.not_run, done)
                    )
        elif isinstance(event, ev.TrialFinished):
            self._print(self._trial_line(event.trial, event.best, event.done))
        elif isinstance(event, ev.Message):
            self._print(f"hypermax: {event.text}")
        elif isinstance(event, ev.Paused):
            self._search_time.pause(event.paused)
            self._print("hypermax: paused" if event.paused else "hypermax: resumed")
        elif isinstance(event, ev.SearchFinished):
            for line in closing_lines(event):
                self._print(line)

    def _pace(self, done: int, ending: bool = False) -> list[str]:
        """``elapsed 37s`` and, with trials left, ``ETA 44s`` at this run's pace so far
        (``finishing`` past the search's ``timeout``: :func:`eta_text`); no ETA
        when the search is ``ending`` (interrupted: the trials left do not run now)."""
        elapsed = self._search_time.elapsed()
        parts = [f"elapsed {format_duration(elapsed)}"]
        done_here, left = done - self._done_before, self.total - done
        if done_here > 0 and left > 0 and not ending:
            eta = until_timeout(elapsed / done_here * left, self._timeout, elapsed)
            parts.append(eta_text(eta))
        return parts

    def _trial_line(self, trial: Trial, best: Trial | None, done: int) -> str:
        width = len(str(self.total))
        parts = [
            f"{progress_bar(done, self.total)} {done:>{width}}/{self.total}",
            f"trial {trial.id:<{width}}",
            f"{trial.state.value:<11}",
            f"loss {format_loss(trial.loss):<10}",
            f"best {format_loss(best.loss if best else None)}" + (f" (#{best.id})" if best else ""),
            f"{trial.time or 0:.1f} s",
            *self._pace(done, ending=trial.state is TrialState.INTERRUPTED),
        ]
        if trial.reason:
            parts.append(f"- {trial.reason}")
        return "  ".join(parts)
