"""A warm start from a search whose trials were stopped early: a stopped trial's loss is that of
its last report, not comparable with the loss of a trial that ran to its end, and it is imported
as such (its step kept), as a trial stopped in this search is taught."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

from conftest import X_SPACE, run_cli_here

from hypermax.optimizers import make_optimizer
from hypermax.space import Space
from hypermax.trial import Proposal, Trial
from hypermax.warmstart import imported_trials, load_warm_start

MODEL = """
def train(params, reporter):
    x = params["x"]
    for epoch in range(1, 6):
        reporter(epoch, loss=x + 1.0 / epoch)
    return {"loss": x}
"""


def _spec(folder: Path, name: str, **search: object) -> str:
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {"name": name, "seed": 1, **search},
        "results": {"directory": "results"},
    }
    (folder / f"{name}.json").write_text(json.dumps(doc))
    return f"{name}.json"


def test_trials_stopped_early_are_imported_with_the_step_they_stopped_at(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    stopping = {"policy": "median", "min_trials": 1}
    first = _spec(tmp_path, "first", iterations=6, method="random", early_stopping=stopping)
    assert run_cli_here("run", first, "--no-ui", cwd=tmp_path).returncode == 0
    params, ended = {}, {}
    for line in (tmp_path / "results" / "first" / "trials.jsonl").open():
        record = json.loads(line)
        if record["event"] == "trial_started":
            params[record["id"]] = json.dumps(record["params"])
        elif record["event"] == "trial_finished":
            ended[params[record["id"]]] = record
    stopped = {key: r["step"] for key, r in ended.items() if r["state"] == "stopped"}
    assert stopped and len(stopped) < len(ended)

    later = _spec(tmp_path, "later", iterations=1, warm_start="results/first")
    done = run_cli_here("run", later, "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    imported = {}
    for line in (tmp_path / "results" / "later" / "trials.jsonl").open():
        record = json.loads(line)
        if record["event"] == "trial_imported":
            imported[json.dumps(record["params"])] = record
    assert imported.keys() == ended.keys()
    for key, record in imported.items():
        step = stopped.get(key)
        assert record["step"] == step  # before: None, the stopped trials taught as ended ones
        assert record["reason"] == (
            "imported" if step is None else f"imported: stopped at step {step}"
        )


def _table(path: Path) -> None:
    """A hypermax results.csv: trials that ran to their end near x = 0.9 (loss about 1), and
    trials stopped at step 3 near x = 0.1 whose last reports had lower losses (0.1)."""
    with path.open("w", newline="") as f:
        table = csv.writer(f)
        table.writerow(["id", "state", "loss", "step", "x"])
        for i in range(1, 21):
            if i % 2 == 0:
                table.writerow([i, "stopped", 0.1, 3, 0.05 + 0.01 * i])
            else:
                table.writerow([i, "ok", 1.0 + 0.01 * i, 27, 0.8 + 0.01 * i])


def test_tpe_warm_started_from_stopped_trials_follows_the_ones_that_ran_to_their_end(tmp_path):
    _table(tmp_path / "results.csv")
    space = Space(X_SPACE)
    ids = itertools.count(1)
    trials = imported_trials(space, load_warm_start(tmp_path, {"x"}), lambda: next(ids))
    assert [t.step for t in trials] == [None, 3] * 10
    optimizer = make_optimizer("tpe", space, seed=1, options={"n_startup_jobs": 5})
    optimizer.tell_many(trials)
    xs = []
    for trial_id in range(21, 31):
        proposal = optimizer.ask(trial_id)
        assert isinstance(proposal, Proposal)
        xs.append(proposal.params["x"])
        optimizer.tell(Trial(trial_id, proposal.params, proposal.internal, loss=1.5))
    assert sum(x > 0.5 for x in xs) >= 8, xs  # before: drawn to the stopped trials' low losses
