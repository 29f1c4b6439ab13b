"""Ctrl-C ends a search at once even while its preload server is still importing the objective."""

from __future__ import annotations

import signal

from fake_trials.helpers import (
    FAKES,
    MARKER_ENV,
    assert_none_alive,
    finished,
    pid_alive,
    start_hypermax,
    started,
    wait_until,
    write_spec,
)


def test_ctrl_c_while_the_objective_is_imported_interrupts_the_search_and_its_server(
    tmp_path, marker
):
    importing, release = tmp_path / "importing", tmp_path / "release"  # release: never written
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": {
                "type": "object",
                "properties": {"x": {"type": "number", "min": 0, "max": 1}},
            },
            "function": {
                "type": "python_function",
                "src": str(FAKES / "slow_import.py"),
                "name": "f",
                "parallel": 2,
                "env": {
                    MARKER_ENV: marker,
                    "SLOW_IMPORT_STARTED": str(importing),
                    "SLOW_IMPORT_RELEASE": str(release),
                },
            },
            "search": {"name": "loading", "method": "random", "iterations": 4},
        },
    )
    hypermax = start_hypermax(spec)
    try:
        wait_until(importing.exists, 30, "the trial server to import the objective")
        server = int(importing.read_text())
        hypermax.send_signal(signal.SIGINT)
        # without the interrupt reaching the start under way, hypermax would wait for the
        # import (here: for ever; at most function's start timeout, 300 s)
        _, stderr = hypermax.communicate(timeout=30)
    finally:
        hypermax.kill()
    assert hypermax.returncode == 130, stderr
    results = tmp_path / "results" / "loading"
    ended = finished(results)
    assert ended and set(ended) == set(started(results))  # every trial begun has its record
    assert {r["state"] for r in ended.values()} == {"interrupted"}  # they run again on resume
    assert not pid_alive(server)
    assert_none_alive(marker)
