"""One contract suite for every built-in optimizer, plus the same-seed-same-proposals promise."""

from __future__ import annotations

import json

import pytest
from conftest import journal_records, quadratic, run_cli

from hypermax.optimizers import (
    BUILTIN_METHODS,
    BaseOptimizer,
    OptimizerError,
    load_optimizer_class,
    make_optimizer,
)
from hypermax.space import Space

SPACE = Space(
    {
        "type": "object",
        "properties": {
            "x": {"type": "number", "min": -5, "max": 5},
            "k": {"type": "integer", "min": 1, "max": 4},
            "c": {"enum": ["a", "b", "c"]},
        },
    }
)
METHODS = sorted(BUILTIN_METHODS)


def _loss(params: dict) -> float:
    return (params["x"] - 1) ** 2 + params["k"] + (params["c"] != "b")


@pytest.mark.parametrize("method", METHODS)
def test_asks_stay_in_the_space_and_tells_are_accepted(method):
    optimizer = make_optimizer(method, SPACE, seed=1, options={"n_startup_jobs": 5})
    assert isinstance(optimizer, BaseOptimizer)
    for trial_id in range(1, 26):
        proposal = optimizer.ask(trial_id)
        assert proposal.trial_id == trial_id
        assert -5 <= proposal.params["x"] <= 5 and proposal.params["c"] in "abc"
        assert SPACE.encode(proposal.params) == proposal.internal
        loss = None if trial_id % 7 == 0 else _loss(proposal.params)
        optimizer.tell(trial_id, proposal.internal, loss)


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_proposals_and_another_seed_differs(method):
    def run(seed: int) -> list[dict]:
        optimizer = make_optimizer(method, SPACE, seed=seed, options={"n_startup_jobs": 5})
        out = []
        for trial_id in range(1, 16):
            proposal = optimizer.ask(trial_id)
            optimizer.tell(trial_id, proposal.internal, _loss(proposal.params))
            out.append(proposal.params)
        return out

    assert run(7) == run(7)
    assert run(7) != run(8)


@pytest.mark.parametrize("method", METHODS)
def test_a_history_told_afterwards_equals_one_built_live(method):
    """What resume relies on: telling finished trials rebuilds the same next proposal."""
    live = make_optimizer(method, SPACE, seed=3, options={"n_startup_jobs": 5})
    history = []
    for trial_id in range(1, 13):
        proposal = live.ask(trial_id)
        live.tell(trial_id, proposal.internal, _loss(proposal.params))
        history.append(proposal)
    rebuilt = make_optimizer(method, SPACE, seed=3, options={"n_startup_jobs": 5})
    for proposal in history:
        rebuilt.tell(proposal.trial_id, proposal.internal, _loss(proposal.params))
    assert rebuilt.ask(13).params == live.ask(13).params


def test_pending_trials_push_parallel_asks_apart():
    optimizer = make_optimizer("tpe", SPACE, seed=5, options={"n_startup_jobs": 3})
    for trial_id in range(1, 10):
        proposal = optimizer.ask(trial_id)
        optimizer.tell(trial_id, proposal.internal, _loss(proposal.params))
    first, second = optimizer.ask(10), optimizer.ask(11)
    assert first.params != second.params


def test_tpe_beats_random_on_a_smooth_problem():
    def best_after(method: str, seed: int) -> float:
        optimizer = make_optimizer(method, SPACE, seed=seed, options={"n_startup_jobs": 10})
        best = float("inf")
        for trial_id in range(1, 61):
            proposal = optimizer.ask(trial_id)
            loss = _loss(proposal.params)
            optimizer.tell(trial_id, proposal.internal, loss)
            best = min(best, loss)
        return best

    tpe = sum(best_after("tpe", s) for s in range(4))
    rand = sum(best_after("random", s) for s in range(4))
    assert tpe < rand


def test_plugin_optimizer_by_module_and_class():
    assert (
        load_optimizer_class("hypermax.optimizers.hyperopt_based:RandomOptimizer").method
        == "random"
    )
    with pytest.raises(OptimizerError, match="is not a subclass of"):
        load_optimizer_class("json:JSONDecoder")


def test_same_seed_same_trials_through_the_command_line(tmp_path, write_spec):
    doc = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": -4, "max": 4}},
        },
        "function": quadratic("train"),
        "search": {"name": "det", "iterations": 14, "seed": 9, "tpe": {"n_startup_jobs": 5}},
    }
    runs = []
    for name in ("a", "b"):
        spec = write_spec({**doc, "results": {"directory": str(tmp_path / name)}}, f"{name}.json")
        assert run_cli(str(spec), "--no-ui", cwd=tmp_path).returncode == 0
        runs.append(
            [
                r["params"]
                for r in journal_records(tmp_path / name / "det")
                if r["event"] == "trial_started"
            ]
        )
    assert runs[0] == runs[1] and len(runs[0]) == 14
    spec = write_spec(doc, "sample.json")
    sampled = [run_cli("sample", str(spec), "-n", "4", cwd=tmp_path).stdout for _ in range(2)]
    assert sampled[0] == sampled[1]
    assert len([json.loads(line) for line in sampled[0].splitlines()]) == 4
