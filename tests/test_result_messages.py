"""What a failed trial's reason says of a result that holds nothing (an empty result file, a
result without a single value) or a status that is neither ok nor fail."""

from __future__ import annotations

import json

import pytest
from test_conclude import RUNNING, spec

from hypermax.conclude import conclude
from hypermax.execution.outcome import read_result
from hypermax.loss import LossError, compute_loss
from hypermax.trial import Outcome, TrialState


@pytest.mark.parametrize("text", ["", "\n", "  \r\n"])
def test_an_empty_result_file_says_it_is_empty(tmp_path, text):
    result_file = tmp_path / "result.json"
    result_file.write_text(text)
    assert read_result(result_file, {"loss": 0.5}, "executable") == (
        None,
        "the result file is empty",
    )


@pytest.mark.parametrize("result", [{}, {"status": "ok"}])
def test_a_result_without_values_says_so_without_a_hint_to_pick_one(result):
    with pytest.raises(LossError) as caught:
        compute_loss(result, [], 1.0)
    assert str(caught.value) == 'the result has no "loss": it returned no values'


@pytest.mark.parametrize("status", ["weird", "failure", True])
def test_a_status_neither_ok_nor_fail_fails_the_trial_naming_it(tmp_path, status):
    result = {"loss": 0.1, "status": status}
    trial = conclude(RUNNING, Outcome(7, TrialState.OK, result=result), spec(tmp_path))
    assert trial.state is TrialState.FAILED and trial.loss is None
    shown = json.dumps(status)
    assert trial.reason == f'the result\'s status is {shown}, not "ok" or "fail"'


@pytest.mark.parametrize("status", ["ok", "OK"])
def test_an_ok_status_keeps_the_loss(tmp_path, status):
    result = {"loss": 0.1, "status": status}
    trial = conclude(RUNNING, Outcome(7, TrialState.OK, result=result), spec(tmp_path))
    assert trial.state is TrialState.OK and trial.loss == 0.1
