"""Trials that end oddly still end, and as what they were: a returned loss is kept when the
process's exit hangs, an error whose message cannot be read is named by its type, and silenced
standard streams do not turn a result into a failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fake_trials.helpers import grid_over_case


def _search(tmp_path: Path, name: str, cases: list[str], **function: Any) -> dict[str, dict]:
    """The trials of a grid over ``case`` of ``odd_exits.<name>``, by case."""
    return grid_over_case(tmp_path, "odd_exits.py", name, cases, **function)


@pytest.mark.parametrize("preload", [True, False])
def test_a_trial_whose_exit_never_ends_keeps_its_loss_after_kill_grace(tmp_path, preload):
    (trial,) = _search(
        tmp_path, "hangs_at_exit", ["once"], kill_grace=0.3, preload=preload
    ).values()
    assert (trial["state"], trial["loss"]) == ("ok", 0.25)
    log = (tmp_path / "results" / "hangs_at_exit" / "logs" / "trial_1.log").read_text()
    assert "its process had not ended 0.3 s later (kill_grace" in log


def test_an_error_whose_message_cannot_be_read_is_named_by_its_type(tmp_path):
    (trial,) = _search(tmp_path, "unreadable_error", ["once"], preload=False).values()
    assert (trial["state"], trial["reason"]) == ("failed", "Unreadable")


def test_silenced_standard_streams_leave_the_trial_as_it_was(tmp_path):
    trials = _search(tmp_path, "silenced", ["stdout", "stderr", "both"], preload=False)
    assert {case: (t["state"], t["loss"]) for case, t in trials.items()} == {
        "stdout": ("ok", 0.5),
        "stderr": ("failed", None),
        "both": ("ok", 0.5),
    }
    assert trials["stderr"]["reason"] == "ValueError: bad x"
    log = tmp_path / "results" / "silenced" / "logs" / f"trial_{trials['stderr']['trial']}.log"
    assert "ValueError: bad x" in log.read_text()  # its traceback, on the process's own stderr
