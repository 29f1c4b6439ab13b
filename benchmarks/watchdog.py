"""How well the watchdog keeps its limits, and what watching costs.

Runs trials through the local runner (the same code the command line uses) and prints:

1. time-limit overshoot: trials that sleep forever against ``auto_kill_max_time``; how long after
   the limit the trial's process was dead (the runner's ``wall_time``), and how long after the
   limit the runner delivered the trial's outcome;
2. RAM overshoot: a trial allocating 200 MB/s against a 500 MiB ``auto_kill_max_ram``; the peak
   RSS it reached (the kernel's high-water mark) against the limit;
3. CPU cost: 8 idle trials watched for a while, every limit switched on; CPU time of the whole
   runner (all of its threads) as a percentage of one core, next to the cost of the previous
   design (psutil ``children(recursive=True)`` per trial per tick) on the same trials.

Usage: ``python benchmarks/watchdog.py [--quick]``. Targets: time overshoot under 300 ms, RAM
overshoot under 25 % of the limit, watchdog under 2 % of a core.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from hypermax.execution.local import LocalRunner
from hypermax.spec import FunctionSpec
from hypermax.trial import Outcome, Proposal

SLEEP = "import time\nwhile True: time.sleep(60)"
#: 10 MB every 50 ms on a fixed schedule = 200 MB/s, every page touched; stops at 3 GB
ALLOCATE = (
    "import time\nblocks = []\nstart = time.monotonic()\n"
    "for i in range(1, 301):\n"
    "    blocks.append(bytearray(10_000_000))\n"
    "    time.sleep(max(0.0, start + i * 0.05 - time.monotonic()))\n"
)


def _runner(folder: Path, code: str, **limits: float) -> LocalRunner:
    function = FunctionSpec(type="executable", command=(sys.executable, "-c", code), **limits)
    return LocalRunner(function, folder)


def _submit(runner: LocalRunner, folder: Path, trial_id: int) -> float:
    """Start a trial; the monotonic time just before it was asked for."""
    trial_dir = folder / "trials" / str(trial_id)
    asked = time.monotonic()
    runner.submit(Proposal(trial_id, {}, {}), trial_dir, folder / "logs" / f"{trial_id}.log")
    return asked


def _outcomes(runner: LocalRunner, count: int, timeout: float) -> dict[int, tuple[Outcome, float]]:
    """Wait for ``count`` outcomes; each with the monotonic time it was delivered."""
    got: dict[int, tuple[Outcome, float]] = {}
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        for event in runner.poll(0.5):
            if isinstance(event, Outcome):
                got[event.trial_id] = (event, time.monotonic())
    return got


def time_overshoot(folder: Path, rounds: int, parallel: int, limit: float) -> dict[str, float]:
    runner = _runner(folder, SLEEP, auto_kill_max_time=limit)
    dead_ms: list[float] = []
    delivered_ms: list[float] = []
    trial_id = 0
    for _ in range(rounds):
        submitted = {}
        for _ in range(parallel):
            trial_id += 1
            submitted[trial_id] = _submit(runner, folder, trial_id)
        for tid, (outcome, at) in _outcomes(runner, parallel, limit + 30).items():
            assert outcome.state.value == "killed", outcome
            dead_ms.append((outcome.wall_time - limit) * 1000)
            delivered_ms.append((at - submitted[tid] - limit) * 1000)
    runner.close()
    return {
        "trials": len(dead_ms),
        "dead_median_ms": statistics.median(dead_ms),
        "dead_max_ms": max(dead_ms),
        "delivered_median_ms": statistics.median(delivered_ms),
        "delivered_max_ms": max(delivered_ms),
    }


def ram_overshoot(folder: Path, runs: int, limit_mib: float) -> dict[str, float]:
    runner = _runner(folder, ALLOCATE, auto_kill_max_ram=limit_mib, auto_kill_max_time=60)
    peaks: list[float] = []
    at_kill: list[float] = []
    for trial_id in range(1, runs + 1):
        _submit(runner, folder, trial_id)
        outcome, _ = _outcomes(runner, 1, 60)[trial_id]
        assert outcome.state.value == "killed", outcome
        peaks.append(outcome.peak_rss_mib)
        at_kill.append(outcome.kill_value or 0.0)
    runner.close()
    worst = max(peaks)
    return {
        "runs": runs,
        "limit_mib": limit_mib,
        "rss_at_kill_median_mib": statistics.median(at_kill),
        "peak_median_mib": statistics.median(peaks),
        "peak_max_mib": worst,
        "overshoot_max_pct": 100 * (worst - limit_mib) / limit_mib,
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _measure(seconds: float, work: object = None) -> float:
    """CPU of this process over ``seconds`` of wall time, in % of one core."""
    cpu0, wall0 = _cpu_seconds(), time.monotonic()
    while time.monotonic() - wall0 < seconds:
        if callable(work):
            work()
        else:
            time.sleep(0.5)
    return 100 * (_cpu_seconds() - cpu0) / (time.monotonic() - wall0)


def watch_cost(folder: Path, trials: int, seconds: float) -> dict[str, float]:
    used = psutil.virtual_memory()
    system_limit = (used.total - used.available) / 2**20 + 4096  # on, but far from reached
    runner = _runner(
        folder,
        SLEEP,
        auto_kill_max_time=3600,
        auto_kill_max_ram=4096,
        auto_kill_max_system_ram=system_limit,
    )
    for trial_id in range(1, trials + 1):
        _submit(runner, folder, trial_id)
    time.sleep(1.0)  # past the start-up of the trials

    def poll() -> None:
        runner.poll(0.25)  # the driver's loop does this

    runner_pct = _measure(seconds, poll)
    processes = len(psutil.pids())
    runner.close()
    sleepers = [subprocess.Popen([sys.executable, "-c", SLEEP]) for _ in range(trials)]
    time.sleep(1.0)
    try:
        previous_pct = _measure(seconds, _previous_design([p.pid for p in sleepers]))
    finally:
        for proc in sleepers:
            proc.kill()
            proc.wait()
    return {
        "trials": trials,
        "seconds": seconds,
        "machine_processes": processes,
        "runner_pct_of_core": runner_pct,
        "previous_design_pct_of_core": previous_pct,
    }


def _previous_design(roots: list[int]) -> object:
    """One tick of the first runner's sampling: a recursive psutil walk per trial, every 100 ms."""

    def tick() -> None:
        for pid in roots:
            try:
                procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
            except psutil.Error:
                continue
            for proc in procs:
                try:
                    with proc.oneshot():
                        proc.memory_info()
                        proc.cpu_times()
                except psutil.Error:
                    continue
        time.sleep(0.1)

    return tick


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, shorter windows")
    args = parser.parse_args()
    rounds, ram_runs, window = (2, 2, 5.0) if args.quick else (5, 5, 20.0)
    print(
        f"# machine: {platform.platform()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time_overshoot(folder / "time", rounds, parallel=4, limit=1.0)
        print(
            f"time limit 1 s, {t['trials']} trials (4 at once): process dead at limit + "
            f"{t['dead_median_ms']:.0f} ms median, {t['dead_max_ms']:.0f} ms max; outcome "
            f"delivered at limit + {t['delivered_median_ms']:.0f} ms median, "
            f"{t['delivered_max_ms']:.0f} ms max   (target < 300 ms)"
        )
        r = ram_overshoot(folder / "ram", ram_runs, limit_mib=500)
        print(
            f"RAM limit {r['limit_mib']:.0f} MiB at 200 MB/s, {r['runs']} runs: tree RSS at the "
            f"kill {r['rss_at_kill_median_mib']:.0f} MiB median; peak RSS "
            f"{r['peak_median_mib']:.0f} MiB median, {r['peak_max_mib']:.0f} MiB max = "
            f"+{r['overshoot_max_pct']:.1f} % of the limit   (target < 25 %)"
        )
        c = watch_cost(folder / "cost", trials=8, seconds=window)
        print(
            f"CPU with {c['trials']} idle trials over {c['seconds']:.0f} s "
            f"({c['machine_processes']} processes on the machine): runner "
            f"{c['runner_pct_of_core']:.2f} % of one core   (target < 2 %); previous design "
            f"(psutil walk per trial per tick) {c['previous_design_pct_of_core']:.2f} %"
        )


if __name__ == "__main__":
    main()
