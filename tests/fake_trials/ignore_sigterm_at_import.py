"""An objective module that ignores SIGTERM when imported (it wants to finish what it started
rather than be stopped), and whose ``trial`` writes the names of the signals its process
ignores, one a line, to ``ignored`` in its trial folder."""

from __future__ import annotations

import os
import signal
from typing import Any

signal.signal(signal.SIGTERM, signal.SIG_IGN)


def ignored() -> list[str]:
    """The names of the signals this process ignores, by number."""
    with open("/proc/self/status") as status:
        mask = next(int(line.split()[1], 16) for line in status if line.startswith("SigIgn:"))
    return [signal.Signals(n).name for n in range(1, 65) if mask >> (n - 1) & 1]


def trial(params: dict[str, Any]) -> float:
    with open(os.path.join(os.environ["HYPERMAX_TRIAL_DIR"], "ignored"), "w") as out:
        out.writelines(f"{name}\n" for name in ignored())
    return 0.5
