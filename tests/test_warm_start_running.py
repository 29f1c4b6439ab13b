"""A warm start from the results folder of a search that runs now: the journal's last line may
be the record that search is writing, no line a crash tore."""

from __future__ import annotations

import json
import os
import socket
import warnings
from pathlib import Path

from conftest import X_SPACE, quadratic, run_cli_here

from hypermax.warmstart import load_warm_start


def _earlier(tmp_path: Path) -> Path:
    """The results folder of a search that runs (its lock file names this process, which holds
    it open), its journal's last line being written."""
    folder = tmp_path / "results" / "earlier"
    folder.mkdir(parents=True)
    records = [
        {"event": "header", "format": 1},
        {"event": "trial_started", "id": 1, "params": {"x": 0.5}, "internal": {"x": 0.5}},
        {
            "event": "trial_finished",
            "id": 1,
            "state": "ok",
            "loss": 0.25,
            "time": 1.0,
            "metrics": {"loss": 0.25},
        },
    ]
    text = "".join(json.dumps(r) + "\n" for r in records) + '{"event": "trial_started", "id'
    (folder / "trials.jsonl").write_text(text)
    (folder / ".lock").write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
    return folder


def test_the_line_a_running_search_writes_is_no_torn_line_to_a_warm_start(tmp_path):
    """validate and run said "skipping a torn last line (a crash while writing)" of the journal
    of a search that ran on, the line it was appending."""
    folder = _earlier(tmp_path)
    spec = {
        "hyperparameters": X_SPACE,
        "function": quadratic(),
        "search": {"name": "later", "iterations": 1, "warm_start": "results/earlier"},
        "results": {"directory": str(tmp_path / "results")},
    }
    (tmp_path / "later.json").write_text(json.dumps(spec))
    with (folder / ".lock").open(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # held open, as the hypermax that wrote it holds it
        for command in ("validate", "run"):
            done = run_cli_here(command, "later.json", cwd=tmp_path)
            assert done.returncode == 0, done.stderr
        assert "warm start: learned from 1 of 1 trials" in done.stdout, done.stdout
    assert not [w for w in caught if "torn" in str(w.message)]
    os.utime(folder / ".lock", (0, 0))  # no hypermax runs it: a crash tore the line
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_warm_start(folder, {"x"})
    assert [str(w.message) for w in caught if "torn" in str(w.message)] == [
        f"{folder / 'trials.jsonl'}: line 4: skipping a torn last line (a crash while writing)"
    ]


def test_the_line_a_search_of_another_host_writes_is_no_torn_line_to_a_warm_start(tmp_path):
    folder = _earlier(tmp_path)
    (folder / ".lock").write_text(json.dumps({"pid": 4242, "host": "node-17.cluster"}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert len(load_warm_start(folder, {"x"})) == 1
    assert not [w for w in caught if "torn" in str(w.message)]
