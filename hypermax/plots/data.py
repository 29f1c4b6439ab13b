"""What the charts are drawn from: a results folder's trials, its params' scales, the ranking."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from hypermax.analysis import scored_trials
from hypermax.importance import Importance, param_importance
from hypermax.journal_replay import read_state
from hypermax.results import ResultsFolder, check_results_folder, frozen_space
from hypermax.results.lock import of_another_host
from hypermax.space import flatten
from hypermax.trial import Trial, TrialState

#: The largest magnitude a chart draws: a loss or a param beyond it (a run that diverged to
#: 1e308) is drawn at it, since an axis that spans the whole range of floats cannot be laid out.
DRAWN_LIMIT = 1e300


@dataclass(frozen=True)
class PlotData:
    """A search's finished trials and what the charts need to know about them.

    Attributes:
        name: the search's name (for titles).
        trials: finished trials in id order (running ones are left out).
        flat: each trial's flat params, by trial id.
        log_params: flat names of the params searched on a log scale.
        importance: the params ranked by :func:`hypermax.importance.param_importance`.
        most_params: how many params the charts of params draw at most (the most important:
            :meth:`drawn_params`); None for every one.
    """

    name: str
    trials: tuple[Trial, ...]
    flat: dict[int, dict[str, Any]]
    log_params: frozenset[str]
    importance: Importance
    most_params: int | None = None

    def scored(self) -> list[Trial]:
        """The trials with a finite loss."""
        return [t for t in self.trials if t.loss is not None and math.isfinite(t.loss)]

    def param_names(self) -> list[str]:
        """Every flat param that varies, most important first, then the rest by name."""
        return list(self._param_names)

    @cached_property
    def _param_names(self) -> tuple[str, ...]:  # asked by each chart: once over the trials
        ranked = [p.name for p in self.importance.params]
        seen = {name for t in self.trials for name in self.flat[t.id]}
        varying = {n for n in seen if self._varies(n)}
        return (*[n for n in ranked if n in varying], *sorted(varying - set(ranked)))

    def _varies(self, name: str) -> bool:
        """Whether the trials hold more than one value of the param (a trial that lacks it
        counts as one more), looked at until a second one shows: a JSON text of each value of
        each param, three times a chart set, took seconds at 50,000 trials."""
        values = iter(self.flat[t.id].get(name) for t in self.trials)
        first = next(values, None)
        kind, key = type(first), _key(first)
        return any(
            not (kind in (str, int) and type(value) is kind and value == first)
            and _key(value) != key
            for value in values
        )

    def drawn_params(self) -> list[str]:
        """The first :attr:`most_params` of :meth:`param_names`: those the charts draw."""
        return self.param_names()[: self.most_params]

    def numeric(self, name: str) -> bool:
        """Whether every value the param took is a finite number (bools are not): one of NaN
        or an infinity (a journal edited by hand) has no place on a number's axis, and is drawn
        as values, as the importance ranks it (an ``enum``)."""
        return name in self._numeric

    @cached_property
    def _numeric(self) -> frozenset[str]:
        """The params whose every value is a finite number: found in one pass over the
        trials, not in one for each param each chart asks about."""
        taken: set[str] = set()
        other: set[str] = set()
        for t in self.trials:
            for name, v in self.flat[t.id].items():
                taken.add(name)
                number = isinstance(v, int | float) and not isinstance(v, bool)
                if not number or (isinstance(v, float) and not math.isfinite(v)):
                    other.add(name)
        return frozenset(taken - other)


def load_plot_data(results_dir: Path) -> PlotData:
    """Read a results folder's journal and frozen spec; ResultsError when it is not one."""
    check_results_folder(str(results_dir))
    folder = ResultsFolder(results_dir)
    # the journal of a search that runs now, here or on another host (a shared file system):
    # its last line may be the record being written, no torn line
    writing = folder.searching() is True or of_another_host(folder.path)
    state = read_state(folder.journal, writing=writing)
    trials = tuple(t for t in state.trials.values() if t.state is not TrialState.RUNNING)
    name = str((state.header or {}).get("name") or results_dir.name)
    return PlotData(
        name=name,
        trials=tuple(_drawn_trial(t) for t in trials),
        flat={t.id: _flat(t.params) for t in trials},
        log_params=_log_params(folder.spec),
        importance=param_importance(scored_trials(trials)),
    )


def _drawn_trial(trial: Trial) -> Trial:
    """``trial`` with its loss and the values it reported as the charts draw them (a diverged
    run's report of 1.7e308 left matplotlib unable to place the ticks of the curves' axis)."""
    reports = tuple({key: _drawn(value) for key, value in r.items()} for r in trial.reports)
    loss = _drawn(trial.loss)
    if loss is trial.loss and reports == trial.reports:  # most trials: drawn as they are
        return trial
    return replace(trial, loss=loss, reports=reports)


def _flat(params: dict[str, Any]) -> dict[str, Any]:
    """Flat params as the charts draw them; an empty list or object is a value of its own
    (``[]``), as null is, not a param the trial lacks."""
    return {name: _drawn(value) for name, value in flatten(params, keep_empty=True).items()}


def _drawn(value: Any) -> Any:
    """``value`` as a chart draws it: a finite number within :data:`DRAWN_LIMIT`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return value
    if abs(value) <= DRAWN_LIMIT:
        return value
    return DRAWN_LIMIT if value > 0 else -DRAWN_LIMIT  # an int of 10**400 too


def _log_params(spec_file: Path) -> frozenset[str]:
    """Flat names of the numbers the frozen spec searches on a log scale (none if unreadable)."""
    space = frozen_space(spec_file)
    if space is None:
        return frozenset()  # without the spec the charts use linear axes throughout
    return frozenset(leaf.path for leaf in space.leaves() if leaf.log and leaf.role == "value")


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
