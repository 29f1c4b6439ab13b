"""A trial the host could not follow to the end of :meth:`TrialHost.follow` (no thread left for
its monitor) is not left registered: the guardian, told of it, would kill when hypermax dies
whatever process then leads a session with its number, and the watchdog would follow it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fake_trials.helpers import pid_alive, wait_until

from hypermax.execution.host import TrialHost
from hypermax.execution.limits import Limits
from hypermax.execution.watchdog import TreeSample
from hypermax.trial import KillReason

#: a session leader whose child, in its session, writes its pid to argv[1] and waits
SESSION = textwrap.dedent(
    """
    import os, sys, time
    if os.fork() == 0:
        with open(sys.argv[1] + ".part", "w") as out:
            out.write(str(os.getpid()))
        os.rename(sys.argv[1] + ".part", sys.argv[1])
        time.sleep(120)
        os._exit(0)
    time.sleep(120)
    """
)


class _Run:
    """A trial as the host's monitor sees it; it never looks here: following it fails first."""

    key = 1

    def observe(self, sample: TreeSample) -> None: ...

    def due(self) -> float | None:
        return None

    def killable(self) -> bool:
        return False

    def stop(self, reason: KillReason, value: float | None = None) -> None: ...


def test_a_trial_that_could_not_be_followed_is_left_registered_nowhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = tmp_path / "child"
    trial = subprocess.Popen([sys.executable, "-c", SESSION, str(child)], start_new_session=True)
    host = TrialHost(Limits())
    try:
        wait_until(child.exists, 30, "the trial's child")
        member = int(child.read_text())

        def no_thread_left() -> None:
            raise RuntimeError("can't start new thread")  # what threading says then

        monkeypatch.setattr(host, "_ensure_monitor", no_thread_left)
        with pytest.raises(RuntimeError):
            host.follow(_Run(), trial.pid, "no-such-token")
        assert host.members(_Run.key) == []  # the watchdog follows it no more
        # hypermax dies: its guardian reads the end of its pipe, and kills the trials it knows
        guardian = host.guardian._proc
        assert guardian is not None and host.guardian._fd is not None
        os.close(host.guardian._fd)
        host.guardian._fd = None
        guardian.wait(30)
        assert pid_alive(member), "the guardian killed the session of a trial it was done with"
    finally:
        host.close()
        os.killpg(trial.pid, 9)
        trial.wait()
