"""How hypermax's costs grow with the history: ask latency, resume time, the driver's memory.

    python benchmarks/scale.py [--sizes 1000,10000,100000] [--rss-trials 10000] [--asks 5]
                               [--method tpe] [--median-trials 1000,20000]
                               [--reader-trials 20000] [--readers plot,show,export,run]

- ask and resume: a synthetic journal of N finished trials over 5 params (the one of
  ``benchmarks/resume.py``); resume = lock, read and replay the journal, rebuild the optimizer's
  history; then ``--asks`` asks of ``--method`` (Optuna's TPE, the default method, by default):
  the first one apart (it builds the method's own model of the whole history, and the first
  new trial starts only after it), the median of the others, and the median of as many asks of
  random search over that history.
- median: the cost of one report to the median early-stopping rule against the number of
  trials that reported before (``--median-trials``; each trial reports 10 steps; the history is
  replayed as a resumed search replays it, then 200 trials report).
- readers: the peak RSS of the commands that read a journal of ``--reader-trials`` trials that
  reported 10 steps each (show, export, plot, and a resume that runs one more trial).
- rss: a real search of ``--rss-trials`` trivial trials (random, preload, parallel 2); the
  driver's RSS (``VmRSS`` of the hypermax process) as trials accumulate. Goal: under 300 MB
  after 10,000 trials, and flat.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from arguments import at_least  # run as a script: its folder is on sys.path
from resume import make_spec, write_journal

from hypermax.journal_replay import read_state
from hypermax.search import build_driver, build_optimizer
from hypermax.search_folder import prepare


def ask_and_resume(size: int, asks: int, method: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        spec = spec_from_method(make_spec(Path(tmp), size + 1000), method)
        write_journal(spec, size)
        started = time.perf_counter()
        prepared = prepare(spec)
        read = time.perf_counter()
        driver, journal = build_driver(prepared, [])
        rebuilt = time.perf_counter()
        method_asks = []
        for i in range(asks):
            t0 = time.perf_counter()
            driver.optimizer.ask(size + 1 + i)
            method_asks.append(time.perf_counter() - t0)
        journal.close()
        prepared.folder.unlock()
        random_spec = spec_from_method(spec, "random")
        optimizer = build_optimizer(random_spec, driver.space, 1)
        history = read_state(prepared.folder.path / "trials.jsonl").trials.values()
        optimizer.tell_many(history)
        rand = []
        for i in range(asks):
            t0 = time.perf_counter()
            optimizer.ask(size + 1 + i)
            rand.append(time.perf_counter() - t0)
    return {
        "read": read - started,
        "rebuild": rebuilt - read,
        "first ask": method_asks[0],
        "later asks": statistics.median(method_asks[1:] or method_asks),
        "random": statistics.median(rand),
    }


def spec_from_method(spec, method: str):
    from dataclasses import replace

    return replace(spec, search=replace(spec.search, method=method))


def driver_rss(trials: int) -> list[tuple[int, float]]:
    """(finished trials, hypermax's RSS in MiB) along a real search of trivial trials."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "objective.py").write_text("def f(params):\n    return params['x'] ** 2\n")
        doc = {
            "hyperparameters": {
                "type": "object",
                "properties": {"x": {"type": "number", "min": -1, "max": 1}},
            },
            "function": {"type": "python_function", "src": "objective.py", "name": "f"},
            "search": {"name": "rss", "method": "random", "iterations": trials, "seed": 1},
            "results": {"directory": str(folder / "results")},
        }
        doc["function"]["parallel"] = 2
        (folder / "search.json").write_text(json.dumps(doc))
        argv = [sys.executable, "-m", "hypermax", "run", "search.json", "--no-ui"]
        proc = subprocess.Popen(
            argv, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        journal = folder / "results" / "rss" / "trials.jsonl"
        samples: list[tuple[int, float]] = []
        while proc.poll() is None:
            rss = _rss_mib(proc.pid)
            done = _finished(journal)
            if rss is not None:
                samples.append((done, rss))
            time.sleep(1.0)
        return samples


def _rss_mib(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def _finished(journal: Path) -> int:
    try:
        return journal.read_bytes().count(b'"event":"trial_finished"')
    except OSError:
        return 0


def median_report(trials: int, steps: int = 10, timed: int = 200) -> float:
    """Seconds one report costs the median rule with ``trials`` trials' curves behind it."""
    import random

    from hypermax.stopping import EarlyStopping, MedianRule

    rng = random.Random(1)
    policy = MedianRule(EarlyStopping(policy="median", min_trials=5, grace_steps=1))
    for trial in range(trials):
        for step in range(1, steps + 1):
            policy.record(trial, step, rng.random() + 1 / step)
    took = []
    for trial in range(trials, trials + timed + 1):
        started = time.perf_counter()
        for step in range(1, steps + 1):
            policy.observe(trial, step, rng.random() + 1 / step)
        took.append((time.perf_counter() - started) / steps)
    return statistics.mean(took[1:])  # the first trial's reports read each step once


READER_COMMANDS = [
    ["show", "results/big"],
    ["export", "results/big", "--format", "csv"],
    ["export", "results/big", "--format", "json"],
    ["plot", "results/big"],
]


def journal_readers(
    trials: int, reports: int = 10, only: str = ""
) -> list[tuple[str, float, float, float]]:
    """(command, journal MiB, peak RSS MiB, seconds) of each command that reads a journal (of
    those ``only`` names, comma-separated: ``plot``, ``show``, ``export``, ``run``, if given)."""
    import os
    import random

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "objective.py").write_text("def f(params):\n    return params['x']\n")
        doc = {
            "hyperparameters": {
                "type": "object",
                "properties": {
                    "x": {"type": "number", "min": 0, "max": 1},
                    "act": {"enum": ["relu", "tanh", "gelu"]},
                },
            },
            "function": {"type": "python_function", "src": "objective.py", "name": "f"},
            "search": {"name": "big", "method": "random", "iterations": 1, "seed": 1},
            "results": {"directory": "results"},
        }
        (folder / "search.json").write_text(json.dumps(doc))
        hypermax = [sys.executable, "-m", "hypermax"]
        subprocess.run(
            [*hypermax, "run", "search.json", "--no-ui"],
            cwd=folder,
            check=True,
            capture_output=True,
        )
        journal = folder / "results" / "big" / "trials.jsonl"
        header = journal.read_text().splitlines()[0]
        rng = random.Random(0)
        with journal.open("w") as f:
            f.write(header + "\n")
            for i in range(1, trials + 1):
                params = {"x": rng.random(), "act": rng.choice(["relu", "tanh", "gelu"])}
                start = {"event": "trial_started", "id": i, "params": params, "pid": 1}
                f.write(json.dumps({**start, "internal": {"x": params["x"], "act": 0}}) + "\n")
                for step in range(1, reports + 1):
                    metrics = {"loss": params["x"] / step, "acc": rng.random()}
                    report = {"event": "trial_reported", "id": i, "step": step}
                    f.write(json.dumps({**report, "metrics": metrics, "at": 1.0}) + "\n")
                end = {"event": "trial_finished", "id": i, "state": "ok", "loss": params["x"]}
                f.write(json.dumps({**end, "time": 1.0, "peak_rss_mib": 12.5, "step": reports}))
                f.write("\n")
        size = journal.stat().st_size / 2**20
        resume = ["run", "search.json", "--no-ui", "--iterations", str(trials + 1)]
        found = []
        names = {name for name in only.split(",") if name}
        for command in [*READER_COMMANDS, resume]:
            if names and command[0] not in names:
                continue
            started = time.perf_counter()
            proc = subprocess.Popen([*hypermax, *command], cwd=folder, stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            took = time.perf_counter() - started
            found.append((" ".join(command), size, usage.ru_maxrss / 1024, took))
        return found


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument(
        "--asks", type=at_least(1), default=5, help="asks after the resume, the first apart"
    )
    parser.add_argument("--rss-trials", type=int, default=10_000)
    parser.add_argument("--method", default="tpe")
    parser.add_argument("--median-trials", default="")
    parser.add_argument("--reader-trials", type=int, default=0)
    parser.add_argument("--readers", default="", help="only these readers: plot,show,export,run")
    args = parser.parse_args()
    if args.reader_trials:
        print(f"## the readers of a {args.reader_trials:,}-trial journal (load: {load()})")
        print("| command | journal | peak RSS | time |")
        print("| --- | --- | --- | --- |")
        for command, size, peak, took in journal_readers(args.reader_trials, only=args.readers):
            print(f"| hypermax {command} | {size:.0f} MiB | {peak:.0f} MiB | {took:.1f} s |")
    if args.median_trials:
        print(f"## a report to the median rule (load before: {load()})")
        print("| trials before | one report |")
        print("| --- | --- |")
        for size in (int(s) for s in args.median_trials.split(",") if s):
            print(f"| {size:,} | {median_report(size) * 1000:.3f} ms |")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if sizes:
        ask_and_resume(100, 2, args.method)  # warm: the method's modules imported, as in a search
        print(f"## ask latency and resume time against the history (load before: {load()})")
        print(
            f"| trials | read + replay | rebuild optimizer | {args.method} first ask "
            f"| to the first new trial | {args.method} later asks | random ask |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
    for size in sizes:
        f = ask_and_resume(size, args.asks, args.method)
        first_trial = f["read"] + f["rebuild"] + f["first ask"]
        print(
            f"| {size:,} | {f['read'] * 1000:.0f} ms | {f['rebuild'] * 1000:.0f} ms | "
            f"{f['first ask'] * 1000:.0f} ms | {first_trial * 1000:.0f} ms | "
            f"{f['later asks'] * 1000:.1f} ms | {f['random'] * 1000:.2f} ms |"
        )
    print(f"load after: {load()}")
    if args.rss_trials:
        print(f"\n## driver RSS along {args.rss_trials:,} trials (load before: {load()})")
        samples = driver_rss(args.rss_trials)
        marks = sorted({max(1, args.rss_trials * k // 10) for k in range(11)})
        print("| finished trials | hypermax RSS |")
        print("| --- | --- |")
        for mark in marks:
            at = [rss for done, rss in samples if done >= mark]
            if at:
                print(f"| {mark:,} | {at[0]:.1f} MiB |")
        print(f"peak {max(rss for _, rss in samples):.1f} MiB; load after: {load()}")


if __name__ == "__main__":
    main()
