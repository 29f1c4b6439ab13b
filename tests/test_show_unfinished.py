"""``hypermax show`` tells a trial that runs from one whose hypermax is gone (killed mid-trial);
``export`` of such a search, with no trial finished, is a table of no rows with its columns."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fake_trials.helpers import (
    assert_none_alive,
    fake_search,
    start_hypermax,
    started,
    wait_until,
    write_spec,
)


def _show(*args: str, command: str = "show") -> str:
    done = subprocess.run(
        [sys.executable, "-m", "hypermax", command, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_show_calls_the_trials_of_a_killed_search_unfinished_not_running(tmp_path, marker):
    spec = write_spec(
        tmp_path, fake_search("wait_for_go", marker, "cut", 4, go=tmp_path / "go", parallel=2)
    )
    results = tmp_path / "results" / "cut"
    hypermax = start_hypermax(spec)
    try:
        ids = [1, 2]
        up = [results / "trials" / str(i) / "up" for i in ids]
        wait_until(
            lambda: sorted(started(results)) == ids and all(f.exists() for f in up),
            30,
            "two trials",
        )
        assert "(2 running)" in _show(str(results))
        copy = shutil.copytree(results, tmp_path / "copy")  # its lock file names that hypermax
        assert "(2 unfinished)" in _show(str(copy))  # which runs the original, not the copy
        hypermax.send_signal(signal.SIGKILL)
        hypermax.wait(10)
    finally:
        hypermax.kill()
        hypermax.communicate()
    assert_none_alive(marker)
    summary = _show(str(results))
    assert "(2 unfinished)" in summary and "running" not in summary.splitlines()[0]
    assert "the search is not running" in summary
    assert _show(str(results), "--trial", "2").startswith("trial 2: unfinished")
    # no row for an unfinished trial, a column for its param all the same
    assert _show(str(results), command="export") == "trial,state,loss,time,peak_rss_mib,x,reason\n"


def _folder_locked_by(tmp_path, pid: int):
    """A results folder with a running trial whose lock file names ``pid`` on this host."""
    import json
    import socket

    folder = tmp_path / "r"
    folder.mkdir(parents=True)
    lines = [
        {"event": "header", "format": 1},
        {"event": "trial_started", "id": 1, "params": {"x": 1}, "internal": {}},
    ]
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    lock = folder / ".lock"
    lock.write_text(json.dumps({"pid": pid, "host": socket.gethostname()}))
    if pid == os.getpid():  # holds it open, as the hypermax that wrote it does
        _HELD.append(lock.open())
    return folder, lock


#: the lock files this process holds open, until the end of the test
_HELD: list = []


@pytest.fixture(autouse=True)
def _let_go() -> Iterator[None]:
    yield
    while _HELD:
        _HELD.pop().close()


def test_show_calls_the_trials_of_a_hypermax_that_is_a_zombie_or_whose_pid_was_reused_unfinished(
    tmp_path,
):
    """A hypermax that ended, its parent not having reaped it yet, and a process that got the
    pid of a hypermax that died (after a reboot) were taken for a hypermax that runs."""
    import os

    from conftest import run_cli_here

    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        os.waitid(os.P_PID, ended.pid, os.WEXITED | os.WNOWAIT)  # ended, not reaped: a zombie
        folder, _ = _folder_locked_by(tmp_path, ended.pid)
        assert "(1 unfinished)" in run_cli_here("show", str(folder), cwd=tmp_path).stdout
    finally:
        ended.wait()
    for pid in (-5, 0):  # a lock edited by hand names no process: that cannot be told
        folder, _ = _folder_locked_by(tmp_path / str(pid), pid)
        assert "(1 running)" in run_cli_here("show", str(folder), cwd=tmp_path).stdout
    folder, lock = _folder_locked_by(tmp_path / "later", os.getpid())
    assert "(1 running)" in run_cli_here("show", str(folder), cwd=tmp_path).stdout
    os.utime(lock, (0, 0))  # written long before this process started: not by it
    assert "(1 unfinished)" in run_cli_here("show", str(folder), cwd=tmp_path).stdout


def test_a_line_being_written_by_the_search_that_runs_is_no_torn_line(tmp_path, recwarn):
    """show, export or plot read while the search appended a record: its line, not whole yet,
    was said to be "a torn last line (a crash while writing)"."""
    import os

    from conftest import run_cli_here

    folder, lock = _folder_locked_by(tmp_path, os.getpid())  # a hypermax that runs
    with (folder / "trials.jsonl").open("a") as journal:
        journal.write('{"event": "trial_finished", "id": 1, "st')
    for command in ("show", "export"):
        assert run_cli_here(command, str(folder), cwd=tmp_path).returncode == 0
    assert not [w for w in recwarn if "torn last line" in str(w.message)]
    os.utime(lock, (0, 0))  # no hypermax runs it: a crash tore the line
    assert run_cli_here("show", str(folder), cwd=tmp_path).returncode == 0
    torn = [str(w.message) for w in recwarn if "torn last line" in str(w.message)]
    assert torn == [
        f"{folder / 'trials.jsonl'}: line 3: skipping a torn last line (a crash while writing)"
    ]
