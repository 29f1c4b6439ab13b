"""``hypermax show`` of a search whose hypermax is stopped (Ctrl-Z, forgotten in another
terminal) says so, and how to continue it."""

from __future__ import annotations

import json
import os
import signal

from conftest import holding_folder, run_cli_here
from fake_trials.helpers import is_stopped, wait_until


def test_show_says_the_hypermax_of_the_search_is_stopped(tmp_path):
    """Its trials were shown running, with nothing to say that the search waited for a fg."""
    folder = tmp_path / "s"
    folder.mkdir()
    lines = [
        {"event": "header", "format": 1},
        {"event": "trial_started", "id": 1, "params": {"x": 1}, "internal": {}},
    ]
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    with holding_folder(folder) as holder:
        running = run_cli_here("show", "s", cwd=tmp_path).stdout.splitlines()
        os.kill(holder.pid, signal.SIGSTOP)
        try:
            wait_until(lambda: is_stopped(holder.pid), 30, "the holder stopped")
            stopped = run_cli_here("show", "s", cwd=tmp_path).stdout.splitlines()
        finally:
            os.kill(holder.pid, signal.SIGCONT)
    assert running[:2] == ["s: 1 trial (1 running)", "no trial produced a loss yet"]
    assert stopped[:3] == [
        "s: 1 trial (1 running)",
        f"its hypermax (pid {holder.pid}) is stopped (Ctrl-Z): fg in its terminal, or kill -CONT"
        f" {holder.pid}, continues it",
        "no trial produced a loss yet",
    ]
