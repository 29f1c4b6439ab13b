"""A trial's three pipes (its stdout, its stderr, its lifeline) and the start of its process on
them: the process gets one end of each, hypermax keeps the other, and whatever happens, no end
is left open that should not be.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hypermax.execution.launch import (
    LaunchedProcess,
    LaunchError,
    LaunchInterrupted,
    LaunchRequest,
)

if TYPE_CHECKING:
    from hypermax.execution.host import TrialHost


@dataclass(frozen=True)
class TrialPipes:
    """The pipes of one trial, as file descriptors: ``stdout`` and ``stderr`` are the ends
    hypermax reads, ``lifeline`` the end it holds open while the trial may live; the others
    (``*_child``) go to the trial's process."""

    stdout: int
    stdout_child: int
    stderr: int
    stderr_child: int
    lifeline_child: int
    lifeline: int

    @classmethod
    def make(cls) -> TrialPipes:
        """Three new pipes. Raises the OSError of no file descriptor left (``ulimit -n``), the
        pipes made before it closed."""
        made: list[tuple[int, int]] = []
        try:
            for _ in range(3):
                made.append(os.pipe())
        except OSError:
            for pipe in made:
                for fd in pipe:
                    os.close(fd)
            raise
        (out_read, out_write), (err_read, err_write), (life_read, life_write) = made
        return cls(out_read, out_write, err_read, err_write, life_read, life_write)

    def launch(
        self, host: TrialHost, argv: list[str], env: dict[str, str], cwd: str
    ) -> LaunchedProcess:
        """Start the trial's process through the host's launcher (one start at a time, from
        whichever thread), on these pipes. The process's ends are closed here either way;
        hypermax's ends too when it cannot start: LaunchError (LaunchInterrupted for a search
        being interrupted)."""
        request = LaunchRequest(
            tuple(argv), env, cwd, self.stdout_child, self.stderr_child, self.lifeline_child
        )
        try:
            if host.launcher.interrupted:
                raise LaunchInterrupted("the search was interrupted")
            with host.launching:
                return host.launcher.launch(request)
        except LaunchError:
            for fd in (self.stdout, self.stderr, self.lifeline):
                os.close(fd)
            raise
        finally:
            for fd in (self.stdout_child, self.stderr_child, self.lifeline_child):
                os.close(fd)
