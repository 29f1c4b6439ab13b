"""Trials held on standby in the runner: each starts the moment a running trial's process ends.

For an optimizer whose proposals do not use results (``random``), the next proposal is known
while trials run. A runner that can (:meth:`~hypermax.execution.base.BaseRunner.standby`)
holds it and starts it as soon as a trial's process is reaped, before that trial's output is
read to its end, its result read and its outcome told and journaled: the slot does not wait for
that bookkeeping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hypermax.execution.base import BaseRunner
    from hypermax.proposals import Proposals
    from hypermax.results import ResultsFolder
    from hypermax.trial import Proposal


class Standby:
    """The trials a search's runner holds on standby, by id, until they start or are withdrawn.

    Args:
        runner: holds and starts them.
        proposals: where they come from (proposals asked ahead), and go back to.
        folder: the results folder (their trial folders and logs).
    """

    def __init__(self, runner: BaseRunner, proposals: Proposals, folder: ResultsFolder) -> None:
        self.runner = runner
        self.proposals = proposals
        self.folder = folder
        self._held: dict[int, Proposal] = {}

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, count: int) -> None:
        """Have the runner hold proposals asked ahead until ``count`` are held (fewer when no
        more are asked ahead, or the runner cannot hold them)."""
        while len(self._held) < count:
            proposal = self.proposals.take_ahead()
            if proposal is None:
                return
            trial_id = proposal.trial_id
            folder, log = self.folder.trial_dir(trial_id), self.folder.log(trial_id)
            if not self.runner.standby(proposal, folder, log):
                self.proposals.give_back([proposal])
                return
            self._held[trial_id] = proposal

    def withdraw(self) -> None:
        """Take back the held trials that have not started: the next free slots get them."""
        if not self._held:
            return
        withdrawn = self.runner.withdraw()
        self.proposals.give_back([self._held.pop(i) for i in withdrawn if i in self._held])

    def started(self, trial_id: int) -> Proposal | None:
        """The proposal of held trial ``trial_id``, which started (no longer held); None if it
        was not held."""
        return self._held.pop(trial_id, None)
