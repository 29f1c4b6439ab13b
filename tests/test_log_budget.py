"""``results.max_log_mb``: past it the oldest finished trials' logs are cut to their last lines,
and the journal stays complete."""

from __future__ import annotations

from pathlib import Path

from conftest import finished_records, model_spec, run_cli, run_hypermax_here

from hypermax.logbudget import KEEP_LINES, MIB, LogBudget

#: prints about 200 KiB of numbered lines, the last one naming the trial
CHATTY = """
import os

def train(params):
    trial = os.environ["HYPERMAX_TRIAL_ID"]
    for i in range(4000):
        print(f"trial {trial} line {i:04d} " + "." * 32)
    print(f"last words of trial {trial}")
    return params["x"]
"""


def test_the_oldest_logs_are_trimmed_to_their_last_lines(tmp_path: Path) -> None:
    search = {"name": "chatty", "iterations": 8}  # what x is does not matter
    model_spec(tmp_path, CHATTY, search, results={"max_log_mb": 0.5})
    proc = run_cli("search.json", "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "results" / "chatty"
    assert sorted(finished_records(folder)) == list(range(1, 9))  # the journal is complete
    logs = {i: (folder / "logs" / f"trial_{i}.log").read_text() for i in range(1, 9)}
    sizes = {i: len(text.encode()) for i, text in logs.items()}
    assert sum(sizes.values()) <= 0.5 * MIB
    trimmed = [i for i, text in logs.items() if text.startswith("[hypermax: log of ")]
    assert trimmed == list(range(1, len(trimmed) + 1)) and len(trimmed) >= 5  # oldest first
    assert logs[8].count("\n") > 4000  # the newest is whole
    for i in trimmed:
        lines = logs[i].splitlines()
        assert lines[0].endswith(
            f"trimmed to its last {KEEP_LINES} lines, to keep the trials' logs within "
            "results.max_log_mb (0.5 MiB)]"
        )
        assert len(lines) == 1 + KEEP_LINES
        assert lines[-1] == f"last words of trial {i}"
        assert lines[-2] == f"trial {i} line 3999 " + "." * 32


def test_a_budget_too_small_for_the_tails_cuts_the_oldest_to_the_note(tmp_path: Path) -> None:
    budget = LogBudget(max_bytes=1500)
    for trial_id in range(1, 5):
        path = tmp_path / f"trial_{trial_id}.log"
        path.write_text("".join(f"line {n}\n" for n in range(2000)))
        budget.add(trial_id, path)
        budget.trim()
    logs = [(tmp_path / f"trial_{i}.log").read_text() for i in range(1, 5)]
    assert budget.total == sum(len(text) for text in logs) <= 1500
    note = (
        "trimmed to this note, to keep the trials' logs within results.max_log_mb "
        f"({1500 / MIB:g} MiB)]"
    )
    assert [text.splitlines()[0].endswith(note) for text in logs] == [True, True, False, False]
    assert [len(text.splitlines()) for text in logs] == [1, 1, 1 + KEEP_LINES, 1 + KEEP_LINES]
    assert logs[-1].splitlines()[-1] == "line 1999"


def test_a_resumed_search_counts_the_logs_already_there(tmp_path: Path) -> None:
    budget = LogBudget(max_bytes=10_000)
    path = tmp_path / "trial_1.log"
    path.write_text("x" * 20_000)
    budget.add(1, path)
    assert budget.trim() == [1]
    assert budget.trim() == []  # within the budget now: nothing more to do
    assert path.stat().st_size < 10_000


def test_a_budget_larger_than_any_disk_holds_every_log(tmp_path: Path) -> None:
    """1e308 MiB, "no budget": its bytes are more than an int of a file size holds (the search
    ended in an unexpected OverflowError before its first trial)."""
    spec = model_spec(
        tmp_path,
        "def train(params):\n    return 1\n",
        {"iterations": 1},
        results={"max_log_mb": 1e308},
    )
    done = run_hypermax_here(spec)
    assert done.returncode == 0, done.stderr
    assert [r["state"] for r in finished_records(tmp_path / "results" / "search").values()] == [
        "ok"
    ]
