"""What isolation costs per trial: hypermax with and without preload, side by side with its peers.

    python benchmarks/overhead.py [--trials 500] [--sklearn-trials 30] [--busy-trials 100]
                                  [--rounds 1] [--only overhead,sklearn,busy] [--dir /dev/shm]

Every figure comes from one run, peers next to each other, because the machine is shared: the
load average before and after is printed with them, and how hypermax is installed (an editable
install imports its finder in every interpreter, the floor's included; without byte-code files,
``PYTHONDONTWRITEBYTECODE``, every fresh trial compiles hypermax's bootstrap modules again).
The searches write their results under ``--dir`` (default: the system's temporary folder): a
trial creates a folder and three files, which costs what the file system makes it cost.

- overhead: a trivial objective (``x ** 2``), ``--trials`` trials of random search at parallel 1
  and 2; wall time per trial, and CPU time per trial (every process involved: less sensitive to
  the machine's load than wall time; for hypermax, less the CPU of a one-trial search).
  hypermax per trial is the time from the first trial's start to the last one's end in
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
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from arguments import at_least  # run as a script: its folder is on sys.path

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


def python_floor(parallel: int, count: int) -> dict[str, float]:
    cpu = children_cpu()
    wall = in_workers(parallel, count, lambda: _run([sys.executable, "-c", "pass"]))
    return {"per_trial": wall, "cpu": (children_cpu() - cpu) / count}


def children_cpu() -> float:
    """CPU seconds of this process's reaped children (and theirs, once reaped)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


FORK_WAIT = """
import os, sys
sys.path[:0] = [sys.argv[3], sys.argv[4]]
import objective  # the process forked is warm with the objective, as the trial server is
from overhead import in_workers
import resource
def one():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
def cpu():
    usages = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usages)
count = int(sys.argv[2])
before = cpu()
wall = in_workers(int(sys.argv[1]), count, one)
print(wall, (cpu() - before) / count)
"""


def fork_wait(folder: Path, source: str, parallel: int, count: int) -> dict[str, float]:
    """``os.fork()`` + wait per trial, in a fresh interpreter that imported the objective."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "objective.py").write_text(source)
    here = str(Path(__file__).resolve().parent)
    argv = [sys.executable, "-c", FORK_WAIT, str(parallel), str(count), str(folder), here]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout.split()
    return {"per_trial": float(out[0]), "cpu": float(out[1])}


def hyperopt_fmin(count: int) -> dict[str, float]:
    import numpy as np
    from hyperopt import Trials, fmin, hp, rand

    started, cpu = time.perf_counter(), time.process_time()
    fmin(
        lambda x: x**2,
        hp.uniform("x", -1, 1),
        algo=rand.suggest,
        max_evals=count,
        trials=Trials(),
        rstate=np.random.default_rng(1),
        show_progressbar=False,
    )
    return {
        "per_trial": (time.perf_counter() - started) / count,
        "cpu": (time.process_time() - cpu) / count,
    }


def optimizer_ask(method: str, count: int) -> dict[str, float]:
    """hypermax's own ask + tell per trial, in process."""
    from hypermax.optimizers import make_optimizer
    from hypermax.optimizers.base import finished
    from hypermax.space import Space

    space = Space({"type": "object", "properties": {"x": {"type": "number", "min": -1, "max": 1}}})
    optimizer = make_optimizer(method, space, 1, {})
    started, cpu = time.perf_counter(), time.process_time()
    for trial_id in range(1, count + 1):
        proposal = optimizer.ask(trial_id)
        optimizer.tell(finished(trial_id, proposal.internal, proposal.params["x"] ** 2))
    return {
        "per_trial": (time.perf_counter() - started) / count,
        "cpu": (time.process_time() - cpu) / count,
    }


# -- hypermax -------------------------------------------------------------------------------
def write_search(
    folder: Path, source: str, count: int, parallel: int, preload: bool, **search: Any
) -> Path:
    """The objective ``source`` and the spec of a random search over ``x`` in ``folder`` (its
    results in ``folder/results/bench``); the spec's path."""
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
    return folder / "search.json"


def hypermax_search(
    folder: Path, source: str, count: int, parallel: int, preload: bool, **search: Any
) -> dict[str, float]:
    """Run a search through the command line; per-trial and start-up seconds, from its journal."""
    write_search(folder, source, count, parallel, preload, **search)
    started, cpu = time.perf_counter(), children_cpu()
    _run([sys.executable, "-m", "hypermax", "run", str(folder / "search.json"), "--no-ui"], folder)
    wall = time.perf_counter() - started
    cpu = children_cpu() - cpu
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
    steady = (last - min(r["ended_at"] for r in ends.values())) / max(count - 1, 1)
    return {
        "per_trial": span / count,
        "cpu": cpu,
        "steady": steady,
        "wall": wall,
        "startup": wall - span,
        "work": sum(starts[i]["params"]["x"] for i in ends),
        "span": span,
    }


