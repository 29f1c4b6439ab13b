"""Early stopping on a model trained epoch by epoch: compute and best loss with none, median, asha.

An MLPClassifier learns scikit-learn's digits (70 % of the images, each also shifted by a pixel
up, down, left and right) one epoch (``partial_fit``) at a time, up to ``--epochs`` epochs, and
reports its log loss on the other 30 % after each; its result is the loss after its last epoch.
A search of ``--trials`` trials (TPE, one trial at a time, so that a seed fixes the search) runs
with each policy and each seed through ``hypermax.optimize``: real trial processes, a real
journal.

Compute is counted three ways: the epochs trained and the CPU seconds of training, which each
trial counts itself and leaves in its folder from a ``finally`` block (which runs when it is
stopped too), and the CPU seconds of the trial processes as the watchdog measured them
(interpreter start and imports included, a cost per trial that stopping cannot save).

    python benchmarks/early_stopping.py [--trials 40] [--seeds 1 2 3] [--epochs 27] [--policies ...]

The trial itself is ``early_stopping_trial.py``, which imports numpy and scikit-learn at its top,
as a training module does: with ``function.preload`` (the default) the search imports it once
and forks every trial from it, so a trial's process CPU is its training, not an interpreter's
start; ``--no-preload`` starts every trial afresh instead.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arguments import at_least  # run as a script: its folder is on sys.path
from early_stopping_trial import COMPUTE_FILE, EPOCHS_ENV

TRIAL = Path(__file__).resolve().with_name("early_stopping_trial.py")


# -- the searches ---------------------------------------------------------------------------
SPACE = {
    "type": "object",
    "properties": {
        "learning_rate": {"type": "number", "min": 1e-5, "max": 1.0, "scaling": "logarithmic"},
        "alpha": {"type": "number", "min": 1e-6, "max": 0.1, "scaling": "logarithmic"},
        "hidden": {"enum": [32, 64, 128, 256]},
        "batch_size": {"enum": [32, 64, 128, 256]},
    },
}


def policies(epochs: int) -> dict[str, dict[str, Any]]:
    """The early_stopping sections compared, each with its defaults but ASHA's end."""
    return {
        "none": {"policy": "none"},
        "median": {"policy": "median"},
        "asha": {"policy": "asha", "max_steps": epochs},
        "asha-1": {"policy": "asha", "min_steps": 1, "max_steps": epochs},
    }


@dataclass(frozen=True)
class Run:
    """One search: its best loss and what it cost."""

    policy: str
    seed: int
    best: float
    best_ran_to_end: bool  # the best loss is a trial's after all its epochs, not a stopped one's
    epochs: int
    train_cpu: float
    process_cpu: float
    stopped: int
    seconds: float


def run_search(policy: str, rule: dict[str, Any], seed: int, args: argparse.Namespace) -> Run:
    import hypermax
    from hypermax.journal_records import read_records
    from hypermax.journal_replay import replay

    name = f"{policy}-seed{seed}"
    spec = {
        "hyperparameters": SPACE,
        "function": {
            "type": "python_function",
            "src": str(TRIAL),
            "name": "train",
            "env": {EPOCHS_ENV: str(args.epochs), "OMP_NUM_THREADS": "1"},
            "preload": not args.no_preload,
        },
        "search": {
            "name": name,
            "method": "tpe",
            "iterations": args.trials,
            "seed": seed,
            "early_stopping": rule,
        },
        "results": {"directory": str(args.out)},
        "ui": {"enabled": False},
    }
    began = time.monotonic()
    with contextlib.redirect_stdout(io.StringIO()):
        hypermax.optimize(spec, fresh=True)
    seconds = time.monotonic() - began
    folder = args.out / name
    trials = list(replay(read_records(folder / "trials.jsonl")).trials.values())
    epochs, train_cpu = 0, 0.0
    for trial in trials:
        path = folder / "trials" / str(trial.id) / COMPUTE_FILE
        if path.is_file():  # a trial that failed before its training began wrote none
            compute = json.loads(path.read_text())
            epochs += compute["epochs"]
            train_cpu += compute["cpu"]
    with_loss = [t for t in trials if t.loss is not None]
    if not with_loss:
        why = next((t.reason for t in trials if t.reason), "no trial ran")
        raise SystemExit(f"{policy} seed {seed}: no trial gave a loss ({folder}): {why}")
    best = min(with_loss, key=lambda t: t.loss or 0.0)
    return Run(
        policy=policy,
        seed=seed,
        best=best.loss or 0.0,
        best_ran_to_end=best.state.value == "ok",
        epochs=epochs,
        train_cpu=train_cpu,
        process_cpu=sum(t.cpu_time or 0.0 for t in trials),
        stopped=sum(1 for t in trials if t.state.value == "stopped"),
        seconds=seconds,
    )


