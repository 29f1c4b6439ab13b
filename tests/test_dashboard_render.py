"""The dashboard drawn from a state without a terminal: ``widget.render((cols, rows)).text``."""

from __future__ import annotations

import gc
import re
from pathlib import Path

import pytest
from test_dashboard_state import FakeClock, run_trial, started, trial

from hypermax import events as ev
from hypermax.trial import LiveStats, Report, TrialState
from hypermax.ui.chart import KILLED, NO_LOSS, POINT, draw_chart, render_chart, wants_log_scale
from hypermax.ui.formatting import format_duration, short_names
from hypermax.ui.guard import Guard
from hypermax.ui.state import DashboardState
from hypermax.ui.trials import read_log_tail
from hypermax.ui.view import Actions, DashboardView

SIZES = [(80, 24), (160, 50)]


def screen(widget, size: tuple[int, int]) -> str:
    canvas = widget.render(size, focus=True)
    lines = [line.decode("utf-8") for line in canvas.text]
    assert len(lines) == size[1]
    return "\n".join(lines)


def search_state() -> DashboardState:
    """12 of 40 trials done (one failed, one killed), trials 13 and 14 running."""
    clock = FakeClock()
    state = DashboardState(clock)
    state.apply(started(name="tuning", iterations=40, parallel=2))
    losses = [0.9, 0.5, None, 0.7, 0.031415, 0.6, 0.8, 0.45, 3.0, 0.66, 0.55, 0.72]
    for i, loss in enumerate(losses, start=1):
        status = TrialState.FAILED if loss is None else TrialState.OK
        if loss == 3.0:
            status = TrialState.KILLED
        params = {"opt": {"lr": 0.001 * i, "name": ["adam", "sgd"][i % 2]}, "layers": i % 4}
        run_trial(state, i, loss, status, params=params, reason="boom" if loss is None else None)
        clock.now += 5
    state.apply(ev.TrialStarted(trial(13, {"opt": {"lr": 0.2, "name": "sgd"}, "layers": 1})))
    state.apply(ev.TrialStarted(trial(14, {"opt": {"lr": 0.005, "name": "sgd"}, "layers": 1})))
    state.apply(ev.LiveUpdate({13: LiveStats(13, 4.0, 321.0, 99.0, 1)}))
    state.apply(ev.TrialReported(Report(13, 2, {"loss": 0.777})))
    return state


@pytest.mark.parametrize("size", SIZES)
def test_the_dashboard_shows_progress_best_and_running_trials(size):
    text = screen(DashboardView(search_state()), size)
    assert "tuning" in text and "tpe" in text
    assert "12/40 done" in text
    assert "2 running" in text and "1 failed" in text and "1 killed" in text
    assert "best 0.031415 (trial 5)" in text
    assert "#13" in text and "#14" in text
    assert "321 MiB" in text and "CPU 99%" in text
    assert "12/40 trials" in text  # the progress bar
    assert "elapsed 1m00s" in text
    assert "q quit" in text and "p pause" in text and "? help" in text


@pytest.mark.parametrize("size", SIZES)
def test_panels_show_the_best_params_the_ranking_and_the_table(size):
    text = screen(DashboardView(search_state()), size)
    assert "best trial (5)" in text
    assert "params vs loss" in text
    assert "trials (14) by loss" in text
    table_rows = [line for line in text.splitlines() if "0.031415" in line and " ok " in line]
    assert table_rows, "the best trial heads the table sorted by loss"
    assert "loss of 12 trials" in text  # the failed one is marked on the axis


def test_the_wide_layout_shows_more_than_the_narrow_one():
    state = search_state()
    narrow = screen(DashboardView(state), (80, 24))
    wide = screen(DashboardView(state), (160, 50))
    assert "step 2 loss=0.777" in wide
    assert "opt.name" in wide  # best params panel lists every param with its full name
    assert wide.count("\n") > narrow.count("\n")
    # two columns side by side at 160, one stack at 80
    assert any(line.count("┐") >= 2 for line in wide.splitlines()[3:5])


