"""The life of one trial as one unit: its files, its process, its watch, its end, its Outcome.

:class:`TrialRun` is what every runner runs: :meth:`~TrialRun.start` prepares the trial's files
and starts its process through the host's launcher; :meth:`~TrialRun.finish` reaps it, kills
what it left behind, drains its output, reads its result and builds its Outcome, always.
:func:`run_trial` does both for one trial, blocking, on a host shared by this process: what a
task on a cluster worker calls.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypermax.errors import is_disk_full
from hypermax.execution import oom, procfs, spawn
from hypermax.execution.host import TrialHost, borrowed_host
from hypermax.execution.kill import Ladder, kill_ladder, signal_all
from hypermax.execution.launch import (
    ExitStatus,
    LaunchedProcess,
    LaunchError,
    LaunchInterrupted,
    LaunchRequest,
)
from hypermax.execution.limits import (
    RAM_SAMPLES_TO_KILL,
    Limits,
    kill_text,
    ram_strikes,
    time_breach,
)
from hypermax.execution.outcome import Ending, exit_outlasted_the_wait, trial_outcome
from hypermax.execution.output import LogSink, Stream, TrialOutput
from hypermax.execution.shm import SHM, ShmLeftovers
from hypermax.execution.trial_files import TrialFiles
from hypermax.execution.verdicts import Verdicts
from hypermax.execution.watchdog import TreeMemory
from hypermax.trial import KillReason, LiveStats, Outcome, Proposal, Report, TrialState

if TYPE_CHECKING:
    from hypermax.execution.procfs import ProcInfo
    from hypermax.execution.watchdog import ProcessTree, TreeSample
    from hypermax.spec import FunctionSpec

#: how much more memory than it held when killed, as a share of its RAM limit, a tree killed
#: at that limit may use during its ``kill_grace`` before it gets SIGKILL at once
GRACE_RAM_GROWTH = 0.1

#: takes a report; True asks that the trial's reports be read no faster for now (its stdout is
#: held until the runner resumes it: see :meth:`~.host.TrialHost.resume_held`)
OnReport = Callable[[Report], "bool | None"]


@dataclass(frozen=True)
class TrialPlan:
    """What to run for one trial and where its files go; all a runner anywhere needs of it.

    Attributes:
        function: the spec's ``function`` section.
        spec_folder: where relative ``module``/``src``/``cwd`` paths start.
        proposal: the trial's id and params.
        trial_dir: the trial's own folder (created if missing).
        log_path: the trial's log, for its stdout, its stderr and hypermax's notes.
        verdict_wait: when early stopping judges the trial's reports, how long a
            ``python_function`` trial waits after each for the verdict on it (see
            :func:`.protocol.await_verdict`); None: it never waits.
    """

    function: FunctionSpec
    spec_folder: Path
    proposal: Proposal
    trial_dir: Path
    log_path: Path
    verdict_wait: float | None = None


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
        self.key = host.new_key()
        self.outcome: Outcome | None = None
        self._on_report = on_report
        self._log: LogSink | None = None
        self._output: TrialOutput | None = None
        self._process: LaunchedProcess | None = None
        self._tree: ProcessTree | None = None
        self._lifeline: int | None = None
        self._lock = threading.Lock()
        self._kill: tuple[KillReason, float | None] | None = None
        self._asking = False  # a python_function was asked to stop at its next report
        self._returned_first = False  # its function had returned when a kill began
        self._verdicts = Verdicts(
            self.trial_id,
            plan.function.kill_grace,
            self._note,
            self._running_time,
            self.files.trial_dir,
        )
        self._gone = threading.Event()  # the trial's main process ended
        self._exited = False
        self._problem: str | None = None  # why the trial failed, when no process can tell
        self._shm: ShmLeftovers | None = None  # what it holds in /dev/shm, read before a kill
        self._ladder = Ladder(
            self._targets,
            plan.function.kill_grace,
            self._note,
            name=f"hypermax-kill-{plan.proposal.trial_id}",
            hurry=self._hurry,
            clock=self._running_time,  # the grace leaves out the time it is paused, as its limit
        )
        self.started = time.monotonic()
        self._paused_at: float | None = None  # its processes are stopped (SIGSTOP) since then
        self.ended_at: float | None = None
        self.wall_time = 0.0
        self.exit_code: int | None = None
        self._lost: str | None = None  # why how it ended is not known, when it is not
        # what the watchdog saw of the tree
        self.rss_mib = 0.0
        self.peak_rss_mib = 0.0
        self.cpu_seconds = 0.0
        self.cpu_percent = 0.0
        self.processes = 1
        self._ram_strikes = 0
        self._over_in_grace: str | None = None  # why its kill cannot wait for the grace
        self._ram_at_kill: float | None = None  # MiB, when its kill began at its RAM limit
        self._memory = TreeMemory()  # its memory with shared pages once: limit and peak
        self._sampled_at = 0.0
        self._oom_kills: int | None = None  # the out-of-memory killer's count as it started
        self._command_made: tuple[list[str], dict[str, str], str, str] | None = None

    @property
    def trial_id(self) -> int:
        return self.proposal.trial_id

    # -- starting ---------------------------------------------------------------------------
    def start(self) -> bool:
        """Start the trial's process; False when it cannot start (:meth:`finish` says why).

        Call it from a thread that lives as long as the trial (see :class:`.launch.Launcher`).
        Raises the OSError of a full disk (or quota) met while writing the trial's files, or
        found before a trial prepared ahead starts (its files were written before).
        """
        if self._log is not None and not self.files.room_left():
            self.discard()  # prepared before the disk filled up, which the files would have met
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.trial_dir))
        if self._log is None:  # not prepared ahead
            try:
                self._log = self.files.make(self.proposal.params)
            except OSError as exc:
                if is_disk_full(exc):
                    raise  # not this trial's failure: no trial can start until there is room
                return self._not_started(f"cannot prepare the trial's files: {exc}")
        argv, env, cwd, token = self._command()
        if self.function.type == "python_function" and self.plan.verdict_wait:
            self._verdicts.awaited = True  # it waits for the verdict on each report
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        life_read, life_write = os.pipe()
        request = LaunchRequest(tuple(argv), env, cwd, out_write, err_write, life_read)
        self.started = time.monotonic()
        self._oom_kills = oom.oom_kills()
        try:
            if self.host.launcher.interrupted:
                raise LaunchInterrupted("the search was interrupted")
            with self.host.launching:  # one start at a time, from whichever thread
                self._process = self.host.launcher.launch(request)
        except LaunchError as exc:
            for fd in (out_read, err_read, life_write):
                os.close(fd)
            if isinstance(exc, LaunchInterrupted):  # interrupted, not failed: it runs again
                self._note(f"not started: {exc}")
                self._kill = (KillReason.INTERRUPT, None)
                self.ended_at = time.time()
                return False
            self._note(f"cannot start {argv[0]}: {exc}")
            return self._not_started(f"cannot start: {exc}")
        finally:
            for fd in (out_write, err_write, life_read):
                os.close(fd)
        # its time, and its time limit, count from here: a preloaded trial may have waited for
        # its server to import the objective, which is the search's cost, not the trial's
        self.started = time.monotonic()
        self._verdicts.started()
        self._lifeline = life_write
        self._shm = ShmLeftovers()  # once it runs: what its launcher made is not the trial's
        self._output = TrialOutput(self._log, self._report)
        self._watch(self._process.pid, token, self._output.attach(out_read, err_read))
        return True

    def _command(self) -> tuple[list[str], dict[str, str], str, str]:
        """The trial's argv, environment, starting folder and token (made once: for a trial
        prepared ahead, while other trials run). Its files must be made."""
        if self._command_made is None:
            token = uuid.uuid4().hex
            argv, env, cwd = spawn.trial_command(
                self.function,
                self.spec_folder,
                self.proposal,
                self.files,
                token,
                self.plan.verdict_wait,
                self.host.resolve,
            )
            self._command_made = (argv, env, cwd, token)
        return self._command_made

    def prepare(self) -> bool:
        """Make the trial's files ahead of :meth:`start` (which then only starts its process):
        its folder, params file and log, and its command and environment, while other trials
        run. Only a trial whose folder and log are new is prepared (False otherwise, and
        nothing is made): what :meth:`discard` removes is then exactly what was made."""
        if not self.files.are_new():
            return False
        try:
            self._log = self.files.make(self.proposal.params)
        except OSError:
            self.discard()
            return False  # :meth:`start` tries again, and says why if it fails
        with contextlib.suppress(Exception):  # made again by :meth:`start`, which says why
            self._command()
        return True

    @property
    def prepared(self) -> bool:
        """Whether its files are made and its process not started yet."""
        return self._log is not None and self._process is None

    def discard(self) -> None:
        """Remove what :meth:`prepare` made, for a trial that will not run."""
        if self._log is not None:
            self._log.close()
            self._log = None
        self.files.remove()

    def _not_started(self, reason: str) -> bool:
        self._problem = reason
        self.ended_at = time.time()
        return False

    def _watch(self, pid: int, token: str, streams: tuple[Stream, ...]) -> None:
        """Hand the started trial to the watchdog, the guardian and the output pump."""
        create_time = self._process.create_time if self._process is not None else None
        self._tree = self.host.follow(self, pid, token, create_time)
        first = self.host.watchdog.sample(self.key, look=False)  # a trial shorter than a tick
        if first is not None:
            self.peak_rss_mib = self._memory.peak(first, time.monotonic())
        self.host.carry(streams)

    # -- while it runs (other threads) ------------------------------------------------------
    def process_ids(self) -> tuple[int, float] | None:
        """(pid, create time) of the trial's main process, once it started."""
        process = self._process
        return None if process is None else (process.pid, process.create_time)

    def live(self) -> LiveStats:
        elapsed = self._elapsed(time.monotonic())
        return LiveStats(self.trial_id, elapsed, self.rss_mib, self.cpu_percent, self.processes)

    def observe(self, sample: TreeSample) -> None:
        """The watchdog's latest look at the tree: keep the figures, enforce the limits."""
        now = time.monotonic()
        since = now - (self._sampled_at or self.started)
        if since > 0 and sample.cpu_seconds >= self.cpu_seconds:
            self.cpu_percent = 100.0 * (sample.cpu_seconds - self.cpu_seconds) / since
        self._sampled_at = now
        self.cpu_seconds = max(self.cpu_seconds, sample.cpu_seconds)
        self.processes = sample.processes
        limits = self.host.limits
        elapsed = self._elapsed(now)
        if self._held() and time_breach(limits, elapsed):
            self.stop(KillReason.TIME, elapsed)
        if self._ladder.begun:
            self._hold_in_grace(sample, now)
        elif self._held():
            ram_mib = self._memory.weigh(sample, limits.max_ram_mib, now)  # shared pages once
            self._ram_strikes = ram_strikes(limits, ram_mib, self._ram_strikes)
            if self._ram_strikes >= RAM_SAMPLES_TO_KILL:
                self.stop(KillReason.RAM, ram_mib)
        self.peak_rss_mib = max(self.peak_rss_mib, self._memory.peak(sample, now))
        self.rss_mib = self._memory.now_mib(sample)  # what the dashboard shows: as the peak

    def _hold_in_grace(self, sample: TreeSample, now: float) -> None:
        """A kill is under way (SIGTERM sent, its grace running): the tree is still held to its
        RAM limit, as many samples in a row as while it ran; past it, what is left gets SIGKILL
        at once. A tree killed at that limit may keep what it held when killed (its grace is
        for it to let go of it), and a tenth of the limit more, but not grow beyond that."""
        limit = self.host.limits.max_ram_mib
        if limit is None or self._over_in_grace is not None:
            return
        held = self._ram_at_kill
        allowed = limit if held is None else max(limit, held) + limit * GRACE_RAM_GROWTH
        ram_mib = self._memory.weigh(sample, allowed, now)  # shared pages once
        self._ram_strikes = self._ram_strikes + 1 if ram_mib > allowed else 0
        if self._ram_strikes < RAM_SAMPLES_TO_KILL:
            return
        why = kill_text(KillReason.RAM, ram_mib, self.host.limits)
        if held is not None:
            why += f", {ram_mib - held:.0f} MiB more than when it was killed"
        self._over_in_grace = why
        self._ladder.nudge()

    def _hurry(self) -> str | None:
        """Why the trial's kill ladder should SIGKILL now, without the rest of its grace."""
        return "interrupted again" if self.host.hurry else self._over_in_grace

    def _held(self) -> bool:
        """Whether the trial is held to its limits: it runs, and no kill is under way (a
        python_function asked to stop at its next report is held to them still)."""
        return (
            self._process is not None and not self._exited and (self._kill is None or self._asking)
        )

    def due(self) -> float | None:
        """When the time limit falls due (monotonic), while it can still kill."""
        limit = self.host.limits.max_time
        if limit is None or not self.killable() or self._paused_at is not None:
            return None
        return self.started + limit

    def killable(self) -> bool:
        return self._process is not None and self._kill is None and not self._exited

    def stop(self, reason: KillReason, value: float | None = None) -> None:
        """Begin stopping the trial; return at once.

        The trial's tree goes down its kill ladder (in a thread), except that early stopping
        asks a ``python_function`` trial to stop at its next report first (that report raises
        ``TrialStopped``) and runs the ladder only if it has not ended after :func:`stop_wait`;
        a stop that comes meanwhile runs the ladder at once. Once the trial's main process
        ended, or a stop began, this does nothing else. The Outcome says why: ``reason`` and
        ``value`` (the measure that broke a limit).
        """
        early = reason is KillReason.EARLY_STOP
        root = self._live_root() if early else None
        if early and root is None:
            return  # it ended on its own before the stop came: that ending stands
        with self._lock:
            first = self.killable()
            hurry = not first and self._asking and not self._exited
            if not (first or hurry):
                return
            if reason is KillReason.RAM and value is not None:  # what its grace may hold
                self._ram_at_kill = value
            self._ram_strikes = 0  # counted afresh against what its kill allows
            if first:
                self._kill = (reason, value)
                cooperative = self.function.type == "python_function"  # runs our bootstrap
                self._asking = early and cooperative
                # before any signal: a result already there is the function's own, not one it
                # made in answer to the kill (a SIGTERM handler that returns or exits)
                # (os.path: a folder the trial made unreadable raised here, and no kill came)
                self._returned_first = cooperative and os.path.exists(self.files.result_file)
        if first and reason not in (KillReason.INTERRUPT, KillReason.EARLY_STOP):
            self._note(f"killed: {kill_text(reason, value, self.host.limits)}")
        if first and self._asking and root is not None:
            self._verdicts.ask_to_stop(root.pid, self._gone, self._ladder.start)
        else:
            self._ladder.start(f"stopping the trial ({reason.value})")

    def pause(self) -> bool:
        """Stop the trial's processes (SIGSTOP) and its clock: the time it spends stopped
        counts neither towards its time limit nor its time. Whether it was running."""
        root = self._live_root()
        if root is None or self._paused_at is not None:
            return False
        self._paused_at = time.monotonic()
        signal_all(self.host.members(self.key), signal.SIGSTOP)
        return True

    def unpause(self) -> None:
        """Continue what :meth:`pause` stopped (SIGCONT); its clock runs again."""
        paused_at = self._paused_at
        if paused_at is None:
            return
        self.started += time.monotonic() - paused_at
        self._paused_at = None
        signal_all(self.host.members(self.key), signal.SIGCONT)

    def _running_time(self) -> float:
        """How long the trial has run, the time it was paused left out."""
        return self._elapsed(time.monotonic())

    def _elapsed(self, now: float) -> float:
        """How long the trial has run by ``now``, the time it was paused left out."""
        return (self._paused_at or now) - self.started

    def _live_root(self) -> ProcInfo | None:
        """The trial's main process while it runs."""
        root = None if self._tree is None else self._tree.root
        return root if root is not None and procfs.is_alive(root.pid, root.start) else None

    def go_on(self) -> None:
        """Early stopping judged the trial's latest report and lets it go on: a trial that
        waits for verdicts resumes at once; others were never held."""
        if not self._verdicts.awaited:
            return
        with self._lock:
            if not self.killable():
                return
        root = self._live_root()
        if root is not None:
            self._verdicts.go_on(root.pid)

    # -- ending -----------------------------------------------------------------------------
    def finish(self, exited: Callable[[], None] | None = None) -> Outcome:
        """Block until the trial ended and everything it left is gone; its Outcome.

        ``exited`` is called once its main process was reaped, before the rest (what the
        trial left running is killed, its output read to the end, its result read): a trial
        held on standby can start then. An Outcome is built whatever happens here: a trial is
        never lost to its caller.
        """
        try:
            if self._process is not None:
                status = self._reap(self._process)
                if exited is not None:
                    exited()
                self._note_exit_outlasted_the_wait()
                self._take_peak(status.peak_rss_mib)
                self._look_at_leftovers()
                self._sweep()
                self._take_cpu(status.cpu_seconds)
                if self._output is not None:
                    self._output.drain(self.host.cut, self.host.resume_held)
                    self._kill_holders(self._output.held_by_outsiders)
        except Exception as exc:  # a bug here must cost one trial, not the search
            self._problem = f"hypermax lost track of the trial: {type(exc).__name__}: {exc}"
        finally:
            self._release()
            self.outcome = self._conclude()
        return self.outcome

    def _reap(self, process: LaunchedProcess) -> ExitStatus:
        status = process.wait()
        self.wall_time = time.monotonic() - self.started
        self.ended_at = time.time()
        with self._lock:
            self._exited = True
        self._gone.set()
        self.exit_code = status.exit_code
        self._lost = status.lost
        if status.cpu_seconds is not None:
            self.cpu_seconds = max(self.cpu_seconds, status.cpu_seconds)
        return status

    def _note_exit_outlasted_the_wait(self) -> None:
        """Say in its log why a function that returned ended by SIGALRM (as its bootstrap's
        handler says it, when it runs)."""
        if self.exit_code != -signal.SIGALRM:  # one look at its folder only then
            return
        # (os.path: a folder the trial made unreadable raises nothing here)
        returned = os.path.exists(self.files.result_file)
        if exit_outlasted_the_wait(self.function.type, self.exit_code, returned):
            self._note(
                f"the function returned, but its process had not ended {self.function.kill_grace:g}"
                " s later (kill_grace; a finalizer that does not return, as the interpreter "
                "exits): SIGALRM ended it, its result kept"
            )

    def _take_peak(self, peak: float | None) -> None:
        """The process's peak RSS as its reaping told it; when it could not, what the
        bootstrap of a ``python_function`` read before it exited."""
        if peak is None and self.function.type == "python_function":
            peak = self.files.peak_mib()
        if peak is not None:
            self.peak_rss_mib = max(self.peak_rss_mib, peak)

    def _look_at_leftovers(self) -> None:
        """Take the high-water marks of what the trial left running, before it is killed."""
        last = self.host.watchdog.sample(self.key)
        if last is not None and last.processes:
            self.peak_rss_mib = max(self.peak_rss_mib, self._memory.peak(last, time.monotonic()))

    def _take_cpu(self, reaped: float | None) -> None:
        """The tree's CPU time once its processes are gone: what the watchdog counted, the
        main process's (with the children it reaped) as its reaping told it, the final figure,
        rather than as last read."""
        last = self.host.watchdog.sample(self.key)
        if last is None:
            return
        total = last.cpu_seconds
        if reaped is not None:
            total += max(0.0, reaped - last.root_cpu_seconds)
        self.cpu_seconds = max(self.cpu_seconds, total)

    def _sweep(self) -> None:
        """Kill what the trial left running (or wait for the kill under way to end), then
        remove what the killed processes left in /dev/shm."""
        if self._output is not None and not self._ladder.begun:
            # its own output first, then the notes
            self._output.catch_up(self.host.catch_up, self.host.resume_held)
        self._ladder.nudge()
        self._ladder.run("the trial left processes running")
        self._close_lifeline()
        removed = self._shm.remove() if self._shm is not None else []
        if removed:
            self._note(f"removed what its killed processes left in {SHM}: {', '.join(removed)}")

    def _kill_holders(self, pipes: set[int]) -> None:
        """Kill the processes that still hold the trial's output pipes: only its own could have
        them, though the watchdog never saw them (one that cleared its environment, called
        ``setsid`` and lost its parent within one of its ticks)."""
        holders = [info for pid in procfs.pipe_holders(pipes) if (info := procfs.read_proc(pid))]
        if not holders:
            return

        def find() -> list[ProcInfo]:
            alive = [procfs.read_proc(info.pid) for info in holders]
            return [
                now
                for now, then in zip(alive, holders, strict=True)
                if now and now.start == then.start
            ]

        kill_ladder(
            find,
            self.function.kill_grace,
            self._note,
            "processes the watchdog never saw held the trial's output",
            hurry=lambda: "interrupted again" if self.host.hurry else None,
        )

    def _targets(self) -> list[ProcInfo]:
        """The trial's live processes, for its kill ladder: what each holds in /dev/shm is
        read the first time, before it gets a signal."""
        members = self.host.members(self.key)
        return members if self._shm is None else self._shm.note(members)

    def _release(self) -> None:
        self._gone.set()
        self._close_lifeline()
        if self._process is not None:
            self.host.release(self, self._tree)
        if self._log is not None:
            self._log.close()

    def _close_lifeline(self) -> None:
        fd, self._lifeline = self._lifeline, None
        if fd is not None:
            with contextlib.suppress(OSError):  # nothing here may keep the Outcome from being built
                os.close(fd)

    def _conclude(self) -> Outcome:
        common: dict[str, Any] = {
            "trial_id": self.trial_id,
            "wall_time": self.wall_time,
            "cpu_time": self.cpu_seconds,
            "peak_rss_mib": self.peak_rss_mib,
            "exit_code": self.exit_code,
            "ended_at": self.ended_at or time.time(),
        }
        if self._problem is None:
            try:
                return trial_outcome(self._ending(common))
            except Exception as exc:  # reading the result: the trial still gets its Outcome
                self._problem = f"hypermax cannot read the trial's result: {exc}"
        return Outcome(state=TrialState.FAILED, reason=self._problem, **common)

    def _ending(self, common: dict[str, Any]) -> Ending:
        output = self._output
        return Ending(
            trial_dir=self.trial_dir,
            result_file=self.files.result_file,
            stdout_result=None if output is None else output.scanner.result,
            stdout_problem="" if output is None else output.scanner.no_result,
            stderr_tail=b"" if output is None else output.stderr_tail,
            function_type=self.function.type,
            kill=self._kill,
            limits=self.host.limits,
            oom_killed=self._oom_killed(),
            lost=self._lost,
            returned_before_the_kill=self._returned_first,
            **common,
        )

    def _oom_killed(self) -> bool:
        """Whether the out-of-memory killer took the trial: it ended by a SIGKILL hypermax did
        not send while the killer's count rose."""
        if self.exit_code != -signal.SIGKILL or self._kill is not None or self._oom_kills is None:
            return False
        now = oom.oom_kills()
        return now is not None and now > self._oom_kills

    def _note(self, text: str) -> None:
        if self._log is not None:
            self._log.note(text)

    def _report(self, step: int, metrics: dict[str, Any]) -> None:
        self._verdicts.reported()
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
