"""hypermax's memory with large results: a search whose trials each return a 10 MB value
beside their loss, and its resume.

    python benchmarks/large_results.py [--trials 30] [--mb 10] [--method random] [--python PY]

Runs ``hypermax run SPEC --no-ui`` as a child process (``PYTHONPATH`` as given to this script),
then the same spec again with ``--iterations`` one more (a resume that replays the journal and
runs one trial), and prints the peak RSS of each hypermax process (``wait4``'s ``ru_maxrss``:
the largest of hypermax and the trials it reaped, which stay far below it) and the size of the
journal and of what is left in the trials' folders.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OBJECTIVE = """
def train(params):
    return {"loss": params["x"], "blob": "x" * (MB << 20)}
"""


def run(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Run ``argv``; its peak RSS (MiB, with its reaped children) and its wall time (s)."""
    start = time.monotonic()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited {process.returncode}")
    return usage.ru_maxrss / 1024, time.monotonic() - start


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(trials: int, mb: int, method: str, python: str) -> dict[str, float]:
    """Peak RSS (MiB) and wall time (s) of a search and of its resume, and the bytes of the
    journal and of what the trials' folders hold once the search ended."""
    with tempfile.TemporaryDirectory(prefix="hypermax_large_results_") as tmp:
        folder = Path(tmp)
        (folder / "model.py").write_text(OBJECTIVE.replace("MB", str(mb)))
        spec = {
            "hyperparameters": {
                "type": "object",
                "properties": {"x": {"type": "number", "min": 0, "max": 1}},
            },
            "function": {"type": "python_function", "src": "model.py", "name": "train"},
            "search": {"name": "large", "method": method, "iterations": trials},
            "results": {"directory": "results"},
        }
        (folder / "spec.json").write_text(json.dumps(spec))
        hypermax = [python, "-m", "hypermax", "run", "spec.json", "--no-ui"]
        figures: dict[str, float] = {}
        figures["peak"], figures["time"] = run(hypermax, folder)
        results = folder / "results" / "large"
        figures["journal"] = (results / "trials.jsonl").stat().st_size
        figures["left"] = folder_size(results / "trials")
        again = [*hypermax, "--iterations", str(trials + 1)]
        figures["resume_peak"], figures["resume_time"] = run(again, folder)
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--mb", type=int, default=10)
    parser.add_argument("--method", default="random")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    f = measure(args.trials, args.mb, args.method, args.python)
    print(f"search: {args.trials} trials of {args.mb} MB results: peak RSS {f['peak']:.0f} MiB,")
    sizes = f"journal {f['journal'] / 1e6:.0f} MB, trials' folders {f['left'] / 1e6:.0f} MB"
    print(f"  {f['time']:.1f} s; {sizes}")
    print(f"resume (+1 trial): peak RSS {f['resume_peak']:.0f} MiB, {f['resume_time']:.1f} s")


if __name__ == "__main__":
    main()
