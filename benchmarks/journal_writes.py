"""What writing the journal costs hypermax: the records of N trials (started and finished,
params over a conditional + array space), appended 1,000 at a time as a warm start writes its
imported trials, without waiting for the disk. CPU seconds, the best of 3.

    python benchmarks/journal_writes.py [--trials 50000]

Compare two codes with PYTHONPATH, in turn: ``for tree in /tmp/before .; do PYTHONPATH=$tree
python benchmarks/journal_writes.py; done``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from hypermax.journal import Journal


def records(trials: int) -> list[dict[str, Any]]:
    """A started and a finished record a trial, as the journal holds them."""
    rng = random.Random(0)
    out: list[dict[str, Any]] = []
    for trial in range(1, trials + 1):
        opt = (
            {"name": "sgd", "momentum": rng.random()}
            if rng.random() < 0.5
            else {"name": "adam", "beta": 0.8 + 0.2 * rng.random()}
        )
        layers = [
            {"units": rng.randint(8, 512), "act": rng.choice(["relu", "tanh"])}
            for _ in range(rng.randint(1, 3))
        ]
        params = {"lr": 10 ** rng.uniform(-5, 0), "depth": rng.randint(1, 12), "opt": opt}
        params["layers"] = layers
        now, loss = time.time(), rng.random()
        out.append(
            {"event": "trial_started", "id": trial, "params": params, "internal": params}
            | {"pid": 1234, "create_time": now, "started_at": now}
        )
        out.append(
            {"event": "trial_finished", "id": trial, "state": "ok", "loss": loss}
            | {"metrics": {"loss": loss}, "loss_terms": {"loss": loss}, "metadata": {}}
            | {"time": 1.0, "cpu_time": 0.9, "peak_rss_mib": 50.0, "ended_at": now}
        )
    return out


def measure(trials: int, rounds: int = 3) -> float:
    """CPU seconds, the best of ``rounds``, to write the records of ``trials`` trials."""
    made = records(trials)
    best = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            start = time.process_time()
            with Journal(Path(folder) / "trials.jsonl") as journal:
                for first in range(0, len(made), 1000):
                    journal.append_many(made[first : first + 1000], wait_for_disk=False)
            best.append(time.process_time() - start)
    return min(best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50_000)
    args = parser.parse_args()
    if args.trials < 1:
        parser.error("--trials: must be at least 1")
    seconds = measure(args.trials)
    print(f"{2 * args.trials:,} records of {args.trials:,} trials: {seconds:.3f} s CPU")


if __name__ == "__main__":
    main()
