"""The dashboard's keys as the search goes on and after it ended, on a real view and state."""

from __future__ import annotations

from test_dashboard_render import screen
from test_dashboard_values import prompt_state

from hypermax import events as ev
from hypermax.ui.view import Actions, DashboardView


def test_e_after_the_search_ended_says_where_the_results_are():
    state = prompt_state()
    requests: list[str] = []
    view = DashboardView(state, Actions(request=requests.append))
    state.apply(ev.SearchFinished(state.best, 6, "iterations done"))
    view.refresh()
    assert "e export" not in screen(view, (160, 50))  # nothing left to export: it was written
    view.keypress((160, 50), "e")
    text = screen(view, (160, 50))
    assert "written as the search ended: /tmp/results/quad/results.csv" in text
    assert requests == []  # the search no longer takes commands
