"""nevergrad's NGOpt (an algorithm chosen by the space and the budget) over the unit cube.

nevergrad's optimizers keep state that advances with every ask, so hypermax seeds each ask from
its trial's seed and rebuilds a told history by replaying it: in the order of the ids, an ask
and a tell for every trial NGOpt proposed, a tell of a point it did not ask for every other one
(a user point, the defaults, an imported trial). A resumed sequential search so proposes what an
unbroken one would have.

NGOpt searches the unit cube as if every coordinate counted, but a choice, an integer or the
branch of a conditional is a slice of [0, 1], and a leaf of another branch is not used at all:
the algorithms it picks stepped within one slice and proposed the point of a finished trial
again and again (19 of 20 trials on a conditional space). A candidate whose point a finished
trial ran is told that trial's loss at once and another is asked for; after :data:`RETRIES`
of them, the trial runs a uniform random point instead.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import threading
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from hypermax.optimizers.base import WAIT, NoProposal, point_key, trial_seed
from hypermax.optimizers.history import HistoryOptimizer, taught_loss
from hypermax.trial import Proposal, Trial, TrialState
from hypermax.warnings_log import warnings_ignored

#: candidates asked for one trial, at most, while each is the point of a finished trial
RETRIES = 10


class NGOptOptimizer(HistoryOptimizer):
    """nevergrad's NGOpt, which picks its algorithm by dimensions, budget and parallel trials.

    Starts from a random point of the space (drawn from the search seed). A failed trial counts
    as the worst loss told so far (as infinite before any loss). Options (``search.ngopt``):
    ``optimizer`` (another nevergrad optimizer by name, default ``NGOpt``).
    """

    def setup(self) -> None:
        super().setup()
        self._ng: Any = None
        self._asked: dict[int, Any] = {}  # trial id → nevergrad's candidate
        # every ask and tell NGOpt took, in order: it is rebuilt from them to take an ask back
        # (nevergrad's optimizers cannot all be copied). (trial id, None, attempt) is an ask
        # (seeded by the trial and the attempt), (trial id, internal, loss) the tell of a
        # trial, and (trial id, None, attempt, loss) an ask whose candidate repeated a finished
        # trial's point, told that trial's loss
        self._taken: list[tuple[Any, ...]] = []
        # the point of every finished trial (its active internal values) → the loss NGOpt was
        # told for it
        self._known: dict[tuple[tuple[str, float], ...], float] = {}

    # -- the seam ---------------------------------------------------------------------------
    def ask(self, trial_id: int) -> Proposal | NoProposal:
        """A proposal, or WAIT while ``budget.parallel`` of NGOpt's own proposals are running:
        the algorithm it picked for that many workers may not take more at once."""
        if len(self._asked) >= self.budget.parallel:
            return WAIT
        return self.proposal(trial_id, self._ask(trial_id))

    def tell(self, trial: Trial) -> None:
        super().tell(trial)
        self._tell(trial.id, trial.internal, taught_loss(trial))

    def pending(self, trial_id: int, internal: dict[str, Any]) -> None:
        """Note a running trial it was not asked for. One that NGOpt would have proposed (a
        trial of a resumed search that was running when it stopped) is asked for again, so
        that NGOpt goes on as it would have; any other is told, when it ends, as a point NGOpt
        did not ask for."""
        if trial_id in self.history.running or trial_id in self.history.finished:
            return
        if len(self._asked) < self.budget.parallel:
            self._ask_if_proposed(trial_id, internal)
        super().pending(trial_id, internal)

    def tell_many(self, trials: Iterable[Trial]) -> None:
        """Replay the history in id order, asking for every trial NGOpt would have proposed."""
        told = sorted(
            (trial for trial in trials if trial.id not in self.history.finished),
            key=lambda trial: trial.id,
        )
        for trial in told:
            imported = trial.state is TrialState.IMPORTED
            if not imported and trial.id not in self.history.running:
                self._ask_if_proposed(trial.id, trial.internal)
            self.tell(trial)

    def _ask_if_proposed(self, trial_id: int, internal: dict[str, Any]) -> bool:
        """Ask for ``trial_id``; when NGOpt proposes other values than ``internal``, take the
        ask back (NGOpt is rebuilt without it). Whether it proposed them."""
        taken = list(self._taken)
        if self._ask(trial_id) == self.space.active(internal):
            return True
        self._ng, self._asked, self._taken = None, {}, []
        for step in taken:
            if step[1] is not None:
                self._tell_ng(*step)
                continue
            candidate = self._raw_ask(step[0], step[2])
            if len(step) == 4:  # a repeat of a finished trial's point
                self._tell_candidate(candidate, step[3])
            else:
                self._asked[step[0]] = candidate
            self._taken.append(step)
        return False

    # -- nevergrad --------------------------------------------------------------------------
    def _optimizer(self) -> Any:
        if self._ng is None:
            import numpy as np

            from hypermax.matplotlib_config import import_matplotlib_quietly

            import_matplotlib_quietly()  # cma imports it: no warning of an unwritable home
            with warnings.catch_warnings():  # the cma it uses warns that matplotlib is missing
                warnings.simplefilter("ignore", UserWarning)
                import nevergrad as ng

                with contextlib.suppress(ImportError):
                    import cma  # noqa: F401

            _scalar_predictions()
            _stop_threads_at_exit()
            # scipy's COBYLA, run by NGOpt in a thread of its own (outside _quiet), warns that
            # nevergrad's tolerance is out of range and uses its own: nothing a user can act on
            warnings.filterwarnings(
                "ignore", message="COBYLA: Invalid RHOEND", category=UserWarning
            )

            n = max(len(self.dimensions), 1)
            start = np.random.default_rng(self.seed).uniform(0.2, 0.8, size=n)
            parametrization = ng.p.Array(init=start, lower=0.0, upper=1.0)
            parametrization.random_state.seed(self.seed % 2**32)
            name = str(self.options.get("optimizer", "NGOpt"))
            with _quiet(), self._needs_installed():
                self._ng = ng.optimizers.registry[name](
                    parametrization,
                    budget=self.budget.iterations,
                    num_workers=self.budget.parallel,
                )
        return self._ng

    @contextlib.contextmanager
    def _needs_installed(self) -> Iterator[None]:
        """A nevergrad optimizer that imports a package of its own (``NLOPT_LN_SBPLX`` nlopt,
        ``SMAC3`` ConfigSpace, ``FCMA`` fcmaes) when it is built, asked or told, which is not
        installed: one line that says so, rather than an unexpected ModuleNotFoundError. One
        that fails otherwise on this space (``DiscreteDoerrOnePlusOne`` divides by zero on
        one number, ``RotatedRecombiningGA`` draws from an empty range): one line that names
        it and what it raised, rather than an unexpected error of hypermax's."""
        from nevergrad.common.errors import TellNotAskedNotSupportedError

        from hypermax.errors import HypermaxError, SearchFailed, one_line

        try:
            yield
        except (HypermaxError, TellNotAskedNotSupportedError):
            raise
        except Exception as exc:  # nevergrad's own, whatever it is
            name = str(self.options.get("optimizer", "NGOpt"))
            missing = _missing_module(exc) if isinstance(exc, ImportError | RuntimeError) else None
            if missing is None:
                raise SearchFailed(
                    f'hypermax: nevergrad\'s optimizer "{name}" failed on this search '
                    f"({one_line(exc)}): name another optimizer"
                ) from exc
            raise SearchFailed(
                f'hypermax: nevergrad\'s optimizer "{name}" needs the module "{missing}", which '
                "is not installed: install it, or name another optimizer"
            ) from exc

    def _ask(self, trial_id: int) -> dict[str, Any]:
        """NGOpt's proposal for ``trial_id``: its first candidate whose point no finished trial
        ran (each one that did is told that trial's loss), or, when :data:`RETRIES` of them
        did, a uniform random point (told, once it ends, as one NGOpt did not ask for)."""
        for attempt in range(RETRIES):
            candidate = self._raw_ask(trial_id, attempt)
            internal = self.from_unit_cube(candidate.value)
            loss = self._known.get(point_key(internal))
            if loss is None:
                self._asked[trial_id] = candidate
                self._taken.append((trial_id, None, attempt))
                return internal
            self._tell_candidate(candidate, loss)
            self._taken.append((trial_id, None, attempt, loss))
        import numpy as np

        rng = np.random.default_rng(trial_seed(self.seed, trial_id))
        return self.from_unit_cube(rng.random(max(len(self.dimensions), 1)).tolist())

    def _raw_ask(self, trial_id: int, attempt: int) -> Any:
        """NGOpt's next candidate, its randomness seeded by the trial and the attempt."""
        optimizer = self._optimizer()
        optimizer.parametrization.random_state.seed(trial_seed(self.seed, trial_id) + attempt)
        with _quiet(), self._needs_installed():
            return optimizer.ask()

    def _tell_candidate(self, candidate: Any, loss: float) -> None:
        from nevergrad.common.errors import TellNotAskedNotSupportedError

        # the algorithm NGOpt chose may learn only from its own proposals
        with contextlib.suppress(TellNotAskedNotSupportedError), _quiet(), self._needs_installed():
            self._optimizer().tell(candidate, float(loss))

    def _tell(self, trial_id: int, internal: dict[str, Any], loss: float | None) -> None:
        if loss is None:
            # the worst so far; before any loss, worse than every loss to come (an algorithm
            # picked for one worker asks nothing more until its proposal is told)
            loss = self.history.worst()
            if loss is None:
                loss = math.inf
        self._tell_ng(trial_id, internal, loss)

    def _tell_ng(self, trial_id: int, internal: dict[str, Any], loss: float) -> None:
        self._taken.append((trial_id, internal, loss))
        self._known[point_key(self.space.active(internal))] = loss
        candidate = self._asked.pop(trial_id, None)
        optimizer = self._optimizer()
        if candidate is None:
            x = self.to_unit_cube(internal, fill=[0.5] * max(len(self.dimensions), 1))
            candidate = optimizer.parametrization.spawn_child(new_value=x)
        self._tell_candidate(candidate, loss)


