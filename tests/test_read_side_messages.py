"""What the commands that read a results folder (``show``, ``export``, ``plot``) say: tables
whose columns do not run together, and one line that names the mistake when they are given
something else than a results folder or the spec of one."""

from __future__ import annotations

from hypermax.analysis import Importance, ParamImportance
from hypermax.commands import importance_lines


def test_a_full_importance_bar_stays_apart_from_rho_and_under_its_header():
    params = (
        ParamImportance("x", 0.98, 1.0, 10, "number"),
        ParamImportance("y", 0.02, -0.25, 10, "number"),
    )
    header, full, short = importance_lines(Importance("spearman", params, 10))[1:]
    assert full == "x      0.98 #################### +1.00"
    assert short == "y      0.02                      -0.25"
    # rho's header ends where its values end
    assert header.index("rho") + 3 == len(full)


def test_an_enum_whose_best_value_is_null_shows_null():
    params = (
        ParamImportance("activation", 0.6, None, 10, "enum", None),
        ParamImportance("optimizer", 0.4, None, 10, "enum", "adam"),
        ParamImportance("x", 0.0, 0.1, 10, "number"),
    )
    rows = importance_lines(Importance("spearman", params, 10))[2:]
    assert [row.split()[-1] for row in rows] == ["null", '"adam"', "+0.10"]
