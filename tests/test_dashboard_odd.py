"""The dashboard where users push it: narrow terminals, the help at 80x24, exact values."""

from __future__ import annotations

import re
import shutil

import pytest
import urwid
from test_dashboard_render import screen, search_state
from test_dashboard_session import Terminal
from test_dashboard_state import FakeClock, run_trial, started

from hypermax import events as ev
from hypermax.trial import TrialState
from hypermax.ui import terminal as ui_terminal
from hypermax.ui.chart import NO_LOSS
from hypermax.ui.state import DashboardState
from hypermax.ui.view import Actions, DashboardView
from hypermax.ui.widgets import PALETTE, use_ascii_fallbacks


@pytest.mark.parametrize("width", [40, 44, 45, 50])
def test_a_narrow_status_breaks_between_its_parts_never_inside_one(width):
    state = search_state()
    state.name, state.parallel = "odd", 4
    lines = screen(DashboardView(state), (width, 24)).splitlines()
    status = lines[: next(i for i, line in enumerate(lines) if "trials  30%" in line)]
    text = "\n".join(line.rstrip() for line in status)
    assert not re.search(r"(parallel|best)$", text, re.M), text  # a word cut from its number
    assert "best 0.031415" in text
    assert "parallel 4" in text or "parallel" not in text


@pytest.mark.parametrize("width", [30, 36, 40, 60])
def test_a_narrow_title_keeps_its_words_whole_and_the_clock_while_it_can(width):
    title = screen(DashboardView(search_state()), (width, 24)).splitlines()[0]
    assert title.split()[:2] == ["tuning", "tpe"] and title.rstrip().endswith("ETA 2m20s"), title


@pytest.mark.parametrize("width", [60, 80, 120])
def test_a_long_search_name_is_cut_to_keep_the_clock_in_the_title(width):
    """A name that left no room for the clock had the elapsed time and the ETA come and go as
    their digits changed; it is cut, with a mark, instead."""
    state = search_state()
    state.name = "a_rather_long_search_name_that_goes_on_and_on_for_a_while_yes_it_does"
    title = screen(DashboardView(state), (width, 24)).splitlines()[0]
    assert title.rstrip().endswith("ETA 2m20s"), title
    assert title.startswith(state.name) or title.split()[0].endswith("…"), title


def test_the_progress_bar_and_the_latest_message_do_not_touch():
    text = screen(DashboardView(search_state()), (36, 24))
    assert "30% trial 9 killed" in text


def test_the_help_scrolls_to_its_end_on_a_24_row_terminal():
    view = DashboardView(search_state())
    view.keypress((80, 24), "?")
    assert "any other key closes" not in screen(view, (80, 24))  # more help than rows
    view.keypress((80, 24), "end")
    text = screen(view, (80, 24))
    assert "┌ help" in text and "any other key closes" in text and "stopped@N" in text
    view.keypress((80, 24), "page up")
    assert "┌ help" in screen(view, (80, 24))
    view.keypress((80, 24), "x")
    assert "┌ help" not in screen(view, (80, 24))


def test_the_help_wraps_a_key_s_text_under_itself():
    view = DashboardView(search_state())
    view.keypress((80, 24), "?")
    rows = screen(view, (80, 24)).splitlines()
    quit_row = next(i for i, row in enumerate(rows) if "quit: asks y" in row)
    assert re.match(r"│ {13}[a-z]", rows[quit_row + 1]), rows[quit_row + 1]


def test_the_help_says_what_q_and_p_do_once_the_search_ended():
    """After the end, q leaves without asking and p does nothing (the footer says so), but
    the help still said q asks y to confirm and kills the running trials."""
    state = search_state()
    state.apply(ev.SearchFinished(state.best, 12, "iterations done"))
    view = DashboardView(state)
    view.keypress((100, 40), "?")
    text = screen(view, (100, 40))
    assert "(once the search ended: leave, at once)" in text
    assert "(running ones go on), while the search" in text


def test_an_opened_trial_shows_its_loss_metrics_and_params_in_full():
    """As results.csv has them: the trial window is where a user copies a trial's params from."""
    state = DashboardState(FakeClock())
    state.apply(started())
    params = {"lr": 0.08098864143204074, "units": 64}
    run_trial(state, 1, 10.166907543447525, params=params, metrics={"auc": 0.9123456789})
    view = DashboardView(state)
    view.open_trial(1)
    text = screen(view, (160, 50))
    assert "loss    10.166907543447525" in text
    assert re.search(r"auc +0\.9123456789", text)
    assert re.search(r"lr +0\.08098864143204074", text) and re.search(r"units +64", text)


