"""The variables of a trial's environment that hypermax sets itself, which ``function.env``
cannot: named here, not imported from the trial protocol (:mod:`hypermax.execution.protocol`),
so that ``validate`` imports nothing of the execution (a test holds the two in step)."""

from __future__ import annotations

from hypermax.system_text import PARAM_ENV_PREFIX

#: what hypermax sets in every trial's environment (or in those it needs it in) over the spec's
#: ``function.env``, and why: a spec that sets one is refused (see :func:`set_by_hypermax`)
SET_BY_HYPERMAX = {
    "HYPERMAX_PARAMS_FILE": "the path of the trial's params file",
    "HYPERMAX_RESULT_FILE": "the path of the file the trial may write its result to",
    "HYPERMAX_TRIAL_DIR": "the trial's own folder",
    "HYPERMAX_TRIAL_ID": "the trial's number",
    "HYPERMAX_TRIAL_TOKEN": "the mark by which the watchdog finds the trial's processes",
    "HYPERMAX_LIFELINE_FD": "what ties the trial's life to hypermax's",
    "HYPERMAX_PARENT_PID": "what ties the trial's life to hypermax's",
    "HYPERMAX_PARAMS_PACKED": "the params, for a python_function trial's start",
    "HYPERMAX_EXIT_WAIT": "function.kill_grace, for a python_function trial",
    "HYPERMAX_VERDICT_WAIT": "the wait for early stopping's verdict on each report",
    "HYPERMAX_SITE_STATE": "how a python_function trial's interpreter starts",
    "HYPERMAX_CODE_CACHE": "how a python_function trial's interpreter starts",
    "PYTHONUNBUFFERED": "as 1, so that its output reaches its log as it is written",
}


def set_by_hypermax(name: str, value: str) -> str | None:
    """Why hypermax sets the variable ``name`` of a trial itself, so that the spec's ``env``
    cannot (None if it does not, or if ``value`` is the one it sets): a param's
    ``HYPERMAX_PARAM_<NAME>``, the protocol's files, ``PYTHONUNBUFFERED``."""
    if name.startswith(PARAM_ENV_PREFIX):
        return "is hypermax's to set: HYPERMAX_PARAM_<NAME> variables hold the trial's params"
    if name == "PYTHONUNBUFFERED" and value == "1":
        return None
    why = SET_BY_HYPERMAX.get(name)
    return None if why is None else f"is hypermax's to set for every trial ({why})"
