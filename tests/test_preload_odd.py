"""Objectives that do odd things when imported, in trials forked from a preloaded server: each
trial sees what a fresh process that imported the objective would."""

from __future__ import annotations

from fake_trials.helpers import FAKES, MARKER_ENV, assert_none_alive, wait_until

from hypermax.execution.local import LocalRunner
from hypermax.execution.preload import PreloadLauncher
from hypermax.spec import FunctionSpec
from hypermax.trial import Outcome, Proposal, TrialState


def test_what_the_import_did_to_the_environment_holds_in_every_forked_trial(tmp_path, marker):
    env = {
        MARKER_ENV: marker,
        "HYPERMAX_TEST_KEPT": "the spec's",  # the module's setdefault leaves it as it is
        "HYPERMAX_TEST_REMOVED_AT_IMPORT": "the spec's",
    }
    function = FunctionSpec(
        type="python_function", src=str(FAKES / "environ_at_import.py"), name="seen", env=env
    )
    launcher = PreloadLauncher(str(tmp_path))
    runner = LocalRunner(function, tmp_path, launcher=launcher)
    outcomes: list[Outcome] = []

    def ended(count: int) -> bool:
        outcomes.extend(event for event in runner.poll(0.5) if isinstance(event, Outcome))
        return len(outcomes) == count

    try:
        for trial_id in (1, 2):  # the second from the spare forked after the first
            folder = tmp_path / "trials" / str(trial_id)
            runner.submit(Proposal(trial_id, {}, {}), folder, tmp_path / f"{trial_id}.log")
            wait_until(lambda count=trial_id: ended(count), 30, f"trial {trial_id}")
        assert launcher.server_pids()  # forked, not started fresh
    finally:
        runner.close()
    expected = ["set", "the spec's", None]
    for outcome in outcomes:
        assert outcome.state is TrialState.OK, outcome.reason
        assert outcome.result == {"loss": 0.5, "trial": expected, "child": str(expected)}
    assert_none_alive(marker)


def test_an_objective_named_hypermax_py_is_preloaded(tmp_path, monkeypatch):
    """``python -m`` looks in the current folder first: the server (and the guardian), started
    there as ``-m hypermax.execution...``, found the objective instead of hypermax and did not
    start (every trial started fresh, and no guardian watched for escaped processes)."""
    (tmp_path / "hypermax.py").write_text("def train(params):\n    return 0.5\n")
    monkeypatch.chdir(tmp_path)
    function = FunctionSpec(type="python_function", src=str(tmp_path / "hypermax.py"), name="train")
    launcher = PreloadLauncher(str(tmp_path))
    runner = LocalRunner(function, tmp_path, launcher=launcher)
    outcomes: list[Outcome] = []

    def ended() -> bool:
        outcomes.extend(event for event in runner.poll(0.5) if isinstance(event, Outcome))
        return bool(outcomes)

    try:
        runner.submit(Proposal(1, {}, {}), tmp_path / "trials" / "1", tmp_path / "1.log")
        wait_until(ended, 30, "the trial")
        assert launcher.refusals() == []
        assert launcher.server_pids()  # forked, not started fresh
    finally:
        runner.close()
    (outcome,) = outcomes
    assert outcome.state is TrialState.OK and outcome.result == {"loss": 0.5}
