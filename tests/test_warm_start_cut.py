"""A warm start's import cut short (hypermax killed, or the machine off, while it wrote the
imported trials: the journal holds the first of them) is finished by the resume; before, the
resume saw trials in the journal and learned from part of the warm start, saying nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import X_SPACE, journal_records, quadratic, run_cli_here

from hypermax.journal_records import parse_line
from hypermax.journal_replay import read_state

ROWS = 30


def _search(tmp_path: Path, name: str) -> Path:
    rows = [f"{i},ok,{i / 100},{i / 100}" for i in range(1, ROWS + 1)]
    (tmp_path / "warm.csv").write_text("trial,status,loss,x\n" + "\n".join(rows) + "\n")
    doc = {
        "hyperparameters": X_SPACE,
        "function": quadratic(),
        "search": {"name": name, "iterations": 1, "warm_start": "warm.csv"},
        "results": {"directory": "results"},
    }
    (tmp_path / f"{name}.json").write_text(json.dumps(doc))
    return tmp_path / "results" / name


def _records(folder: Path, event: str) -> list[dict[str, Any]]:
    """The records of ``event`` (a torn line is none)."""
    records = [parse_line(line) or {} for line in (folder / "trials.jsonl").open("rb")]
    return [record for record in records if record.get("event") == event]


def _imported(folder: Path) -> dict[int, dict[str, object]]:
    return {r["id"]: r["params"] for r in _records(folder, "trial_imported")}


def test_a_resume_imports_the_rest_of_a_warm_start_a_crash_cut_short(tmp_path):
    whole = _search(tmp_path, "whole")
    assert run_cli_here("run", "whole.json", "--no-ui", cwd=tmp_path).returncode == 0
    lines = (whole / "trials.jsonl").read_bytes().splitlines(keepends=True)
    assert [json.loads(line)["event"] for line in lines[: ROWS + 2]] == [
        "header",
        *["trial_imported"] * ROWS,
        "imports_done",
    ]
    # what a kill in the middle of the write of the import leaves: its first records, torn
    cut = _search(tmp_path, "cut")
    cut.mkdir(parents=True)
    shutil.copy(whole / "search.json", cut / "search.json")
    (cut / "trials.jsonl").write_bytes(b"".join(lines[:11]) + lines[11][:25])
    with pytest.warns(UserWarning, match="line 12: skipping a torn last line"):
        assert read_state(cut / "trials.jsonl").import_cut
    with pytest.warns(UserWarning, match="line 12: skipping a torn last line"):
        shown = run_cli_here("show", str(cut), cwd=tmp_path).stdout.splitlines()
    assert shown[:2] == [
        f"{cut}: 10 trials (10 imported)",
        "its warm start's import was cut short (a crash): the search imports the rest when it"
        " resumes",
    ]
    # sample proposes what the resumed search runs: having learned from the whole warm start
    with pytest.warns(UserWarning, match="line 12: skipping a torn last line"):
        sampled = run_cli_here("sample", "cut.json", "-n", "1", cwd=tmp_path)
    assert sampled.returncode == 0, sampled.stderr
    with pytest.warns(UserWarning, match="line 12: skipping a torn last line"):
        done = run_cli_here("resume", str(cut), "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "import was cut short after 10: the other 20 imported now" in done.stdout
    assert _imported(cut) == _imported(whole)  # the same trials, with the same ids
    assert not read_state(cut / "trials.jsonl").import_cut
    assert "cut short" not in run_cli_here("show", str(cut), cwd=tmp_path).stdout
    assert [r["id"] for r in _records(cut, "trial_started")] == [ROWS + 1]
    (first,) = _records(whole, "trial_started")
    assert json.loads(sampled.stdout) == first["params"], sampled.stdout


def test_a_journal_without_the_mark_whose_search_ran_trials_imports_nothing_again(tmp_path):
    """What an earlier version wrote: the imports, no mark, then the trials it ran."""
    folder = _search(tmp_path, "old")
    assert run_cli_here("run", "old.json", "--no-ui", cwd=tmp_path).returncode == 0
    journal = folder / "trials.jsonl"
    lines = journal.read_text().splitlines(keepends=True)
    kept = [line for line in lines if "imports_done" not in line]
    journal.write_text("".join(kept))
    assert not read_state(journal).import_cut
    spec = json.loads((tmp_path / "old.json").read_text())
    spec["search"]["iterations"] = 2
    (tmp_path / "old.json").write_text(json.dumps(spec))
    done = run_cli_here("run", "old.json", "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "warm start" not in done.stdout + done.stderr
    assert len(_imported(folder)) == ROWS
    assert [r["event"] for r in journal_records(folder)].count("trial_imported") == ROWS


def test_a_cut_import_is_not_finished_from_another_warm_start(tmp_path):
    """The spec's warm start edited after the crash: the rest of another file is not taken
    for the rest of the warm start the search began to learn from."""
    cut = _search(tmp_path, "cut")
    assert run_cli_here("run", "cut.json", "--no-ui", cwd=tmp_path).returncode == 0
    lines = (cut / "trials.jsonl").read_bytes().splitlines(keepends=True)
    assert json.loads(lines[1])["source"] == "warm.csv"  # each imported trial names it
    (cut / "trials.jsonl").write_bytes(b"".join(lines[:11]))  # cut after 10
    shutil.copy(tmp_path / "warm.csv", tmp_path / "other.csv")
    spec = json.loads((tmp_path / "cut.json").read_text())
    spec["search"]["warm_start"] = "other.csv"
    (tmp_path / "cut.json").write_text(json.dumps(spec))
    done = run_cli_here("run", "cut.json", "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (
        "warm start: its import of warm.csv was cut short (a crash), and search.warm_start names"
        " other.csv now: the search learns from those it imported"
    ) in done.stdout
    assert len(_imported(cut)) == 10
