"""A warm start from a CSV whose columns give one param both a value and parts (``l`` and
``l.0``, a table assembled by hand) is a one-line error naming the line."""

from __future__ import annotations

import pytest

from hypermax.errors import ResultsError
from hypermax.warmstart import load_warm_start


def test_a_param_with_a_value_and_parts_is_a_one_line_error(tmp_path):
    table = tmp_path / "results.csv"
    table.write_text("trial,state,loss,l,l.0\n1,ok,0.5,,2\n2,ok,0.4,3,1\n")
    with pytest.raises(ResultsError) as caught:
        load_warm_start(table, {"l"})
    assert str(caught.value) == f"{table}: line 3: l has a value and also parts (l.*)"


def test_a_param_whose_name_holds_a_dot_is_read_back_whole(tmp_path):
    """A top-level param named ``lr.max`` (legal beside no object ``lr``) was left out of every
    row, its column taken for a part of a param ``lr`` the space does not have."""
    from hypermax.warmstart import Finished

    table = tmp_path / "results.csv"
    table.write_text("trial,state,loss,lr.max,opt.name\n1,ok,0.5,0.1,adam\n")
    assert load_warm_start(table, {"lr.max", "opt"}) == [
        Finished({"lr.max": 0.1, "opt": {"name": "adam"}}, 0.5, None, None)
    ]


def test_a_row_ok_with_a_loss_no_finite_number_holds_is_a_failed_trial(tmp_path):
    """A row ``ok`` whose loss is ``nan``, ``-inf`` or ``1e400`` was dropped without a word
    (``learned from 0 of 0 trials``); it ended, with a loss a trial here would fail by: it is
    imported without a loss, as a failed trial. A row with neither a state nor a loss has
    not ended, and stays out."""
    from hypermax.warmstart import Finished

    table = tmp_path / "results.csv"
    rows = ["1,ok,-inf,0.1", "2,ok,1e400,0.2", "3,,nan,0.3", "4,,,0.4", "5,ok,0.5,0.5"]
    table.write_text("trial,state,loss,x\n" + "\n".join(rows) + "\n")
    assert load_warm_start(table, {"x"}) == [
        Finished({"x": 0.1}, None, None, None),
        Finished({"x": 0.2}, None, None, None),
        Finished({"x": 0.3}, None, None, None),
        Finished({"x": 0.5}, 0.5, None, None),
    ]
