"""What a resume reads of its journal: each line once, and of the trials done, the metadata of
the best only (the journal has the others'), as a search that ran them holds it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import model_spec

import hypermax
import hypermax.journal_records as journal_records
from hypermax import search_folder
from hypermax.cli import main
from hypermax.search_folder import prepare
from hypermax.spec import load_spec

#: the trials of the journal :func:`_done_search` writes: id, loss, state
TRIALS = (
    (1, 0.5, "ok"),
    (2, -1.0, "ok"),
    (3, None, "failed"),
    (4, 0.75, "ok"),
    (5, 0.1, "stopped"),
)


def _done_search(tmp_path: Path) -> tuple[Path, Path]:
    """A spec and the results folder of its search, whose journal holds :data:`TRIALS` (each
    with metadata of its own), all its iterations done: resuming it runs nothing."""
    spec = model_spec(
        tmp_path,
        "def train(params):\n    return params['x']\n",
        {"name": "s", "method": "random", "iterations": len(TRIALS), "seed": 3},
    )
    prepared = prepare(load_spec(spec))
    prepared.folder.unlock()
    lines = []
    for trial_id, loss, state in TRIALS:
        params = {"x": trial_id / 10}
        started = {"event": "trial_started", "id": trial_id, "params": params}
        lines.append({**started, "internal": params})
        ended: dict[str, Any] = {"event": "trial_finished", "id": trial_id, "state": state}
        metadata = {"blob": str(trial_id) * 1000}
        lines.append({**ended, "loss": loss, "metrics": {}, "metadata": metadata, "step": None})
    with prepared.folder.journal.open("a") as journal:
        journal.writelines(json.dumps(line) + "\n" for line in lines)
    return spec, prepared.folder.path


def test_hypermax_resume_reads_each_line_of_the_journal_once(tmp_path, monkeypatch, capsys):
    """``hypermax resume`` read the whole journal twice: once for the header alone (where the
    spec it came from is), once to resume (a 76 MiB journal: seconds, and its trials in memory
    twice)."""
    _, folder = _done_search(tmp_path)
    lines = len((folder / "trials.jsonl").read_bytes().splitlines())
    parsed: list[bytes] = []
    parse_line = journal_records.parse_line

    def counted(raw: bytes) -> dict[str, Any] | None:
        parsed.append(raw)
        return parse_line(raw)

    monkeypatch.setattr(journal_records, "parse_line", counted)
    assert main(["resume", str(folder), "--no-ui"]) == 0, capsys.readouterr().err
    assert len(parsed) <= lines + 3  # the header (its first line) may be read again alone


def test_a_resume_holds_the_metadata_of_the_best_trial_only(tmp_path):
    """A search holds the metadata of its best trial only (the journal has every trial's), but
    a resume read every finished trial's back into memory: 4,000 trials returning a curve of
    1,000 numbers took 231 MiB to resume."""
    spec, _ = _done_search(tmp_path)
    prepared = prepare(load_spec(spec))
    prepared.folder.unlock()
    held = {t.id for t in prepared.history.trials.values() if t.metadata}
    assert held == {2}  # trial 5 was stopped: a trial that ran to its end ranks before it
    assert prepared.history.metadata_in_journal == {1, 3, 4, 5}


def test_a_resumed_search_s_views_and_result_have_the_metadata_it_let_go_of(tmp_path):
    spec, folder = _done_search(tmp_path)
    result = hypermax.optimize(str(spec), iterations=len(TRIALS) + 1)
    best = json.loads((folder / "best.json").read_text())
    assert (best["trial"], best["metadata"]) == (2, {"blob": "2" * 1000})
    blobs = {t["trial"]: t["metadata"].get("blob", "")[:1] for t in result.trials}
    assert blobs == {1: "1", 2: "2", 3: "3", 4: "4", 5: "5", 6: ""}


def test_hypermax_resume_says_it_reads_a_long_journal(tmp_path, monkeypatch, capsys):
    """``hypermax SPEC`` said so before reading a long journal; ``hypermax resume`` read it in
    silence (seconds of a blank terminal)."""
    _, folder = _done_search(tmp_path)
    monkeypatch.setattr(search_folder, "LONG_JOURNAL_BYTES", 1)
    assert main(["resume", str(folder), "--no-ui"]) == 0
    said = capsys.readouterr().err.splitlines()
    assert said[0] == "hypermax: resuming s: reading its journal (0 MiB)"


def test_hypermax_sample_holds_the_metadata_of_the_best_trial_only(tmp_path):
    """``hypermax sample`` teaches the optimizer the trials done, which needs none of their
    metadata; it read all of it (226 MiB for a journal a resume reads at 74 MiB)."""
    from hypermax.sampling import sampling_history

    spec, _ = _done_search(tmp_path)
    trials = sampling_history(load_spec(spec)).trials
    assert [t.id for t in trials if t.metadata] == [2]


def test_hypermax_show_holds_the_metadata_of_no_trial_but_the_best(tmp_path, monkeypatch, capsys):
    """``hypermax show`` shows no trial's metadata but in ``--trial N``; it read all of it (186
    MiB for a journal a resume reads at 74 MiB)."""
    import hypermax.show

    _, folder = _done_search(tmp_path)
    held: list[int] = []
    summary_lines = hypermax.show.summary_lines

    def seen(path: Path, trials: list[Any], *rest: Any) -> list[str]:
        held.extend(t.id for t in trials if t.metadata)
        return summary_lines(path, trials, *rest)

    monkeypatch.setattr(hypermax.show, "summary_lines", seen)
    assert main(["show", str(folder)]) == 0
    assert held == [2]
    assert main(["show", str(folder), "--trial", "4"]) == 0
    assert "4444" in capsys.readouterr().out
