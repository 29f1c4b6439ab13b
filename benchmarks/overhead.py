"""What isolation costs per trial: hypermax with and without preload, side by side with its peers.

    python benchmarks/overhead.py [--trials 500] [--sklearn-trials 30] [--busy-trials 100]
                                  [--rounds 1] [--only overhead,sklearn,busy]

Every figure comes from one run, peers next to each other, because the machine is shared: the
load average before and after is printed with them.

- overhead: a trivial objective (``x ** 2``), ``--trials`` trials of random search at parallel 1
  and 2. hypermax per trial is the time from the first trial's start to the last one's end in
  the journal, divided by the trials (the start-up of the command, up to the first trial's
  start, is reported apart; the first trial pays for starting the trial server); peers:
  ``subprocess.run([python, "-c", "pass"])`` (the interpreter floor), ``os.fork()`` + wait,
  hyperopt's in-process ``fmin`` with ``rand.suggest``, and the random optimizer's own ask+tell.
  Goals: with preload under 2x (fork+wait + ask); without preload under 1.2x the floor.
- sklearn: the same objective in a module that imports scikit-learn (``sklearn.ensemble``):
  with preload the import is paid once per search (the module counts its imports).
- busy: ``--busy-trials`` trials that sleep 0.1-1.0 s (the param), parallel 2, preload on:
  busy fraction = sum of the sleeps / (2 x the time from the first start to the last end).
  Goal: at least 95 %.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TRIVIAL = "def f(params):\n    return params['x'] ** 2\n"
SKLEARN = (
    "import os\n"
    "import sklearn.ensemble  # noqa: F401 - what the benchmark pays for\n\n"
    "with open(os.path.join(os.path.dirname(__file__), 'imports.log'), 'a') as log:\n"
    "    log.write('import\\n')\n\n" + TRIVIAL
)
SLEEPER = "import time\n\ndef f(params):\n    time.sleep(params['x'])\n    return params['x']\n"


# -- peers ----------------------------------------------------------------------------------
def in_workers(parallel: int, count: int, one: Callable[[], None]) -> float:
    """Seconds per call of ``one``, ``count`` calls spread over ``parallel`` threads."""
    left = [count]
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            one()

    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(parallel)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return (time.perf_counter() - started) / count


def python_floor(parallel: int, count: int) -> float:
    return in_workers(parallel, count, lambda: _run([sys.executable, "-c", "pass"]))


FORK_WAIT = """
import os, sys, threading, time
sys.path.insert(0, sys.argv[3])
import objective  # the process forked is warm with the objective, as the trial server is
parallel, count = int(sys.argv[1]), int(sys.argv[2])
left = [count]
lock = threading.Lock()
def work():
    while True:
        with lock:
            if left[0] == 0:
                return
            left[0] -= 1
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
started = time.perf_counter()
workers = [threading.Thread(target=work) for _ in range(parallel)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print((time.perf_counter() - started) / count)
"""


def fork_wait(folder: Path, source: str, parallel: int, count: int) -> float:
    """``os.fork()`` + wait per trial, in a fresh interpreter that imported the objective."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "objective.py").write_text(source)
    argv = [sys.executable, "-c", FORK_WAIT, str(parallel), str(count), str(folder)]
    return float(subprocess.run(argv, check=True, capture_output=True, text=True).stdout)


def hyperopt_fmin(count: int) -> float:
    import numpy as np
    from hyperopt import Trials, fmin, hp, rand

    started = time.perf_counter()
    fmin(
        lambda x: x**2,
        hp.uniform("x", -1, 1),
        algo=rand.suggest,
        max_evals=count,
        trials=Trials(),
        rstate=np.random.default_rng(1),
        show_progressbar=False,
    )
    return (time.perf_counter() - started) / count


def optimizer_ask(method: str, count: int) -> float:
    """hypermax's own ask + tell per trial, in process."""
    from hypermax.optimizers import make_optimizer
    from hypermax.optimizers.base import finished
    from hypermax.space import Space

    space = Space({"type": "object", "properties": {"x": {"type": "number", "min": -1, "max": 1}}})
    optimizer = make_optimizer(method, space, 1, {})
    started = time.perf_counter()
    for trial_id in range(1, count + 1):
        proposal = optimizer.ask(trial_id)
        optimizer.tell(finished(trial_id, proposal.internal, proposal.params["x"] ** 2))
    return (time.perf_counter() - started) / count


# -- hypermax -------------------------------------------------------------------------------
def hypermax_search(
    folder: Path, source: str, count: int, parallel: int, preload: bool, **search: Any
) -> dict[str, float]:
    """Run a search through the command line; per-trial and start-up seconds, from its journal."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "objective.py").write_text(source)
    low, high = search.pop("range", (-1.0, 1.0))
    spec = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": low, "max": high}},
        },
        "function": {
            "type": "python_function",
            "src": "objective.py",
            "name": "f",
            "parallel": parallel,
            "preload": preload,
        },
        "search": {"name": "bench", "method": "random", "iterations": count, "seed": 1, **search},
        "results": {"directory": str(folder / "results")},
    }
    (folder / "search.json").write_text(json.dumps(spec))
    started = time.perf_counter()
    _run([sys.executable, "-m", "hypermax", "run", str(folder / "search.json"), "--no-ui"], folder)
    wall = time.perf_counter() - started
    records = [
        json.loads(line)
        for line in (folder / "results" / "bench" / "trials.jsonl").read_text().splitlines()
    ]
    starts = {r["id"]: r for r in records if r["event"] == "trial_started"}
    ends = {r["id"]: r for r in records if r["event"] == "trial_finished"}
    assert len(ends) == count and all(r["state"] == "ok" for r in ends.values()), "trials failed"
    first, last = (
        min(r["started_at"] for r in starts.values()),
        max(r["ended_at"] for r in ends.values()),
    )
    span = last - first
    # from the first trial's end: the trial server (if any) is warm, start-up is behind
    steady = (last - min(r["ended_at"] for r in ends.values())) / (count - 1)
    return {
        "per_trial": span / count,
        "steady": steady,
        "wall": wall,
        "startup": wall - span,
        "work": sum(starts[i]["params"]["x"] for i in ends),
        "span": span,
    }


def _run(argv: list[str], cwd: Path | None = None) -> None:
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


# -- the sections -------------------------------------------------------------------------------
CELLS = ("python -c pass", "fork + wait", "preload", "no preload")


def cell(name: str, folder: Path, parallel: int, trials: int) -> dict[str, float]:
    """One figure of the overhead table (seconds per trial, and start-up for hypermax)."""
    if name == "python -c pass":
        return {"per_trial": python_floor(parallel, trials)}
    if name == "fork + wait":
        return {"per_trial": fork_wait(folder / "fork", TRIVIAL, parallel, trials)}
    preload = name == "preload"
    return hypermax_search(folder / name.replace(" ", "-"), TRIVIAL, trials, parallel, preload)


def overhead(root: Path, trials: int, rounds: int) -> None:
    print(f"\n## trivial objective, {trials} trials, random (load before: {load()})")
    ask = statistics.median(optimizer_ask("random", trials) for _ in range(rounds))
    fmin = statistics.median(hyperopt_fmin(trials) for _ in range(rounds))
    for parallel in (1, 2):
        figures: dict[str, list[float]] = {}
        for round_ in range(rounds):
            order = list(CELLS) if round_ % 2 == 0 else list(reversed(CELLS))
            for name in order:
                value = cell(name, root / f"p{parallel}-{round_}", parallel, trials)
                figures.setdefault(name, []).append(value["per_trial"])
                if "startup" in value:
                    figures.setdefault(f"{name} start-up", []).append(value["startup"])
        med = {name: statistics.median(values) for name, values in figures.items()}
        budget = 2 * (med["fork + wait"] + ask)
        print(f"\nparallel {parallel}:")
        print("| what | per trial |")
        print("| --- | --- |")
        for name in ("python -c pass", "fork + wait"):
            print(f"| {name} | {ms(med[name])} |")
        print(f"| hyperopt fmin, rand.suggest, in process | {ms(fmin)} |")
        print(f"| hypermax random ask + tell, in process | {ms(ask)} |")
        print(
            f"| hypermax, preload | {ms(med['preload'])} "
            f"(goal < 2 x (fork+wait + ask) = {ms(budget)}: {med['preload'] / budget:.2f} of it); "
            f"start-up {med['preload start-up']:.2f} s |"
        )
        floor = med["python -c pass"]
        print(
            f"| hypermax, no preload | {ms(med['no preload'])} "
            f"({med['no preload'] / floor:.2f}x the floor, goal < 1.2x); "
            f"start-up {med['no preload start-up']:.2f} s |"
        )
    print(f"\nload after: {load()}")


def sklearn(root: Path, trials: int) -> None:
    started = time.perf_counter()
    _run([sys.executable, "-c", "import sklearn.ensemble"])
    import_cost = time.perf_counter() - started
    print(f"\n## objective importing scikit-learn, {trials} trials (load before: {load()})")
    print(f"`python -c 'import sklearn.ensemble'`: {import_cost:.2f} s")
    print("| parallel | preload: per trial, start-up, imports | no preload: per trial, imports |")
    print("| --- | --- | --- |")
    for parallel in (1, 2):
        row = []
        for preload in (True, False):
            folder = root / f"sk{parallel}-{preload}"
            value = hypermax_search(folder, SKLEARN, trials, parallel, preload)
            imports = len((folder / "imports.log").read_text().split())
            extra = f", start-up {value['startup']:.2f} s" if preload else ""
            row.append(
                f"{ms(value['per_trial'])} (after the first {ms(value['steady'])}){extra}, "
                f"{imports} imports"
            )
        print(f"| {parallel} | {row[0]} | {row[1]} |")
    print(f"load after: {load()}")


def busy(root: Path, trials: int) -> None:
    print(f"\n## busy fraction, {trials} trials of 0.1-1.0 s, parallel 2 (load before: {load()})")
    print("| method, launch | busy (first start to last end) | busy (whole command) |")
    print("| --- | --- | --- |")
    for method, preload in (("random", True), ("tpe", True), ("random", False)):
        folder = root / f"busy-{method}-{preload}"
        value = hypermax_search(
            folder, SLEEPER, trials, 2, preload, method=method, range=(0.1, 1.0)
        )
        launch = "preload" if preload else "no preload"
        print(
            f"| {method}, {launch} | {value['work'] / (2 * value['span']):.1%} | "
            f"{value['work'] / (2 * value['wall']):.1%} |"
        )
    print(f"load after: {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--sklearn-trials", type=int, default=30)
    parser.add_argument("--busy-trials", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", default="overhead,sklearn,busy")
    args = parser.parse_args()
    sections = args.only.split(",")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if "overhead" in sections:
            overhead(root, args.trials, args.rounds)
        if "sklearn" in sections:
            sklearn(root, args.sklearn_trials)
        if "busy" in sections:
            busy(root, args.busy_trials)


if __name__ == "__main__":
    main()
