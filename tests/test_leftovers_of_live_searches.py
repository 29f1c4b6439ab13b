"""The leftovers a hypermax kills as it starts in a results folder are those of a crashed
search, not the live trials of another hypermax whose folder was moved aside from that path
while it ran (their ``HYPERMAX_TRIAL_DIR`` still names it)."""

from __future__ import annotations

import signal

from fake_trials.helpers import (
    assert_none_alive,
    fake_search,
    finished,
    start_hypermax,
    wait_until,
    write_spec,
)

from hypermax.execution import leftovers
from hypermax.results import ResultsFolder


def test_the_live_trials_of_a_search_whose_folder_was_moved_aside_are_no_leftovers(
    tmp_path, marker
):
    go = tmp_path / "go"
    spec = write_spec(tmp_path, fake_search("wait_for_go", marker, "s", 1, go=go))
    results = tmp_path / "results" / "s"
    process = start_hypermax(spec)
    try:
        up = results / "trials" / "1" / "up"
        wait_until(up.exists, 30, "the first trial to start")
        # held (as Ctrl-Z holds it) while its folder moves aside: it does not make it again,
        # and another hypermax takes the path
        process.send_signal(signal.SIGSTOP)
        moved = results.rename(results.with_name("s.moved"))
        other = ResultsFolder(results)
        other.lock()
        try:
            # it was [trial]: killed, and recorded failed by SIGTERM by its own search
            assert leftovers.kill_leftover_trials([], results / "trials") == []
        finally:
            other.unlock()
        assert leftovers.kill_leftover_trials([], results / "trials") == []  # not locked
        process.send_signal(signal.SIGCONT)
        go.write_text("")
        process.communicate(timeout=30)
    finally:
        process.send_signal(signal.SIGCONT)
        process.kill()
        process.communicate()
    journaled = [r["state"] for r in finished(moved).values()] + [
        r["state"] for r in finished(results).values()
    ]
    assert journaled == ["ok"]
    assert_none_alive(marker)