def _run(argv: list[str], cwd: Path | None = None) -> None:
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def install() -> str:
    """How hypermax is installed here, and whether interpreters may write byte-code files."""
    import hypermax

    where = Path(hypermax.__file__).resolve().parent.parent
    kind = "an installed copy" if "site-packages" in where.parts else f"from {where} (editable)"
    bytecode = "off" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "on"
    return f"hypermax {kind}, byte-code writing {bytecode}"


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


# -- the sections -------------------------------------------------------------------------------
CELLS = ("python -c pass", "fork + wait", "preload", "no preload")


def cell(name: str, folder: Path, parallel: int, trials: int) -> dict[str, float]:
    """One row of the overhead table: seconds per trial, CPU seconds (per trial for the peers,
    in all for hypermax), start-up for hypermax."""
    if name == "python -c pass":
        return python_floor(parallel, trials)
    if name == "fork + wait":
        return fork_wait(folder / "fork", TRIVIAL, parallel, trials)
    preload = name == "preload"
    return hypermax_search(folder / name.replace(" ", "-"), TRIVIAL, trials, parallel, preload)


def overhead(root: Path, trials: int, rounds: int) -> None:
    print(f"\n## trivial objective, {trials} trials, random (load before: {load()})")
    ask = median_figures([optimizer_ask("random", trials) for _ in range(rounds)])
    fmin = median_figures([hyperopt_fmin(trials) for _ in range(rounds)])
    for parallel in (1, 2):
        runs: dict[str, list[dict[str, float]]] = {}
        for round_ in range(rounds):
            order = list(CELLS) if round_ % 2 == 0 else list(reversed(CELLS))
            for name in order:
                runs.setdefault(name, []).append(
                    cell(name, root / f"p{parallel}-{round_}", parallel, trials)
                )
        med = {name: median_figures(values) for name, values in runs.items()}
        for name in ("preload", "no preload"):  # CPU per trial: less the CPU of a 1-trial run
            one = cell(name, root / f"p{parallel}-one", parallel, 1)
            med[name]["cpu"] = (med[name]["cpu"] - one["cpu"]) / (trials - 1)
        fork, floor = med["fork + wait"], med["python -c pass"]
        print(f"\nparallel {parallel}:")
        print("| what | wall per trial | CPU per trial | start-up |")
        print("| --- | --- | --- | --- |")
        rows = [
            ("`python -c pass` (subprocess.run)", floor),
            ("`os.fork()` + wait, warm process", fork),
            ("hyperopt `fmin`, `rand.suggest`, in process", fmin),
            ("hypermax random ask + tell, in process", ask),
            ("hypermax, preload", med["preload"]),
            ("hypermax, no preload", med["no preload"]),
        ]
        for label, figures in rows:
            startup = f"{figures['startup']:.2f} s" if "startup" in figures else ""
            print(f"| {label} | {ms(figures['per_trial'])} | {ms(figures['cpu'])} | {startup} |")
        for what in ("per_trial", "cpu"):
            budget = 2 * (fork[what] + ask[what])
            print(
                f"- {'wall' if what == 'per_trial' else 'CPU'}: preload "
                f"{med['preload'][what] / budget:.2f} of its goal (2 x (fork+wait + ask) = "
                f"{ms(budget)}); no preload {med['no preload'][what] / floor[what]:.2f}x "
                f"the floor (goal < 1.2x)"
            )
    print(f"\nload after: {load()}")


def median_figures(runs: list[dict[str, float]]) -> dict[str, float]:
    """The median of each figure over the runs."""
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


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
    # CPU per trial: a search's less a one-trial search's, over the trials after the first
    parser.add_argument(
        "--trials", type=at_least(2, "CPU per trial leaves the first out"), default=500
    )
    parser.add_argument("--sklearn-trials", type=at_least(1), default=30)
    parser.add_argument("--busy-trials", type=at_least(1), default=100)
    parser.add_argument("--rounds", type=at_least(1), default=1)
    parser.add_argument("--only", default="overhead,sklearn,busy")
    parser.add_argument("--dir", default=None, help="where the searches write (a temporary folder)")
    args = parser.parse_args()
    sections = args.only.split(",")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; {install()}")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        print(f"results under {tmp}")
        root = Path(tmp)
        if "overhead" in sections:
            overhead(root, args.trials, args.rounds)
        if "sklearn" in sections:
            sklearn(root, args.sklearn_trials)
        if "busy" in sections:
            busy(root, args.busy_trials)


if __name__ == "__main__":
    main()