def test_the_view_follows_a_resize_and_keeps_the_focused_panel():
    view = DashboardView(search_state())
    screen(view, (160, 50))
    view.keypress((160, 50), "tab")
    assert view.layout.focused_panel() == "running"
    screen(view, (80, 24))
    assert view.layout.focused_panel() == "running"
    view.keypress((80, 24), "tab")
    assert view.layout.focused_panel() == "best"
    view.keypress((80, 24), "shift tab")
    view.keypress((80, 24), "shift tab")
    assert view.layout.focused_panel() == "trials"


@pytest.mark.parametrize("small", [(1, 1), (80, 1), (2, 1)])
def test_the_dashboard_goes_on_drawing_after_the_terminal_was_a_line_high(small):
    """A terminal made one line high, then large again, left the dashboard standing still: the
    clock, the counts and the keys' effects no longer showed until the next resize."""
    top = Guard(DashboardView(search_state()))
    # the terminal's screen keeps the canvas it drew last, until it draws the next
    drawn = top.render((80, 24), focus=True)
    drawn = top.render(small, focus=True)
    gc.collect()  # what was drawn at the small size goes, as it does in a running search
    drawn = top.render((80, 24), focus=True)
    gc.collect()
    top.view.set_note("a note after the resize")
    top.view.refresh()
    drawn = top.render((80, 24), focus=True)
    assert "a note after the resize" in b"\n".join(drawn.text).decode()


def test_search_ended_says_how_to_leave_and_q_leaves_without_asking():
    state = search_state()
    left = []
    view = DashboardView(state, Actions(leave=lambda: left.append(True)))
    state.apply(ev.SearchFinished(state.best, 12, "iterations done"))
    view.refresh()
    text = screen(view, (80, 24))
    assert "search ended (iterations done)" in text
    assert "press q to leave" in text and "q leave" in text
    view.keypress((80, 24), "q")
    assert left == [True]


def test_q_asks_for_confirmation_and_y_quits():
    quits, requests = [], []
    view = DashboardView(
        search_state(), Actions(request=requests.append, quit=lambda: quits.append(1))
    )
    view.keypress((80, 24), "q")
    assert "Quit the search now?" in screen(view, (80, 24))
    view.keypress((80, 24), "n")
    assert "Quit the search now?" not in screen(view, (80, 24))
    assert quits == []
    view.keypress((80, 24), "q")
    view.keypress((80, 24), "y")
    assert quits == [1]
    text = screen(view, (80, 24))
    assert "stopping" in text
    view.keypress((80, 24), "ctrl c")
    assert quits == [1, 1]  # asked again: the trials still stopping are killed at once
    assert "killing running trials now" in screen(view, (80, 24))
    view.keypress((80, 24), "ctrl c")
    assert quits == [1, 1]  # a third time asks nothing more


def test_keys_pause_export_and_help():
    requests: list[str] = []
    view = DashboardView(search_state(), Actions(request=requests.append))
    view.keypress((80, 24), "p")
    view.keypress((80, 24), "e")
    assert requests == ["toggle_pause", "export"]
    view.keypress((80, 24), "?")
    assert "pause / resume" in screen(view, (80, 24))
    view.keypress((80, 24), "x")
    assert "pause / resume" not in screen(view, (80, 24))


def test_paused_and_messages_show_in_the_status_line():
    state = search_state()
    view = DashboardView(state)
    state.apply(ev.Paused(True))
    state.apply(ev.Message("exported /r/results.csv"))
    view.refresh()
    text = screen(view, (160, 50))
    assert "PAUSED" in text and "exported /r/results.csv" in text and "p resume" in text


def test_s_sorts_the_table_by_id_newest_first():
    view = DashboardView(search_state())
    view.keypress((160, 50), "s")
    text = screen(view, (160, 50))
    assert "trials (14) by id newest first" in text
    rows = [
        m.group(1)
        for m in re.finditer(r"^│\s+(\d+) +\S+ (?:ok|running|failed|killed) ", text, re.M)
    ]
    assert rows[:3] == ["14", "13", "12"]


