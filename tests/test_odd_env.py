"""hypermax where batch jobs and containers run it: standard streams closed, no terminal, PID 1
of a pid namespace."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import X_SPACE, quadratic
from fake_trials.helpers import finished, write_spec


def _search(folder: Path, iterations: int = 2, **function: Any) -> Path:
    return write_spec(
        folder,
        {
            "hyperparameters": X_SPACE,
            "function": quadratic(**function),
            "search": {"name": "s", "method": "random", "iterations": iterations, "seed": 1},
        },
    )


def _states(folder: Path) -> list[str]:
    return [r["state"] for _, r in sorted(finished(folder / "results" / "s").items())]


@pytest.mark.parametrize("closed", ["<&-", "<&- >&- 2>&-", "TTY >&-"])
def test_a_search_runs_with_standard_streams_closed(tmp_path: Path, closed: str) -> None:
    """``<&-`` (a cron job's, a daemon's) left Python's ``sys.stdin`` None, and the check for
    a terminal to draw the dashboard on ended the search before its first trial (an unexpected
    error); so did a closed stdout under a terminal's input (stdin a terminal)."""
    spec = _search(tmp_path)
    master, terminal = pty.openpty()
    try:
        hypermax = [sys.executable, "-m", "hypermax", "run", str(spec)]
        done = subprocess.run(
            ["/bin/sh", "-c", f'exec "$@" {closed.removeprefix("TTY")}', "sh", *hypermax],
            cwd=tmp_path,
            stdin=terminal if closed.startswith("TTY") else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "TERM": "xterm"},
        )
    finally:
        os.close(master)
        os.close(terminal)
    assert done.returncode == 0, done.stderr
    assert _states(tmp_path) == ["ok", "ok"]
