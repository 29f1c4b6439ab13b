"""A preload server stopped (SIGSTOP) while its trials run answers nothing and reaps none of
them: it is taken for hung at once, rather than after the ``FORK_TIMEOUT`` a request waits."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from fake_trials.helpers import FAKES, MARKER_ENV, assert_none_alive, wait_until

from hypermax.execution import preload_server
from hypermax.execution.local import LocalRunner
from hypermax.execution.preload import PreloadLauncher
from hypermax.spec import FunctionSpec
from hypermax.trial import Outcome, Proposal, TrialState


def test_a_stopped_server_is_killed_and_the_trial_that_returned_keeps_its_result(
    tmp_path: Path, marker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preload_server, "FORK_TIMEOUT", 3600.0)  # not what ends the wait
    function = FunctionSpec(
        type="python_function",
        src=str(FAKES / "stop_the_server.py"),
        name="stop_server",
        env={MARKER_ENV: marker},
    )
    launcher = PreloadLauncher(str(tmp_path))
    runner = LocalRunner(function, tmp_path, launcher=launcher)
    outcomes: list[Outcome] = []

    def ended() -> bool:
        outcomes.extend(event for event in runner.poll(0.2) if isinstance(event, Outcome))
        return bool(outcomes)

    try:
        runner.submit(Proposal(1, {}, {}), tmp_path / "trials" / "1", tmp_path / "1.log")
        wait_until(ended, 20, "the trial's end")
        server = int((tmp_path / "trials" / "1" / "server").read_text())
        assert server not in launcher.server_pids()
    finally:
        for pid in launcher.server_pids():  # one left stopped would hold close() up
            os.kill(pid, signal.SIGKILL)
        runner.close()
    assert outcomes[0].state is TrialState.OK, outcomes[0].reason
    assert outcomes[0].result == {"loss": 0.5}
    assert not os.path.exists(f"/proc/{server}")  # killed, not left stopped
    assert_none_alive(marker)


def test_a_server_stopped_as_it_imports_is_given_up_at_once(tmp_path: Path, marker: str) -> None:
    # it was waited for until the import's time limit (300 s by default), then said to be slow
    options = ("--src", str(FAKES / "stop_at_import.py"), "--name", "f")
    env = {**os.environ, MARKER_ENV: marker}
    with pytest.raises(preload_server.ServerFailed) as failed:
        preload_server.TrialServer(options, env, str(tmp_path), timeout=30)
    assert str(failed.value) == "the server was stopped (SIGSTOP) while it imported the objective"
    assert_none_alive(marker)
