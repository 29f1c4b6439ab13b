"""How one trial ended, as its run learns it, and the Outcome concluded from that."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hypermax.execution import oom
from hypermax.execution.outcome import Ending, exit_outlasted_the_wait, trial_outcome
from hypermax.trial import KillReason, Outcome, TrialState

if TYPE_CHECKING:
    from pathlib import Path

    from hypermax.execution.trial_usage import TrialUsage
    from hypermax.spec import FunctionSpec


class TrialEnd:
    """When and how one trial's process ended, or why the trial failed without it."""

    def __init__(self) -> None:
        self.ended_at: float | None = None
        self.wall_time = 0.0
        self.exit_code: int | None = None
        self.problem: str | None = None  # why the trial failed, when no process can tell
        self.lost: str | None = None  # why how it ended is not known, when it is not
        self.sent_result: bytes | None = None  # the result it sent its launcher, if it did
        self.oom_kills: int | None = None  # the out-of-memory killer's count as it started

    def note_exit_outlasted_the_wait(
        self,
        function: FunctionSpec,
        result_file: Path,
        note: Callable[[str], None],
        sent_result: bytes | None = None,
    ) -> None:
        """Say in its log why a function that returned (it wrote ``result_file``, or sent its
        launcher ``sent_result``) ended by SIGALRM (as its bootstrap's handler says it, when it
        runs)."""
        if self.exit_code != -signal.SIGALRM:  # one look at its folder only then
            return
        # (os.path: a folder the trial made unreadable raises nothing here)
        returned = sent_result is not None or os.path.exists(result_file)
        if exit_outlasted_the_wait(function.type, self.exit_code, returned):
            note(
                f"the function returned, but its process had not ended {function.kill_grace:g}"
                " s later (kill_grace; a finalizer that does not return, as the interpreter "
                "exits): SIGALRM ended it, its result kept"
            )

    def conclude(
        self, trial_id: int, usage: TrialUsage, ending: Callable[[dict[str, Any]], Ending]
    ) -> Outcome:
        """The trial's Outcome: what ``ending`` (given the figures every Outcome has) knows,
        read; failed when the trial had a problem, or its result cannot be read."""
        common: dict[str, Any] = {
            "trial_id": trial_id,
            "wall_time": self.wall_time,
            "cpu_time": usage.cpu_seconds,
            "peak_rss_mib": usage.peak_rss_mib,
            "exit_code": self.exit_code,
            "ended_at": self.ended_at or time.time(),
        }
        if self.problem is None:
            try:
                return trial_outcome(ending(common))
            except Exception as exc:  # reading the result: the trial still gets its Outcome
                self.problem = f"hypermax cannot read the trial's result: {exc}"
        return Outcome(state=TrialState.FAILED, reason=self.problem, **common)

    def oom_killed(self, kill: tuple[KillReason, float | None] | None) -> bool:
        """Whether the out-of-memory killer took the trial: it ended by a SIGKILL hypermax did
        not send (``kill``: the kill it sent, if any) while the killer's count rose."""
        if self.exit_code != -signal.SIGKILL or kill is not None or self.oom_kills is None:
            return False
        now = oom.oom_kills()
        return now is not None and now > self.oom_kills
