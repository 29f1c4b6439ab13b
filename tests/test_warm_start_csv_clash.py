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
