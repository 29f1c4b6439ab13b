"""An objective module that ignores SIGCHLD when imported, so that the programs it starts in
the background need no reaping, and whose ``trial`` writes the names of the signals its process
ignores, one a line, to ``ignored`` in its trial folder, then starts a program and waits for it
(``subprocess`` copes with children reaped for it)."""

from __future__ import annotations

import os
import signal
import subprocess
from typing import Any

signal.signal(signal.SIGCHLD, signal.SIG_IGN)


def ignored() -> list[str]:
    """The names of the signals this process ignores, by number."""
    with open("/proc/self/status") as status:
        mask = next(int(line.split()[1], 16) for line in status if line.startswith("SigIgn:"))
    return [signal.Signals(n).name for n in range(1, 65) if mask >> (n - 1) & 1]


def trial(params: dict[str, Any]) -> float:
    with open(os.path.join(os.environ["HYPERMAX_TRIAL_DIR"], "ignored"), "w") as out:
        out.writelines(f"{name}\n" for name in ignored())
    subprocess.run(["true"], check=False)
    return 0.5
