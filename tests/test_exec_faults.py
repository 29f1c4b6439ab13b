"""Trials that misbehave in ways the other watchdog and preload tests do not try: each test runs
the real command line on a small objective and checks the journal, the log and the processes."""

from __future__ import annotations

from pathlib import Path

from conftest import finished_records, model_spec
from fake_trials.helpers import MARKER_ENV, assert_none_alive, run_hypermax

#: a module that ends its own process while the preload server imports it (the first import
#: only: the sentinel file is gone after), as an extension that crashes at import would
DIES_IN_THE_SERVER = """
import os
from pathlib import Path

_ONCE = Path(__file__).with_name("die_once")
if _ONCE.exists():
    _ONCE.unlink()
    os._exit(3)


def train(params):
    return params["x"]
"""


def test_a_preload_server_that_exits_while_importing_leaves_every_trial_to_start_fresh(
    tmp_path: Path, marker: str
) -> None:
    (tmp_path / "die_once").touch()
    spec = model_spec(
        tmp_path,
        DIES_IN_THE_SERVER,
        {"name": "s", "iterations": 2},
        function={"env": {MARKER_ENV: marker}},
    )
    done = run_hypermax(spec)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "die_once").exists()  # the server did import it, and died
    assert [r["state"] for r in finished_records(tmp_path / "results" / "s").values()] == [
        "ok",
        "ok",
    ]
    log = (tmp_path / "results" / "s" / "logs" / "hypermax.log").read_text()
    assert "cannot preload the objective: the server exited: exit code 3" in log
    assert_none_alive(marker)
