"""Params, values and names as users write them (newlines, escapes, wide characters) keep the
dashboard's rows one line each and aligned."""

from __future__ import annotations

import re

import pytest
from test_dashboard_render import screen
from test_dashboard_state import FakeClock, run_trial, started, trial

from hypermax import events as ev
from hypermax.trial import Report
from hypermax.ui.state import DashboardState
from hypermax.ui.view import DashboardView

PROMPT = "You are a helpful assistant.\nAnswer:\t\x1b[2J"


def prompt_state() -> DashboardState:
    """Six finished trials whose enum values are multi-line prompts, one of them running."""
    state = DashboardState(FakeClock())
    state.apply(started(iterations=10))
    for i in range(1, 7):
        params = {"prompt": PROMPT if i % 2 else "plain", "temperature": 0.1 * i}
        run_trial(state, i, 1.0 / i, params=params, metadata={"note\nkey": "a\nb"})
    state.apply(ev.TrialStarted(trial(7, {"prompt": PROMPT, "temperature": 0.9})))
    state.apply(ev.TrialReported(Report(7, 1, {"loss": 0.5, "tag\n": 1.0})))
    return state


@pytest.mark.parametrize("size", [(100, 30), (160, 50)])
def test_a_value_with_newlines_and_escapes_stays_on_its_row(size):
    view = DashboardView(prompt_state())
    text = screen(view, size)
    rows = text.splitlines()
    for row in rows:  # no row of its own for the text after a newline
        assert not row.lstrip("│ ").startswith(("Answer:", "b ", "key")), row
    if size == (160, 50):
        table = [row for row in rows if re.match(r"│\s+\d+ (ok|running) ", row)]
        assert len(table) == 7
        assert all("assistant.\\nAnswer:\\t\\x1b[2J" in row for row in table if "helpful" in row)
    assert "\\n" in text and "\x1b" not in text
    assert "best helpful" not in text  # the ranking's best value is the escaped prompt or plain


def test_an_opened_trial_writes_control_characters_as_escapes():
    view = DashboardView(prompt_state())
    view.open_trial(1)
    text = screen(view, (160, 50))
    assert "You are a helpful assistant.\\nAnswer:\\t\\x1b[2J" in text
    assert "note\\nkey" in text and "a\\nb" in text
