"""Waiting for a child process to end, woken by its end rather than by polling."""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
from typing import Any


def wait_ended(process: subprocess.Popen[Any], timeout: float) -> int | None:
    """``process.wait(timeout)`` that returns as soon as the process has ended: its exit code,
    or None if it still runs after ``timeout`` seconds.

    ``Popen.wait`` with a timeout polls, sleeping 0.5 ms, then twice as long each time up to
    50 ms: a process that ends 33 ms into the wait is seen 63.5 ms into it. A pidfd (Linux 5.3)
    becomes readable when its process ends; without one, this is ``Popen.wait``'s polling.
    """
    if process.returncode is not None:
        return process.returncode
    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        pidfd = None
    if pidfd is not None:
        try:
            select.select([pidfd], [], [], timeout)
        finally:
            os.close(pidfd)
        timeout = 0  # it has ended (reap it now) or the time is up
    with contextlib.suppress(subprocess.TimeoutExpired):
        return process.wait(timeout=timeout)
    return None