def test_enter_opens_a_trial_with_params_metrics_terms_and_its_log(tmp_path: Path):
    state = DashboardState(FakeClock())
    state.apply(started())
    done = trial(
        1,
        {"opt": {"lr": 0.01}},
        TrialState.FAILED,
        None,
        reason="ValueError: bad lr",
        metrics={"auc": 0.91},
        loss_terms={"auc": 0.3, "time": 0.05},
    )
    state.apply(ev.TrialStarted(trial(1, {"opt": {"lr": 0.01}})))
    state.apply(ev.TrialFinished(done, None, 1))
    log = tmp_path / "trial_1.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)) + "Traceback: ValueError\n")
    view = DashboardView(state, Actions(log_path=lambda trial_id: log))
    view.refresh()
    view.keypress((160, 50), "enter")
    text = screen(view, (160, 50))
    assert "trial 1" in text and "failed" in text
    assert "ValueError: bad lr" in text
    assert "opt.lr" in text and "auc" in text and "loss terms" in text
    view.keypress((160, 50), "end")
    text = screen(view, (160, 50))
    assert "Traceback: ValueError" in text and "line 99" in text
    assert "line 10\n" not in text  # only the tail
    view.keypress((160, 50), "esc")
    assert "loss terms" not in screen(view, (160, 50))


def test_a_state_before_the_search_started_renders():
    text = screen(DashboardView(DashboardState(FakeClock())), (80, 24))
    assert "waiting for the first trial" in text
    assert "0/0 done" in text


def test_chart_has_the_requested_size_and_marks_failed_and_killed_trials():
    points = [(1.0, "ok"), (None, "failed"), (0.5, "ok"), (2.0, "killed"), (0.2, "ok")]
    best = [1.0, 1.0, 0.5, 0.5, 0.2]
    lines = render_chart(points, best, 40, 10, False)
    assert len(lines) == 10 and all(len(line) == 40 for line in lines)
    assert NO_LOSS in lines[-1]  # the failed trial is marked on the x axis
    # the killed trial's loss (a penalty) is off the measured scale: pinned to the top edge
    assert KILLED in lines[0]
    assert lines[0].lstrip().startswith("1┤")
    assert lines[-2].lstrip().startswith("0.2┤")
    assert POINT in lines[-2]


def test_chart_best_line_only_goes_down():
    points = [(5.0, "ok"), (4.0, "ok"), (6.0, "ok"), (1.0, "ok"), (3.0, "ok")]
    chart = draw_chart(points, [5.0, 4.0, 4.0, 1.0, 1.0], 60, 12, False)
    plot = [line[chart.label_width :] for line in chart.lines[:-1]]
    rows_of_line = []
    for col in range(len(plot[0])):
        rows = [r for r in range(len(plot)) if plot[r][col] in "─╰"]
        if rows:
            rows_of_line.append(max(rows))
    assert rows_of_line == sorted(rows_of_line)
    assert rows_of_line[-1] == len(plot) - 1  # ends at the best loss, the lowest row


def test_the_chart_s_title_says_log_scale_with_the_draw_that_is_logarithmic():
    """The title was set before the chart was drawn, from how the draw before it was scaled: the
    trial that made the scale logarithmic showed without the words, and, the last of a search,
    stayed so (the clock no longer redraws an ended search)."""
    state = DashboardState(FakeClock())
    state.apply(started(iterations=5))
    for trial_id, loss in enumerate([1.0, 2.0, 3.0, 1.5], start=1):
        run_trial(state, trial_id, loss)
    view = DashboardView(state)
    assert "log scale" not in screen(view, (80, 24)).splitlines()[3]
    run_trial(state, 5, 1e-5)
    state.apply(ev.SearchFinished(state.best, 5, "iterations done"))
    view.refresh()
    assert "loss of 5 trials, log scale" in screen(view, (80, 24)).splitlines()[3]


def test_chart_log_scale_spreads_decades():
    points = [(10.0**-k, "ok") for k in range(5)]
    best = [10.0**-k for k in range(5)]
    assert wants_log_scale([p for p, _ in points])
    assert not wants_log_scale([1.0, 2.0, -1.0])
    log_lines = render_chart(points, best, 50, 9, True)
    labels = [line.split("┤")[0].strip() for line in log_lines if "┤" in line]
    assert labels == ["1", "0.1", "0.01", "0.0001"]  # decades
    rows = [i for i, line in enumerate(log_lines) if POINT in line]
    assert len(rows) == 5  # one row per decade; a linear scale would crowd four at the bottom
    linear = render_chart(points, best, 50, 9, False)
    assert sum(1 for line in linear if POINT in line) < 5


