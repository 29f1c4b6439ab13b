"""The signals a trial starts with: SIGTERM (the kill ladder's) and SIGINT at their default
action even when the process that runs the search ignores them; SIGHUP ignored as it was, as
``nohup`` asks of everything it starts."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from fake_trials.helpers import FAKES, fake

#: the search of argv[1] (a spec file) run by ``optimize()`` in a thread other than the main
#: one, which alone sets signal handlers: nothing of the search's own handlers reaches its trials
IN_A_THREAD = textwrap.dedent(
    """
    import sys, threading, hypermax

    thread = threading.Thread(target=hypermax.optimize, args=(sys.argv[1],))
    thread.start()
    thread.join()
    """
)


def ignoring_hup_int_term() -> None:
    """A ``preexec_fn``: the child ignores SIGHUP, SIGINT and SIGTERM (a service, a script's
    background job under ``nohup``)."""
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


def _function(kind: str) -> dict[str, object]:
    if kind == "executable":
        return {"type": "executable", "command": fake("ignored_signals")}
    source = {"type": "python_function", "src": str(FAKES / "ignored_signals.py"), "name": "trial"}
    return {**source, "preload": kind == "preload"}


def _one_trial_spec(tmp_path: Path, function: dict[str, object]) -> Path:
    """A spec of one trial of ``function``, its results in ``tmp_path``."""
    spec = tmp_path / "search.json"
    spec.write_text(
        json.dumps(
            {
                "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
                "function": function,
                "search": {"name": "signals", "iterations": 1},
                "results": {"directory": str(tmp_path / "results")},
            }
        )
    )
    return spec


def _run_one_trial(tmp_path: Path, function: dict[str, object]) -> Path:
    """Run a search of one trial of ``function`` to its end; the trial's folder."""
    return _trial_run_by([sys.executable, "-m", "hypermax", "run", "--no-ui"], tmp_path, function)


def _trial_run_by(
    command: list[str], tmp_path: Path, function: dict[str, object], preexec_fn: Any = None
) -> Path:
    """The folder of the one trial of a search of ``function`` (:func:`_one_trial_spec`), run
    to its end by ``command`` given the spec's path, in ``tmp_path``."""
    spec = _one_trial_spec(tmp_path, function)
    ran = subprocess.run(
        [*command, str(spec)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        preexec_fn=preexec_fn,
    )
    assert ran.returncode == 0, ran.stderr
    return tmp_path / "results" / "signals" / "trials" / "1"


@pytest.mark.parametrize("kind", ["executable", "python_function", "preload"])
def test_a_trial_takes_sigterm_and_sigint_at_their_default_from_a_search_that_ignores_them(
    tmp_path: Path, kind: str
) -> None:
    in_a_thread = [sys.executable, "-c", IN_A_THREAD]
    trial = _trial_run_by(in_a_thread, tmp_path, _function(kind), ignoring_hup_int_term)
    ignored = (trial / "ignored").read_text().split()
    assert "SIGTERM" not in ignored and "SIGINT" not in ignored, ignored
    assert "SIGHUP" in ignored  # as nohup asks


#: the search of argv[1] run by ``optimize()`` in a thread that blocks SIGINT, SIGTERM and
#: SIGCHLD (a program whose worker threads leave signals to another thread's ``sigwait``)
IN_A_THREAD_THAT_BLOCKS = textwrap.dedent(
    """
    import signal, sys, threading, hypermax

    def search():
        signal.pthread_sigmask(
            signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGCHLD}
        )
        hypermax.optimize(sys.argv[1])

    thread = threading.Thread(target=search)
    thread.start()
    thread.join()
    """
)


@pytest.mark.parametrize("kind", ["executable", "python_function", "preload"])
def test_a_trial_blocks_no_signal_the_thread_that_ran_the_search_blocked(
    tmp_path: Path, kind: str
) -> None:
    # the preload server blocking SIGCHLD never heard its trial end: the search hung
    blocking = [sys.executable, "-c", IN_A_THREAD_THAT_BLOCKS]
    blocked = (_trial_run_by(blocking, tmp_path, _function(kind)) / "blocked").read_text().split()
    assert blocked == [], blocked


def ignored_in_the_trial(tmp_path: Path, objective: str, preload: bool) -> list[str]:
    """The signals the one trial of a search of ``objective`` (a fake trial whose import sets
    them ignored) found ignored, as its function wrote them."""
    function = {"type": "python_function", "src": str(FAKES / objective), "name": "trial"}
    trial = _run_one_trial(tmp_path, {**function, "preload": preload})
    return (trial / "ignored").read_text().split()


@pytest.mark.parametrize("preload", [False, True])
def test_sigterm_the_objective_ignores_at_import_stays_ignored_in_its_trials(
    tmp_path: Path, preload: bool
) -> None:
    ignored = ignored_in_the_trial(tmp_path, "ignore_sigterm_at_import.py", preload)
    assert "SIGTERM" in ignored, ignored  # as the module asked, preloaded or not
    assert "SIGINT" not in ignored, ignored


@pytest.mark.parametrize("preload", [False, True])
def test_sigchld_the_objective_ignores_at_import_stays_ignored_in_its_trials(
    tmp_path: Path, preload: bool
) -> None:
    ignored = ignored_in_the_trial(tmp_path, "sigchld_at_import.py", preload)
    assert "SIGCHLD" in ignored, ignored  # as the module asked, preloaded or not


@pytest.mark.parametrize("kind", ["executable", "python_function", "preload"])
def test_a_trial_runs_with_the_terminal_stops_hypermax_held_while_it_started_let_in(
    tmp_path: Path, kind: str
) -> None:
    # a fresh python_function trial starts with Ctrl-Z's signals blocked, so that no Ctrl-Z
    # stops it half-started; its bootstrap lets them in again before the function runs
    trial = _run_one_trial(tmp_path, _function(kind))
    blocked = (trial / "blocked").read_text().split()
    assert not {"SIGTSTP", "SIGTTIN", "SIGTTOU"} & set(blocked), blocked
