"""Resume cost: from a 10,000-trial journal to the moment the first new trial could start, and
the cost of one journal append (write + flush + fsync).

    python benchmarks/resume.py [--trials 10000]

The time to resume is split into reading and checking the folder (lock, journal replay) and
rebuilding the optimizer's history; the optimizer's own first ask is reported apart, as it grows
with the history whatever the journal does.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from hypermax.journal import Journal, finished_record, started_record
from hypermax.journal_replay import FORMAT_VERSION
from hypermax.search import build_driver
from hypermax.search_folder import prepare
from hypermax.spec import spec_from_dict
from hypermax.trial import Trial, TrialState

SPACE = {
    "type": "object",
    "properties": {
        "lr": {"type": "number", "min": 1e-5, "max": 1, "scaling": "logarithmic"},
        "depth": {"type": "integer", "min": 1, "max": 12},
        "dropout": {"type": "number", "min": 0, "max": 0.5},
        "act": {"enum": ["relu", "tanh", "gelu"]},
        "batch": {"enum": [32, 64, 128, 256]},
    },
}


def make_spec(folder: Path, iterations: int):
    (folder / "objective.py").write_text("def train(p):\n    return 0.0\n")
    doc = {
        "hyperparameters": SPACE,
        "function": {"type": "python_function", "module": "objective", "name": "train"},
        "search": {"name": "big", "iterations": iterations, "seed": 1},
        "results": {"directory": str(folder / "results")},
    }
    return spec_from_dict(doc, folder / "search.json")


def write_journal(spec, trials: int) -> None:
    from hypermax.space import Space

    space = Space(spec.hyperparameters)
    rng = random.Random(0)
    folder = spec.results_folder
    folder.mkdir(parents=True)
    with Journal(folder / "trials.jsonl") as journal:
        journal._file.write(  # bulk-write without an fsync per line: this is set-up, not measured
            (
                json.dumps(
                    {
                        "event": "header",
                        "format": FORMAT_VERSION,
                        "seed": 1,
                        "spec_hash": spec.fingerprint(),
                        "name": "big",
                    }
                )
                + "\n"
            ).encode()
        )
        for trial_id in range(1, trials + 1):
            params = {
                "lr": 10 ** rng.uniform(-5, 0),
                "depth": rng.randint(1, 12),
                "dropout": rng.uniform(0, 0.5),
                "act": rng.choice(["relu", "tanh", "gelu"]),
                "batch": rng.choice([32, 64, 128, 256]),
            }
            internal = space.encode(params)
            trial = Trial(trial_id, params, internal, started_at=time.time())
            done = Trial(
                trial_id,
                params,
                internal,
                state=TrialState.OK,
                loss=rng.random(),
                time=1.0,
                peak_rss_mib=50.0,
                ended_at=time.time(),
            )
            for record in (started_record(trial, 1234, 1.0), finished_record(done)):
                journal._file.write((json.dumps(record) + "\n").encode())


def measure_resume(trials: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = make_spec(folder, trials + 10)
        write_journal(spec, trials)
        size = (spec.results_folder / "trials.jsonl").stat().st_size
        t0 = time.perf_counter()
        prepared = prepare(spec)
        t1 = time.perf_counter()
        driver, journal = build_driver(prepared, [])
        t2 = time.perf_counter()
        driver.optimizer.ask(trials + 1)
        t3 = time.perf_counter()
        journal.close()
        prepared.folder.unlock()
        return {
            "journal MiB": size / 2**20,
            "read + replay": t1 - t0,
            "rebuild optimizer": t2 - t1,
            "first ask": t3 - t2,
        }


def measure_append(count: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        trial = Trial(
            1, {"lr": 0.01, "depth": 3}, {"lr": 0.01, "depth": 3.0}, started_at=time.time()
        )
        done = Trial(
            1,
            trial.params,
            trial.internal,
            state=TrialState.OK,
            loss=0.3,
            time=1.0,
            ended_at=time.time(),
        )
        costs = []
        with Journal(Path(tmp) / "trials.jsonl") as journal:
            for _ in range(count):
                t0 = time.perf_counter()
                journal.append(started_record(trial, 1, 1.0))
                journal.append(finished_record(done))
                costs.append(time.perf_counter() - t0)
        return costs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=10_000)
    args = parser.parse_args()
    runs = [measure_resume(args.trials) for _ in range(3)]
    print(
        f"resume from a {args.trials}-trial journal ({runs[0]['journal MiB']:.1f} MiB), best of 3:"
    )
    for key in ("read + replay", "rebuild optimizer", "first ask"):
        print(f"  {key:<18} {min(r[key] for r in runs) * 1000:8.1f} ms")
    total = min(r["read + replay"] + r["rebuild optimizer"] for r in runs)
    print(f"  {'to first trial':<18} {total * 1000:8.1f} ms (target < 1000 ms, first ask excluded)")
    costs = measure_append(500)
    print(
        f"journal append per trial (started + finished, 2 fsyncs), 500 trials: "
        f"median {statistics.median(costs) * 1000:.2f} ms, "
        f"p95 {sorted(costs)[int(0.95 * len(costs))] * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
