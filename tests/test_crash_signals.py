"""Signals that end hypermax outside the paths Ctrl-C and SIGTERM take while trials run:
Ctrl-\\ (SIGQUIT), and a signal during start-up, before the search routes them."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from fake_trials.helpers import (
    assert_none_alive,
    fake_search,
    finished,
    hypermax_argv,
    started,
    wait_until,
    write_spec,
)


def _start(spec: Path) -> subprocess.Popen[str]:
    """hypermax as a terminal's foreground job starts it: SIGQUIT and SIGINT at their default
    action (a shell running the tests in the background ignores them, and that would be
    inherited)."""

    def default_signals() -> None:  # in the child, before exec
        signal.signal(signal.SIGQUIT, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    return subprocess.Popen(
        hypermax_argv(spec),
        cwd=spec.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        preexec_fn=default_signals,
    )


def test_ctrl_backslash_stops_the_running_trials_and_records_them_interrupted(tmp_path, marker):
    spec = write_spec(tmp_path, fake_search("wait_for_go", marker, "quit", 1, go=tmp_path / "go"))
    results = tmp_path / "results" / "quit"
    process = _start(spec)
    wait_until(lambda: (results / "trials" / "1" / "up").exists(), 30, "the first trial to start")
    process.send_signal(signal.SIGQUIT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err  # without a handler: killed by SIGQUIT (-3)
    assert [record["state"] for record in finished(results).values()] == ["interrupted"]
    assert_none_alive(marker)
    (tmp_path / "go").write_text("")
    process = _start(spec)  # the interrupted trial runs again, with its id and params
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert [record["state"] for record in finished(results).values()] == ["ok"]
    assert set(started(results)) == {1}