def test_the_help_names_every_trial_the_axis_marks_as_without_a_loss():
    """A trial stopped on a NaN report ends without a loss, and the chart marks it as such."""
    state = DashboardState(FakeClock())
    state.apply(started())
    run_trial(state, 1, 0.5)
    run_trial(state, 2, None, TrialState.STOPPED)
    view = DashboardView(state)
    chart_axis = next(row for row in screen(view, (80, 24)).splitlines() if "└" in row)
    assert NO_LOSS in chart_axis
    view.keypress((80, 24), "?")
    marked = next(row for row in screen(view, (80, 24)).splitlines() if f"  {NO_LOSS} " in row)
    assert "stopped" in marked, marked


def test_the_ended_title_reads_as_one_sentence():
    state = search_state()
    state.apply(ev.SearchFinished(state.best, 12, "iterations done"))
    view = DashboardView(state)
    assert "search ended (iterations done) — press q to leave" in screen(view, (80, 24))
    narrow = screen(view, (40, 24)).splitlines()
    assert narrow[0].rstrip() == "tuning search ended (iterations done)"
    assert narrow[1].rstrip() == "— q leaves"


@pytest.mark.parametrize("size", [(20, 6), (30, 8), (80, 24)])
def test_the_quit_dialog_shows_how_to_answer_on_a_small_terminal(size):
    view = DashboardView(search_state())
    view.keypress(size, "q")
    text = " ".join(screen(view, size).replace("│", " ").split())
    assert "Quit the search now?" in text
    assert "y quit" in text


def test_an_opened_trial_writes_its_cpu_time_as_precisely_as_its_time():
    state = DashboardState(FakeClock())
    state.apply(started())
    run_trial(state, 1, 0.5, seconds=0.4, cpu_time=0.3)
    run_trial(state, 2, 0.6, seconds=0.4)
    view = DashboardView(state)
    view.open_trial(1)
    assert "time 0.4s   cpu 0.3s" in screen(view, (160, 50))
    view.open_trial(2)
    assert "time 0.4s   cpu -" in screen(view, (160, 50))  # not measured


@pytest.mark.parametrize("size", [(20, 6), (40, 12)])
def test_a_narrow_footer_still_shows_every_key_help_last(size):
    footer = screen(DashboardView(search_state()), size).splitlines()[-1]
    assert footer.split() == ["q", "p", "e", "Tab", "↵", "s", "?"] or "? help" in footer, footer
    assert "q quit" in footer or size[0] < 40


def test_a_narrow_progress_bar_shortens_its_label_instead_of_cutting_it():
    rows = screen(DashboardView(search_state()), (30, 24)).splitlines()
    bar = next(row for row in rows if "12/40" in row and "done" not in row)
    assert "12/40  30%" in bar, bar


def test_the_best_trial_panel_keeps_every_value_in_its_column_beside_a_long_name():
    state = DashboardState(FakeClock())
    state.apply(started())
    params = {
        "p0_лосс_ünïcödé_very_long_name_x": 0.08098864143204074,
        "p1_x": 0.368,
        "model.encoder.attention_dropout_probability": 0.25,
    }
    run_trial(state, 1, 0.5, params=params)
    rows = screen(DashboardView(state), (80, 24)).splitlines()
    panel = [row[row.index("││") + 2 : -1] for row in rows if "││" in row][:5]
    values = {row.split()[-1]: row.rindex(row.split()[-1]) for row in panel[1:4]}
    assert set(values) == {"0.08099", "0.368", "0.25"}, panel
    assert len(set(values.values())) == 1, panel  # one column
    assert any(row.startswith("attention_dropout_probabili…") for row in panel), panel


def test_a_terminal_without_colours_shows_the_selected_row_and_the_progress_in_reverse(
    monkeypatch,
):
    """NO_COLOR (or a monochrome TERM): urwid draws the palette's mono settings, and colours
    alone would leave the row Enter opens, and the progress bar, looking like the rest."""
    monkeypatch.setenv("NO_COLOR", "1")
    term = Terminal(80, 24)
    try:
        display = term.screen()
        assert display.colors == 1
        display.register_palette(PALETTE)
        display.start()
        try:
            display.draw_screen((80, 24), DashboardView(search_state()).render((80, 24), True))
        finally:
            display.stop()
        term.wait_for(" help ")
    finally:
        term.close()
    reversed_text, reverse = [], False
    for part in re.split(rb"(\x1b\[[0-9;]*m)", bytes(term.output)):
        if part.startswith(b"\x1b["):  # what the SGR sets: 0 resets, 7 reverses
            codes = part[2:-1].split(b";")
            reverse = b"7" in codes or (reverse and b"0" not in codes)
        elif reverse:
            reversed_text.append(part.decode("utf-8", "replace"))
    shown = "".join(reversed_text)
    assert "0.031415" in shown  # the focused row of the table: the best trial
    assert "quit" in shown  # the footer


