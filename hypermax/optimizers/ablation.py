"""Ablation studies (after Maggy's): a baseline trial, then one trial per component left out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hypermax.optimizers.base import EXHAUSTED, BaseOptimizer, NoProposal, trial_seed
from hypermax.space import EncodeError
from hypermax.trial import Proposal, Trial

if TYPE_CHECKING:
    pass

#: the key of the params that names the component a trial leaves out (None for the baseline)
ABLATED = "ablated"
#: the internal values that place a trial in the plan (its number and its repeat)
PLAN_INDEX = "@ablation"
PLAN_REPEAT = "@repeat"
DEFAULT_SEED_PARAM = "seed"


@dataclass(frozen=True)
class PlannedTrial:
    """One trial of an ablation study.

    Attributes:
        index: its place in the plan.
        repeat: which repeat it belongs to (0 for the first); all the trials of a repeat share
            one seed, so a component's loss change is measured against its own baseline.
        group, name: the component it leaves out; both None for the baseline.
    """

    index: int
    repeat: int
    group: str | None = None
    name: str | None = None

    @property
    def ablated(self) -> dict[str, str] | None:
        """What the trial receives as ``params["ablated"]``."""
        if self.group is None or self.name is None:
            return None
        return {"group": self.group, "name": self.name}


@dataclass(frozen=True)
class AblationPlan:
    """Every trial of the study, repeat by repeat: the baseline, then each component in order;
    each made when asked for, so that a study of a billion repeats is not listed first.

    Attributes:
        components: ``(group, name)`` of each component, in order.
        repeats: how many times the baseline and every component run.
    """

    components: tuple[tuple[str, str], ...]
    repeats: int

    @property
    def size(self) -> int:
        """How many trials the plan holds (``len`` could not say more than ``sys.maxsize``)."""
        return (1 + len(self.components)) * self.repeats

    def __getitem__(self, index: int) -> PlannedTrial:
        if not 0 <= index < self.size:
            raise IndexError(index)
        repeat, place = divmod(index, 1 + len(self.components))
        if place == 0:
            return PlannedTrial(index, repeat)
        group, name = self.components[place - 1]
        return PlannedTrial(index, repeat, group, name)


def ablation_plan(components: dict[str, list[str]], repeats: int = 1) -> AblationPlan:
    """Every trial of the study (see :class:`AblationPlan`)."""
    flat = tuple((group, name) for group, names in components.items() for name in names)
    return AblationPlan(flat, repeats)


def planned_trial(trial: Trial) -> PlannedTrial | None:
    """Where ``trial`` stands in the plan of the ablation study it ran in, or None for a trial
    of another method."""
    internal = trial.internal
    if PLAN_INDEX not in internal or PLAN_REPEAT not in internal:
        return None
    ablated = trial.params.get(ABLATED) if isinstance(trial.params, dict) else None
    group = name = None
    if isinstance(ablated, dict):
        group, name = str(ablated.get("group")), str(ablated.get("name"))
    return PlannedTrial(int(internal[PLAN_INDEX]), int(internal[PLAN_REPEAT]), group, name)


class AblationOptimizer(BaseOptimizer):
    """Runs an ablation study: what each component contributes to the loss.

    Options (``search.ablation``): ``components`` (``{"features": ["age", "income"], "layers":
    ["dense_2"]}``), ``repeats`` (default 1) and ``seed_param`` (default ``"seed"``). Every
    repeat runs the baseline and one trial per component left out, ``(1 + components) *
    repeats`` trials in all, which is what ``iterations`` defaults to. Each trial receives the
    defaults of the space (every leaf's ``default``; without one, the middle of a number's
    range, the first option of an enum) plus ``"ablated": {"group": ..., "name": ...}`` (None
    for the baseline) and, under ``seed_param``, the seed of its repeat; the trial leaves the
    component out itself.

    The plan is fixed; its internal values carry each trial's place in it (``@ablation``,
    ``@repeat``), so a resumed study runs the trials of the plan not yet run. The defaults the
    driver runs first are the first baseline.
    """

    proposes_from_space = False  # the params carry "ablated" and the repeat's seed
    keeps_cut_trials = False  # a component's loss at an early step is not its loss

    def setup(self) -> None:
        if "components" not in self.options:
            raise ValueError('the ablation method needs "components" in search.ablation')
        self.plan = ablation_plan(self.options["components"], int(self.options.get("repeats", 1)))
        self.seed_param = str(self.options.get("seed_param", DEFAULT_SEED_PARAM))
        self.baseline = self.space.encode(self.space.root.default())
        self._taken: set[int] = set()
        self._cursor = 0

    def ask(self, trial_id: int) -> Proposal | NoProposal:
        while self._cursor < self.plan.size:
            planned = self.plan[self._cursor]
            self._cursor += 1
            if planned.index not in self._taken:
                self._taken.add(planned.index)
                return self._proposal(trial_id, planned)
        return EXHAUSTED

    def _proposal(self, trial_id: int, planned: PlannedTrial) -> Proposal:
        params = {
            **self.space.decode(self.baseline),
            ABLATED: planned.ablated,
            self.seed_param: trial_seed(self.seed, planned.repeat + 1),
        }
        internal = {**self.baseline, PLAN_INDEX: planned.index, PLAN_REPEAT: planned.repeat}
        return Proposal(trial_id, params, internal)

    def propose(self, trial_id: int, params: dict[str, Any]) -> Proposal:
        """The defaults run first as the next trial of the plan (the first baseline); the study
        runs nothing else (``search.points`` are refused with this method)."""
        if self.space.encode(params) != self.baseline:
            raise EncodeError("an ablation study runs the trials of its plan only")
        answer = self.ask(trial_id)
        if isinstance(answer, NoProposal):
            raise EncodeError("every trial of the ablation study has run")
        return answer

    def pending(self, trial_id: int, internal: dict[str, Any]) -> None:
        if PLAN_INDEX in internal:
            self._taken.add(int(internal[PLAN_INDEX]))

    def tell(self, trial: Trial) -> None:
        self.pending(trial.id, trial.internal)
