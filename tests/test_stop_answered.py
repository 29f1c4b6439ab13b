"""A trial stopped early whose result comes in answer to the stop (its SIGTERM handler ends the
work and gives the loss, exit 0, within ``kill_grace``) is stopped, its last report's loss
weighed, as an executable's and a function's alike; a result it had given before the stop
stands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_trials.helpers import MARKER_ENV, assert_none_alive, wait_until
from runner_contract import executable, stoppable

from hypermax.execution.host import TrialHost
from hypermax.execution.limits import Limits
from hypermax.execution.trial_plan import TrialPlan
from hypermax.execution.trial_run import TrialRun
from hypermax.spec import FunctionSpec
from hypermax.trial import KillReason, Proposal, TrialState


@pytest.fixture
def host() -> Iterator[TrialHost]:
    host = TrialHost(Limits())
    yield host
    host.close()


def start(host: TrialHost, folder: Path, marker: str, function: dict[str, Any]) -> TrialRun:
    """Start the trial; return once it reported step 1."""
    spec = FunctionSpec(env={MARKER_ENV: marker}, preload=False, **function)
    trial_dir = folder / "trials" / "1"
    plan = TrialPlan(spec, folder, Proposal(1, {}, {}), trial_dir, folder / "trial_1.log")
    run = TrialRun(host, plan)
    assert run.start()
    wait_until((trial_dir / "up").exists, 30, "the trial's first report")
    return run


@pytest.mark.parametrize(
    "function",
    [
        executable("result_on_sigterm", kill_grace=5),
        # its wait for a next report is short (a grace of 0.1 s): then the kill ladder's SIGTERM
        stoppable("report_once_then_return_on_sigterm", kill_grace=0.1),
    ],
    ids=["executable", "python_function"],
)
def test_a_result_given_in_answer_to_the_stop_does_not_stand(host, tmp_path, marker, function):
    """The function's was taken: ok with a loss of 0.125, where the executable's was not."""
    run = start(host, tmp_path, marker, function)
    run.stop(KillReason.EARLY_STOP)
    outcome = run.finish()
    assert (outcome.state, outcome.kill_reason) == (TrialState.STOPPED, KillReason.EARLY_STOP)
    assert outcome.result is None and outcome.exit_code == 0
    assert_none_alive(marker)


def test_a_result_a_function_returned_before_the_kill_ladder_stands(host, tmp_path, marker):
    """Returned while it was asked to stop at its next report, its exit held by a thread until
    the kill ladder's SIGTERM: it ran to its end."""
    function = stoppable("report_once_then_return_on_go_or_sigterm", kill_grace=0.1)
    run = start(host, tmp_path, marker, function)
    run.stop(KillReason.EARLY_STOP)
    (run.trial_dir / "go").write_text("")
    outcome = run.finish()
    assert (outcome.state, outcome.result) == (TrialState.OK, {"loss": 0.25})
    assert_none_alive(marker)
