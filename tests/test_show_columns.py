"""``show``'s columns line up whatever the letters of a param's name: a wide letter (Chinese,
Japanese, Korean) takes two terminal columns, a combining mark none."""

from __future__ import annotations

from hypermax.commands import importance_lines
from hypermax.importance import Importance, ParamImportance
from hypermax.show import _pairs
from hypermax.ui.formatting import columns, padded


def test_a_name_takes_the_columns_a_terminal_gives_it():
    assert [columns(text) for text in ("lr", "学习率", "café", "cafe\u0301")] == [2, 6, 4, 4]
    assert padded("学习率", 8) == "学习率  "


def test_a_trials_params_line_up_under_wide_names():
    lines = _pairs([("学习率", 0.1), ("lr", 0.2)])
    assert lines == ["  学习率  0.1", "  lr      0.2"]


def test_the_importance_table_lines_up_under_wide_names():
    params = (
        ParamImportance("学习率", 0.75, 0.5, 10, "number"),
        ParamImportance("lr", 0.25, -0.5, 10, "number"),
    )
    lines = importance_lines(Importance("spearman", params, 10))
    rows = [line.split("  0.")[0] for line in lines[2:]]
    assert [columns(row) for row in rows] == [6, 6]
