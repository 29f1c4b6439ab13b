"""What a preload server prints while it imports the objective: only its end is read, to say
why an import that ended the server failed, however much it printed; and what a process the
import started prints later is not kept."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest
from fake_trials.helpers import FAKES, MARKER_ENV, assert_none_alive, wait_until

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


def test_what_a_helper_the_import_started_prints_as_the_search_runs_does_not_pile_up(
    tmp_path: Path, marker: str
) -> None:
    # the server's output file is a deleted temporary file: what piled up there filled the
    # disk, unseen, for as long as the search ran
    go, done = tmp_path / "go", tmp_path / "done"
    options = ("--src", str(FAKES / "chatty_helper_at_import.py"), "--name", "f")
    env = {**os.environ, MARKER_ENV: marker, "HELPER_GO": str(go), "HELPER_DONE": str(done)}
    server = TrialServer(options, env, str(tmp_path), timeout=60)
    lifeline = server._lifeline
    try:
        go.touch()  # the helper writes its 16 MiB now, the import over
        wait_until(done.exists, 30, "the helper's output")
        output = server._output.fileno()
        wait_until(lambda: os.fstat(output).st_blocks * 512 < 1024 * 1024, 10, "an empty file")
    finally:
        code = server.close()
    assert_none_alive(marker)
    # closed again, it lets alone the number its lifeline had: another file holds it now
    assert lifeline is not None
    null = os.open(os.devnull, os.O_RDONLY)
    if null != lifeline:
        os.dup2(null, lifeline)
        os.close(null)
    try:
        assert server.close() == code
        os.fstat(lifeline)  # still open
    finally:
        os.close(lifeline)
