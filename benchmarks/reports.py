"""Many reports from one trial: what hypermax spends taking them in during the search, and reading
them back from the journal.

    python benchmarks/reports.py [--reports 20000 50000]

A ``python_function`` trial calls ``reporter(step, loss=...)`` N times and returns; the figure is
the search's wall time against the trial's own (the time until its function returned, which
the trial writes). Then the journal is read back (``journal_replay.replay``), as ``show`` and a
resume do. Both should grow linearly with N.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import hypermax
from hypermax.journal_records import read_records
from hypermax.journal_replay import replay

OBJECTIVE = """
import os, time

def train(params, reporter):
    start = time.perf_counter()
    for step in range(int(os.environ["REPORTS"])):
        reporter(step, loss=1.0 / (step + 1))
    with open(os.environ["TRIAL_SECONDS"], "w") as f:
        f.write(str(time.perf_counter() - start))
    return 0.0
"""


def one(reports: int, folder: Path) -> tuple[float, float, float]:
    (folder / "objective.py").write_text(OBJECTIVE)
    seconds_file = folder / "trial_seconds"
    spec = {
        "hyperparameters": {"type": "object", "properties": {"x": {"constant": 1}}},
        "function": {
            "type": "python_function",
            "src": str(folder / "objective.py"),
            "name": "train",
            "env": {"REPORTS": str(reports), "TRIAL_SECONDS": str(seconds_file)},
        },
        "search": {"name": "reports", "iterations": 1, "method": "random"},
        "results": {"directory": str(folder / "results")},
    }
    started = time.perf_counter()
    hypermax.optimize(spec)
    search = time.perf_counter() - started
    trial = float(seconds_file.read_text())
    journal = folder / "results" / "reports" / "trials.jsonl"
    started = time.perf_counter()
    state = replay(read_records(journal), journal)
    read = time.perf_counter() - started
    assert len(state.trials[1].reports) == reports
    return search, trial, read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, nargs="+", default=[20000, 50000])
    args = parser.parse_args()
    rows = []
    for n in args.reports:
        with tempfile.TemporaryDirectory() as tmp:
            search, trial, read = one(n, Path(tmp))
        rows.append({"reports": n, "search_s": search, "trial_s": trial, "journal_read_s": read})
        print(json.dumps(rows[-1]), flush=True)
    print("| reports | search | the trial itself | search ÷ trial | journal read |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        ratio = r["search_s"] / r["trial_s"]
        print(
            f"| {r['reports']:,} | {r['search_s']:.2f} s | {r['trial_s']:.2f} s | {ratio:.1f}x "
            f"| {r['journal_read_s']:.2f} s |"
        )


if __name__ == "__main__":
    main()
