"""The commands that steer a running search (pause, resume, interrupt, export, Ctrl-Z): put on
a queue from any thread, a signal handler too, and carried out by the search's loop at its next
turn, in the order they came."""

from __future__ import annotations

import queue
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from hypermax import events as ev
from hypermax.events import Command

if TYPE_CHECKING:
    from hypermax.clock import SearchClock
    from hypermax.search_record import SearchRecord
    from hypermax.search_stop import SearchStop
    from hypermax.standby import Standby


class Steering:
    """The commands queued for a search, and the state they leave it in: ``paused`` (no trial
    starts), ``interrupt_asked`` (set as the interrupt is put, before the loop carries it out).

    Args:
        clock: the search's clock, standing still while it is paused.
        standby: the trials held on standby, withdrawn as the search pauses.
        stop: stops the search on an interrupt.
        record: rewrites the views on an export.
        results_csv: the table an export writes, as it is said.
        kill_grace: the seconds an interrupted trial is given to end.
        emit: sends an event to the reporters.
        stop_with_trials: Ctrl-Z, carried out in the loop's thread.
    """

    def __init__(
        self,
        clock: SearchClock,
        standby: Standby,
        stop: SearchStop,
        record: SearchRecord,
        results_csv: Path,
        kill_grace: float,
        emit: Callable[[ev.Event], None],
        stop_with_trials: Callable[[], None],
    ) -> None:
        self._queue: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._clock = clock
        self._standby = standby
        self._stop = stop
        self._record = record
        self._results_csv = results_csv
        self._kill_grace = kill_grace
        self._emit = emit
        self._stop_with_trials = stop_with_trials
        self.paused = False
        self.interrupt_asked = False

    def put(self, command: Command) -> None:
        """Queue ``command`` (safe from a signal handler: a SimpleQueue's put cannot deadlock)."""
        if command is Command.INTERRUPT:
            self.interrupt_asked = True
        self._queue.put(command)

    def carry_out(self) -> None:
        """Carry out the commands queued so far, in order (in the loop's thread)."""
        while True:
            try:
                command = self._queue.get_nowait()
            except queue.Empty:
                return
            if command is Command.INTERRUPT:
                self._stop.interrupt(self._kill_grace, self._say)
            elif command in (Command.PAUSE, Command.RESUME, Command.TOGGLE_PAUSE):
                paused = {Command.PAUSE: True, Command.RESUME: False}.get(command, not self.paused)
                if paused != self.paused:
                    self.paused = paused
                    self._clock.pause(paused)
                    if paused:  # no trial starts while paused, not even one held
                        self._standby.withdraw()
                    self._emit(ev.Paused(paused))
            elif command is Command.EXPORT:
                if self._record.write_views():
                    self._emit(ev.Message(f"exported {self._results_csv}", news=True))
            elif command is Command.STOP:
                self._stop_with_trials()

    def _say(self, text: str) -> None:
        self._emit(ev.Message(text))
