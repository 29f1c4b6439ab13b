"""The CPU of whole searches, codes in turn: what a trivial trial costs hypermax and every process
under it (the preload server, the trials, the guardian).

    python benchmarks/search_cpu.py CODE [CODE ...] [--trials 300] [--runs 5] [--parallel 1]
                                    [--no-preload] [--dir /tmp]

Each CODE is a folder that holds a ``hypermax`` package (a checkout, or a ``git worktree`` of
another commit): it is copied without its byte code (``__pycache__``: a copy that has it starts
faster, which would show as a difference between the codes) and put first on ``PYTHONPATH``.
A run is, for each code in turn, ``python -m hypermax run SPEC --no-ui`` of ``overhead.py``'s
trivial search with ``--trials`` trials, then with one, each in a results folder of its own, none
deleted before the end (a deletion makes the next inodes dearer for 30 s on this machine's ext4:
see the README). The CPU of a search is that of the command and of every process it reaped, as
``/usr/bin/time`` reports it (user + system, from ``wait4``). Printed per code: the mean CPU of
the long and of the one-trial searches, their spreads, the CPU a trial ((long - one) / (trials -
1)), and the median CPU of a trial's own process as the journal records it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from arguments import at_least  # run as a script: its folder is on sys.path
from overhead import TRIVIAL, load, write_search


def copy_code(code: Path, into: Path) -> Path:
    """``code``'s ``hypermax`` package copied into ``into``, without byte code."""
    shutil.copytree(
        code / "hypermax", into / "hypermax", ignore=shutil.ignore_patterns("__pycache__")
    )
    return into


def search_cpu(
    code: Path, folder: Path, trials: int, parallel: int, preload: bool
) -> tuple[float, list[float]]:
    """CPU seconds of one search through ``code``; the CPU of each trial's own process."""
    spec = write_search(folder, TRIVIAL, trials, parallel, preload)
    env = {**os.environ, "PYTHONPATH": str(code)}
    argv = [sys.executable, "-m", "hypermax", "run", str(spec), "--no-ui"]
    process = subprocess.Popen(
        argv, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, f"the search failed in {folder}"
    records = (json.loads(line) for line in (folder / "results" / "bench" / "trials.jsonl").open())
    own = [r["cpu_time"] for r in records if r["event"] == "trial_finished" and r.get("cpu_time")]
    return usage.ru_utime + usage.ru_stime, own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("codes", nargs="+", type=Path)
    parser.add_argument("--trials", type=at_least(2), default=300)
    parser.add_argument("--runs", type=at_least(1), default=5)
    parser.add_argument("--parallel", type=at_least(1), default=1)
    parser.add_argument("--no-preload", action="store_true")
    parser.add_argument(
        "--dir", default=None, help="where the searches run (default: the temporary folder)"
    )
    args = parser.parse_args()
    print(f"load before: {load()}")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        codes = [copy_code(code.resolve(), root / f"code{i}") for i, code in enumerate(args.codes)]
        long: dict[int, list[float]] = {i: [] for i in range(len(codes))}
        one: dict[int, list[float]] = {i: [] for i in range(len(codes))}
        own: dict[int, list[float]] = {i: [] for i in range(len(codes))}
        for run in range(args.runs):
            for i, code in enumerate(codes):
                for count, into in ((args.trials, long), (1, one)):
                    folder = root / f"run{run}-code{i}-{count}"
                    cpu, trials = search_cpu(
                        code, folder, count, args.parallel, not args.no_preload
                    )
                    into[i].append(cpu)
                    if count > 1:
                        own[i].append(statistics.median(trials))
        print(f"load after: {load()}")
        for i, code in enumerate(args.codes):
            per_trial = (statistics.mean(long[i]) - statistics.mean(one[i])) / (args.trials - 1)
            print(
                f"{code}: {args.trials} trials {statistics.mean(long[i]):.3f} s "
                f"({min(long[i]):.2f}-{max(long[i]):.2f}), 1 trial {statistics.mean(one[i]):.3f} s "
                f"({min(one[i]):.2f}-{max(one[i]):.2f}); a trial {per_trial * 1000:.2f} ms, "
                f"its own process {statistics.median(own[i]) * 1000:.2f} ms (median)"
            )


if __name__ == "__main__":
    main()
