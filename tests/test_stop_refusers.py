"""A python_function trial that does not end when early stopping stops it: what its log says."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator

import pytest
from fake_trials.helpers import FAKES, MARKER_ENV, assert_none_alive, wait_until

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


def test_a_trial_that_reports_on_after_the_stop_is_killed_for_that(host, tmp_path, marker):
    function = FunctionSpec(
        type="python_function",
        src=str(FAKES / "stop_refusers.py"),
        name="report_on_after_the_stop",
        kill_grace=0.2,
        env={MARKER_ENV: marker},
    )
    trial_dir = tmp_path / "trials" / "1"
    plan = TrialPlan(function, tmp_path, Proposal(1, {}, {}), trial_dir, tmp_path / "trial_1.log")
    run = TrialRun(host, plan)
    assert run.start()
    wait_until((trial_dir / "up").exists, 30, "the trial's first report")
    run.stop(KillReason.EARLY_STOP)
    outcome = run.finish()
    assert (outcome.state, outcome.exit_code) == (TrialState.STOPPED, -signal.SIGTERM)
    log = (tmp_path / "trial_1.log").read_text()
    # it called its reporter after the stop (each call raised): a note that it reached no
    # report would send the user looking for a hang that is not there
    assert "no report within" not in log
    # the wait is at least kill_grace, and twice the time to its first report (its start-up);
    # a report raised in it, so it had its kill_grace more to end
    assert re.search(r"\[hypermax: stopped at a report, still ending [0-9.]+ s after the stop", log)
    assert "[hypermax: not ended within 0.2 s of its stop at a report: SIGTERM to " in log
    assert_none_alive(marker)
