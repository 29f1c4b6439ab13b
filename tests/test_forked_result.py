"""A forked trial's result: a small one goes to hypermax over the trial's own socket (no result
file made), a large one through the file; either way the trial ends as it would with the file
alone (a fresh trial's), whatever happens after its function returned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fake_trials.helpers import grid_over_case

from hypermax.execution.trial_files import RESULT_FILE


def _search(tmp_path: Path, name: str, cases: list[str], **function: Any) -> dict[str, dict]:
    """The trials of a grid over ``case`` of ``forked_results.<name>``, by case."""
    return grid_over_case(tmp_path, "forked_results.py", name, cases, **function)


def _result_file(tmp_path: Path, name: str, trial: dict) -> Path:
    return tmp_path / "results" / name / "trials" / str(trial["trial"]) / RESULT_FILE


_CASES = ["plain", "nan", "inf", "fail", "attachment", "large", "raises"]


@pytest.mark.parametrize("preload", [True, False])
def test_every_kind_of_result_reads_the_same_forked_or_fresh(tmp_path, preload):
    trials = _search(tmp_path, "returns", _CASES, preload=preload)
    seen = {case: (t["state"], t["reason"], t["metrics"].get("loss")) for case, t in trials.items()}
    assert seen == {
        "plain": ("ok", None, 0.25),
        "nan": ("failed", "loss is nan", "nan"),  # as the journal keeps it
        "inf": ("failed", "loss is inf", "inf"),
        "fail": ("failed", "diverged", 0.5),
        "attachment": ("ok", None, 0.125),
        "large": ("ok", None, 0.375),
        "raises": ("failed", "ValueError: bad case raises", None),
    }
    assert trials["attachment"]["attachments"] == ["model.txt"]
    assert trials["large"]["metadata"]["blob"] == "x" * 40_000
    # a result file written (forked, only for the result over the size a socket packet takes)
    # is removed once read: the journal holds the result
    assert not any(_result_file(tmp_path, "returns", t).exists() for t in trials.values())


@pytest.mark.parametrize("preload", [True, False])
def test_a_result_sent_before_the_process_crashed_reads_as_one_written(tmp_path, preload):
    (trial,) = _search(tmp_path, "crashes_after", ["once"], preload=preload).values()
    assert (trial["state"], trial["metrics"]) == ("failed", {"loss": 0.75})
    assert trial["reason"].startswith("ended by signal SIGSEGV")


@pytest.mark.parametrize("preload", [True, False])
def test_a_result_sent_before_the_time_limit_killed_the_exit_counts(tmp_path, preload):
    # its exit hangs past the time limit (kill_grace is longer): the kill came after it returned
    trials = _search(
        tmp_path, "hangs_after", ["once"], preload=preload, kill_grace=60, auto_kill_max_time=1
    )
    assert (trials["once"]["state"], trials["once"]["loss"]) == ("ok", 0.5)
    assert trials["once"]["kill_reason"] is None


def test_a_result_sent_before_the_preload_server_died_counts(tmp_path):
    # the server dies after the trial's function returned: the trial, which dies with it,
    # still has its result (as it would with the file), not lost with the server
    (trial,) = _search(tmp_path, "kills_its_server", ["once"]).values()
    assert (trial["state"], trial["loss"]) == ("ok", 0.0625)
    assert not _result_file(tmp_path, "kills_its_server", trial).exists()  # it was sent


@pytest.mark.parametrize("preload", [True, False])
def test_a_process_the_function_forked_that_returns_too_is_not_the_trials_result(tmp_path, preload):
    # the forked process returns (or raises) first; the trial's own process returns after it
    trials = _search(tmp_path, "forks_and_both_return", ["returns", "raises"], preload=preload)
    assert {case: (t["state"], t["loss"]) for case, t in trials.items()} == {
        "returns": ("ok", 0.5),
        "raises": ("ok", 0.5),
    }
    log = tmp_path / "results" / "forks_and_both_return" / "logs"
    said = {case: (log / f"trial_{t['trial']}.log").read_text() for case, t in trials.items()}
    assert all("forked by the trial's function, returned from it" in text for text in said.values())


@pytest.mark.parametrize("preload", [True, False])
def test_a_small_forked_result_goes_over_its_socket_not_through_a_file(tmp_path, preload):
    # the function leaves a file where its folder was: no result file can be written there
    (trial,) = _search(tmp_path, "leaves_no_folder", ["once"], preload=preload).values()
    if preload:
        assert (trial["state"], trial["loss"]) == ("ok", 0.25)
    else:  # a fresh trial's result goes through the file
        assert trial["state"] == "failed"
