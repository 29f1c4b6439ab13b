"""Trials per second the driver sustains with trivial trials: the local runner against the Dask
runner on a local cluster of two workers (``dask scheduler`` + 2 ``dask worker``, two threads
each), the same search through the same command line.

    python benchmarks/dask_throughput.py [--trials 200] [--parallel 4 8] [--rounds 3]

Each round runs ``hypermax run search.json --no-ui`` once per runner and parallel setting, in
turn. The figure is read from the journal: trials finished divided by the time from the first
trial's start to the last trial's end (hypermax's own start-up and the cluster's are left out).
Needs the dask extra; the cluster helper comes from ``tests/dask_cluster.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from dask_cluster import LocalDaskCluster

OBJECTIVE = "def train(params):\n    return params['x']\n"


def write_spec(folder: Path, trials: int, parallel: int, name: str) -> Path:
    (folder / "trivial.py").write_text(OBJECTIVE)
    doc = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": 0, "max": 1}},
        },
        "function": {
            "type": "python_function",
            "module": "trivial",
            "name": "train",
            "parallel": parallel,
        },
        "search": {"name": name, "method": "random", "iterations": trials, "seed": 1},
        "results": {"directory": str(folder / "results")},
    }
    spec = folder / f"{name}.json"
    spec.write_text(json.dumps(doc))
    return spec


def run(spec: Path, scheduler: str | None) -> dict[str, float]:
    """One search to its end; its figures from the journal."""
    extra = ["--scheduler", scheduler] if scheduler else []
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "hypermax", "run", str(spec), "--no-ui", "--fresh", *extra],
        cwd=spec.parent,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    wall = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"the search failed ({result.returncode}): {result.stderr}")
    journal = spec.parent / "results" / spec.stem / "trials.jsonl"
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    starts = [r["started_at"] for r in records if r["event"] == "trial_started"]
    ends = [r["ended_at"] for r in records if r["event"] == "trial_finished"]
    states = {r["state"] for r in records if r["event"] == "trial_finished"}
    if states != {"ok"}:
        raise SystemExit(f"trials ended {states}, not all ok")
    return {"per_second": len(ends) / (max(ends) - min(starts)), "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--parallel", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hypermax-dask-bench-"))
    cluster = LocalDaskCluster(folder / "cluster", workers=2, threads=2)
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    try:
        for round_ in range(1, args.rounds + 1):
            for parallel in args.parallel:
                for runner, scheduler in (("local", None), ("dask", cluster.address)):
                    name = f"{runner}_p{parallel}"
                    spec = write_spec(folder, args.trials, parallel, name)
                    figures = run(spec, scheduler)
                    results.setdefault((runner, parallel), []).append(figures)
                    print(
                        f"round {round_}: {runner:5} parallel {parallel}: "
                        f"{figures['per_second']:.1f} trials/s "
                        f"({figures['wall']:.1f} s for the whole command)",
                        flush=True,
                    )
    finally:
        cluster.stop()
    print(f"\n{args.trials} trivial trials, {args.rounds} rounds, load {os.getloadavg()[0]:.1f}")
    print("| runner | parallel | trials/s (median, range) | whole command, s (median) |")
    print("| --- | --- | --- | --- |")
    for (runner, parallel), runs in sorted(results.items(), key=lambda item: item[0][::-1]):
        rates = [r["per_second"] for r in runs]
        walls = [r["wall"] for r in runs]
        print(
            f"| {runner} | {parallel} | {statistics.median(rates):.1f} "
            f"({min(rates):.1f}-{max(rates):.1f}) | {statistics.median(walls):.1f} |"
        )


if __name__ == "__main__":
    main()
