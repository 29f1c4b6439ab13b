"""Ctrl-Z for a search: its running trials' processes stop with it, and continue with it.

A stop can come inside another's handler (the terminal's SIGTTOU as the first one says it
continued): the trials are stopped once, and continued only once no stop is under way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hypermax.interrupts import (
    CANNOT_STOP_NOTE,
    can_stop,
    continued_note,
    stop_this_process,
    stopped_note,
)

if TYPE_CHECKING:
    from hypermax.execution.base import BaseRunner


class TrialPauses:
    """Stops and continues a search's running trials around stops of this process.

    Args:
        runner: runs the trials (it stops and continues their processes).
        running: how many trials run now.
        say: shows a one-line message.
    """

    def __init__(
        self, runner: BaseRunner, running: Callable[[], int], say: Callable[[str], None]
    ) -> None:
        self.runner = runner
        self.running = running
        self.say = say
        self._pauses = 0  # stops of this process under way (one inside another's handler)

    def stop_with_trials(self, quiet: bool = False) -> None:
        """Stop the running trials, then this process; continue them when it continues.
        ``quiet``: say nothing."""
        if not can_stop():  # the stop would be dropped: the trials would be stopped alone
            self.say(CANNOT_STOP_NOTE)
            return
        stopped = self.pause(quiet)
        stop_this_process()  # returns once something continues it
        self.resume(stopped, quiet)

    def pause(self, quiet: bool = False) -> int:
        """Stop the running trials' processes and their clocks, before this process stops;
        how many were stopped (none when a stop is already under way). ``quiet``: say
        nothing."""
        self._pauses += 1
        stopped = self.runner.pause() if self._pauses == 1 else 0
        elsewhere = self.runner.elsewhere
        running_on = self.running() if elsewhere else 0
        if not quiet:
            self.say(stopped_note(stopped, running_on, elsewhere))
        return stopped

    def resume(self, stopped: int, quiet: bool = False) -> None:
        """Continue what :meth:`pause` stopped (``stopped`` trials), once this process
        continues and no other stop is under way."""
        self._pauses = max(self._pauses - 1, 0)
        if self._pauses == 0:
            self.runner.unpause()
        if not quiet:  # with none stopped too: the line that said hypermax stopped is over
            self.say(continued_note(stopped))
