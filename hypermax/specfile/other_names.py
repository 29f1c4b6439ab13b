"""Keys other tools name their settings by, where a spec has them by another name (or none):
the unknown-key line says what hypermax calls it. Early stopping's, from Optuna's pruners,
Ray Tune's schedulers and Maggy's median rule, are the ones users carry over."""

from __future__ import annotations

from collections.abc import Sequence

_HERE = ' (it is "{}" here)'
#: no timer: a trial is judged at every report
_NO_INTERVAL = " (early stopping has no interval: a trial is judged at every report)"

#: the JSON path of an object → its keys of other tools → the hint for each
OTHER_NAMES: dict[tuple[str, ...], dict[str, str]] = {
    ("search", "early_stopping"): {
        "interval": _NO_INTERVAL,
        "interval_steps": _NO_INTERVAL,
        "n_warmup_steps": _HERE.format("grace_steps"),
        "n_startup_trials": _HERE.format("min_trials"),
        "min_samples_required": _HERE.format("min_trials"),
        "reduction_factor": _HERE.format("eta"),
        "min_resource": _HERE.format("min_steps"),
        "max_resource": _HERE.format("max_steps"),
        "max_t": _HERE.format("max_steps"),
        "grace_period": ' (it is "min_steps" here for asha, "grace_steps" for median)',
    },
}


def other_name_hint(path: Sequence[object], key: object) -> str:
    """What hypermax calls ``key`` of the object at JSON ``path``, when another tool's setting
    goes by that name: `` (it is "grace_steps" here)``; else ``""``."""
    return OTHER_NAMES.get(tuple(str(part) for part in path), {}).get(str(key), "")
