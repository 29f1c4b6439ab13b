"""What a preload server prints while it imports the objective: only its end is read, to say
why an import that ended the server failed, however much it printed."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest
from fake_trials.helpers import FAKES

from hypermax.execution.preload_server import ServerFailed, TrialServer


def test_an_import_that_prints_much_then_ends_the_server_is_told_from_its_last_line(
    tmp_path: Path,
) -> None:
    options = ("--src", str(FAKES / "flood_then_exit_at_import.py"), "--name", "f")
    env = {**os.environ, "FLOOD_MIB": "32"}
    tracemalloc.start()
    try:
        with pytest.raises(ServerFailed) as failed:
            TrialServer(options, env, str(tmp_path), timeout=60)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(failed.value) == (
        "cannot preload the objective: the server exited: exit code 4: import gave up: no data"
    )
    assert peak < 4 * 1024 * 1024, peak  # not the 32 MiB it printed, nor copies of it
