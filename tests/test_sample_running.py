"""``hypermax sample`` of a spec whose search runs now: the journal's last line may be the
record that search is writing, no line a crash tore."""

from __future__ import annotations

import json
import os
import socket

import pytest
from conftest import X_SPACE, quadratic, run_cli_here


@pytest.mark.parametrize("host", ["here", "node-17.cluster"])
def test_the_line_a_running_search_writes_is_no_torn_line_to_sample(tmp_path, recwarn, host):
    """sample said "skipping a torn last line (a crash while writing)" of the journal of the
    search that ran there, the line it was appending."""
    spec = {
        "hyperparameters": X_SPACE,
        "function": quadratic(),
        "search": {"name": "s", "iterations": 3},
        "results": {"directory": "results"},
    }
    (tmp_path / "s.json").write_text(json.dumps(spec))
    folder = tmp_path / "results" / "s"
    folder.mkdir(parents=True)
    text = json.dumps({"event": "header", "format": 1}) + '\n{"event": "trial_started", "id'
    (folder / "trials.jsonl").write_text(text)
    lock = folder / ".lock"
    named = socket.gethostname() if host == "here" else host
    lock.write_text(json.dumps({"pid": os.getpid(), "host": named}))
    with lock.open():  # held open, as the hypermax that wrote it holds it
        done = run_cli_here("sample", "s.json", "-n", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not [w for w in recwarn if "torn last line" in str(w.message)]
