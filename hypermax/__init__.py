"""hypermax: hyperparameter search for any program.

The public API is imported lazily so that a trial process, which imports this package through the
child bootstrap, pays only for what it uses.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing itself is not imported: every trial process imports this package

__version__ = "0.1.0"

__all__ = ["TrialStopped", "__version__", "load_spec", "optimize", "report"]

if TYPE_CHECKING:
    import os
    from collections.abc import Callable
    from typing import Any

    from hypermax.api import Result
    from hypermax.execution.reports import TrialStopped
    from hypermax.spec import Spec


def load_spec(path: str) -> Spec:
    """Read, resolve and validate a search spec file (JSON or YAML).

    Raises ``hypermax.errors.SpecError`` naming the file and JSON path of each problem, and
    TypeError for a path that is no str or ``os.PathLike``.
    """
    from hypermax.api import path_argument
    from hypermax.spec import load_spec as _load

    return _load(path_argument(path, "load_spec() takes the spec file's path"))


def optimize(
    objective: str | dict[str, Any] | Spec | Callable[..., Any],
    space: dict[str, Any] | None = None,
    *,
    iterations: int | None = None,
    method: str | None = None,
    parallel: int | None = None,
    metrics: dict[str, Any] | str | None = None,
    seed: int | None = None,
    name: str | None = None,
    results_dir: str | os.PathLike[str] | None = None,
    fresh: bool = False,
    search: dict[str, Any] | None = None,
    **function_options: Any,
) -> Result:
    """Run a search without the dashboard and return its :class:`~hypermax.api.Result`.

    Every trial runs in its own process under the watchdog, exactly as with the command line;
    running the same search again resumes it.

    Args:
        objective: what a trial runs — a spec (the path of a spec file, the ``Spec`` that
            :func:`load_spec` read from one, or a dict; relative paths in a dict start at the
            current folder), a ``"module:function"`` string
            (importable from the current folder), or a Python callable taking the params dict
            (and optionally a ``reporter``) and returning a loss or a dict of metrics. A
            callable is shipped to the trial processes with cloudpickle, so one defined in a
            notebook or in ``__main__`` works too.
        space: with a callable or ``"module:function"``: the hyperparameters, as a spec node
            or in short, one entry per param: a spec node (``{"type": "number", ...}``), a
            range string as ``hypermax quick`` reads it (``"1e-5:l5:0.1"``), a ``(low, high)``
            tuple, a list of values, a constant, or a dict of such entries (a nested space).
        iterations, method, seed, name: ``search.iterations``, ``search.method``,
            ``search.seed`` and ``search.name`` (with a callable, the name defaults to its
            ``__name__``).
        parallel: how many trials run at once (``function.parallel``).
        metrics: the spec's ``metrics`` section as a dict, or ``"name:min"``/``"name:max"``
            to optimise one value the objective returns.
        results_dir: ``results.directory`` (default ``results``), a str or a Path.
        fresh: start anew when the results folder holds another search (the old folder is
            moved aside), instead of refusing.
        search: other keys of the spec's ``search`` section: ``early_stopping``, ``timeout``,
            ``loss_threshold``, ``points``, a method's options (``{"tpe": {...}}``), ...
        **function_options: other keys of the spec's ``function`` section:
            ``auto_kill_max_time``, ``auto_kill_max_ram``, ``auto_kill_loss``, ``env``, ...

    Returns:
        A :class:`~hypermax.api.Result`: ``best_params``, ``best_loss``, ``trials`` (JSON
        documents), ``dataframe()`` (with pandas), ``folder``.

    Raises:
        TypeError: an unknown keyword, or arguments that do not fit the objective.
        hypermax.errors.SpecError: the search they make is not valid (a ``space`` it cannot
            read too, which is a ValueError as well).
        KeyboardInterrupt: Ctrl-C (or SIGTERM, SIGHUP) stopped the search, after its running
            trials were recorded ``interrupted``; it is a
            :class:`~hypermax.api.SearchInterrupted` whose ``result`` is the Result so far.

    Example::

        def train(params):
            return (params["x"] - 1) ** 2

        result = hypermax.optimize(train, space={"x": "-2:2"}, iterations=20)
        print(result.best_loss, result.best_params)
    """
    from hypermax.interrupts import interrupts_noted

    # a Ctrl-C as the search is put together interrupts it once it runs, rather than an import
    # midway (hypermax's, optuna's), which would be left half made in the program
    with interrupts_noted():
        return _optimize(
            objective,
            space,
            iterations=iterations,
            method=method,
            parallel=parallel,
            metrics=metrics,
            seed=seed,
            name=name,
            results_dir=results_dir,
            fresh=fresh,
            search=search,
            **function_options,
        )


def _optimize(
    objective: str | dict[str, Any] | Spec | Callable[..., Any],
    space: dict[str, Any] | None,
    *,
    iterations: int | None,
    method: str | None,
    parallel: int | None,
    metrics: dict[str, Any] | str | None,
    seed: int | None,
    name: str | None,
    results_dir: str | os.PathLike[str] | None,
    fresh: bool,
    search: dict[str, Any] | None,
    **function_options: Any,
) -> Result:
    from hypermax.api import function_options as known_options
    from hypermax.api import unknown_keyword
    from hypermax.search import run_search

    unknown = sorted(set(function_options) - known_options())
    if unknown:
        raise TypeError(unknown_keyword(unknown[0]))
    if fresh not in (True, False):  # "no" or "False" would move the search aside
        raise TypeError(f"optimize(): fresh= is True or False, got {fresh!r}")
    if search is not None and not isinstance(search, dict):
        raise TypeError(
            f"optimize(): search= holds keys of the spec's search section, as a dict, got a "
            f"{type(search).__name__}"
        )
    given = {"iterations": iterations, "method": method, "seed": seed, "name": name}
    given = {key: value for key, value in given.items() if value is not None}
    twice = sorted(set(given) & set(search or {}))
    if twice:
        raise TypeError(f"optimize(): {twice[0]} given twice, as {twice[0]}= and in search=")
    function = {"parallel": parallel, **function_options}
    return run_search(
        objective,
        space=space,
        metrics=metrics,
        results_dir=results_dir,
        fresh=fresh,
        search={**(search or {}), **given},
        function={key: value for key, value in function.items() if value is not None},
    )


def report(step: int, **metrics: Any) -> None:
    """Report intermediate metrics from inside a running trial.

    Works in a ``python_function`` trial and in a Python ``executable`` alike: it prints the
    ``HYPERMAX_REPORT`` line that hypermax reads from the trial's stdout (the process's own,
    also inside a ``contextlib.redirect_stdout``)::

        for epoch in range(10):
            hypermax.report(epoch, loss=val_loss)

    ``step`` is a whole number (an epoch, a batch count; ``2.0`` counts as 2); anything else
    (``0.5``, ``"epoch1"``, ``None``) raises TypeError that says so. In a ``python_function``
    trial that early stopping stopped, it raises :class:`TrialStopped` instead (an executable
    is stopped with SIGTERM).
    """
    import sys

    from hypermax.execution.reports import send_report

    # the process's own stdout: a contextlib.redirect_stdout that silences a library must not
    # swallow the report (and leave an early-stopped trial waiting for a verdict on it)
    send_report(sys.__stdout__ or sys.stdout, step, metrics, "hypermax.report")


def __getattr__(name: str) -> Any:
    if name == "TrialStopped":  # imported on first use: a trial pays for nothing it skips
        from hypermax.execution.reports import TrialStopped

        return TrialStopped
    raise AttributeError(f"module 'hypermax' has no attribute {name!r}")
