"""hypermax's own CPU per trial, thread by thread: the same trivial search through each install.

    python benchmarks/thread_cpu.py VENV [VENV ...] [--parallel 1] [--preload] [--trials 1000]
                                    [--rounds 2]

Each VENV is a virtual environment with hypermax installed in it (as for ``ab_overhead.py``).
A round runs the search once through each install, in turn (the order reversed every other
round), each in a results folder of its own. hypermax runs under a small wrapper that reads the
user and system CPU time of each of its threads from ``/proc/self/task`` every 50 ms (a thread
that ends keeps its last reading) and names them as ``threading`` does: the trials' own
processes are not counted, only hypermax's. Printed per install and round: milliseconds of CPU
per trial of each thread (named as ``threading`` names it, or by its id when it came and went
between two readings), user + system, the main thread's start-up included (it does little
else), and of all of them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from pathlib import Path

from arguments import at_least  # run as a script: its folder is on sys.path
from overhead import TRIVIAL, write_search

#: run in the install's interpreter: hypermax, with its threads' CPU read as it runs
WRAPPER = """
import atexit, os, runpy, sys, threading, time
tick = os.sysconf("SC_CLK_TCK")
names, last = {}, {}
def look():
    for thread in threading.enumerate():
        if thread.native_id:
            names[thread.native_id] = thread.name
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        last[int(tid)] = (int(fields[11]) / tick, int(fields[12]) / tick)
def watch():
    while True:
        look()
        time.sleep(0.05)
threading.Thread(target=watch, daemon=True, name="thread-cpu").start()
def report():
    look()
    with open(os.environ["THREAD_CPU_OUT"], "w") as out:
        for tid, (user, system) in last.items():
            out.write(f"{names.get(tid, tid)}\\t{user}\\t{system}\\n")
atexit.register(report)
sys.argv = ["hypermax", *sys.argv[1:]]
runpy.run_module("hypermax", run_name="__main__", alter_sys=True)
"""


def one_search(
    venv: Path, folder: Path, parallel: int, preload: bool, trials: int
) -> dict[str, tuple[float, float]]:
    """Thread name → (user, system) milliseconds per trial, of one search run by ``venv``."""
    write_search(folder, TRIVIAL, trials, parallel, preload)
    out = folder / "threads.tsv"
    command = [str(venv / "bin" / "python"), "-c", WRAPPER, "run", "search.json", "--no-ui"]
    env = {**os.environ, "THREAD_CPU_OUT": str(out)}
    subprocess.run(command, cwd=folder, stdout=subprocess.DEVNULL, check=True, env=env)
    threads: dict[str, tuple[float, float]] = {}
    for line in out.read_text().splitlines():
        name, user, system = line.split("\t")
        if name == "thread-cpu":
            continue
        had = threads.get(name, (0.0, 0.0))  # the followers share a name
        threads[name] = (had[0] + float(user), had[1] + float(system))
    return {name: (u / trials * 1e3, s / trials * 1e3) for name, (u, s) in threads.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("venvs", nargs="+", type=Path)
    parser.add_argument("--parallel", type=at_least(1), default=1)
    parser.add_argument("--preload", action="store_true")
    parser.add_argument("--trials", type=at_least(1), default=1000)
    parser.add_argument("--rounds", type=at_least(1), default=2)
    args = parser.parse_args()
    what = f"parallel {args.parallel}, {'preload' if args.preload else 'no preload'}"
    print(f"{args.trials} trials, {what}; ms of CPU per trial, user + system")
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            order = list(enumerate(args.venvs))
            for slot, venv in order if round_ % 2 == 0 else order[::-1]:
                folder = Path(tmp) / f"{round_}-{slot}"
                threads = one_search(venv, folder, args.parallel, args.preload, args.trials)
                total = sum(u + s for u, s in threads.values())
                parts = [f"{name} {u:.2f} + {s:.2f}" for name, (u, s) in sorted(threads.items())]
                print(f"round {round_ + 1}, {venv}: all {total:.2f}; " + "; ".join(parts))


if __name__ == "__main__":
    main()
