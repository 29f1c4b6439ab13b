"""A python_function that returned within its limits keeps its result when its process's exit,
held by threads it left running, meets a limit: the function ran to its end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_trials.helpers import FAKES, MARKER_ENV, assert_none_alive

from hypermax.execution.host import TrialHost
from hypermax.execution.limits import Limits
from hypermax.execution.trial_plan import TrialPlan
from hypermax.execution.trial_run import TrialRun
from hypermax.spec import FunctionSpec
from hypermax.trial import Proposal, TrialState


@pytest.fixture
def function(marker: str) -> FunctionSpec:
    # kill_grace, how long its exit may take, is longer than the time limit
    return FunctionSpec(
        type="python_function",
        src=str(FAKES / "stop_refusers.py"),
        name="return_leaving_a_thread",
        auto_kill_max_time=0.5,
        kill_grace=30,
        preload=False,
        env={MARKER_ENV: marker},
    )


@pytest.fixture
def host(function: FunctionSpec) -> Iterator[TrialHost]:
    host = TrialHost(Limits.of(function))
    yield host
    host.close()


def test_a_time_limit_met_on_the_way_out_keeps_the_result(function, host, tmp_path, marker):
    trial_dir = tmp_path / "trials" / "1"
    plan = TrialPlan(function, tmp_path, Proposal(1, {}, {}), trial_dir, tmp_path / "trial_1.log")
    run = TrialRun(host, plan)
    assert run.start()
    outcome = run.finish()
    assert (outcome.state, outcome.result) == (TrialState.OK, {"loss": 0.25})
    assert outcome.kill_reason is None and outcome.reason is None
    log = (tmp_path / "trial_1.log").read_text()
    assert "[hypermax: killed: time limit: ran " in log  # what happened stays in its log
    assert_none_alive(marker)
