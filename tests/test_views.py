"""results.csv and best.json, rewritten in the view writer's thread or at once."""

from __future__ import annotations

import errno
import gc
import json
import os
import threading
import tracemalloc
from pathlib import Path

import pytest
from fake_trials.helpers import wait_until

from hypermax import views
from hypermax.trial import Trial, TrialState
from hypermax.views import ViewWriter


def trial(trial_id: int, loss: float) -> Trial:
    return Trial(id=trial_id, params={"x": trial_id}, internal={}, state=TrialState.OK, loss=loss)


def best_id(folder: Path) -> int:
    return int(json.loads((folder / "best.json").read_text())["trial"])


def test_flush_writes_the_views_at_once(tmp_path):
    writer = ViewWriter(tmp_path)
    writer.flush([trial(1, 0.5), trial(2, 0.25)])
    assert best_id(tmp_path) == 2
    assert len((tmp_path / "results.csv").read_text().splitlines()) == 3  # header + 2 trials


def test_submitted_trials_are_written_in_the_writers_thread_latest_last(tmp_path, monkeypatch):
    threads: list[str] = []
    writing, release = threading.Event(), threading.Event()
    real = views.export.write_views

    def write(folder: Path, trials: list[Trial], *_: object) -> None:
        threads.append(threading.current_thread().name)
        writing.set()
        release.wait(10)  # hold the first write: the next submits wait behind it
        real(folder, trials)

    monkeypatch.setattr(views.export, "write_views", write)
    writer = ViewWriter(tmp_path)
    writer.submit([trial(1, 0.5)])
    assert writing.wait(10)
    writer.submit([trial(1, 0.5), trial(2, 0.4)])
    writer.submit([trial(1, 0.5), trial(2, 0.4), trial(3, 0.1)])  # replaces the one waiting
    assert not writer.idle()
    release.set()
    writer.flush([trial(1, 0.5), trial(2, 0.4), trial(3, 0.1), trial(4, 0.05)])
    assert best_id(tmp_path) == 4  # the flush came last and won
    assert writer.idle()
    assert threads[0] == "hypermax-views" and threads[-1] == threading.current_thread().name
    assert len(threads) <= 3  # the first submit, at most the latest one waiting, the flush
    writer.close()
    assert "hypermax-views" not in {t.name for t in threading.enumerate()}


def test_a_failed_write_is_logged_and_the_writer_goes_on(tmp_path, monkeypatch, caplog):
    failed = threading.Event()

    def write(folder: Path, trials: list[Trial], *_: object) -> None:
        if threading.current_thread().name == "hypermax-views":
            failed.set()
            raise OSError("disk full")
        (folder / "results.csv").write_text(f"{len(trials)} trials")

    monkeypatch.setattr(views.export, "write_views", write)
    writer = ViewWriter(tmp_path)
    writer.submit([trial(1, 0.5)])
    assert failed.wait(10)
    writer.flush([trial(1, 0.5), trial(2, 0.5)])
    writer.close()
    assert (tmp_path / "results.csv").read_text() == "2 trials"
    assert "cannot rewrite results.csv and best.json" in caplog.text
    assert "OSError: disk full" in caplog.text


def test_flushing_alone_starts_no_thread_and_close_is_harmless(tmp_path):
    writer = ViewWriter(tmp_path)
    writer.flush([trial(1, 0.5)])
    assert writer.idle()
    assert "hypermax-views" not in {t.name for t in threading.enumerate()}
    writer.close()
    writer.submit([trial(2, 0.1)])  # after close: dropped, no thread
    assert best_id(tmp_path) == 1
    assert "hypermax-views" not in {t.name for t in threading.enumerate()}


