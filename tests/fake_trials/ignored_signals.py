"""A trial that writes the names of the signals its process ignores (SigIgn of
/proc/self/status), one a line, to ``ignored`` in its trial folder, and those it blocks (SigBlk)
to ``blocked``: as an executable when run, and as the ``python_function`` ``trial``."""

from __future__ import annotations

import os
import signal
from typing import Any


def ignored(field: str = "SigIgn") -> list[str]:
    """The names of the signals this process ignores (or those of another ``field`` of
    /proc/self/status, SigBlk: its main thread blocks), by number."""
    with open("/proc/self/status") as status:
        mask = next(int(line.split()[1], 16) for line in status if line.startswith(f"{field}:"))
    return [signal.Signals(n).name for n in range(1, 32) if mask >> (n - 1) & 1]


def trial(params: dict[str, Any]) -> float:
    folder = os.environ["HYPERMAX_TRIAL_DIR"]
    for name, field in (("ignored", "SigIgn"), ("blocked", "SigBlk")):
        with open(os.path.join(folder, name), "w") as out:
            out.writelines(f"{sig}\n" for sig in ignored(field))
    return 0.5


if __name__ == "__main__":
    print(trial({}))