def _missing_module(exc: BaseException) -> str | None:
    """The module whose absence ``exc`` reports (a ModuleNotFoundError, or the RuntimeError
    in which nevergrad's recast optimizers pass it on), or None."""
    import re

    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return exc.name
    found = re.search(r"No module named '([\w.]+)'", str(exc))
    if found is None:  # FCMA's, and NGOpt's that pick it: "Please install fcmaes (pip ...)"
        found = re.search(r"Please install ([\w.]+)", str(exc))
    return found.group(1) if found else None


def optimizer_problem(
    name: str, parallel: int = 1, iterations: int = 100, dimensions: int = 1
) -> str | None:
    """Why ``search.ngopt.optimizer`` cannot be used (no optimizer of nevergrad's registry has
    that name, with the names it may have meant; one that runs one trial at a time, with
    ``parallel`` trials; one that cannot be built for that budget, ``BAR4`` or
    ``DiscreteDoerrOnePlusOne`` with ``parallel`` > 1), or None; None too without nevergrad, and
    for one that needs a package that is not installed (the search ends saying so)."""
    import difflib

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from nevergrad.optimization import registry
    except ImportError:
        return None
    if name in registry:
        if parallel > 1 and getattr(registry[name], "no_parallelization", False):
            return (
                f'nevergrad\'s "{name}" runs one trial at a time, and function.parallel is '
                f"{parallel}: set it to 1, or name another optimizer"
            )
        return _build_problem(name, parallel, iterations, dimensions)
    by_lower = {known.lower(): known for known in registry}
    close = [by_lower[k] for k in difflib.get_close_matches(name.lower(), by_lower, n=3)]
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return f'nevergrad has no optimizer "{name}"{hint}'


