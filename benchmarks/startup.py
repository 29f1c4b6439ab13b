"""Start-up time of the command line against a bare interpreter, side by side, wall and CPU.

    python benchmarks/startup.py [--runs 20]

Runs ``python -c pass``, ``hypermax --help``, ``hypermax validate search.example.json``,
``hypermax show`` on a small results folder, and a whole 3-trial search from start to exit with
``tpe`` and with ``random`` (a trivial objective, ``--fresh`` each time: what most of the test
suite's searches are) in turn, ``--runs`` times each, and prints the median wall time and the mean
CPU time (user + system, less sensitive to a loaded machine) of each; a search's CPU counts its
trials, its preload server and its guardian.
Goals: ``--help`` within 2x the bare interpreter; ``validate`` and ``show`` under 150 ms.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from arguments import at_least  # run as a script: its folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent


def results_folder(folder: Path) -> Path:
    """A results folder of 20 finished trials, made by a real search."""
    (folder / "objective.py").write_text("def f(params):\n    return params['x'] ** 2\n")
    spec = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": -1, "max": 1}},
        },
        "function": {"type": "python_function", "src": "objective.py", "name": "f"},
        "search": {"name": "small", "method": "random", "iterations": 20, "seed": 1},
        "results": {"directory": str(folder / "results")},
    }
    (folder / "search.json").write_text(json.dumps(spec))
    command = [sys.executable, "-m", "hypermax", "run", "search.json", "--no-ui"]
    subprocess.run(command, cwd=folder, check=True, capture_output=True)
    return folder / "results" / "small"


def small_search(folder: Path, method: str) -> Path:
    """The spec of a 3-trial search of a trivial objective (written by :func:`results_folder`)."""
    spec = json.loads((folder / "search.json").read_text())
    spec["search"] = {"name": f"small-{method}", "method": method, "iterations": 3, "seed": 1}
    path = folder / f"{method}.json"
    path.write_text(json.dumps(spec))
    return path


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=at_least(1), default=20)
    args = parser.parse_args()
    # the command of this interpreter's install (the floor is this interpreter): the one on the
    # PATH may be another install's, or missing when the venv is not activated
    beside = Path(sys.executable).with_name("hypermax")
    hypermax = str(beside) if beside.exists() else shutil.which("hypermax") or "hypermax"
    with tempfile.TemporaryDirectory() as tmp:
        results = results_folder(Path(tmp))
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "hypermax --help": [hypermax, "--help"],
            "hypermax validate": [hypermax, "validate", str(ROOT / "search.example.json")],
            "hypermax show": [hypermax, "show", str(results)],
            **{
                f"hypermax run (3 trials, {method})": [
                    hypermax,
                    "run",
                    str(small_search(Path(tmp), method)),
                    "--no-ui",
                    "--fresh",
                ]
                for method in ("tpe", "random")
            },
        }
        load = Path("/proc/loadavg").read_text().split()[:3]
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, float] = dict.fromkeys(commands, 0.0)
        for _ in range(args.runs):
            for name, argv in commands.items():
                cpu, started = children_cpu(), time.perf_counter()
                subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
                walls[name].append(time.perf_counter() - started)
                cpus[name] += children_cpu() - cpu
    print(f"load before: {' '.join(load)}")
    print("| command | wall, median | CPU, mean | wall / floor | CPU / floor |")
    print("| --- | --- | --- | --- | --- |")
    floor_wall = statistics.median(walls["python -c pass"])
    floor_cpu = cpus["python -c pass"] / args.runs
    for name in commands:
        wall, cpu = statistics.median(walls[name]), cpus[name] / args.runs
        print(
            f"| `{name}` | {wall * 1000:.1f} ms | {cpu * 1000:.1f} ms | "
            f"{wall / floor_wall:.2f} | {cpu / floor_cpu:.2f} |"
        )


if __name__ == "__main__":
    main()
