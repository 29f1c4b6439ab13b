"""A guardian that cannot keep up (its pipe full) is let go of without ending the search's
trials: it would read the end of its pipe as hypermax's death, and kill them."""

from __future__ import annotations

import signal
import subprocess
import sys
from types import SimpleNamespace

from fake_trials.helpers import pid_alive

from hypermax.execution import procfs
from hypermax.execution.guardian import Guardian


def test_a_guardian_stuck_behind_a_full_pipe_is_ended_before_its_pipe_closes():
    trial = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"],
        stdin=subprocess.PIPE,
        start_new_session=True,
    )
    guardian = Guardian()
    try:
        guardian.start()
        assert guardian._proc is not None
        stuck = guardian._proc
        info = procfs.read_proc(trial.pid)
        assert info is not None
        root = SimpleNamespace(start=info.start)
        guardian.trial(SimpleNamespace(sid=trial.pid, root=root, token="none"))  # type: ignore[arg-type]
        stuck.send_signal(signal.SIGSTOP)
        gone = SimpleNamespace(sid=2**22)
        while guardian._fd is not None:  # until its pipe is full
            guardian.ended(gone)  # type: ignore[arg-type]
        stuck.send_signal(signal.SIGCONT)
        stuck.wait(30)  # it read what was there, then the end of the pipe: or it was ended
        assert pid_alive(trial.pid), "the guardian killed a trial of a search that runs on"
    finally:
        guardian.close()
        trial.kill()
        trial.wait()
