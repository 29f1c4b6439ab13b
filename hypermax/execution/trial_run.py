"""The life of one trial as one unit: its files, its process, its watch, its end, its Outcome.

:class:`TrialRun` is what every runner runs: :meth:`~TrialRun.start` prepares the trial's files
and starts its process through the host's launcher; :meth:`~TrialRun.finish` reaps it, kills
what it left behind, drains its output, reads its result and builds its Outcome, always.
:func:`run_trial` does both for one trial, blocking, on a host shared by this process: what a
task on a cluster worker calls.

Its parts live beside it: the plan (:mod:`.trial_plan`), the files and command made before the
start (:mod:`.trial_setup`), its pipes and its process's start on them (:mod:`.trial_pipes`),
what the tree uses (:mod:`.trial_usage`), what is done to it while it runs (held to its
limits, stopped, paused: :mod:`.trial_control`), the sweep of what the trial leaves behind
(:mod:`.trial_sweep`), how it ended and its Outcome (:mod:`.trial_end`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hypermax.errors import is_disk_full
from hypermax.execution import oom, procfs
from hypermax.execution.host import TrialHost, borrowed_host
from hypermax.execution.kill import kill_ladder, signal_all
from hypermax.execution.launch import (
    ExitStatus,
    LaunchedProcess,
    LaunchError,
    LaunchInterrupted,
)
from hypermax.execution.limits import Limits
from hypermax.execution.outcome import Ending
from hypermax.execution.output import TrialOutput
from hypermax.execution.shm import ShmLeftovers
from hypermax.execution.trial_clock import TrialClock
from hypermax.execution.trial_control import TrialControl
from hypermax.execution.trial_end import TrialEnd
from hypermax.execution.trial_files import TrialFiles
from hypermax.execution.trial_pipes import TrialPipes
from hypermax.execution.trial_setup import TrialSetup
from hypermax.execution.trial_sweep import kill_holders, sweep
from hypermax.execution.trial_usage import TrialUsage
from hypermax.execution.verdicts import Verdicts
from hypermax.trial import KillReason, LiveStats, Outcome, Report

if TYPE_CHECKING:
    from hypermax.execution.procfs import ProcInfo
    from hypermax.execution.trial_plan import TrialPlan
    from hypermax.execution.watchdog import ProcessTree, TreeSample

#: takes a report; True asks that the trial's reports be read no faster for now (its stdout is
#: held until the runner resumes it: see :meth:`~.host.TrialHost.resume_held`)
OnReport = Callable[[Report], "bool | None"]


class TrialRun:
    """One trial, from its files to its Outcome.

    Args:
        host: the machinery shared with the other trials of this process.
        plan: what to run, and where its files go.
        on_report: called with each intermediate report, from the output thread.
    """

    def __init__(self, host: TrialHost, plan: TrialPlan, on_report: OnReport | None = None) -> None:
        self.host = host
        self.plan = plan
        self.function = plan.function
        self.spec_folder = host.resolve(plan.spec_folder)
        self.proposal = plan.proposal
        self.trial_dir = host.resolve_trial_dir(plan.trial_dir)
        self.log_path = plan.log_path
        self.files = TrialFiles(self.trial_dir, self.log_path)
        self.setup = TrialSetup(plan, self.spec_folder, self.files, host.resolve)
        self.key = host.new_key()
        self.outcome: Outcome | None = None
        self._on_report = on_report
        self._output: TrialOutput | None = None
        self.process: LaunchedProcess | None = None  # its main process, once started
        self.tree: ProcessTree | None = None  # what the watchdog follows of it, once it does
        self._lifeline: int | None = None
        self.lock = threading.Lock()  # held while its process, its tree or its kill change
        self.clock = TrialClock()  # its time, the time its processes are stopped left out
        self.verdicts = Verdicts(
            self.trial_id,
            plan.function.kill_grace,
            self.note,
            self.clock.elapsed,
            self.files.trial_dir,
        )
        self.gone = threading.Event()  # the trial's main process ended
        self.exited = False  # its main process was reaped
        self.shm: ShmLeftovers | None = None  # what it holds in /dev/shm, read before a kill
        self.end = TrialEnd()  # how it ended, once it did
        self.usage = TrialUsage()  # what the watchdog saw of the tree
        self.control = TrialControl(self)  # held to its limits, stopped, paused

    @property
    def trial_id(self) -> int:
        return self.proposal.trial_id

    # -- starting ---------------------------------------------------------------------------
    def start(self, note: str | None = None) -> bool:
        """Start the trial's process; False when it cannot start (:meth:`finish` says why).
        ``note``: a line for its log, once its files are made (after the line that says why it
        runs again, if it does).

        Call it from a thread that lives as long as the trial (see :class:`.launch.Launcher`).
        Raises the OSError of a full disk (or quota) met while writing the trial's files, or
        found before a trial prepared ahead starts (its files were written before), and the
        OSError of no file descriptor left for its pipes (its files removed then).
        """
        log = self.setup.make()
        if isinstance(log, str):  # why its files cannot be made
            return self._not_started(log)
        if log.error is not None and not is_disk_full(log.error):  # the trial runs all the same
            where, why = log.path.parent, log.error.strerror or log.error
            self.host.launcher.say_once(
                "log", f"cannot write trial logs in {where}: {why}; trials run without them"
            )
        if note is not None:
            log.note(note)
        argv, env, cwd, token = self.setup.command()
        if self.function.type == "python_function" and self.plan.verdict_wait:
            self.verdicts.awaited = True  # it waits for the verdict on each report
        try:
            pipes = TrialPipes.make()
        except OSError:  # no file descriptor left (``ulimit -n``): the search stops
            self.setup.discard()
            raise
        self.clock.start()
        self.end.oom_kills = oom.oom_kills()
        try:
            self.process = pipes.launch(self.host, argv, env, cwd)
        except LaunchError as exc:
            if isinstance(exc, LaunchInterrupted):  # interrupted, not failed: it runs again
                self.note(f"not started: {exc}")
                self.control.kill = (KillReason.INTERRUPT, None)
                self.end.ended_at = time.time()
                return False
            self.note(f"cannot start {argv[0]}: {exc}")
            return self._not_started(f"cannot start: {exc}")
        # its time, and its time limit, count from here: a preloaded trial may have waited for
        # its server to import the objective, which is the search's cost, not the trial's
        self.clock.start()
        self.verdicts.started()
        self._lifeline = pipes.lifeline
        self.shm = ShmLeftovers()  # once it runs: what its launcher made is not the trial's
        self._output = TrialOutput(log, self._report)
        try:
            self._watch(self.process.pid, token)
            self.host.carry(self._output.attach(pipes.stdout, pipes.stderr))
        except Exception as exc:  # no file descriptor or thread left to watch it with
            return self._lost(exc, self.process.pid, (pipes.stdout, pipes.stderr))
        return True

    def prepare(self) -> bool:
        """Make the trial's files and command ahead of :meth:`start`, while other trials run;
        False when it is not prepared (see :meth:`.TrialSetup.prepare`)."""
        return self.setup.prepare()

    @property
    def prepared(self) -> bool:
        """Whether its files are made and its process not started yet."""
        return self.setup.log is not None and self.process is None

    def discard(self) -> None:
        """Remove what :meth:`prepare` made, for a trial that will not run."""
        self.setup.discard()

    def _not_started(self, reason: str) -> bool:
        self.end.problem = reason
        self.end.ended_at = time.time()
        return False

    def _watch(self, pid: int, token: str) -> None:
        """Hand the started trial to the watchdog and the guardian."""
        create_time = self.process.create_time if self.process is not None else None
        tree = self.host.follow(self, pid, token, create_time)
        if self.process is not None:
            self.process.seen_start(None if tree is None else tree.root.start)
        with self.lock:
            self.tree = tree
            if self.clock.paused:  # stopped (Ctrl-Z) as it started: it stops now
                signal_all(self.host.members(self.key), signal.SIGSTOP)
        first = self.host.watchdog.sample(self.key, look=False)  # a trial shorter than a tick
        if first is not None:
            self.usage.peak_rss_mib = self.usage.memory.peak(first, time.monotonic())

    def _lost(self, exc: Exception, pid: int, pipes: tuple[int, int]) -> bool:
        """The trial's process started, but it could not be handed to its watchers (``exc``):
        its tree is killed at once (SIGKILL: nothing would hold it to its limits, nor read its
        output), its output pipes, which the pump never got, closed here, and its Outcome
        says why (:meth:`finish` reaps it). False, as :meth:`start` returns."""
        why = f"{type(exc).__name__}: {exc}"
        self.end.problem = f"hypermax lost track of the trial: {why}"
        root = procfs.read_proc(pid)  # read once: its pid may name another process later

        def find() -> list[ProcInfo]:
            members = self.host.members(self.key)  # none unless the watchdog follows it
            return members or ([] if root is None else [root])

        kill_ladder(find, 0, self.note, f"lost track of the trial as it started ({why})")
        for fd in pipes:  # the pump never read them: only closed here
            with contextlib.suppress(OSError):
                os.close(fd)
        if self._output is not None:
            for stream in self._output.streams:
                stream.ended.set()  # nothing left to read
        return False

    # -- while it runs (other threads) ------------------------------------------------------
    def process_ids(self) -> tuple[int, float] | None:
        """(pid, create time) of the trial's main process, once it started."""
        process = self.process
        return None if process is None else (process.pid, process.create_time)

    def live(self) -> LiveStats:
        elapsed = self.clock.elapsed()
        usage = self.usage
        return LiveStats(self.trial_id, elapsed, usage.rss_mib, usage.cpu_percent, usage.processes)

    def observe(self, sample: TreeSample) -> None:
        """The watchdog's latest look at the tree: keep the figures, enforce the limits."""
        self.control.observe(sample)

    def due(self) -> float | None:
        """When the time limit falls due (monotonic), while it can still kill."""
        return self.clock.due(self.host.limits.max_time) if self.killable() else None

    def killable(self) -> bool:
        """Whether a :meth:`stop` would begin now: the trial runs and no stop began."""
        return self.control.killable()

    def stop(self, reason: KillReason, value: float | None = None) -> None:
        """Begin stopping the trial; return at once.

        The trial's tree goes down its kill ladder (in a thread), except that early stopping
        asks a ``python_function`` trial to stop at its next report first (that report raises
        ``TrialStopped``) and runs the ladder only if it has not ended after :func:`stop_wait`;
        a stop that comes meanwhile runs the ladder at once. Once the trial's main process
        ended, or a stop began, this does nothing else. The Outcome says why: ``reason`` and
        ``value`` (the measure that broke a limit).
        """
        self.control.stop(reason, value)

    def pause(self) -> bool:
        """Stop the trial's processes (SIGSTOP) and its clock: the time it spends stopped
        counts neither towards its time limit nor its time. Whether it was running. A trial
        that starts now, which the watchdog does not follow yet, stops as it is handed over
        (its starting thread can lag far behind its process on a loaded machine)."""
        return self.control.pause()

    def unpause(self) -> None:
        """Continue what :meth:`pause` stopped (SIGCONT); its clock runs again (from when it
        was stopped, or started, whichever came later)."""
        self.control.unpause()

    def go_on(self) -> None:
        """Early stopping judged the trial's latest report and lets it go on: a trial that
        waits for verdicts resumes at once; others were never held."""
        self.control.go_on()

    # -- ending -----------------------------------------------------------------------------
    def finish(
        self,
        exited: Callable[[], None] | None = None,
        waiting: Callable[[], None] | None = None,
    ) -> Outcome:
        """Block until the trial ended and everything it left is gone; its Outcome.

        ``exited`` is called once its main process was reaped, before the rest (what the
        trial left running is killed, its output read to the end, its result read): a trial
        held on standby can start then. ``waiting`` is called before a step that may wait
        (what the trial left running is killed; its pipes, held by others, are waited for),
        if one comes. An Outcome is built whatever happens here: a trial is never lost to its
        caller.
        """
        try:
            if self.process is not None:
                status = self._reap(self.process)
                if exited is not None:
                    exited()
                self.end.note_exit_outlasted_the_wait(
                    self.function, self.files.result_file, self.note, status.result
                )
                self.usage.take_peak(status.peak_rss_mib, self.function.type, self.files)
                last = self.host.watchdog.sample(self.key)
                self.usage.look_at_leftovers(last)
                if self._left_nothing(last):  # that look was the kill ladder's first: its last
                    self.control.ladder.skip()
                    self._close_lifeline()
                else:
                    if waiting is not None:
                        waiting()
                    sweep(
                        self.control.ladder,
                        self._output,
                        self.host,
                        self.shm,
                        self.note,
                        self._close_lifeline,
                    )
                    last = self.host.watchdog.sample(self.key)
                self.usage.take_cpu(last, status.cpu_seconds)
                if self._output is not None:
                    self._output.drain(self.host.cut, self.host.resume_held, waiting)
                    kill_holders(
                        self._output.held_by_outsiders,
                        self.function.kill_grace,
                        self.note,
                        self.host,
                    )
        except Exception as exc:  # a bug here must cost one trial, not the search
            self.end.problem = f"hypermax lost track of the trial: {type(exc).__name__}: {exc}"
        finally:
            self._release()
            self.outcome = self.end.conclude(self.trial_id, self.usage, self._ending)
        return self.outcome

    def returned(self) -> bool:
        """Whether the trial's function returned (or raised): its result was sent, or written
        (os.path: a folder the trial made unreadable raises nothing here)."""
        process = self.process
        sent = process is not None and process.sent_result() is not None
        return sent or os.path.exists(self.files.result_file)

    def _left_nothing(self, last: TreeSample | None) -> bool:
        """Whether the look at the tree once its main process was reaped (``last``) leaves
        nothing for its kill ladder to find: no kill under way, no member alive, and no
        newcomer whose owner the watchdog could not read yet. Every process the trial forked
        shows in ``/proc`` before the fork returns, so with no member left alive nothing of the
        trial can appear after that look: a look again (the ladder's, then the CPU's) finds
        what it found."""
        if self.control.ladder.begun or last is None or last.processes:
            return False
        return not self.host.watchdog.claims_pending()

    def _reap(self, process: LaunchedProcess) -> ExitStatus:
        status = process.wait()
        self.end.wall_time = time.monotonic() - self.clock.started
        self.end.ended_at = time.time()
        with self.lock:
            self.exited = True
        self.gone.set()
        self.end.exit_code = status.exit_code
        self.end.lost = status.lost
        self.end.sent_result = status.result
        if status.cpu_seconds is not None:
            self.usage.cpu_seconds = max(self.usage.cpu_seconds, status.cpu_seconds)
        return status

    def _release(self) -> None:
        self.gone.set()
        self._close_lifeline()
        if self.process is not None:
            self.host.release(self, self.tree)
        if self.setup.log is not None:
            self.setup.log.close()

    def _close_lifeline(self) -> None:
        fd, self._lifeline = self._lifeline, None
        if fd is not None:
            with contextlib.suppress(OSError):  # nothing here may keep the Outcome from being built
                os.close(fd)

    def _ending(self, common: dict[str, Any]) -> Ending:
        output = self._output
        return Ending(
            trial_dir=self.trial_dir,
            result_file=self.files.result_file,
            stdout_result=None if output is None else output.scanner.result,
            stdout_problem="" if output is None else output.scanner.no_result,
            stderr_tail=b"" if output is None else output.stderr_tail,
            function_type=self.function.type,
            kill=self.control.kill,
            limits=self.host.limits,
            oom_killed=self.end.oom_killed(self.control.kill),
            lost=self.end.lost,
            returned_before_the_kill=self.control.returned_first,
            ended_before_the_kill=self.control.ended_before_the_ladder,
            sent_result=self.end.sent_result,
            **common,
        )

    def note(self, text: str) -> None:
        if self.setup.log is not None:
            self.setup.log.note(text)

    def _report(self, step: int, metrics: dict[str, Any]) -> None:
        self.verdicts.reported()
        if self._on_report is None:
            return
        if self._on_report(Report(self.trial_id, step, metrics)) and self._output is not None:
            self._output.hold_stdout()


def run_trial(
    plan: TrialPlan, on_report: OnReport | None = None, host: TrialHost | None = None
) -> Outcome:
    """Run one trial to its end in this thread and return its Outcome (never raises for it).

    The trial is watched by ``host``, by default the one this process shares among all trials
    held to the same limits (made on first use). Reports reach ``on_report`` while it runs.

    Example:
        >>> plan = TrialPlan(spec.function, spec.folder, Proposal(1, {"x": 0.5}, {}),
        ...                  Path("trials/1"), Path("logs/trial_1.log"))
        >>> run_trial(plan).state
        <TrialState.OK: 'ok'>
    """
    if host is None:
        with borrowed_host(Limits.of(plan.function)) as borrowed:
            return run_trial(plan, on_report, borrowed)
    run = TrialRun(host, plan, on_report)
    run.start()
    return run.finish()
