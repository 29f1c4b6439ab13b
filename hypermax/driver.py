"""The search loop: keep ``parallel`` trials running, ask and tell, journal, emit events.

The driver is the only writer of the journal. It never imports the UI: reporters receive events
through :meth:`Reporter.handle`, and anything that steers the search (pause, quit, export) goes
through :meth:`Driver.request`, which only puts a command on a queue (see ``steering``). The
Driver is the :class:`~hypermax.events.SearchControl` a user interface drives.

A free slot never waits for bookkeeping: each turn of the loop first refills the free slots,
then journals what ended and what started (one write; the fsync happens in the journal's
thread), has the views rewritten (in their own thread) and tells the reporters. An optimizer
whose proposals do not depend on results (``random``) is asked ahead, one proposal per slot, so
the next trial is ready when a slot frees; a runner that can holds it on standby and starts it
the moment a trial's process ends, before that trial's outcome is built and told. What the
search recorded (its trials, their count, its best) is a :class:`~.search_record.SearchRecord`,
kept as trials end, so a turn costs the same after 10 trials as after 100,000 (but for the
optimizer's own ask). The loop's parts are modules of their own: starting trials in the free
slots (``trial_starts``), asking ahead (``asking_ahead``), the running trials
(``running_trials``), taking in what the runner says (``runner_events``), how an outcome
settles (``trial_endings``), why the search stops (``search_stop``), the commands that steer
it (``steering``), Ctrl-Z (``trial_pauses``), and the trials of a resume or a warm start
(``earlier_trials``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypermax import events as ev
from hypermax import stopping
from hypermax.clock import SearchClock
from hypermax.earlier_trials import import_finished, replay
from hypermax.events import Command, SearchOutcome
from hypermax.folder_writes import FolderWrites
from hypermax.journal import Journal
from hypermax.journal_replay import JournalState
from hypermax.optimizer_calls import Abandoned, OptimizerCalls
from hypermax.optimizers.auto import shown_method
from hypermax.proposals import Proposals
from hypermax.registry import METHODS
from hypermax.runner_events import RunnerEvents
from hypermax.running_trials import RunningTrials
from hypermax.search_record import SearchRecord
from hypermax.search_stop import SearchStop
from hypermax.specfile.plans import trials_to_run
from hypermax.standby import Standby
from hypermax.steering import Steering
from hypermax.stopping import EarlyStopper
from hypermax.trial import TrialState, ended_states
from hypermax.trial_pauses import TrialPauses
from hypermax.trial_starts import TrialStarts
from hypermax.warmstart import Finished

if TYPE_CHECKING:
    from hypermax.events import Reporter
    from hypermax.execution.base import BaseRunner
    from hypermax.optimizers import BaseOptimizer
    from hypermax.results import ResultsFolder
    from hypermax.space import Space
    from hypermax.spec import Spec

log = logging.getLogger("hypermax")

POLL_SECONDS = 0.25
LIVE_UPDATE_SECONDS = 1.0
#: results.csv and best.json are rewritten at most this often while trials end (and at the end)
VIEWS_SECONDS = 1.0


class Driver:
    """Runs one search to its end.

    Args:
        spec: the validated spec.
        space: the search space (defaults, points and warm starts are encoded with it).
        optimizer: proposes params; told nothing yet (the driver replays ``history``).
        runner: runs trials.
        journal: the open journal of ``folder``.
        folder: the results folder (trial folders, logs, views).
        reporters: event consumers.
        history: the journal's state when resuming.
    """

    _stop: SearchStop  # made after the folder writes and the record, whose callbacks use it

    def __init__(
        self,
        spec: Spec,
        space: Space,
        optimizer: BaseOptimizer,
        runner: BaseRunner,
        journal: Journal,
        folder: ResultsFolder,
        reporters: Sequence[Reporter] = (),
        history: JournalState | None = None,
    ) -> None:
        self.spec = spec
        self.space = space
        # a plugin's ask and tell: an interrupt does not wait for them
        self._calls = OptimizerCalls(guarded=spec.search.method not in METHODS)
        note = self._say
        self._proposals = Proposals(optimizer, note, self._calls)
        self._abandoned_noted = False
        self._standby = Standby(runner, self._proposals, folder)
        self.runner = runner
        runner.tell_now = self._say  # the search waits in its submit: not once it returns
        self.journal = journal
        self.folder = folder
        self.reporters = list(reporters)
        # the search's time in this run, for its timeout: paused or stopped (Ctrl-Z) time left out
        self._clock = SearchClock()
        self._notes: list[str] = []
        self._warm_start = spec.search.warm_start  # where imported trials came from
        disk_filled = lambda exc: self._stop.disk_filled(exc)  # noqa: E731
        self._writes = FolderWrites(
            folder, spec.max_log_mb, VIEWS_SECONDS, disk_filled, note, space.param_names()
        )
        # the trials kept, and what happened in a turn: journaled, then told, in order
        self._record = SearchRecord(
            journal,
            self._writes,
            self._emit,
            lambda exc: self._stop.stop(stopping.JOURNAL_UNWRITABLE),
            lambda: self._stop.stop(stopping.FOLDER_TAKEN),
        )
        self._stopper = EarlyStopper.for_spec(spec)
        self._running = RunningTrials(runner, self._stopper, self._record)
        self._stop = SearchStop(runner, self._standby, self._running)
        self._trial_pauses = TrialPauses(runner, lambda: len(self._running), note)
        self._steering = Steering(
            self._clock,
            self._standby,
            self._stop,
            self._record,
            folder.path / "results.csv",
            spec.function.kill_grace,
            self._emit,
            self.stop_with_trials,
        )
        # what the runner says: reports, trials that end
        self._heard = RunnerEvents(
            spec,
            runner,
            self._proposals,
            self._calls,
            self._standby,
            self._running,
            self._stopper,
            self._stop,
            self._steering,
            self._record,
            self._note_abandoned,
        )
        self._starts = TrialStarts(
            spec,
            runner,
            folder,
            self._proposals,
            self._standby,
            self._running,
            self._stop,
            self._steering,
            self._record,
            self._heard,
        )
        history = history or JournalState()
        self._resumed = bool(history.trials)  # not a warm start's imports: those come later
        # a resumed search's unfinished trials (they run again), and whether a trial of this
        # search ever produced a loss
        self._unfinished, self._heard.any_loss = replay(
            history, spec, space, self._proposals, self._record, self._writes, self._stopper
        )
        # those that wait for a resume with more iterations
        self._not_run = len(history.trials) - len(self._record.trials) - self._unfinished

    @property
    def optimizer(self) -> BaseOptimizer:
        """The search's optimizer (the one its proposals come from)."""
        return self._proposals.optimizer

    @optimizer.setter
    def optimizer(self, optimizer: BaseOptimizer) -> None:
        self._proposals.optimizer = optimizer

    # -- steering (any thread) --------------------------------------------------------------
    def request(self, command: Command) -> None:
        """Queue a command; the loop carries it out at its next turn. An interrupt also tells
        the runner at once, so that a trial start under way (a preload server importing the
        objective) gives up instead of holding the loop. Safe from a signal handler."""
        command = Command(command)
        self._steering.put(command)
        if command is Command.INTERRUPT:
            self.runner.interrupt()
            self._calls.interrupt()

    def subscribe(self, reporter: Reporter) -> None:
        """Send every later event to ``reporter`` too (call before :meth:`run`)."""
        self.reporters.append(reporter)

    def log_path(self, trial_id: int) -> Path:
        """Where the output of trial ``trial_id`` is logged."""
        return self.folder.log(trial_id)

    def note(self, text: str) -> None:
        """Say ``text`` as the search starts (console, dashboard and the search's log)."""
        self._notes.append(text)

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> SearchOutcome:
        """Run trials until the search ends; always stops the runner and writes the views.

        Raises:
            DiskFull: the results folder's disk filled up; the running trials were stopped and
                recorded ``interrupted`` as far as the journal could take it.
            OutOfFiles: no file descriptor was left to start a trial; the running trials were
                stopped and recorded ``interrupted``.
        """
        search = self.spec.search
        self._clock.start()
        # a resumed search a stop rule already ends (its loss threshold reached) runs nothing
        # again, and says so from its first line
        self._stop.check_rules(search, self._clock, self._record, 0, self._heard.any_loss)
        self._emit(
            ev.SearchStarted(
                name=search.name,
                method=shown_method(
                    search, self.space, self.spec.function.parallel, len(self._record.trials)
                ),
                # a grid or an ablation study that plans fewer ends with its plan
                iterations=trials_to_run(self.spec.raw, search.iterations, self._taught()),
                parallel=self.spec.function.parallel,
                results_folder=self.folder.path,
                history=tuple(self._record.trials.values()),
                resumed=self._resumed,
                unfinished=0 if self._stop.reason is not None else self._unfinished,
                not_run=self._not_run,
                timeout=search.timeout,
                metadata_in_journal=frozenset(self._record.metadata_in_journal),
            )
        )
        for note in self._notes:
            self._emit(ev.Message(note))
        last_live = last_watch = 0.0
        try:
            while True:
                self._steering.carry_out()
                self._stop.check_rules(
                    self.spec.search,
                    self._clock,
                    self._record,
                    self._heard.finished_here,
                    self._heard.any_loss,
                )
                if self._stop.reason is None and not self._steering.paused:
                    try:
                        self._starts.fill()
                    except Abandoned:  # an interrupt came during a plugin's ask: it stops now
                        self._note_abandoned()
                    # an interrupt that cut a start short: before its Outcome
                    self._steering.carry_out()
                self._record.flush()
                now = time.monotonic()
                if now - last_watch >= POLL_SECONDS:  # the results folder moved aside, deleted
                    last_watch = now
                    self._record.watch_folder()
                if self._running and now - last_live >= LIVE_UPDATE_SECONDS:
                    last_live = now
                    self._emit(ev.LiveUpdate(self.runner.live()))
                if not self._running and self._ended():
                    break
                for event in self.runner.poll(POLL_SECONDS):
                    self._heard.take(event)
        except OSError as exc:  # a full disk, no file descriptor left: else raised again
            self._stop.ran_out(exc)
        finally:
            self._heard.closing = True
            self._standby.withdraw()
            for outcome in self.runner.close():
                self._heard.take(outcome)
            for event in self.runner.poll(0):
                self._heard.take(event)
            self._record.flush()
            self._writes.safely(self._record.write_views)
            self._writes.close()
        reason, interrupted = self._stop.reason or stopping.ITERATIONS_DONE, self._stop.interrupted
        best = self._record.best
        self._emit(
            ev.SearchFinished(
                best,
                self._record.done,
                reason,
                interrupted,
                self._record.best_run,
                self._warm_start,
                ended_states(self._record.trials.values()),
            )
        )
        self._stop.raise_ran_out(self.folder.path, self.spec.function.parallel)
        self._record.raise_if_lost(self.folder.path)
        return SearchOutcome(
            best,
            self._record.done,
            reason,
            interrupted,
            tuple(self._record.trials.values()),
            frozenset(self._record.metadata_in_journal),
        )

    def _taught(self) -> list[dict[str, Any]]:
        """The internal values of the warm start's trials, which the optimizer was taught."""
        trials = self._record.trials.values()
        return [trial.internal for trial in trials if trial.state is TrialState.IMPORTED]

    def _ended(self) -> bool:
        """With nothing running: whether the search is over."""
        if self._stop.reason is not None or self._starts.budget_spent():
            return True
        if self._proposals.over():
            self._stop.reason = stopping.EXHAUSTED
            if not self._proposals.exhausted:  # said WAIT: not what the reason alone tells
                method = self.spec.search.method
                self._emit(
                    ev.Message(
                        f"search.method {method} answered WAIT with no trial running, which "
                        "nothing can change: the search ends"
                    )
                )
            return True
        return False

    # -- history ----------------------------------------------------------------------------
    def import_trials(self, imported: Sequence[Finished], source: str, done: int = 0) -> int:
        """Record finished trials of another search (warm start) and teach them to the optimizer.

        They are journaled as ``imported``, in one write closed by a mark (a resume finishes an
        import a crash cut short: ``done`` of them were journaled), and never run; they do not
        count towards ``iterations``. Params this space cannot produce are skipped. Returns how
        many were kept.
        """
        kept, note = import_finished(
            imported, source, self.space, self._proposals, self.journal, self._record, done
        )
        self._notes.append(note)
        self._warm_start = source  # where they were read: another folder after --fresh
        return kept

    def _note_abandoned(self) -> None:
        """Say once that the plugin optimizer was left running in the middle of a call."""
        what = self._calls.abandoned
        if what is not None and not self._abandoned_noted:
            self._abandoned_noted = True
            method = self.spec.search.method
            self._emit(ev.Message(f"{method} was still in {what} when interrupted: left running"))

    # -- Ctrl-Z -----------------------------------------------------------------------------
    def stop_with_trials(self, quiet: bool = False) -> None:
        """Ctrl-Z: stop the running trials, then this process; continue them when it
        continues (fg, bg). Call from the main thread: from the signal handler of Ctrl-Z when
        the search runs in another thread, else through :attr:`Command.STOP`. ``quiet``: the
        terminal stops this process (SIGTTOU: it wrote there from the background, under ``stty
        tostop``), and saying so there would stop it again."""
        self._trial_pauses.stop_with_trials(quiet)

    def pause_trials(self, quiet: bool = False) -> int:
        """Stop the running trials' processes and their clocks, before this process stops
        (Ctrl-Z); how many were stopped. Safe from any thread but from a signal handler in the
        driver's own thread (it takes the runner's locks). A stop inside another's handler (the
        terminal's SIGTTOU as the first one says it continued) stops them again, and its
        continuation continues them only once no stop is under way."""
        return self._trial_pauses.pause(quiet)

    def continue_trials(self, stopped: int, quiet: bool = False) -> None:
        """Continue what :meth:`pause_trials` stopped, once this process continues."""
        self._trial_pauses.resume(stopped, quiet)

    def _say(self, text: str, news: bool = False) -> None:
        self._emit(ev.Message(text, news))

    def _emit(self, event: ev.Event) -> None:
        for reporter in self.reporters:
            try:
                reporter.handle(event)
            except Exception:
                log.exception(
                    "reporter %s failed on %s", type(reporter).__name__, type(event).__name__
                )
