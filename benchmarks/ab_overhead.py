"""Two installs of hypermax, the same trivial search through each, in turn: the cost per trial.

    python benchmarks/ab_overhead.py VENV_A VENV_B [--parallel 1] [--preload] [--trials 400]
                                     [--rounds 6]

Each VENV is a virtual environment with hypermax (and hyperopt) installed in it, e.g. made with
``python3.11 -m venv /tmp/a && /tmp/a/bin/pip install . hyperopt`` at each commit to compare. A
round runs the search once through each install, in alternating order (A B, then B A), each in a
results folder of its own that is never deleted during the run (on this machine's ext4, a
search right after a large deletion pays for it). Per trial: wall time from the first trial's
end to the last one's in the journal (start-up left out), and the CPU time of hypermax and its
trials together. Medians over the rounds, and each round's figure, so that the machine's drift
shows: a difference smaller than the spread of the rounds is no difference. Also the median CPU
time of one trial's own process (as its reaping reports it, in the journal): a change to what a
trial process does shows there, apart from hypermax's own work.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import tempfile
from pathlib import Path

from arguments import at_least  # run as a script: its folder is on sys.path
from overhead import TRIVIAL, write_search


def one_search(
    venv: Path, folder: Path, parallel: int, preload: bool, trials: int
) -> tuple[float, float, float]:
    """Wall and CPU milliseconds per trial of one search run by ``venv``'s hypermax, and the
    median CPU milliseconds of a trial's own process."""
    write_search(folder, TRIVIAL, trials, parallel, preload)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [str(venv / "bin" / "python"), "-m", "hypermax", "run", "search.json", "--no-ui"]
    subprocess.run(command, cwd=folder, stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    journal = (folder / "results" / "bench" / "trials.jsonl").read_text().splitlines()
    finished = [
        record for record in map(json.loads, journal) if record["event"] == "trial_finished"
    ]
    assert len(finished) == trials, "some trials did not finish"
    ends = sorted(record["ended_at"] for record in finished)
    own = statistics.median(record["cpu_time"] or 0.0 for record in finished)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return (ends[-1] - ends[0]) / (trials - 1) * 1e3, cpu / trials * 1e3, own * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("venvs", nargs=2, type=Path)
    parser.add_argument("--parallel", type=at_least(1), default=1)
    parser.add_argument("--preload", action="store_true")
    # wall per trial: the span from the first trial's end to the last one's
    parser.add_argument(
        "--trials", type=at_least(2, "wall per trial is between two ends"), default=400
    )
    parser.add_argument("--rounds", type=at_least(1), default=6)
    args = parser.parse_args()
    # by position, not by path: the same install twice (A against A) measures the noise
    figures: list[list[tuple[float, float, float]]] = [[], []]
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            order = (0, 1) if round_ % 2 == 0 else (1, 0)
            for slot in order:
                folder = Path(tmp) / f"{round_}-{slot}"
                figures[slot].append(
                    one_search(args.venvs[slot], folder, args.parallel, args.preload, args.trials)
                )
    what = f"parallel {args.parallel}, {'preload' if args.preload else 'no preload'}"
    print(f"{args.trials} trials, {what}, {args.rounds} rounds")
    for venv, runs in zip(args.venvs, figures, strict=True):
        wall = [w for w, _, _ in runs]
        cpu = [c for _, c, _ in runs]
        own = [o for _, _, o in runs]
        print(
            f"{venv}: wall {statistics.median(wall):.2f} ms/trial {[round(w, 2) for w in wall]}; "
            f"CPU {statistics.median(cpu):.2f} ms/trial {[round(c, 2) for c in cpu]}; "
            f"a trial's process {statistics.median(own):.2f} ms {[round(o, 2) for o in own]}"
        )


if __name__ == "__main__":
    main()