# -- the report -----------------------------------------------------------------------------
def _mean(values: list[float], digits: int) -> str:
    mean = statistics.fmean(values)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.{digits}f} ± {spread:.{digits}f}"


def _percent(ratios: list[float], spec: str = ".0f") -> str:
    return f"{100 * statistics.fmean(ratios):{spec}} %"


def _share(mine: list[Run], base: dict[int, Run], measure: str) -> str:
    """A policy's compute against no stopping: the mean of the seeds' shares, and the share of
    all seeds' compute together."""
    ratios = [getattr(r, measure) / getattr(base[r.seed], measure) for r in mine]
    pooled = sum(getattr(r, measure) for r in mine) / sum(
        getattr(base[r.seed], measure) for r in mine
    )
    return f"{_percent(ratios)} ({100 * pooled:.0f} %)"


def report(runs: list[Run], args: argparse.Namespace) -> None:
    launch = "fresh processes" if args.no_preload else "preloaded (forked) trials"
    print(
        f"\n{args.trials} trials, up to {args.epochs} epochs each, seeds {args.seeds}, {launch}\n"
    )
    print("| policy | seed | best val loss | epochs | training CPU s | process CPU s | stopped |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in runs:
        print(
            f"| {r.policy} | {r.seed} | {r.best:.4f} | {r.epochs} | {r.train_cpu:.1f} "
            f"| {r.process_cpu:.1f} | {r.stopped} |"
        )
    base = {r.seed: r for r in runs if r.policy == "none"}
    if not base:  # --policies without none: nothing to compare with
        print("\n(no comparison with no stopping: the policy none did not run)")
        return
    print(
        "\n| policy | best val loss | vs none | epochs vs none | training CPU vs none "
        "| process CPU vs none |\n| --- | --- | --- | --- | --- | --- |"
    )
    ran = [policy for policy in policies(args.epochs) if any(r.policy == policy for r in runs)]
    for policy in ran:
        mine = [r for r in runs if r.policy == policy]
        gap = [r.best / base[r.seed].best - 1 for r in mine]
        best = _mean([r.best for r in mine], 4)
        shares = [_share(mine, base, measure) for measure in ("epochs", "train_cpu", "process_cpu")]
        print(
            f"| {policy} | {best} | {_percent(gap, '+.1f')} (worst {100 * max(gap):+.1f} %) "
            f"| {' | '.join(shares)} |"
        )
    print("(compute: the mean of the seeds' shares; in brackets, all seeds' compute together)")
    for policy in [p for p in ("asha", "asha-1") if p in ran]:
        asha = [r for r in runs if r.policy == policy]
        within = sum(1 for r in asha if r.best <= 1.01 * base[r.seed].best)
        full = sum(1 for r in asha if r.best_ran_to_end)
        half = sum(1 for r in asha if r.epochs <= 0.5 * base[r.seed].epochs)
        cpu = sum(1 for r in asha if r.process_cpu <= 0.5 * base[r.seed].process_cpu)
        print(
            f"\n{policy}: best loss within 1 % of no stopping on {within} of {len(asha)} seeds "
            f"(the best trial ran all its epochs on {full}); at most half the epochs on {half}, "
            f"half the process CPU on {cpu}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=at_least(1), default=40)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    # ASHA stops trials at rungs below its max_steps (the epochs), the first at epoch 1
    parser.add_argument(
        "--epochs", type=at_least(2, "one epoch leaves nothing to stop"), default=27
    )
    parser.add_argument("--out", type=Path, default=None, help="results folder (default: temp)")
    parser.add_argument("--no-preload", action="store_true", help="start every trial afresh")
    parser.add_argument(
        "--policies",
        nargs="+",
        choices=list(policies(2)),
        default=None,
        help="only these (default: all; the comparisons need none)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hypermax-es-") as temp:
        args.out = (args.out or Path(temp)).resolve()
        runs = []
        for seed in args.seeds:
            for policy, rule in policies(args.epochs).items():
                if args.policies and policy not in args.policies:
                    continue
                run = run_search(policy, rule, seed, args)
                print(
                    f"{policy:>6} seed {seed}: best {run.best:.4f}, {run.epochs} epochs, "
                    f"{run.train_cpu:.1f} / {run.process_cpu:.1f} CPU s, "
                    f"{run.stopped} stopped, {run.seconds:.0f} s",
                    file=sys.stderr,
                )
                runs.append(run)
        report(runs, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