def _build_problem(name: str, parallel: int, iterations: int, dimensions: int) -> str | None:
    """Why nevergrad cannot build ``name`` for ``iterations`` trials, ``parallel`` at a time
    (what it raises), or None. Some of its optimizers refuse parallel trials as they are built,
    each in its own way (``BAR4``, a portfolio of sequential ones, divides by zero;
    ``DiscreteDoerrOnePlusOne`` fails an assertion): building one is how to know."""
    import gc

    import nevergrad as ng

    try:
        with _quiet():
            parametrization = ng.p.Array(shape=(max(dimensions, 1),), lower=0.0, upper=1.0)
            ng.optimizers.registry[name](parametrization, budget=iterations, num_workers=parallel)
    except Exception as exc:  # nevergrad's own, whatever it is
        if _missing_module(exc) is not None:
            return None
        problem = f"{type(exc).__name__}: {exc}".splitlines()[0]
    else:
        return None
    finally:
        with _quiet():  # a half-built recast optimizer complains as it is collected
            gc.collect()
    return (
        f'nevergrad cannot build "{name}" for {iterations} trials, {parallel} at a time '
        f"({problem}): name another optimizer, or change function.parallel"
    )


def _stop_threads_at_exit() -> None:
    """Some algorithms NGOpt picks (scipy's, recast as ask and tell) run in a thread of their
    own that waits for the next tell and is stopped only when its optimizer is collected: one
    still referenced when the interpreter exits would keep it from exiting. Stop them first."""
    global _AT_EXIT
    register = getattr(threading, "_register_atexit", None)  # runs before threads are joined
    if register is not None and not _AT_EXIT:
        register(_stop_recast_threads)
        _AT_EXIT = True


