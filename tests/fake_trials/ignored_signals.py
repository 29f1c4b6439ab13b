"""A trial that writes the names of the signals its process ignores (SigIgn of
/proc/self/status), one a line, to ``ignored`` in its trial folder: as an executable when run,
and as the ``python_function`` ``trial``."""

from __future__ import annotations

import os
import signal
from typing import Any


def ignored() -> list[str]:
    """The names of the signals this process ignores, by number."""
    with open("/proc/self/status") as status:
        mask = next(int(line.split()[1], 16) for line in status if line.startswith("SigIgn:"))
    return [signal.Signals(n).name for n in range(1, 65) if mask >> (n - 1) & 1]


def trial(params: dict[str, Any]) -> float:
    with open(os.path.join(os.environ["HYPERMAX_TRIAL_DIR"], "ignored"), "w") as out:
        out.writelines(f"{name}\n" for name in ignored())
    return 0.5


if __name__ == "__main__":
    print(trial({}))
