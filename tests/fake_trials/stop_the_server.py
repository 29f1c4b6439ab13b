"""An objective whose trial stops its preload server (SIGSTOP: the server's pid is its parent's,
``os.getppid()``), writes that pid to ``server`` in its folder, and returns 0.5: the server
neither reaps it nor answers hypermax any more."""

from __future__ import annotations

import os
import signal
from typing import Any


def stop_server(params: dict[str, Any]) -> float:
    server = os.getppid()
    os.kill(server, signal.SIGSTOP)
    folder = os.environ["HYPERMAX_TRIAL_DIR"]
    with open(os.path.join(folder, "server.tmp"), "w") as out:
        out.write(str(server))
    os.replace(os.path.join(folder, "server.tmp"), os.path.join(folder, "server"))
    return 0.5
