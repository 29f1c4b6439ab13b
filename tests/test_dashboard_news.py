"""The status line's news (an export written, the objective's module loaded, a key's answer)
goes after ``NEWS_SECONDS``; a warning (a failed trial's, a logged one) stays until another line
comes. The preload's "module loaded" line sat there for the whole run."""

from __future__ import annotations

from test_dashboard_render import screen
from test_dashboard_state import FakeClock, run_trial, started

from hypermax import events as ev
from hypermax.trial import TrialState
from hypermax.ui.state import NEWS_SECONDS, DashboardState
from hypermax.ui.view import Actions, DashboardView

LOADED = "preload: the objective's module loaded in 12.4 s"


def status_row(view: DashboardView) -> str:
    return screen(view, (100, 24)).splitlines()[2]


def searching() -> tuple[DashboardState, FakeClock]:
    clock = FakeClock()
    state = DashboardState(clock)
    state.apply(started(iterations=10))
    return state, clock


def test_news_goes_from_the_status_line_after_a_while():
    state, clock = searching()
    view = DashboardView(state)
    state.apply(ev.Message(LOADED, news=True))
    view.refresh()
    assert status_row(view).endswith(LOADED)
    clock.now += NEWS_SECONDS - 1
    view.refresh()
    assert status_row(view).endswith(LOADED)
    clock.now += 1
    view.refresh()
    assert status_row(view).strip() == "0/10 trials  0%"  # the bar has the line again


def test_a_failed_trial_s_line_and_a_warning_stay_until_another_line_comes():
    state, clock = searching()
    view = DashboardView(state)
    run_trial(state, 1, None, TrialState.FAILED, reason="ValueError: boom")
    clock.now += 10 * NEWS_SECONDS
    view.refresh()
    assert status_row(view).endswith("trial 1 failed: ValueError: boom")
    state.apply(ev.Message("the results folder cannot be written"))
    clock.now += 10 * NEWS_SECONDS
    view.refresh()
    assert status_row(view).endswith("the results folder cannot be written")


def test_the_answer_to_e_and_p_shows_at_once_and_goes_after_a_while():
    """The search carries out e and p at its next turn, which the import of a preloaded
    objective held: the keys had no answer until then."""
    state, clock = searching()
    asked: list[str] = []
    view = DashboardView(state, Actions(request=asked.append))
    view.keypress((100, 24), "e")
    assert asked == ["export"]
    assert "export asked" in status_row(view)
    view.keypress((100, 24), "p")
    assert asked == ["export", "toggle_pause"] and "pause asked" in status_row(view)
    clock.now += NEWS_SECONDS
    view.refresh()
    assert "asked" not in status_row(view)


def test_a_key_that_does_nothing_says_so():
    """A typed letter the dashboard has no use for, or p once the search ended, showed nothing:
    as if the dashboard had not heard it."""
    state, _clock = searching()
    asked: list[str] = []
    view = DashboardView(state, Actions(request=asked.append))
    view.keypress((100, 24), "z")
    assert status_row(view).endswith("z: no such key (? lists the keys)")
    view.keypress((100, 24), "down")  # moves in a panel, or nowhere: not a key to tell of
    assert status_row(view).endswith("z: no such key (? lists the keys)")
    state.apply(ev.SearchFinished(None, 0, "iterations done"))
    view.keypress((100, 24), "p")
    assert asked == [] and status_row(view).endswith("the search ended: nothing to pause")
