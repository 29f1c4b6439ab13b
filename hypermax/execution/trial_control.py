"""What is done to one running trial from other threads: held to its limits, stopped, paused.

:class:`TrialControl` is the part of a :class:`~hypermax.execution.trial_run.TrialRun` that the
watchdog's monitor, the runner and early stopping act through while the trial runs: the
limits enforced at each look at its tree, a stop (early stopping's ask at its next report,
then its kill ladder, which runs once whoever asks), Ctrl-Z's pause and continue, and early
stopping's go-on. What it learns (why the trial was stopped, whether its function had
returned first, whether its main process had ended before the ladder) goes into its Outcome.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from typing import TYPE_CHECKING

from hypermax.execution import procfs
from hypermax.execution.kill import Ladder, signal_all
from hypermax.execution.limits import kill_text, time_breach
from hypermax.execution.trial_sweep import targets
from hypermax.trial import KillReason

if TYPE_CHECKING:
    from hypermax.execution.procfs import ProcInfo
    from hypermax.execution.trial_run import TrialRun
    from hypermax.execution.watchdog import TreeSample


class TrialControl:
    """Hold one trial to its limits, stop it, pause it, let it go on.

    Args:
        run: the trial: its process, its tree and its lock are read here, as they change.
    """

    def __init__(self, run: TrialRun) -> None:
        self.run = run
        #: why it was stopped, and the measure that broke a limit (None: it was not)
        self.kill: tuple[KillReason, float | None] | None = None
        self._asking = False  # a python_function was asked to stop at its next report
        #: its function had returned when a kill began
        self.returned_first = False
        #: the main process had ended on its own (exited, not reaped yet) when the kill
        #: ladder first looked at the tree, before any signal of the ladder could reach it
        self.ended_before_the_ladder = False
        self._ladder_looked = False
        function = run.function
        self.ladder = Ladder(
            self._ladder_targets,
            function.kill_grace,
            run.note,
            name=f"hypermax-kill-{run.trial_id}",
            hurry=self._hurry,
            clock=run.clock.elapsed,  # the grace leaves out the time it is paused, as its limit
        )

    def observe(self, sample: TreeSample) -> None:
        """The watchdog's latest look at the tree: keep the figures, enforce the limits."""
        run, now = self.run, time.monotonic()
        usage, limits = run.usage, run.host.limits
        usage.take_cpu_sample(sample, now, run.clock.started)
        elapsed = run.clock.elapsed(now)
        if self._held() and time_breach(limits, elapsed):
            self.stop(KillReason.TIME, elapsed)
        if self.ladder.begun:
            if usage.hold_in_grace(sample, limits, now):
                self.ladder.nudge()
        elif self._held():
            ram_mib = usage.over_ram(sample, limits, now)
            if ram_mib is not None:
                self.stop(KillReason.RAM, ram_mib)
        usage.take_memory_sample(sample, now)

    def _hurry(self) -> str | None:
        """Why the trial's kill ladder should SIGKILL now, without the rest of its grace."""
        return "interrupted again" if self.run.host.hurry else self.run.usage.over_in_grace

    def _held(self) -> bool:
        """Whether the trial is held to its limits: it runs, and no kill is under way (a
        python_function asked to stop at its next report is held to them still)."""
        run = self.run
        return run.process is not None and not run.exited and (self.kill is None or self._asking)

    def killable(self) -> bool:
        """Whether a stop would begin now: the trial runs and no stop began."""
        run = self.run
        return run.process is not None and self.kill is None and not run.exited

    def stop(self, reason: KillReason, value: float | None = None) -> None:
        """Begin stopping the trial; return at once (see :meth:`.TrialRun.stop`)."""
        run = self.run
        early = reason is KillReason.EARLY_STOP
        root = self._live_root() if early else None
        if early and root is None:
            return  # it ended on its own before the stop came: that ending stands
        with run.lock:
            first = self.killable()
            hurry = not first and self._asking and not run.exited
            if not (first or hurry):
                return
            run.usage.killed(reason, value)
            if first:
                self.kill = (reason, value)
                cooperative = run.function.type == "python_function"  # runs our bootstrap
                self._asking = early and cooperative
                # before any signal: a result already there is the function's own, not one it
                # made in answer to the kill (a SIGTERM handler that returns or exits); one
                # asked to stop at its next report is killed later, if at all (_start_ladder)
                self.returned_first = cooperative and (self._asking or run.returned())
        if first and reason not in (KillReason.INTERRUPT, KillReason.EARLY_STOP):
            run.note(f"killed: {kill_text(reason, value, run.host.limits)}")
        if first and self._asking and root is not None:
            run.verdicts.ask_to_stop(root.pid, run.gone, self._start_ladder)
        else:
            self._start_ladder(f"stopping the trial ({reason.value})")

    def _start_ladder(self, why: str) -> None:
        """Send the trial down its kill ladder: a function asked to stop that returns from now
        on (its SIGTERM handler ends the work) returns in answer to the kill."""
        if self._asking:
            self.returned_first = self.returned_first and self.run.returned()
        self.ladder.start(why)

    def pause(self) -> bool:
        """Stop the trial's processes and its clock (see :meth:`.TrialRun.pause`)."""
        run = self.run
        with run.lock:
            if run.clock.paused or run.exited:
                return False
            if run.tree is None:  # not watched yet: stopped now, and as it is (TrialRun._watch)
                run.clock.pause()
                _signal_unwatched(run, signal.SIGSTOP)
                return run.process is not None
        root = self._live_root()
        if root is None:
            return False
        run.clock.pause()
        signal_all(run.host.members(run.key), signal.SIGSTOP)
        return True

    def unpause(self) -> None:
        """Continue what :meth:`pause` stopped (SIGCONT); its clock runs again."""
        run = self.run
        with run.lock:
            if run.clock.resume():
                if run.tree is None:  # stopped before it was watched
                    _signal_unwatched(run, signal.SIGCONT)
                else:
                    signal_all(run.host.members(run.key), signal.SIGCONT)

    def go_on(self) -> None:
        """Early stopping lets the trial go on (see :meth:`.TrialRun.go_on`)."""
        run = self.run
        if not run.verdicts.awaited:
            return
        with run.lock:
            if not self.killable():
                return
        root = self._live_root()
        if root is not None:
            run.verdicts.go_on(root.pid)

    def _ladder_targets(self) -> list[ProcInfo]:
        """The trial's live processes, for its kill ladder; on its first look, notes whether
        the main process had already ended (see :attr:`ended_before_the_ladder`)."""
        run = self.run
        if not self._ladder_looked:
            self._ladder_looked = True
            root = None if run.tree is None else run.tree.root
            self.ended_before_the_ladder = root is not None and (
                run.exited or not procfs.is_alive(root.pid, root.start)
            )
        return targets(run.host, run.key, run.shm)

    def _live_root(self) -> ProcInfo | None:
        """The trial's main process while it runs."""
        tree = self.run.tree
        root = None if tree is None else tree.root
        return root if root is not None and procfs.is_alive(root.pid, root.start) else None


def _signal_unwatched(run: TrialRun, sig: int) -> None:
    """Signal the process group of a trial that started and is not watched yet: its main
    process leads it (its session's), from before its launch returned. Its hand-over may not
    come while hypermax stands still (its thread stopped with it, as by ``bg`` then the
    terminal's SIGTTOU), and the trial must not run on meanwhile."""
    process = run.process
    if process is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