def test_chart_handles_no_losses_and_tiny_sizes():
    assert any("waiting" in line for line in render_chart([], [], 40, 5, False))
    assert any(
        "no finished" in line for line in render_chart([(None, "failed")], [None], 40, 5, False)
    )
    assert [len(line) for line in render_chart([(1.0, "ok")], [1.0], 5, 2, False)] == [5, 5]
    one = render_chart([(1.0, "ok")], [1.0], 30, 4, False)
    assert sum(line.count(POINT) for line in one) == 1


@pytest.mark.parametrize("losses", [[1.0001, 1.0004], [100.01, 100.02], [0.123456789, 0.12345679]])
def test_the_chart_s_axis_labels_of_losses_close_together_tell_them_apart(losses):
    """Losses from 1.0001 to 1.0004 had every label of the axis read ``1``."""
    points = [(loss, "ok") for loss in losses]
    lines = render_chart(points, [min(losses[: i + 1]) for i in range(len(losses))], 50, 9, False)
    labels = [line.split("┤")[0].strip() for line in lines if "┤" in line]
    assert len(labels) > 2 and len(set(labels)) == len(labels), lines
    assert float(labels[0]) == max(losses) and float(labels[-1]) == min(losses), lines


def test_chart_squeezes_more_trials_than_columns():
    points = [(float(i % 7) + 1, "ok") for i in range(500)]
    best = [1.0] * 500
    lines = render_chart(points, best, 40, 8, False)
    assert all(len(line) == 40 for line in lines)


def test_format_helpers():
    assert [format_duration(s) for s in (5, 65, 3725, None)] == ["5s", "1m05s", "1h02m", "-"]
    assert short_names(["opt.lr", "opt.name", "model.name", "layers"]) == {
        "opt.lr": "lr",
        "opt.name": "opt.name",
        "model.name": "model.name",
        "layers": "layers",
    }


def test_read_log_tail(tmp_path: Path):
    path = tmp_path / "log"
    path.write_text("a\nb\nc\n")
    assert read_log_tail(path, 2) == ["b", "c"]
    assert "cannot read" in read_log_tail(tmp_path / "missing")[0]
    assert read_log_tail(None) == ["(no log for this trial)"]


def test_a_narrow_terminal_keeps_the_losses_of_the_table_whole():
    text = screen(DashboardView(search_state()), (45, 30))
    rows = [line for line in text.splitlines() if re.search(r"│\s+5 ", line)]
    assert rows and "0.031415" in rows[0], text  # the table's row of trial 5, loss whole


def test_a_table_row_wider_than_the_table_ends_in_a_mark_where_it_is_cut():
    """The params of a row too long for the table were clipped at its edge without a mark, in
    the middle of a number (``layers=1`` of ``layers=145``) at any width but the narrowest."""
    clock = FakeClock()
    state = DashboardState(clock)
    state.apply(started())
    params = {"a_very_long_parameter_name_for_the_learning_rate": 0.000123, "layers": 145}
    run_trial(state, 1, 0.5, TrialState.OK, params=params)
    for size in [(80, 24), (160, 50)]:
        text = screen(DashboardView(state), size)
        rows = [line for line in text.splitlines() if re.search(r"│\s+1\s+0\.5 ", line)]
        assert rows, text
        row = rows[0].split("│")[1]  # the table's cell of the row
        assert "layers=145" in row or row.endswith("…"), text


def test_a_running_trials_window_shows_how_long_it_has_run():
    clock = FakeClock()
    state = DashboardState(clock)
    state.apply(started())
    state.apply(ev.TrialStarted(trial(1, {"x": 1})))
    clock.now += 7
    view = DashboardView(state)
    view.refresh()
    view.keypress((160, 50), "enter")
    assert "time 7.0s" in screen(view, (160, 50))


