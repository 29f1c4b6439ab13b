"""What the README states, held to what hypermax does: examples, field lists, messages."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _table_row(first_cell: str) -> str:
    row = next(line for line in README.splitlines() if line.startswith(f"| {first_cell} |"))
    return row


def test_the_spec_at_the_top_is_the_example_search_that_ships():
    block = re.search(r"```json\n(\{\n  \"hyperparameters\".*?)\n```", README, re.S)
    assert block is not None
    assert json.loads(block.group(1)) == json.loads((ROOT / "search.example.json").read_text())


def test_the_journal_table_names_every_field_of_a_finished_trial():
    from hypermax.journal import finished_record
    from hypermax.trial import Trial, TrialState

    trial = Trial(id=1, params={}, internal={}, state=TrialState.OK, loss=0.5)
    row = _table_row("`trial_finished`")
    named = set(re.findall(r"`(\w+)`", row))
    assert set(finished_record(trial)) - {"event"} <= named