def test_a_full_disk_met_by_the_thread_is_raised_at_the_next_call(tmp_path, monkeypatch):
    failed = threading.Event()

    def write(folder: Path, trials: list[Trial], *_: object) -> None:
        failed.set()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(views.export, "write_views", write)
    writer = ViewWriter(tmp_path)
    writer.submit([trial(1, 0.5)])
    assert failed.wait(10)
    wait_until(writer.idle, 10, "the failed write to end")
    with pytest.raises(OSError) as caught:
        writer.submit([trial(2, 0.5)])
    assert caught.value.errno == errno.ENOSPC
    monkeypatch.undo()
    writer.flush([trial(3, 0.1)])  # raised once: the next write goes ahead
    writer.close()
    assert best_id(tmp_path) == 3


@pytest.mark.parametrize("size", [10, 200])
def test_a_rewrite_makes_only_the_rows_of_the_trials_that_ended_since_the_last(tmp_path, size):
    from hypermax.export import trials_csv

    writer = ViewWriter(tmp_path)
    trials = {i: trial(i, 1.0 / i) for i in range(1, size + 1)}
    writer.flush(list(trials.values()))
    assert writer._lines.rows_made == size
    trials[size + 1] = trial(size + 1, 0.5)
    writer.flush(list(trials.values()))
    assert writer._lines.rows_made == size + 1  # not each row again: a row once a trial
    assert (tmp_path / "results.csv").read_text() == trials_csv(trials.values())
    # a trial recorded again gets its row made again; one of a param none had (a new column)
    # makes every row again, in the columns a table made at once has
    trials[3] = Trial(3, {"x": 3}, {}, TrialState.FAILED, reason="recorded again")
    trials[size + 2] = Trial(size + 2, {"x": 0, "y": "b"}, {}, TrialState.OK, 0.1)
    writer.flush(list(trials.values()))
    assert writer._lines.rows_made == (size + 1) + 2 + size  # the 2 new ones, the others again
    assert (tmp_path / "results.csv").read_text() == trials_csv(trials.values())
    assert "3,failed,,,,3,,recorded again\n" in (tmp_path / "results.csv").read_text()
    writer.close()


def test_results_csv_lines_are_kept_in_the_file_not_in_memory(tmp_path):
    """A rewrite copies the lines of the trials written before from the file it wrote last:
    what is held for each trial is where its line is, not the line (nor a set of its params'
    names, the same for every trial)."""
    from hypermax.export import CsvLines

    params = {f"param_{i}": f"a value of its own, a text of some length {i}" for i in range(20)}
    trials = [Trial(i, dict(params), {}, TrialState.OK, loss=1.0 / i) for i in range(1, 1001)]
    tracemalloc.start()
    try:
        lines = CsvLines()
        views.export.write_views(tmp_path, trials[:-1], lines)
        views.export.write_views(tmp_path, trials, lines)
        gc.collect()  # and the free lists of small objects (tuples) it clears
        held = tracemalloc.get_traced_memory()[0]
        lines.close()
    finally:
        tracemalloc.stop()
    assert lines.rows_made == len(trials)
    assert held < (tmp_path / "results.csv").stat().st_size / 2


def test_results_csv_changed_or_removed_between_rewrites_is_written_whole(tmp_path):
    from hypermax.export import trials_csv

    writer = ViewWriter(tmp_path)
    trials = [trial(i, 1.0 / i) for i in range(1, 6)]
    writer.flush(trials)
    (tmp_path / "results.csv").unlink()  # by its name: the lines are still in the file written
    writer.flush([*trials, trial(6, 0.1)])
    assert (tmp_path / "results.csv").read_text() == trials_csv([*trials, trial(6, 0.1)])
    assert writer._lines.rows_made == 6
    with open(tmp_path / "results.csv", "r+") as table:  # changed in place: every line anew
        table.write("garbage")
    writer.flush([*trials, trial(6, 0.1)])
    assert (tmp_path / "results.csv").read_text() == trials_csv([*trials, trial(6, 0.1)])
    assert writer._lines.rows_made == 12
    writer.close()
