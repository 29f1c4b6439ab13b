"""Preloaded trials whose server misbehaves, in ways tests/test_forkserver.py does not try: each
test runs the real command line on a small objective and checks the journal and the processes.
(Single trials that misbehave: tests/test_exec_trials.py.)"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from conftest import finished_records, journal_records, model_spec, run_hypermax_here
from fake_trials.helpers import (
    MARKER_ENV,
    assert_none_alive,
    start_hypermax,
    wait_until,
)


def _spec(folder: Path, source: str, iterations: int, marker: str) -> Path:
    """A search of ``train`` in ``source`` (written to ``folder/model.py``), preloaded (the
    default), its processes marked with ``marker``."""
    search = {"name": "s", "iterations": iterations}
    return model_spec(folder, source, search, function={"env": {MARKER_ENV: marker}})


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
    done = run_hypermax_here(_spec(tmp_path, DIES_IN_THE_SERVER, 2, marker))
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "die_once").exists()  # the server did import it, and died
    assert [r["state"] for r in finished_records(tmp_path / "results" / "s").values()] == [
        "ok",
        "ok",
    ]
    log = (tmp_path / "results" / "s" / "logs" / "hypermax.log").read_text()
    assert "cannot preload the objective: the server exited: exit code 3" in log
    said = [line for line in done.stdout.splitlines() if line.startswith("hypermax: preload:")]
    assert said == [
        "hypermax: preload: cannot preload the objective: the server exited: exit code 3; "
        "every trial starts a fresh process"
    ], done.stdout  # on the console too, not only in the log
    assert_none_alive(marker)


#: a trial that names its parent (the preload server: it forked the trial) in ``up``, then
#: waits; the second time (once ``ran`` is there) it returns
NAMES_ITS_SERVER = """
import os, time
from pathlib import Path


def train(params):
    ran = Path(__file__).with_name("ran")
    if ran.exists():
        return params["x"]
    ran.touch()
    up = Path(os.environ["HYPERMAX_TRIAL_DIR"]) / "up"
    up.with_suffix(".new").write_text(str(os.getppid()))
    os.replace(up.with_suffix(".new"), up)
    time.sleep(60)
"""


def test_a_trial_whose_preload_server_was_killed_is_interrupted_and_runs_again(
    tmp_path: Path, marker: str
) -> None:
    search = start_hypermax(_spec(tmp_path, NAMES_ITS_SERVER, 1, marker))
    up = tmp_path / "results" / "s" / "trials" / "1" / "up"
    try:
        wait_until(up.exists, 30, "the trial to start")
        os.kill(int(up.read_text()), signal.SIGKILL)  # as the out-of-memory killer would
        out, err = search.communicate(timeout=30)
    finally:
        search.kill()
    assert search.returncode == 0, err
    ended = [
        r for r in journal_records(tmp_path / "results" / "s") if r["event"] == "trial_finished"
    ]
    lost = "lost with its preload server, which died while the trial ran (ended by signal SIGKILL)"
    # not its own failure: interrupted, run again (by a new server) with its id, and ok then
    assert [(r["id"], r["state"], r.get("reason")) for r in ended] == [
        (1, "interrupted", lost),
        (1, "ok", None),
    ]
    assert f"trial 1 {lost}; running it again (1 of 1)" in out  # the user is told
    assert_none_alive(marker)
