"""Proposals asked before a slot frees, so that a free slot only starts a process.

An optimizer whose proposals do not use results (``random``) is asked ahead while trials run,
one proposal per slot. A runner that can holds some of them on standby
(:class:`~hypermax.standby.Standby`) and starts one the moment a running trial's process ends;
for the others it makes their files while the trials run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hypermax.execution.base import BaseRunner
    from hypermax.proposals import Proposals
    from hypermax.results import ResultsFolder
    from hypermax.standby import Standby


class AskAhead:
    """Asks ahead for the next free slots of a search, holds and prepares what it asked.

    Args:
        proposals: asked ahead (if the optimizer allows).
        standby: the trials the runner holds.
        runner: makes the files of the trials asked ahead and not held.
        folder: the results folder (their trial folders and logs).
    """

    def __init__(
        self,
        proposals: Proposals,
        standby: Standby,
        runner: BaseRunner,
        folder: ResultsFolder,
    ) -> None:
        self.proposals = proposals
        self.standby = standby
        self.runner = runner
        self.folder = folder

    def refill(self, parallel: int, running: int, room: int, may_hold: bool) -> None:
        """Ask ahead for the next free slots, ``running`` trials running and ``room`` more
        trials left to the search; have the runner hold some on standby, if ``may_hold``, and
        ask ahead again for the slots they leave; make the files of the others."""
        self._ask(parallel, room)
        if may_hold and self._hold(parallel, running, room):
            self._ask(parallel, room)  # a free slot finds the next one ready, held ones aside
        self._prepare()

    def _ask(self, parallel: int, room: int) -> None:
        """Ask ahead for the next free slots, if the optimizer allows."""
        self.proposals.ask_ahead(min(parallel, room - len(self.standby)))

    def _hold(self, parallel: int, running: int, room: int) -> bool:
        """Have the runner hold the proposals asked ahead, one per running trial, to start the
        moment a trial's process ends. Whether it took any."""
        held = len(self.standby)
        self.standby.hold(min(running, parallel, room))
        return len(self.standby) > held

    def _prepare(self) -> None:
        """Have the runner make the files of the trials asked ahead and not held while the
        others run, so that a free slot only starts a process. Done after the hold: a trial
        held on standby makes its files as it is held, so that none of its files is there
        before it is held (and would start at the next trial's end)."""
        for proposal in self.proposals.asked_ahead():
            trial_id = proposal.trial_id
            trial_dir, log = self.folder.trial_dir(trial_id), self.folder.log(trial_id)
            self.runner.prepare(proposal, trial_dir, log)
