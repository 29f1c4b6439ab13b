"""Objectives that return or report odd values: each is data about its trial, and the search
goes on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fake_trials.helpers import FAKES

import hypermax
from hypermax.errors import SpecError

pytestmark = pytest.mark.usefixtures("in_tmp_path")  # errors name files from here


def _cases(
    tmp_path: Path, name: str, cases: list[str], metrics: dict | None = None, **search: Any
) -> dict[str, dict]:
    """Run the fake trial ``odd_results.<name>`` once per case (a grid over ``case``); the
    finished trials by case."""
    spec = {
        "hyperparameters": {"type": "object", "properties": {"case": {"enum": cases}}},
        "function": {"type": "python_function", "src": str(FAKES / "odd_results.py"), "name": name},
        "search": {"name": name, "method": "grid", "max_initial_failures": 0, **search},
        "results": {"directory": str(tmp_path / "results")},
    }
    result = hypermax.optimize(spec, metrics=metrics)
    return {trial["params"]["case"]: trial for trial in result.trials}


def test_an_integer_too_large_for_a_float_is_an_infinite_value_not_a_crash(tmp_path):
    trials = _cases(
        tmp_path, "huge", ["bare", "loss", "time", "report"], early_stopping={"policy": "median"}
    )
    for case in ("bare", "loss"):
        assert trials[case]["state"] == "failed"
        assert trials[case]["reason"] == "loss is inf"
    assert trials["time"]["state"] == "failed"
    assert trials["time"]["reason"] == (
        "the result's time is not a number of seconds (at least 0): 10000000000000000000000000"
        "0000000000000000000000000000000..."
    )
    assert 0 < trials["time"]["time"] < 60  # the measured time, not the one it returned
    assert trials["report"]["state"] == "ok" and trials["report"]["loss"] == 0.25


def test_a_loss_whose_terms_run_past_the_largest_float_fails_its_trial(tmp_path):
    metrics = {"a": {"min": -1e308}, "b": {"min": 0}}
    trials = _cases(tmp_path, "near_the_largest_float", ["one", "both"], metrics)
    assert trials["one"]["state"] == "failed" and trials["one"]["loss"] is None
    assert trials["one"]["reason"] == (
        "the loss, the sum of its terms (a inf, b 1), is not a finite number"
    )
    assert trials["both"]["state"] == "failed" and trials["both"]["loss"] is None
    assert trials["both"]["reason"] == (
        "the loss, the sum of its terms (a 1.1e+308, b 1e+308), is not a finite number"
    )


def test_a_returned_time_that_is_not_seconds_fails_its_trial_rather_than_vanish(tmp_path):
    trials = _cases(tmp_path, "odd_time", ["text", "negative", "seconds"])
    assert trials["text"]["state"] == "failed"
    assert trials["text"]["reason"] == (
        'the result\'s time is not a number of seconds (at least 0): "fast"'
    )
    assert trials["negative"]["state"] == "failed" and trials["negative"]["time"] >= 0
    assert trials["negative"]["reason"] == (
        "the result's time is not a number of seconds (at least 0): -5"
    )
    assert trials["seconds"]["state"] == "ok" and trials["seconds"]["time"] == 2.5


def test_the_reason_a_trial_gives_for_its_failure_is_kept_as_one_plain_line(tmp_path):
    (trial,) = _cases(tmp_path, "says_it_failed", ["one"]).values()
    assert trial["state"] == "failed"
    assert trial["reason"] == "CUDA out of memory at step 3 " + "x" * 268 + "..."


def test_a_src_that_is_a_folder_is_called_a_folder(tmp_path):
    (tmp_path / "model.py").mkdir()
    spec = tmp_path / "search.json"
    spec.write_text(
        json.dumps(
            {
                "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
                "function": {"type": "python_function", "src": "model.py", "name": "train"},
            }
        )
    )
    with pytest.raises(SpecError) as raised:
        hypermax.load_spec(str(spec))
    assert str(raised.value) == 'search.json: function.src: "model.py" is a folder, not a file'


def test_a_numpy_long_double_is_a_number(tmp_path):
    trials = _cases(tmp_path, "long_double", ["bare", "dict"])
    assert [(t["state"], t["loss"]) for t in trials.values()] == [("ok", 0.25), ("ok", 0.25)]
    assert trials["dict"]["metadata"] == {"acc": 0.25}


def test_a_numpy_complex_long_double_is_no_number_as_no_complex_number_is():
    import numpy as np

    from hypermax.execution import protocol

    written = protocol.dump_json(np.clongdouble(1))
    assert protocol.normalise_result(json.loads(written)) is None


def silenced_then_returns(params):
    import os
    import sys

    with open(os.devnull, "w") as sys.stdout:  # the idiom, as users write it
        pass  # a noisy library here; sys.stdout is left a closed file
    return params["x"]


def silenced_then_raises(params):
    import os
    import sys

    with open(os.devnull, "w") as sys.stderr:
        pass
    raise ValueError("no data")


@pytest.mark.parametrize("preload", [True, False])
def test_a_function_that_left_a_closed_file_as_stdout_or_stderr_keeps_its_result(tmp_path, preload):
    for objective, state, reason in [
        (silenced_then_returns, "ok", None),
        (silenced_then_raises, "failed", "ValueError: no data"),
    ]:
        result = hypermax.optimize(
            objective, space={"x": [0.5]}, iterations=1, results_dir=tmp_path, preload=preload
        )
        (trial,) = result.trials
        assert (trial["state"], trial["reason"]) == (state, reason)
    log = (tmp_path / "silenced_then_raises" / "logs" / "trial_1.log").read_text()
    assert 'raise ValueError("no data")' in log


def raises_keyboard_interrupt(params):
    raise KeyboardInterrupt("enough of this")


def ignores_sigint_then_raises_keyboard_interrupt(params):
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # no SIGINT can raise it now
    raise KeyboardInterrupt("enough of this")


@pytest.mark.parametrize("preload", [True, False])
@pytest.mark.parametrize(
    "objective", [raises_keyboard_interrupt, ignores_sigint_then_raises_keyboard_interrupt]
)
def test_a_function_that_raises_keyboard_interrupt_itself_failed_by_it_not_by_a_signal(
    tmp_path, preload, objective
):
    """``raise KeyboardInterrupt`` in the function, with no SIGINT anywhere, is the trial's own
    failure: its reason says what it raised, not that a signal ended it (a SIGINT that reaches
    a trial still ends it by SIGINT: see test_interrupts)."""
    result = hypermax.optimize(
        objective,
        space={"x": [0.5]},
        iterations=1,
        results_dir=tmp_path,
        preload=preload,
    )
    (trial,) = result.trials
    assert trial["state"] == "failed"
    assert trial["reason"] == "KeyboardInterrupt: enough of this"
    assert trial["exit_code"] == 1
