"""hypermax: hyperparameter search for any program.

The public API is imported lazily so that a trial process, which imports this package through the
child bootstrap, pays only for what it uses.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing itself is not imported: every trial process imports this package

__version__ = "0.1.0"

__all__ = ["TrialStopped", "__version__", "load_spec", "optimize", "report"]

if TYPE_CHECKING:
    from typing import Any

    from hypermax.execution.protocol import TrialStopped
    from hypermax.spec import Spec


def load_spec(path: str) -> Spec:
    """Read, resolve and validate a search spec file (JSON or YAML).

    Raises ``hypermax.errors.SpecError`` naming the file and JSON path of each problem.
    """
    from hypermax.spec import load_spec as _load

    return _load(path)


def optimize(
    spec: str | dict[str, Any],
    *,
    iterations: int | None = None,
    parallel: int | None = None,
    seed: int | None = None,
    name: str | None = None,
    fresh: bool = False,
) -> dict[str, Any]:
    """Run a search from a spec path or dict without the dashboard; return the best trial.

    Trials run in their own processes under the watchdog, as with the command line. Running the
    same spec again resumes its search.

    Args:
        spec: the path of a spec file, or a spec as a dict (relative paths in it start at the
            current folder).
        iterations, parallel, seed, name: override ``search.iterations``, ``function.parallel``,
            ``search.seed`` and ``search.name``.
        fresh: start anew when the results folder holds another search (the old folder is
            moved aside), instead of refusing.

    Returns:
        The best trial as a dict (``loss``, ``params``, ...), or an empty dict when no trial
        produced a loss.

    Example::

        best = hypermax.optimize("search.json", iterations=20)
        print(best["loss"], best["params"])
    """
    from hypermax.search import run_search

    overrides = {"iterations": iterations, "parallel": parallel, "seed": seed, "name": name}
    given = {key: value for key, value in overrides.items() if value is not None}
    return run_search(spec, fresh=fresh, **given)


def report(step: int, **metrics: Any) -> None:
    """Report intermediate metrics from inside a running trial.

    Works in a ``python_function`` trial and in a Python ``executable`` alike: it prints the
    ``HYPERMAX_REPORT`` line that hypermax reads from the trial's stdout::

        for epoch in range(10):
            hypermax.report(epoch, loss=val_loss)

    In a ``python_function`` trial that early stopping stopped, it raises
    :class:`TrialStopped` instead (an executable is stopped with SIGTERM).
    """
    import sys

    from hypermax.execution.protocol import format_report, raise_if_stopped

    raise_if_stopped()
    sys.stdout.write(format_report(int(step), metrics) + "\n")
    sys.stdout.flush()


def __getattr__(name: str) -> Any:
    if name == "TrialStopped":  # imported on first use: a trial pays for nothing it skips
        from hypermax.execution.protocol import TrialStopped

        return TrialStopped
    raise AttributeError(f"module 'hypermax' has no attribute {name!r}")
