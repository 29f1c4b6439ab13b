"""The optimizer seam: ``ask`` for params, ``tell`` how a trial went."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from hypermax.trial import Proposal, Trial, TrialState

if TYPE_CHECKING:
    from hypermax.space import Space


class NoProposal(Enum):
    """What :meth:`BaseOptimizer.ask` answers when it has no params to propose.

    ``WAIT``: nothing now; the driver asks again after the next trial ends (a generation-based
    method waiting for results, a grid whose last points are running). ``EXHAUSTED``: nothing
    ever again (a grid that is used up); the driver ends the search once the running trials
    have ended, with the reason ``exhausted``.
    """

    WAIT = "wait"
    EXHAUSTED = "exhausted"


#: ``ask`` may answer these instead of a Proposal.
WAIT = NoProposal.WAIT
EXHAUSTED = NoProposal.EXHAUSTED


@dataclass(frozen=True)
class Budget:
    """What the search will spend, for methods that plan by it (a grid, a portfolio).

    Attributes:
        iterations: the trials the search runs in all, resumed ones included.
        parallel: how many trials run at the same time.
    """

    iterations: int = 100
    parallel: int = 1


def trial_seed(search_seed: int, trial_id: int) -> int:
    """The seed of one ask: a function of the search seed and the trial id only.

    So a resumed search, which rebuilds its history from the journal, proposes exactly what an
    uninterrupted one would have. It is the ``trial_id``-th draw of
    ``numpy.random.default_rng(search_seed).integers(2**31 - 1)``: the seed hyperopt's ``fmin``
    hands its n-th suggest call, so a sequential hypermax search with seed S proposes what
    ``fmin(..., rstate=default_rng(S))`` does. Past the first :data:`SEED_DRAWS_KEPT` ids (a
    search that long, or a journal whose ids were edited by hand), it is drawn from the seed
    and the id at once, rather than after as many draws as the id.
    """
    if trial_id > SEED_DRAWS_KEPT:
        import numpy as np

        state = np.random.SeedSequence([search_seed, trial_id]).generate_state(1, np.uint64)
        return int(state[0] % (2**31 - 1))
    draws = _SEED_DRAWS.get(search_seed)
    if draws is None or len(draws) < trial_id:
        import numpy as np

        # the draws are a prefix of any longer run of them: draw twice as many as needed once,
        # rather than ``trial_id`` numbers at every ask
        size = min(max(trial_id, 2 * len(draws) if draws is not None else 1024), SEED_DRAWS_KEPT)
        draws = np.random.default_rng(search_seed).integers(2**31 - 1, size=size)
        _SEED_DRAWS[search_seed] = draws
    return int(draws[max(trial_id, 1) - 1])


#: the trial ids whose seeds are the draws of the search seed's generator, at most (8 MiB of
#: them a search seed)
SEED_DRAWS_KEPT = 2**20
#: search seed → the first draws of its generator (see :func:`trial_seed`)
_SEED_DRAWS: dict[int, Any] = {}


def point_key(internal: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    """A point by its active internal values to 12 significant digits, to find it again among
    the trials run: a point comes back from the unit cube a float's last digit away."""
    return tuple(
        sorted((label, float(f"{float(value):.12g}")) for label, value in internal.items())
    )


class BaseOptimizer(ABC):
    """Proposes params for trials and learns from how they ended.

    Subclasses implement :meth:`ask` and :meth:`tell`. The driver calls ``ask`` whenever a slot
    is free, ``tell`` once for every trial that ended (in any state but ``interrupted``, which
    runs again), :meth:`tell_many` with the finished trials of a resumed or warm-started
    search before the first ask, and :meth:`pending` for a running trial the optimizer did not
    propose (a user point, the defaults, a trial resumed after a crash). Losses are minimised.

    An optimizer must be deterministic given its seed and what it was told, so that a resumed
    search proposes what an unbroken one would have: derive the randomness of each ask from
    :func:`trial_seed` ``(self.seed, trial_id)``.

    Example, a plugin (``"method": "mypackage.search:Halton"`` in the spec)::

        class Halton(BaseOptimizer):
            def ask(self, trial_id):
                internal = ...  # a value for every active leaf of self.space.leaves()
                return Proposal(trial_id, self.space.decode(internal), internal)

            def tell(self, trial):
                ...  # trial.state, trial.loss, trial.internal

    Args:
        space: the search space.
        seed: the search seed.
        options: the method's options from the spec (``search.tpe`` for TPE, ...).
        budget: the search's iterations and parallel trials.
    """

    #: Whether ``ask`` depends on what ``tell`` taught. When it does not (random search), the
    #: driver asks ahead: the next proposal is ready before a slot frees.
    proposals_use_results: bool = True

    #: Whether every proposal's params are params the space can produce. The driver checks it
    #: of each proposal (a search ends on one that is not, naming the optimizer); a method whose
    #: params carry keys of its own (an ablation study's ``ablated``) turns it off.
    proposes_from_space: bool = True

    #: Whether a trial that the search's timeout or loss threshold cut short after it reported
    #: is a result of the method: recorded ``stopped`` with the loss of its last report, and
    #: told. A method that compares its trials' losses at their end (an ablation study) turns
    #: it off: such a trial is ``interrupted`` and runs again when the search resumes.
    keeps_cut_trials: bool = True

    def __init__(
        self,
        space: Space,
        seed: int,
        options: dict[str, Any] | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.space = space
        self.seed = seed
        self.options = dict(options or {})
        self.budget = budget or Budget()
        self.setup()

    def setup(self) -> None:  # noqa: B027 - optional hook
        """Prepare the method's own state; called once at the end of ``__init__``, with
        ``space``, ``seed``, ``options`` and ``budget`` set. Override this, not ``__init__``."""

    @abstractmethod
    def ask(self, trial_id: int) -> Proposal | NoProposal:
        """Propose params for trial ``trial_id``, or say there are none now (:data:`WAIT`) or
        ever again (:data:`EXHAUSTED`). A proposed trial counts as running until told."""

    @abstractmethod
    def tell(self, trial: Trial) -> None:
        """Learn how ``trial`` ended.

        ``trial.state`` tells the cases apart: ``ok`` (its loss), ``stopped`` early (the loss of
        its last report, or None), ``killed`` by a limit (``auto_kill_loss``, or None), ``failed``
        (no loss), ``imported`` from a warm start (its loss). A trial the optimizer has not seen
        (resumed or imported) is added to its history.
        """

    def tell_many(self, trials: Iterable[Trial]) -> None:
        """Learn many finished trials at once (resume, warm start); subclasses may batch it."""
        for trial in trials:
            self.tell(trial)

    def pending(self, trial_id: int, internal: dict[str, Any]) -> None:  # noqa: B027
        """Note a running trial the optimizer did not propose. Default: nothing to do."""

    def propose(self, trial_id: int, params: dict[str, Any]) -> Proposal:
        """Run ``params`` (a user point or the defaults) as trial ``trial_id``.

        Raises ``hypermax.space.EncodeError`` for params the space cannot produce.
        """
        internal = self.space.encode(params)
        self.pending(trial_id, internal)
        return Proposal(trial_id, self.space.decode(internal), internal)


def finished(trial_id: int, internal: dict[str, Any], loss: float | None) -> Trial:
    """A finished trial record with just what an optimizer reads: ``ok`` with ``loss``, or
    ``failed`` when the loss is None. For optimizer tests, benchmarks and examples."""
    state = TrialState.FAILED if loss is None else TrialState.OK
    return Trial(id=trial_id, params={}, internal=internal, state=state, loss=loss)
