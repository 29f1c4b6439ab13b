"""Params, values and names as users write them (newlines, escapes, wide characters) keep the
dashboard's rows one line each and aligned."""

from __future__ import annotations

import re

import pytest
import urwid
from test_dashboard_render import screen
from test_dashboard_state import FakeClock, run_trial, started, trial

from hypermax import events as ev
from hypermax.trial import Report
from hypermax.ui.chart import render_chart
from hypermax.ui.state import DashboardState
from hypermax.ui.view import Actions, DashboardView

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
        table = [row for row in rows if re.match(r"│\s+\d+ +\S+ (ok|running) ", row)]
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


def test_an_opened_trial_keeps_its_reason_files_and_log_from_steering_the_terminal(tmp_path):
    """A colouring logger's or a progress bar's escape sequences in a trial's log reached the
    terminal as they were (colours, cursor moves, a cleared screen), and a file named with a
    line break took two rows."""
    log = tmp_path / "trial_1.log"
    log.write_bytes(b"\x1b[31mred\x1b[0m text\x07\n\x1b[2Jcleared\x1b]0;title\x07\n")

    state = DashboardState(FakeClock())
    state.apply(started(iterations=10))
    run_trial(state, 1, 0.5, params={"x": 1}, reason="why\nnot", attachments=("a\nb.png",))
    view = DashboardView(state, Actions(log_path=lambda trial_id: log))
    view.open_trial(1)
    text = screen(view, (160, 50))
    assert "\x1b" not in text and "\x07" not in text
    assert "red text\\x07" in text and "│cleared" in text
    assert "why\\nnot" in text and "a\\nb.png" in text


def test_a_message_or_end_reason_of_several_lines_keeps_the_status_to_its_rows():
    """A warning quoting an exception's lines took a row of the status for each, pushing the
    panels down, and passed its escape sequences on to the terminal."""
    state = DashboardState(FakeClock())
    state.apply(started(iterations=10))
    run_trial(state, 1, 0.5, params={"x": 1})
    state.apply(ev.Message("preload: ImportError: no\nsecond line\x1b[2J"))
    rows = screen(DashboardView(state), (120, 30)).splitlines()
    assert rows[2].rstrip().endswith("preload: ImportError: no\\nsecond line\\x1b[2J")
    assert rows[3].startswith("┌ loss of 1 trial")
    state.apply(ev.SearchFinished(None, 1, "stopped:\nby hand"))
    rows = screen(DashboardView(state), (120, 30)).splitlines()
    assert "search ended (stopped:\\nby hand) — press q to leave" in rows[0]
    assert rows[1].startswith("1/10 done")


LONG_WIDE_NAME = "バッチサイズの上限値を決めるパラメータ"


def wide_state() -> DashboardState:
    """Six trials whose params have names in wide (two-column) characters."""
    state = DashboardState(FakeClock())
    state.apply(started(iterations=10))
    for i in range(1, 7):
        params = {"学習率": 0.1 * i, LONG_WIDE_NAME: i % 3, "momentum": 1 - 0.1 * i}
        run_trial(state, i, 1.0 / i + 0.01 * (i % 3), params=params)
    return state


def test_wide_characters_in_names_keep_the_columns_aligned():
    text = screen(DashboardView(wide_state()), (160, 50))
    right = [re.split("[│┘]│", row)[-1] for row in text.splitlines()]  # the right-hand panels
    best = [cell for cell in right if cell.startswith(("学習率", "momentum")) and "█" not in cell]
    ranking = [cell for cell in right if "█" in cell]
    assert len(best) == 2 and len(ranking) == 3

    def column(cell: str, pattern: str) -> int:
        found = re.search(pattern, cell)
        assert found is not None, cell
        return urwid.str_util.calc_width(cell, 0, found.start())

    assert len({column(cell, r" \d") for cell in best}) == 1, best  # values in one column
    assert len({column(cell, r" [+-]\d\.\d\d ") for cell in ranking}) == 1, ranking
    assert all(column(cell, r" [+-]\d\.\d\d ") <= 16 for cell in ranking)  # names cut to fit


def test_losses_at_the_ends_of_the_float_range_are_charted():
    points = [(1e308, "ok"), (-1e308, "ok"), (0.0, "ok"), (1.7e308, "killed")]
    lines = render_chart(points, [1e308, -1e308, -1e308, -1e308], 60, 10, log_scale=False)
    assert len(lines) == 10 and {len(line) for line in lines} == {60}
    text = "\n".join(lines)
    assert "nan" not in text and "inf" not in text
    assert lines[0].lstrip().startswith("1e+308┤") and lines[8].lstrip().startswith("-1e+308┤")
    assert "•" in lines[0] and "•" in lines[8]  # the top and the bottom trial


def test_losses_a_few_subnormals_apart_are_charted():
    """The chart's rows are found from halves of the losses (their span may exceed the largest
    float): the halves of the smallest floats are 0, and the chart divided by their span, 0; its
    drawing failed, and after three failures the dashboard gave way to plain lines."""
    points = [(-5e-324, "ok"), (5e-324, "ok"), (0.0, "ok")]
    lines = render_chart(points, [-5e-324, -5e-324, -5e-324], 60, 10, log_scale=False)
    assert len(lines) == 10 and {len(line) for line in lines} == {60}
    assert sum(line.count("•") for line in lines) == 3


def test_an_opened_trial_shows_the_start_of_a_huge_value_or_log_line(tmp_path):
    """urwid lays out a long unbroken line in time that grows with the square of its length (a
    megabyte took minutes, the dashboard frozen): the window shows the start of each."""
    state = DashboardState(FakeClock())
    state.apply(started())
    run_trial(state, 1, 0.5, params={"x": 1.0}, metadata={"weights": "w" * 50_000, "n": 3})
    log = tmp_path / "trial_1.log"
    log.write_text("start\n" + "p" * 50_000 + "\nend\n")
    view = DashboardView(state, Actions(log_path=lambda trial_id: log))
    view.open_trial(1)
    view.keypress((160, 50), "end")
    text = screen(view, (160, 50))
    assert re.search(r"│end ", text)  # the log's last line
    clipped = re.findall(r"… \(([\d,]+) more characters\)", text)
    assert "28,763" in clipped  # the long log line: what of it the log's last 32 KiB hold
    view.keypress((160, 50), "home")
    text = screen(view, (160, 50))
    assert "weights" in text and "w" * 100 in text
    assert "(46,000 more characters)" in text


def test_one_trial_is_counted_in_the_singular():
    state = DashboardState(FakeClock())
    state.apply(started())
    run_trial(state, 1, 0.5)
    text = screen(DashboardView(state), (160, 50))
    assert "loss of 1 trial —" in text and "(Spearman, 1 trial)" in text
    assert "1 trials" not in text
