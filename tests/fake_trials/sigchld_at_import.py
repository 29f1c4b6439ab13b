"""An objective module that ignores SIGCHLD when imported, so that the programs it starts in
the background need no reaping, and whose ``trial`` writes the names of the signals its process
ignores, one a line, to ``ignored`` in its trial folder (as ``ignored_signals``' does), then
starts a program and waits for it (``subprocess`` copes with children reaped for it)."""

from __future__ import annotations

import signal
import subprocess
from typing import Any

from ignored_signals import trial as write_ignored

signal.signal(signal.SIGCHLD, signal.SIG_IGN)


def trial(params: dict[str, Any]) -> float:
    write_ignored(params)
    subprocess.run(["true"], check=False)
    return 0.5
