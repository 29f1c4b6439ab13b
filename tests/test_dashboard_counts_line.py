"""The dashboard's counts line on a narrow terminal: it leaves out the counts that are 0, then
its spaces, before it would wrap between a count and its word."""

from __future__ import annotations

import pytest
from test_dashboard_render import screen, search_state

from hypermax.ui.view import DashboardView


@pytest.mark.parametrize(
    ("width", "line"),
    [
        (80, "12/40 done  2 running  1 failed  1 killed  0 stopped   best 0.031415 (trial 5)"),
        (70, "12/40 done  2 running  1 failed  1 killed   best 0.031415 (trial 5)"),
        (60, "12/40 done 2 running 1 failed 1 killed  best 0.031415 (#5)"),
    ],
)
def test_the_counts_line_keeps_to_one_line_as_long_as_it_can(width, line):
    text = screen(DashboardView(search_state()), (width, 24))
    assert text.splitlines()[1].rstrip() == line
