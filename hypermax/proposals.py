"""Where a search's next trials come from: presets first, then proposals asked ahead, then the
optimizer's ask; trial ids handed out in order."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from hypermax.errors import SearchFailed, one_line
from hypermax.optimizer_calls import Abandoned, OptimizerCalls
from hypermax.optimizers.base import NoProposal
from hypermax.space import EncodeError, points_to_run, skipped_point
from hypermax.trial import Proposal, Trial, TrialState
from hypermax.values import as_json, json_equal, json_text

if TYPE_CHECKING:
    from hypermax.optimizers import BaseOptimizer


class Proposals:
    """The driver's supply of proposals.

    Presets (trials to run again with their ids, the space's defaults, the spec's points) come
    before the optimizer. An optimizer whose proposals do not use results
    (``proposals_use_results`` False) is asked ahead, while trials run; any other is asked
    only when a slot is free, so a resumed sequential search proposes what an unbroken one would.

    Args:
        optimizer: the search's optimizer.
        note: called with a one-line message (a point of the spec the space cannot produce).
        calls: how the optimizer is asked (a plugin's ask, so that an interrupt need not wait
            for it); directly by default.
    """

    def __init__(
        self,
        optimizer: BaseOptimizer,
        note: Callable[[str], None],
        calls: OptimizerCalls | None = None,
    ) -> None:
        self.optimizer = optimizer
        self.note = note
        self.calls = calls or OptimizerCalls(guarded=False)
        self.presets: list[Proposal | dict[str, Any]] = []
        self.next_id = 1
        self.waiting = False  # the optimizer said WAIT: ask again after the next trial ends
        self.exhausted = False  # the optimizer said EXHAUSTED: never ask again
        self._ahead: list[Proposal] = []  # asked ahead, for the next free slots
        self._ask_error: Exception | None = None  # raised by an ask ahead, for the next slot
        self.running: list[Proposal] = []  # what a live search runs now (resume(live=True))

    def run_again(self, trial: Trial, first: bool = False) -> None:
        """Queue ``trial`` to run again with its id and params (``first``: before the others)."""
        preset = Proposal(trial.id, trial.params, trial.internal, again=why_again(trial))
        self.presets.insert(0 if first else len(self.presets), preset)

    def resume(
        self,
        trials: Iterable[Trial],
        points: Iterable[dict[str, Any]],
        defaults: dict[str, Any] | None,
        live: bool = False,
        spec_name: str = "spec",
    ) -> list[Trial]:
        """Go on from a search's history: the trials that did not finish run again first, the
        optimizer learns the finished ones (returned), ids go on after the last, and the spec's
        ``points`` (completed from the space's defaults; the ``defaults`` themselves first, in a
        new search) not run yet come next. ``live``: the search runs now (``hypermax sample``
        reads it), so its running trials go on running (noted as such, in ``running``). A
        point the space cannot produce is noted with ``spec_name``, the spec file's name."""
        trials = list(trials)
        told = []
        for trial in trials:
            if live and trial.state is TrialState.RUNNING:
                self.running.append(Proposal(trial.id, trial.params, trial.internal))
            elif trial.state in (TrialState.RUNNING, TrialState.INTERRUPTED):
                self.run_again(trial)
            else:
                told.append(trial)
        self.optimizer.tell_many(told)
        for proposal in self.running:
            self.optimizer.pending(proposal.trial_id, proposal.internal)
        self.next_id = max([self.next_id - 1, *(t.id for t in trials)]) + 1
        usable = self._usable(points, spec_name)
        # a warm start's trials ran in another search: the defaults and points run all the same,
        # as in the search that imported them, which had queued these before it imported
        ran = [t.params for t in trials if t.state is not TrialState.IMPORTED]
        self.presets.extend(points_to_run(usable, defaults, ran))
        return told

    def _usable(self, points: Iterable[dict[str, Any]], spec_name: str) -> list[dict[str, Any]]:
        """The spec's ``points`` as their trials receive them: completed from the space's
        defaults and rounded as the space rounds (to a number's step, an integer), so that one
        is known again once run; those the space cannot produce are noted by their JSON path,
        and skipped."""
        usable, unusable = self.optimizer.space.points_as_trials(points)
        for where, why in unusable:
            self.note(skipped_point(spec_name, where, why))
        return usable

    def over(self) -> bool:
        """With nothing running: whether nothing is left to propose, ever (a WAIT with nothing
        running can never change, since nothing is left to tell)."""
        if self._ahead:
            return False
        return self.exhausted or (self.waiting and not self.presets)

    def next(self) -> Proposal | None:
        """A preset, else a proposal asked ahead, else the optimizer's ask; None when the
        optimizer has nothing to propose now."""
        while self.presets:
            preset = self.presets.pop(0)
            if isinstance(preset, Proposal):
                what = f"pending({preset.trial_id})"
                self.calls.call(what, self.optimizer.pending, preset.trial_id, preset.internal)
                return preset
            trial_id = self.take_id()
            try:
                return self.optimizer.propose(trial_id, preset)
            except EncodeError as exc:
                self.note(f"skipping a point the space cannot produce: {exc}")
                self.next_id -= 1
        if self._ahead:
            return self._ahead.pop(0)
        if self._ask_error is not None:
            raise self._ask_error
        if self.waiting or self.exhausted:
            return None
        return self._ask()

    def ask_ahead(self, slots: int) -> list[Proposal]:
        """Hold proposals for the next ``slots`` free slots, if the optimizer allows it; the
        proposals asked by this call, in the order the free slots will get them."""
        asked: list[Proposal] = []
        if self.optimizer.proposals_use_results or self.presets:
            return asked
        while len(self._ahead) < slots:
            if self.waiting or self.exhausted or self._ask_error is not None:
                break
            try:
                proposal = self._ask()
            except Abandoned:  # an interrupt came: the search stops now
                raise
            except Exception as exc:  # raised when the proposal is needed, as without asking ahead
                self._ask_error = exc
                break
            if proposal is None:
                break
            self._ahead.append(proposal)
            asked.append(proposal)
        return asked

    def asked_ahead(self) -> tuple[Proposal, ...]:
        """The proposals asked ahead and held here, in the order the free slots will get them."""
        return tuple(self._ahead)

    def take_ahead(self) -> Proposal | None:
        """The next proposal asked ahead, if there is one and nothing comes before it (a
        preset): it is no longer held here."""
        if self.presets or not self._ahead:
            return None
        return self._ahead.pop(0)

    def give_back(self, proposals: list[Proposal]) -> None:
        """Proposals taken by :meth:`take_ahead` and not run: the next free slots get them
        first, in the order of their ids."""
        self._ahead[:0] = sorted(proposals, key=lambda p: p.trial_id)

    def _ask(self) -> Proposal | None:
        trial_id = self.take_id()
        try:
            answer = self.calls.call(f"ask({trial_id})", self.optimizer.ask, trial_id)
        except Abandoned:
            self.next_id -= 1
            raise
        if isinstance(answer, NoProposal):
            self.next_id -= 1
            self.waiting = answer is NoProposal.WAIT
            self.exhausted = answer is NoProposal.EXHAUSTED
            return None
        return as_run(self.optimizer, trial_id, answer)

    def take_id(self) -> int:
        """The next trial id (taken: the next call gives the one after)."""
        trial_id = self.next_id
        self.next_id += 1
        return trial_id


