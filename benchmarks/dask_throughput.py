"""Trials per second the driver sustains with trivial trials: the local runner against the Dask
runner on a local cluster of two workers (``dask scheduler`` + 2 ``dask worker``, two threads
each), the same search through the same command line.

    python benchmarks/dask_throughput.py [--trials 200] [--parallel 4 8] [--rounds 3]

Each round runs ``hypermax run search.json --no-ui`` once per runner and parallel setting, in
turn. The figure is read from the journal: trials finished divided by the time from the first
trial's start to the last trial's end (hypermax's own start-up and the cluster's are left out).
The CPU figures, which depend less on what else the machine runs, are what hypermax spent itself
(not its trials) and what the scheduler and workers spent (not the trials either), per trial,
from the first trial's start on.
Needs the dask extra; the cluster helper comes from ``tests/dask_cluster.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from arguments import at_least  # run as a script: its folder is on sys.path
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


def own_cpu(process: psutil.Process) -> float:
    """CPU seconds the process spent itself (not its children)."""
    times = process.cpu_times()
    return float(times.user + times.system)


def run(spec: Path, scheduler: str | None, cluster: LocalDaskCluster) -> dict[str, float]:
    """One search to its end; its figures from the journal and from /proc."""
    extra = ["--scheduler", scheduler] if scheduler else []
    dask = [psutil.Process(p.pid) for p in [cluster.scheduler, *cluster.workers] if p]
    started = time.monotonic()
    search = subprocess.Popen(
        [sys.executable, "-m", "hypermax", "run", str(spec), "--no-ui", "--fresh", *extra],
        cwd=spec.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    watched = psutil.Process(search.pid)
    journal = spec.parent / "results" / spec.stem / "trials.jsonl"
    hypermax_cpu = 0.0
    at_first_trial: tuple[float, float] | None = None  # (hypermax, Dask) CPU when it started
    while search.poll() is None:
        with contextlib.suppress(psutil.Error):
            hypermax_cpu = own_cpu(watched)  # its last look before it ends: close enough
        if at_first_trial is None and journal.exists() and "trial_started" in journal.read_text():
            at_first_trial = (hypermax_cpu, sum(own_cpu(process) for process in dask))
        time.sleep(0.05)
    wall = time.monotonic() - started
    if search.returncode != 0 or at_first_trial is None:
        raise SystemExit(f"the search failed ({search.returncode}): {search.stderr.read()}")
    dask_cpu = sum(own_cpu(process) for process in dask) - at_first_trial[1]
    hypermax_cpu -= at_first_trial[0]  # its start-up (imports, the cluster's client) left out
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    starts = [r["started_at"] for r in records if r["event"] == "trial_started"]
    ends = [r["ended_at"] for r in records if r["event"] == "trial_finished"]
    states = {r["state"] for r in records if r["event"] == "trial_finished"}
    if states != {"ok"}:
        raise SystemExit(f"trials ended {states}, not all ok")
    return {
        "per_second": len(ends) / (max(ends) - min(starts)),
        "wall": wall,
        "hypermax_ms": 1000 * hypermax_cpu / len(ends),
        "dask_ms": 1000 * dask_cpu / len(ends) if scheduler else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=at_least(1), default=200)
    parser.add_argument("--parallel", type=at_least(1), nargs="+", default=[4, 8])
    parser.add_argument("--rounds", type=at_least(1), default=3)
    args = parser.parse_args()
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="hypermax-dask-bench-") as tmp:
        folder = Path(tmp)
        cluster = LocalDaskCluster(folder / "cluster", workers=2, threads=2)
        try:
            for round_ in range(1, args.rounds + 1):
                for parallel in args.parallel:
                    for runner, scheduler in (("local", None), ("dask", cluster.address)):
                        name = f"{runner}_p{parallel}"
                        spec = write_spec(folder, args.trials, parallel, name)
                        figures = run(spec, scheduler, cluster)
                        results.setdefault((runner, parallel), []).append(figures)
                        print(
                            f"round {round_}: {runner:5} parallel {parallel}: "
                            f"{figures['per_second']:.1f} trials/s, "
                            f"CPU per trial: hypermax {figures['hypermax_ms']:.1f} ms, "
                            f"scheduler and workers {figures['dask_ms']:.1f} ms "
                            f"({figures['wall']:.1f} s for the whole command)",
                            flush=True,
                        )
        finally:
            cluster.stop()
    print(f"\n{args.trials} trivial trials, {args.rounds} rounds, load {os.getloadavg()[0]:.1f}")
    print(
        "| runner | parallel | trials/s (median, range) | CPU per trial: hypermax, ms "
        "| scheduler and workers, ms | whole command, s |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for (runner, parallel), runs in sorted(results.items(), key=lambda item: item[0][::-1]):
        rates = [r["per_second"] for r in runs]

        def median(key: str, runs: list[dict[str, float]] = runs) -> float:
            return statistics.median(r[key] for r in runs)

        print(
            f"| {runner} | {parallel} | {statistics.median(rates):.1f} "
            f"({min(rates):.1f}-{max(rates):.1f}) | {median('hypermax_ms'):.1f} "
            f"| {median('dask_ms'):.1f} | {median('wall'):.1f} |"
        )


if __name__ == "__main__":
    main()
