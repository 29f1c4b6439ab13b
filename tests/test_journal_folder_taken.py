"""A search whose results folder was moved aside while it ran, and whose path another hypermax
then took for a search of its own, keeps its journal to itself: it never appends to the journal
of the other search."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys

from hypermax.journal import Journal
from hypermax.journal_records import read_records
from hypermax.results import ResultsFolder

#: starts a search of its own in the results folder it is given, as a hypermax does (its lock,
#: then its journal's header), says so, and holds the folder until its stdin closes
_OTHER = (
    "import json, sys, pathlib\n"
    "from hypermax.results import ResultsFolder\n"
    "folder = ResultsFolder(pathlib.Path(sys.argv[1]))\n"
    "folder.lock()\n"
    "folder.journal.write_text(json.dumps({'event': 'header', 'format': 1, 'name': 'b'}) + '\\n')\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)

HEADER = {"event": "header", "format": 1, "name": "a"}
STARTED = {"event": "trial_started", "id": 1, "params": {"x": 1}, "internal": {"x": 1}}


def test_a_search_never_appends_to_the_journal_of_another_in_its_folder_made_again(
    tmp_path, caplog
):
    """The search took the other's journal for its own, edited, and appended its records to it:
    one journal, two searches' trials."""
    path = tmp_path / "s"
    folder = ResultsFolder(path)
    folder.lock()
    journal = Journal(folder.journal, lambda: folder.lock_again({}, tmp_path / "spec.json"))
    journal.append(HEADER)
    os.rename(path, tmp_path / "old")  # moved aside while the search runs
    other = subprocess.Popen(
        [sys.executable, "-c", _OTHER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None and other.stdout.readline() == "held\n"
        with caplog.at_level(logging.WARNING, logger="hypermax"):
            journal.append(STARTED)
        theirs = [
            r["name"] if r["event"] == "header" else r["id"]
            for r in read_records(path / "trials.jsonl")
        ]
        assert theirs == ["b"]
    finally:
        other.communicate()
        journal.close()
        folder.unlock()
    ours = [r["event"] for r in read_records(tmp_path / "old" / "trials.jsonl")]
    assert ours == ["header", "trial_started"]  # where this search goes on appending
    said = f"in use by another hypermax (pid {other.pid} on {socket.gethostname()})"
    assert said in caplog.text
    assert json.loads((path / "trials.jsonl").read_text())["name"] == "b"


def test_a_search_whose_folder_another_hypermax_took_stops_saying_where_its_trials_are(
    tmp_path, marker
):
    """It went on, writing its views, logs and trials in the other search's folder (once a
    trial ended: it noticed only as it journaled a record)."""
    from fake_trials.helpers import (
        assert_none_alive,
        fake_search,
        is_stopped,
        start_hypermax,
        wait_until,
        write_spec,
    )

    go = tmp_path / "go"
    spec = write_spec(tmp_path, fake_search("wait_for_go", marker, "taken", 1, go=go))
    path, old = tmp_path / "results" / "taken", tmp_path / "old"
    hypermax = start_hypermax(spec)
    other = None
    try:
        up = path / "trials" / "1" / "up"
        wait_until(up.exists, 30, "the trial running")  # it left that file
        # stopped, the search cannot make its folder again before the other takes the path
        os.kill(hypermax.pid, signal.SIGSTOP)
        wait_until(lambda: is_stopped(hypermax.pid), 30, "the search stopped")
        os.rename(path, old)  # moved aside while the search runs
        other = subprocess.Popen(
            [sys.executable, "-c", _OTHER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert other.stdout is not None and other.stdout.readline() == "held\n"
        os.kill(hypermax.pid, signal.SIGCONT)  # it finds its folder taken, and stops
        _, err = hypermax.communicate(timeout=60)
    finally:
        go.touch()
        if hypermax.poll() is None:
            os.kill(hypermax.pid, signal.SIGCONT)
            hypermax.kill()
            hypermax.communicate()
        if other is not None:
            other.communicate()
    assert hypermax.returncode == 2
    holder = f"pid {other.pid} on {socket.gethostname()}"
    assert err.splitlines()[-1] == (
        f"{path}: in use by another hypermax ({holder}), which made the folder again after this"
        f" search's was moved aside or deleted while it ran: this search stopped; its trials are"
        f" in {old} (hypermax resume {old} goes on)"
    )
    assert [r["event"] for r in read_records(path / "trials.jsonl")] == ["header"]
    assert not (path / "results.csv").exists() and not (path / "best.json").exists()
    ours = {r["event"]: r for r in read_records(old / "trials.jsonl")}
    assert ours["trial_finished"]["state"] == "interrupted"  # it runs again on resume
    # its warnings go to its own log, not to the other search's
    assert not (path / "logs" / "hypermax.log").exists()
    assert "while the search ran; cannot write it" in (old / "logs" / "hypermax.log").read_text()
    assert_none_alive(marker)


def test_a_folder_moved_aside_is_made_again_at_once_not_at_the_next_record(tmp_path, marker):
    """It was made again only when a trial next started or ended (minutes, with long trials):
    meanwhile another hypermax started there took it, and killed this search's trials as
    leftovers in its folder."""
    from conftest import run_cli_here
    from fake_trials.helpers import (
        assert_none_alive,
        fake_search,
        start_hypermax,
        wait_until,
        write_spec,
    )

    go = tmp_path / "go"
    spec = write_spec(tmp_path, fake_search("wait_for_go", marker, "moved", 1, go=go))
    path, old = tmp_path / "results" / "moved", tmp_path / "old"
    hypermax = start_hypermax(spec)
    try:
        wait_until((path / "trials" / "1" / "up").exists, 30, "the trial running")
        os.rename(path, old)  # moved aside while the trial runs
        wait_until((path / "trials.jsonl").exists, 10, "the folder made again")
        second = run_cli_here("resume", str(path), cwd=tmp_path)
        held = f"in use by another hypermax (pid {hypermax.pid} on {socket.gethostname()})"
        assert second.returncode == 2 and held in second.stderr, second.stderr
        go.touch()
        assert hypermax.wait(timeout=60) == 0
    finally:
        go.touch()
        if hypermax.poll() is None:
            hypermax.kill()
        hypermax.communicate()
    ended = [r for r in read_records(path / "trials.jsonl") if r["event"] == "trial_finished"]
    assert [(r["id"], r["loss"]) for r in ended] == [(1, 0.5)]
    assert_none_alive(marker)