def test_a_ranking_of_params_that_took_long_waits_ten_times_as_long_for_the_next():
    """Thousands of params took about a second to rank, redone every second while trials
    finished: the dashboard did little else, its keys unanswered."""
    clock = FakeClock()

    class SlowToRank(DashboardState):
        def param_ranking(self, min_trials: int = 5) -> list:
            clock.now += 0.5  # as long as a list of thousands of params takes
            return super().param_ranking(min_trials)

    state = SlowToRank(clock)
    state.apply(started(iterations=40))
    for i in range(1, 7):
        run_trial(state, i, i / 10, params={"x": i / 10})
    view = DashboardView(state, ranking_clock=clock)  # its CPU time, as the clock says
    assert "Spearman, 6 trials" in screen(view, (160, 50))
    run_trial(state, 7, 0.7, params={"x": 0.7})
    clock.now += 2  # past a second, before ten times the 0.5 s the last ranking took
    view.refresh()
    assert "Spearman, 6 trials" in screen(view, (160, 50))
    clock.now += 3
    view.refresh()
    assert "Spearman, 7 trials" in screen(view, (160, 50))


@pytest.mark.skipif(shutil.which("tput") is None, reason="no tput to read terminfo with")
@pytest.mark.parametrize(("term", "colours"), [("vt100", 1), ("xterm-mono", 1), ("xterm", 16)])
def test_a_terminal_whose_terminfo_tells_no_colours_is_drawn_without_them(
    monkeypatch, term, colours
):
    """urwid goes by TERM's name: vt100 and xterm-mono, whose terminfo entries have no
    colours, were drawn in 16, and their selected row and progress bar looked like the rest."""
    monkeypatch.setenv("TERM", term)
    for name in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "CLICOLOR", "COLORTERM"):
        monkeypatch.delenv(name, raising=False)
    terminal = Terminal(80, 24)
    try:
        display = ui_terminal.TerminalScreen(input=terminal.slave_in, output=terminal.slave_out)
        assert display.colors == colours
    finally:
        terminal.close()


@pytest.mark.skipif(
    not hasattr(urwid, "set_ascii_fallbacks"), reason="this urwid draws ? for every glyph"
)
def test_a_terminal_whose_encoding_lacks_the_glyphs_shows_ascii_ones_not_question_marks():
    """Under an ASCII locale urwid drew each glyph it could not encode as ``?``: on the chart a
    trial's loss and a failed trial's mark looked alike, and so did the bars and the arrows."""
    state = DashboardState(FakeClock())
    state.apply(started(iterations=10))
    for trial_id, loss in enumerate([0.5, None, 0.2, 0.9, 0.4, 0.7], start=1):
        status = TrialState.FAILED if loss is None else TrialState.OK
        run_trial(state, trial_id, loss, status, params={"x": trial_id, "y": loss or 0.0})
    encoding, fallbacks = urwid.util.get_encoding(), dict(urwid.get_ascii_fallbacks())
    use_ascii_fallbacks()
    urwid.set_encoding("ascii")
    try:
        lines = screen(DashboardView(state), (80, 24)).splitlines()
    finally:
        urwid.set_encoding(encoding)
        urwid.set_ascii_fallbacks(fallbacks)
    chart = "\n".join(lines[4:9])
    assert "*" in chart and "X" in chart and "?" not in chart
    assert "by loss ^" in lines[16]  # the trials' title
    assert "#" in "\n".join(lines[17:23])  # the ranking's bars


