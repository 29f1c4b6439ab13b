"""``python_function`` trials that do not end when they are done: stopped early, or returned."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

import hypermax


def report_on_after_the_stop(params: dict[str, Any], reporter: Any) -> float:
    """Reports every 10 ms; catches each ``TrialStopped`` and reports on, for ever. Leaves
    ``up`` in its folder after its first report."""
    folder = Path(os.environ["HYPERMAX_TRIAL_DIR"])
    step = 0
    while True:
        step += 1
        with contextlib.suppress(hypermax.TrialStopped):
            reporter(step, loss=1.0)
        if step == 1:
            (folder / ".up").write_text("")
            os.replace(folder / ".up", folder / "up")
        time.sleep(0.01)


def return_leaving_a_thread(params: dict[str, Any]) -> float:
    """Returns 0.25 at once, leaving a thread (not a daemon) that holds its exit for a minute."""
    import threading

    threading.Thread(target=time.sleep, args=(60,), name="lingering").start()
    return 0.25
