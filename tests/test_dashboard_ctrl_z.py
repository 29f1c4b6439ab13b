"""Ctrl-Z under the dashboard stops the running trials with hypermax, and fg continues them,
as without it, and so does bg, the search going on without drawing until fg: the real command
in an interactive shell with job control, in a tmux terminal."""

from __future__ import annotations

import re
import shlex

import pytest
from fake_trials.helpers import (
    assert_none_alive,
    fake_search,
    finished,
    is_stopped,
    started,
    wait_until,
    write_spec,
)
from test_dashboard_e2e import TMUX, TmuxTerminal, hypermax_command

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed"),
    pytest.mark.timeout(90),
]


def test_ctrl_z_stops_the_trials_with_the_dashboard_and_fg_or_bg_continues_them(tmp_path, marker):
    go = tmp_path / "go"
    spec = write_spec(tmp_path, fake_search("wait_for_go", marker, "ctrlz", 2, go=go, parallel=2))
    results = tmp_path / "results" / "ctrlz"
    terminal = TmuxTerminal(tmp_path)
    try:
        terminal.start("bash --norc --noprofile -i", tmp_path)  # a shell with job control
        terminal.keys(f"{hypermax_command()} {shlex.quote(str(spec))}", "Enter")
        ups = [results / "trials" / str(i) / "up" for i in (1, 2)]
        wait_until(lambda: all(up.exists() for up in ups), 30, "both trials to start")
        # the watchdog has looked at both (their memory is shown): it knows what to stop
        terminal.wait_for(lambda s: len(re.findall(r"#[12] .* MiB", s)) == 2, "both trials' memory")
        trials = [int(up.read_text()) for up in ups]
        terminal.keys("C-z")
        terminal.wait_for(lambda s: "Stopped" in s, "the shell to say hypermax stopped")
        wait_until(lambda: all(is_stopped(pid) for pid in trials), 5, "the trials to stop")
        terminal.keys("fg", "Enter")
        wait_until(lambda: not any(is_stopped(pid) for pid in trials), 10, "the trials to go on")
        terminal.wait_for(lambda s: "continued 2 trials" in s, "the dashboard back")
        terminal.keys("C-z")
        terminal.wait_for(lambda s: s.count("Stopped") == 2, "hypermax stopped again")
        terminal.keys("bg", "Enter")
        wait_until(lambda: not any(is_stopped(pid) for pid in trials), 10, "the trials to go on")
        terminal.keys("fg", "Enter")  # drawn again
        terminal.wait_for(lambda s: "continued 2 trials" in s, "the dashboard back")
        terminal.keys("C-z")
        terminal.wait_for(lambda s: s.count("Stopped") == 3, "hypermax stopped once more")
        terminal.keys("bg", "Enter")
        # in the background the search goes on, its trials watched and journaled as they end
        # (taking the terminal from there, the dashboard stopped hypermax again: SIGTTOU), and
        # its end, which nobody reads there, ends hypermax
        go.write_text("")
        terminal.keys(f"wait $!; echo $? > {shlex.quote(str(terminal.exit_file))}", "Enter")
        assert terminal.exit_code() == 0
        assert "2 trials done" in terminal.screen()
    finally:
        terminal.close()
    assert [record["state"] for record in finished(results).values()] == ["ok", "ok"]
    assert sorted(started(results)) == [1, 2]
    assert_none_alive(marker)