def test_an_open_trial_stops_saying_best_so_far_once_another_is_better():
    """The window of the best trial said "(best so far)" until it was closed, whatever
    trials finished better meanwhile."""
    clock = FakeClock()
    state = DashboardState(clock)
    state.apply(started())
    run_trial(state, 1, 0.5, TrialState.OK, params={"x": 1})
    view = DashboardView(state)
    view.open_trial(1)
    assert "trial 1  ok  (best so far)" in screen(view, (80, 24))
    run_trial(state, 2, 0.1, TrialState.OK, params={"x": 2})
    view.refresh()
    window = screen(view, (80, 24))
    assert "trial 1  ok" in window and "best so far" not in window, window


def test_a_running_trials_window_shows_its_memory_and_cpu_as_the_running_panel_does():
    """The window said ``cpu -   peak RSS -`` of a running trial whose memory and CPU the
    running panel beside it showed."""
    clock = FakeClock()
    state = DashboardState(clock)
    state.apply(started())
    state.apply(ev.TrialStarted(trial(1, {"x": 1})))
    state.apply(ev.LiveUpdate({1: LiveStats(1, 4.0, 321.0, 99.0, 1)}))
    view = DashboardView(state)
    view.refresh()
    view.keypress((160, 50), "enter")
    window = screen(view, (160, 50))
    assert "memory 321 MiB   CPU 99%" in window and "peak RSS -" not in window, window


@pytest.mark.parametrize("size", [5, 300])
def test_the_trials_table_is_sorted_again_only_when_its_trials_or_their_order_change(size):
    history = tuple(trial(i, state=TrialState.OK, loss=1.0 / i) for i in range(1, size + 1))
    state = DashboardState(FakeClock())
    state.apply(started(iterations=size + 10, history=history, resumed=True))
    view = DashboardView(state)
    sorts: list[str] = []
    sort = state.trials
    state.trials = lambda *how: sorts.append(how[0]) or sort(*how)  # type: ignore[method-assign]
    for _ in range(3):  # the clock's ticks, live stats: nothing the table shows
        state.apply(ev.LiveUpdate({}))
        view.refresh()
    assert sorts == []
    state.apply(ev.TrialStarted(trial(size + 1)))
    view.refresh()
    run_trial(state, size + 1, 0.0)
    view.refresh()
    view.trials.toggle_sort()
    view.refresh()
    view.refresh()
    assert sorts == ["loss", "loss", "id"]
    assert view.trials.walker.ids[:2] == [size + 1, size]  # newest first


def test_the_ranking_follows_the_trials_while_the_clock_runs_but_not_its_work():
    # on a busy machine (or while the search's thread held the interpreter) a ranking of a few
    # params took two seconds by the clock: the panel waited ten times as long for the next,
    # at "0 so far" while trials finished; what counts is the CPU the ranking took
    clock, cpu = FakeClock(), FakeClock()
    state = DashboardState(clock)
    state.apply(started(name="tuning", iterations=40, parallel=1))
    ranked = state.param_ranking

    def descheduled_ranking(*args, **kwargs):
        clock.now += 2.0  # two seconds by the clock, none of this thread's CPU
        return ranked(*args, **kwargs)

    state.param_ranking = descheduled_ranking  # type: ignore[method-assign]
    view = DashboardView(state, ranking_clock=cpu)
    assert "needs 5 trials with a loss (0 so far)" in screen(view, (160, 50))
    shown = []
    for i in range(1, 9):
        run_trial(state, i, 1.0 / i, params={"x": float(i), "y": float(i % 3)})
        clock.now += 1.5
        view.refresh()
        title = re.search(r"params vs loss \(Spearman, (\d+) trials?\)", screen(view, (160, 50)))
        shown.append(int(title.group(1)) if title else None)
    assert shown == [1, 2, 3, 4, 5, 6, 7, 8], shown


def test_a_trial_the_watchdog_has_not_looked_at_yet_shows_no_memory_nor_cpu():
    state = search_state()
    seen, unseen = LiveStats(13, 4.0, 321.0, 99.0, 1), LiveStats(14, 0.1, 0.0, 0.0, 0)
    state.apply(ev.LiveUpdate({13: seen, 14: unseen}))  # no process of 14 seen yet
    text = screen(DashboardView(state), (160, 50))
    line = next(line for line in text.splitlines() if "#14" in line)
    assert "MiB" not in line and "CPU" not in line, line
    assert "321 MiB" in text and "CPU 99%" in text  # trial 13's, which it has seen