def test_no_text_on_the_terminal_s_background_is_white_or_light_gray(monkeypatch):
    """A light background hid what was drawn in white or light gray on it: the search's name,
    the done count, the clock, the params' names, the table's header."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    term = Terminal(100, 30)
    try:
        display = term.screen()
        display.set_terminal_properties(colors=16)
        display.register_palette(PALETTE)
        display.start()
        try:
            view = DashboardView(search_state())
            display.draw_screen((100, 30), view.render((100, 30), True))
        finally:
            display.stop()
        term.wait_for("elapsed")
    finally:
        term.close()
    hidden, colours = [], {"fg": "39", "bg": "49"}
    for part in re.split(rb"(\x1b\[[0-9;]*m)", bytes(term.output)):
        if part.startswith(b"\x1b["):
            for code in part[2:-1].decode().split(";") or ["0"]:
                if code in ("", "0"):
                    colours = {"fg": "39", "bg": "49"}
                elif code in ("39", *map(str, [*range(30, 38), *range(90, 98)])):
                    colours["fg"] = code
                elif code in ("49", *map(str, [*range(40, 48), *range(100, 108)])):
                    colours["bg"] = code
        elif colours["bg"] == "49" and colours["fg"] in ("37", "97"):
            hidden.append(part.decode("utf-8", "replace"))
    assert not "".join(hidden).strip(), hidden


KILLED_NOTE = "trial 10 killed: time limit: ran 1.50 s, limit 1 s"


@pytest.mark.parametrize("width", [80, 100])
def test_the_latest_message_takes_the_room_it_needs_beside_the_progress_bar(width):
    """The message had half the line beside the bar, and its key number was cut
    (``…time limit: ran 1.50 s, limit 1…`` at 100 columns): the bar shrinks to make room."""
    state = search_state()
    state.apply(ev.Message(KILLED_NOTE))
    bottom = screen(DashboardView(state), (width, 24)).splitlines()[2]
    assert bottom.endswith(f" {KILLED_NOTE}"), bottom
    bar = bottom[: -len(KILLED_NOTE) - 1]
    assert "12/40 trials  30%" in bar and len(bar) == width - len(KILLED_NOTE) - 1, bottom


def test_a_long_message_leaves_the_progress_bar_its_least_width():
    from hypermax.ui.status import MIN_BAR_COLUMNS

    state = search_state()
    state.apply(ev.Message("x" * 200))
    bottom = screen(DashboardView(state), (80, 24)).splitlines()[2]
    assert re.fullmatch(r" +12/40 trials  30% +x+…", bottom), bottom
    assert bottom.index(" x") == MIN_BAR_COLUMNS, bottom


def test_without_a_message_the_progress_bar_takes_the_whole_line():
    state = DashboardState(FakeClock())
    state.apply(started(iterations=10))
    bottom = screen(DashboardView(state), (80, 24)).splitlines()[2]
    assert bottom.strip() == "0/10 trials  0%" and len(bottom) == 80
    assert bottom.index("0/10") in (32, 33), bottom  # centred on the whole line


def drawn_in_16_colours(view: DashboardView, cols: int, rows: int) -> bytes:
    """What the dashboard writes to a 16-colour terminal of ``cols`` by ``rows``."""
    term = Terminal(cols, rows)
    try:
        display = term.screen()
        display.set_terminal_properties(colors=16)
        display.register_palette(PALETTE)
        display.start()
        try:
            display.draw_screen((cols, rows), view.render((cols, rows), True))
        finally:
            display.stop()
        term.wait_for("elapsed")
    finally:
        term.close()
    return bytes(term.output)


def test_no_text_on_the_terminal_s_background_is_dark_gray(monkeypatch, tmp_path):
    """Borders, the chart's axis, dimmed text and the log tail were dark gray, which is the
    background of a dark theme (Solarized Dark's): all of it vanished there. Dimmed text is the
    terminal's own colour, faint; the borders are the terminal's own colour."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    log = tmp_path / "trial.log"
    log.write_text("epoch 1 of the log's tail\n")
    state = search_state()
    view = DashboardView(state, Actions(log_path=lambda trial_id: log))
    output = drawn_in_16_colours(view, 100, 30)
    view.open_trial(5)
    output += drawn_in_16_colours(view, 100, 30)
    hidden, faint, attrs = [], [], {"fg": "39", "bg": "49", "faint": False}
    for part in re.split(rb"(\x1b\[[0-9;]*m)", output):
        if part.startswith(b"\x1b["):
            codes = part[2:-1].decode().split(";")
            bold = "1" in codes
            for code in codes or ["0"]:
                if code in ("", "0"):
                    attrs = {"fg": "39", "bg": "49", "faint": False}
                elif code == "2":
                    attrs["faint"] = True
                elif code in ("39", *map(str, [*range(30, 38), *range(90, 98)])):
                    attrs["fg"] = "90" if code == "30" and bold else code
                elif code in ("49", *map(str, [*range(40, 48), *range(100, 108)])):
                    attrs["bg"] = code
        elif attrs["bg"] == "49" and attrs["fg"] in ("30", "90"):
            hidden.append(part.decode("utf-8", "replace"))
        elif attrs["faint"]:
            faint.append(part.decode("utf-8", "replace"))
    assert not "".join(hidden).strip(), hidden
    shown_faint = "".join(faint)
    assert "parallel 2" in shown_faint and "epoch 1 of the log's tail" in shown_faint