def as_run(optimizer: BaseOptimizer, trial_id: int, answer: object) -> Proposal:
    """The answer of ``optimizer`` to ``ask(trial_id)`` (not WAIT or EXHAUSTED) as the search
    runs and journals it: its params and internal values as JSON holds them (a numpy number as
    the Python number it holds). Raises ProposalError, one line naming the optimizer and what
    is wrong with its answer, for one the search cannot run. The optimizer contract checks
    every answer with it too."""
    try:
        return _as_run(optimizer, trial_id, answer)
    except _Unusable as exc:
        kind = type(optimizer)
        raise ProposalError(
            f"hypermax: the optimizer {kind.__module__}:{kind.__qualname__} {exc}"
        ) from None


def _as_run(optimizer: BaseOptimizer, trial_id: int, answer: object) -> Proposal:
    """The optimizer's answer to ``ask(trial_id)`` as the search runs and journals it, its
    params and internal values as JSON holds them (a numpy number as the Python number it
    holds); raises _Unusable saying what is wrong with it."""
    if not isinstance(answer, Proposal):
        text = repr(answer)
        text = text if len(text) <= 60 else text[:57] + "..."
        raise _Unusable(
            f"answered ask({trial_id}) with {text}: ask returns a Proposal, WAIT or EXHAUSTED"
        )
    if answer.trial_id != trial_id:
        raise _Unusable(f"proposed trial {answer.trial_id} when asked for trial {trial_id}")
    try:
        params, internal = as_json(answer.params), as_json(answer.internal)
    except (TypeError, ValueError) as exc:
        raise _Unusable(f"proposed values JSON cannot hold for trial {trial_id}: {exc}") from None
    if optimizer.proposes_from_space:
        try:
            optimizer.space.encode(params)
        except EncodeError as exc:
            raise _Unusable(
                f"proposed params the space cannot produce for trial {trial_id}: {exc}"
            ) from None
        try:
            decoded = optimizer.space.decode(internal)
        except Exception as exc:  # an active leaf left out, an option's index out of range
            raise _Unusable(
                f"proposed internal values the space cannot decode for trial {trial_id}: "
                f"{json_text(internal)}: {one_line(exc)}"
            ) from None
        if not json_equal(decoded, params):  # the journal would keep what did not run
            raise _Unusable(
                f"proposed params for trial {trial_id} that its internal values do not "
                f"decode to: {json_text(params)}, decoded {json_text(decoded)} (propose "
                "Proposal(trial_id, self.space.decode(internal), internal))"
            )
    return Proposal(trial_id, params, internal)


class _Unusable(Exception):
    """What is wrong with an optimizer's answer to an ask, in words that follow its name."""


class ProposalError(SearchFailed):
    """An optimizer answered an ask with something the search cannot run (not a Proposal,
    another trial's id, params outside the space); the message is one line naming it."""


def why_again(trial: Trial) -> str:
    """Why ``trial`` (unfinished in the journal) runs again, for the note in its log."""
    if trial.state is TrialState.RUNNING:  # started, and nothing after: hypermax stopped
        return "its last run has no end in the journal (hypermax stopped while it ran)"
    reason = (trial.reason or "").removeprefix("interrupted").removeprefix(":").strip()
    return f"its last run was interrupted ({reason})" if reason else "its last run was interrupted"