_AT_EXIT = False  # whether _stop_recast_threads is registered


def _stop_recast_threads() -> None:
    from nevergrad.optimization.recaster import _MessagingThread

    for thread in threading.enumerate():
        if isinstance(thread, _MessagingThread):
            thread.stop()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """nevergrad's warnings about a loss it clips (a failure told as infinite) and those of the
    scipy solvers it runs would reach the search's console or dashboard: keep them out. What
    it prints (``AXP``'s "Pb for creating AX solver", the "Exception ignored" of a recast
    optimizer) would too: each line of it is a line of hypermax's log instead."""
    lines = _LogLines()
    with (
        warnings_ignored(
            "nevergrad",
            (UserWarning, ""),  # scipy's COBYLA on its tolerances
            (RuntimeWarning, ""),  # nevergrad's LossTooLargeWarning
        ),
        contextlib.redirect_stdout(lines),
        contextlib.redirect_stderr(lines),
    ):
        try:
            yield
        finally:
            lines.close()


class _LogLines(io.TextIOBase):
    """A stream whose every line is a warning of hypermax's log (``nevergrad printed: ...``)."""

    def __init__(self) -> None:
        super().__init__()
        self._part = ""
        self._logging = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self._part = (self._part + text).split("\n")
        for line in lines:
            self._log(line)
        return len(text)

    def close(self) -> None:
        if self._part:
            self._log(self._part)
            self._part = ""
        super().close()

    def _log(self, line: str) -> None:
        # without a handler of hypermax's (validate), logging writes to sys.stderr: this stream
        if line.strip() and not self._logging:
            self._logging = True
            try:
                logging.getLogger("hypermax").warning("nevergrad printed: %s", line.rstrip())
            finally:
                self._logging = False


def _scalar_predictions() -> None:
    """nevergrad 1.0's MetaModel turns a one-element prediction into a number with ``float``,
    which NumPy 2.4 refuses for an array of one dimension: give that module a ``float`` that
    takes the element, so NGOpt's surrogate model works instead of raising."""
    import builtins

    import numpy as np
    from nevergrad.optimization import metamodel

    def scalar(value: Any = 0.0) -> float:
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.reshape(-1)[0]
        return builtins.float(value)

    metamodel.float = scalar  # type: ignore[attr-defined]
