"""A full disk ends a search with one line; nothing written before is damaged; it resumes.

On a real, small filesystem where the test can make one (a tmpfs, as root), and by injecting the
error into the journal's and the views' writers where it cannot.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import DISK_MIB, finished_records, journal_records, model_spec, run_cli
from fake_trials.helpers import wait_until
from test_driver import FakeOptimizer, FakeRunner, make_spec

from hypermax import driver as driver_module
from hypermax import export
from hypermax.driver import Driver
from hypermax.errors import DiskFull
from hypermax.execution.output import LogSink
from hypermax.journal import Journal
from hypermax.journal_records import read_records
from hypermax.journal_replay import replay
from hypermax.results import ResultsFolder
from hypermax.space import Space
from hypermax.trial import TrialState

#: a trial that fills the disk the first time trial 3 runs, then returns a loss as usual
FILLING = """
import os

def train(params):
    if os.environ["HYPERMAX_TRIAL_ID"] == "3" and not os.path.exists(os.environ["FILLED"]):
        open(os.environ["FILLED"], "w").close()
        with open(os.environ["FILLER"], "wb") as f:
            try:
                while True:
                    f.write(b"x" * 65536)
                    f.flush()
            except OSError:
                pass
    print("trial output " * 100)
    return params["x"]
"""

TRAIN = "def train(params):\n    return params['x']\n"

MESSAGE = re.compile(
    r"hypermax: no space left on device in (?P<folder>\S+) \((?P<free>[0-9.]+ (bytes|KiB|MiB)) "
    r"free there\); free some space, then run the same command again to resume"
)


@pytest.mark.parametrize("preload", [False, True])
def test_a_full_disk_ends_the_search_in_one_line_and_it_resumes(
    small_disk: Path, tmp_path: Path, preload: bool
) -> None:
    filler = small_disk / "filler.bin"
    env = {"FILLER": str(filler), "FILLED": str(tmp_path / "filled")}
    spec = model_spec(
        tmp_path,
        FILLING,
        {"name": "full", "iterations": 8, "seed": 4},
        function={"env": env, "preload": preload},
        results={"directory": str(small_disk / "results")},
    )
    folder = small_disk / "results" / "full"

    first = run_cli(str(spec), "--no-ui", cwd=tmp_path)
    assert first.returncode == 1
    last = first.stderr.splitlines()[-1]
    assert MESSAGE.fullmatch(last), first.stderr
    assert MESSAGE.fullmatch(last)["folder"] == str(folder)
    assert "Traceback" not in first.stderr and "unexpected error" not in first.stderr
    journal_before = folder.joinpath("trials.jsonl").read_bytes()
    records = read_records(folder / "trials.jsonl")  # whole records only: no torn line
    assert journal_before.endswith(b"\n")
    assert len(records) == len(journal_before.splitlines())
    done_before = [
        r for r in records if r["event"] == "trial_finished" and r["state"] != "interrupted"
    ]
    assert len(done_before) < 8
    assert not [p.name for p in folder.rglob(".*.tmp*")]  # no temporary file left behind

    filler.unlink()  # space freed
    second = run_cli(str(spec), "--no-ui", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    journal_after = folder.joinpath("trials.jsonl").read_bytes()
    assert journal_after.startswith(journal_before)  # nothing written before was touched
    states = [r["state"] for r in finished_records(folder).values()]
    counted = [s for s in states if s != "interrupted"]
    assert counted == ["ok"] * 8
    third = [r for r in journal_records(folder) if r.get("id") == 3]
    reasons = [r.get("reason") for r in third if r["event"] == "trial_finished"]
    if preload:  # trial 3 filled the disk, and sent its small result on its socket all the same
        assert reasons == [None], reasons
    else:  # it could not write its result file: it ran again
        assert reasons[0] == "no space left on device for its result", reasons
    started = {r["id"] for r in journal_records(folder) if r["event"] == "trial_started"}
    assert started == set(finished_records(folder))


def test_a_trial_log_that_cannot_be_written_is_dropped_with_a_note(small_disk: Path) -> None:
    with open(small_disk / "filler.bin", "wb") as f:  # leave 64 KiB
        f.write(b"x" * (DISK_MIB * 1024 * 1024 - 64 * 1024))
    path = small_disk / "trial_1.log"
    sink = LogSink(path)
    for _ in range(16):
        sink.write(b"y" * 32 * 1024)  # 512 KiB of output into 64 KiB of room
    sink.close()
    text = path.read_text()
    assert text.startswith("[hypermax: log dropped: No space left on device]\n")
    assert "yyyy" not in text
    assert "524288 more bytes of output dropped" in text


def test_leftover_temporary_files_are_removed_on_the_next_start(tmp_path: Path) -> None:
    folder = tmp_path / "results" / "again"
    (folder / "logs").mkdir(parents=True)
    leftovers = [
        folder / ".results.csv.tmp",
        folder / ".best.json.tmp1234",
        folder / "logs" / ".trial_2.log.tmp99",
    ]
    for path in leftovers:
        path.write_text("")
    keep = folder / "notes.tmp"
    keep.write_text("the user's")
    (folder / "trials.jsonl").write_text("")  # the search's folder: no other search starts here
    model_spec(
        tmp_path, "def train(params):\n    return params['x']\n", {"name": "again", "iterations": 1}
    )
    proc = run_cli("search.json", "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not any(path.exists() for path in leftovers)
    assert keep.read_text() == "the user's"


# -- the error injected into the writers ------------------------------------------------------
class FillingJournal(Journal):
    """A real journal file whose ``fail_at``-th append finds the disk full half-way through."""

    def __init__(self, path: Path, fail_at: int) -> None:
        super().__init__(path)
        self.appends = 0
        self.fail_at = fail_at
        self.whole_lines = 0  # lines of the writes that went through

    def _write(self, data: bytes) -> None:
        self.appends += 1
        if self.appends >= self.fail_at:
            super()._write(data[: len(data) // 2])  # a part of the records reached the disk
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        super()._write(data)
        self.whole_lines += data.count(b"\n")


def _driver(
    tmp_path: Path,
    journal_of: Any,
    iterations: int = 6,
    parallel: int = 2,
    runner: FakeRunner | None = None,
) -> tuple[Driver, Journal]:
    spec = make_spec(tmp_path, iterations=iterations, parallel=parallel)
    folder = ResultsFolder(spec.results_folder)
    folder.create()
    history = replay(read_records(folder.journal))
    journal = journal_of(folder.journal)
    space = Space.from_spec(spec)
    optimizer = FakeOptimizer(space)
    runner = runner or FakeRunner()
    return Driver(spec, space, optimizer, runner, journal, folder, history=history), journal


def test_a_journal_that_fills_the_disk_keeps_whole_records_and_resumes(tmp_path: Path) -> None:
    driver, journal = _driver(tmp_path, lambda path: FillingJournal(path, fail_at=5))
    with pytest.raises(DiskFull) as caught, journal:
        driver.run()
    folder = driver.folder.path
    assert str(caught.value).startswith(f"hypermax: no space left on device in {folder} (")
    data = (folder / "trials.jsonl").read_bytes()
    assert data.endswith(b"\n")
    records = read_records(folder / "trials.jsonl")
    # what the first four writes held, whole; the fifth, half-written, was cut away
    assert len(records) == len(data.splitlines()) == journal.whole_lines >= 4

    resumed, journal = _driver(tmp_path, Journal)
    with journal:
        outcome = resumed.run()
    assert outcome.done == 6
    assert (folder / "trials.jsonl").read_bytes().startswith(data)


def test_a_view_that_fills_the_disk_stops_the_running_trials_as_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[int] = []

    def write_views(folder: Path, trials: Any, *_: object) -> None:
        written.append(len(trials))
        if len(written) >= 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(export, "write_views", write_views)
    monkeypatch.setattr(driver_module, "VIEWS_SECONDS", 0.0)  # a views write every turn
    # the views are written in their own thread: each poll waits for the last write to end
    views_caught_up = FakeRunner(lambda _: wait_until(driver._writes.views.idle, 10, "the views"))
    driver, journal = _driver(tmp_path, Journal, iterations=6, parallel=3, runner=views_caught_up)
    with pytest.raises(DiskFull), journal:
        driver.run()
    finished = {
        r["id"]: r["state"]
        for r in read_records(driver.folder.journal)
        if r["event"] == "trial_finished"
    }
    # trials ended before the second views write failed; the ones running when the search
    # saw it (those the same turn started included) were stopped and recorded as interrupted,
    # and run again on resume
    assert len(written) >= 2
    assert sorted(finished.values()).count("interrupted") >= 1
    assert all(state in ("ok", TrialState.INTERRUPTED.value) for state in finished.values())
    assert list(finished.values()).count("ok") < 6
