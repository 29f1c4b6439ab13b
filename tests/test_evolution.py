"""Differential evolution: asynchronous slots, one-to-one selection, resume, options, quality."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import journal_records, quadratic, run_cli

from hypermax.errors import SpecError
from hypermax.optimizers import make_optimizer
from hypermax.optimizers.base import Budget, finished
from hypermax.optimizers.evolution import EvolutionOptimizer, Strategy
from hypermax.space import Space, UnitCube
from hypermax.spec import load_spec
from hypermax.testing import FLAT_SPACE, drive, flat_loss
from hypermax.trial import Proposal

pytestmark = pytest.mark.usefixtures("in_tmp_path")  # errors name files from here

CUBE = {
    "type": "object",
    "properties": {name: {"type": "number", "min": 0, "max": 1} for name in "abcd"},
}


def evolution(population: int = 4, crossover: float = 0.0, **options: Any) -> EvolutionOptimizer:
    optimizer = make_optimizer(
        "evolution",
        Space(CUBE),
        seed=2,
        options={"population_size": population, "crossover": crossover, **options},
    )
    assert isinstance(optimizer, EvolutionOptimizer)
    return optimizer


def ask(optimizer: EvolutionOptimizer, trial_id: int) -> Proposal:
    answer = optimizer.ask(trial_id)
    assert isinstance(answer, Proposal)
    return answer


def differing(a: Proposal, b: Proposal) -> set[str]:
    return {name for name in a.params if a.params[name] != b.params[name]}


def test_a_free_slot_gets_a_candidate_at_once_even_with_the_generation_running() -> None:
    optimizer = evolution()
    first = [ask(optimizer, trial_id) for trial_id in range(1, 9)]  # nothing told yet
    assert len({json.dumps(p.params) for p in first}) == 8


def test_a_candidate_is_crossed_with_its_slot_member_and_replaces_it_only_when_better() -> None:
    """With CR = 0, binomial crossover takes exactly one coordinate from the mutant: a candidate
    differs from the member of its slot (trial id modulo the population) in one param."""
    optimizer = evolution(population=4)
    generation = {trial_id: ask(optimizer, trial_id) for trial_id in range(1, 5)}
    for trial_id, proposal in generation.items():
        optimizer.tell(finished(trial_id, proposal.internal, float(trial_id)))
    candidate = ask(optimizer, 5)  # slot 1, whose member is trial 1
    assert len(differing(candidate, generation[1])) == 1
    optimizer.tell(finished(5, candidate.internal, 9.0))  # worse: trial 1 stays
    later = ask(optimizer, 9)  # slot 1 again
    assert len(differing(later, generation[1])) == 1
    optimizer.tell(finished(9, later.internal, 0.5))  # better: trial 9 takes the slot
    assert len(differing(ask(optimizer, 13), later)) == 1


def test_a_slot_without_member_or_too_few_members_gets_a_random_point() -> None:
    optimizer = evolution(population=4)
    first = ask(optimizer, 1)
    optimizer.tell(finished(1, first.internal, 1.0))
    second = ask(optimizer, 2)
    optimizer.tell(finished(2, second.internal, None))  # failed: slot 2 stays empty
    # slot 1 has a member but there are no two others to draw a difference from
    assert len(differing(ask(optimizer, 5), first)) == 4


def test_integers_enums_and_branches_are_rounded_coordinates() -> None:
    space = Space(FLAT_SPACE)
    cube = UnitCube(space)
    assert cube.dims == 3
    assert cube.internal([0.0, 0.0, 0.0]) == {"x": -5.0, "k": 1.0, "c": 0}
    assert cube.internal([1.0, 1.0, 1.0]) == {"x": 5.0, "k": 4.0, "c": 2}
    assert cube.internal([0.5, 0.4, 0.5]) == {"x": 0.0, "k": 2.0, "c": 1}
    internal = {"x": 2.5, "k": 3.0, "c": 2}
    assert cube.internal(cube.vector(internal, fill=[0.0] * 3)) == internal


@pytest.mark.parametrize("name", ["rand1bin", "best2exp", "currenttobest1bin", "randtobest2bin"])
def test_every_strategy_proposes_points_of_the_space(name: str) -> None:
    strategy = Strategy.parse(name)
    size = strategy.donors + 1
    space = Space(FLAT_SPACE)
    optimizer = make_optimizer(
        "evolution", space, seed=4, options={"strategy": name, "population_size": size}
    )
    told = drive(optimizer, 5 * size, flat_loss)
    assert len(told) == 5 * size
    assert all(space.decode(t.internal) == t.params for t in told)


def test_a_candidate_at_a_trials_point_a_float_s_last_digit_away_is_drawn_again() -> None:
    """A member's number comes back from the unit cube a float's last digit away: crossed with
    a choice that rounds to the member's own, the candidate was the member's point again, which
    ran again (trial 77 of this run repeated trial 72, x 0.30291295162751614 and
    0.3029129516275161)."""
    space = Space(
        {
            "type": "object",
            "properties": {
                "x": {"type": "number", "min": 0, "max": 1},
                "y": {"type": "number", "min": 0.001, "max": 7, "scaling": "logarithmic"},
                "c": {"enum": ["a", "b", "c"]},
            },
        }
    )

    def loss(params: dict[str, Any]) -> float:
        return (params["x"] - 0.3) ** 2 + (params["c"] != "b") * 0.5 + abs(params["y"] - 1)

    told = drive(make_optimizer("evolution", space, seed=1, budget=Budget(80)), 80, loss)
    points = [(f"{t.params['x']:.12g}", f"{t.params['y']:.12g}", t.params["c"]) for t in told]
    assert len(set(points)) == len(points)


def test_it_finds_better_losses_than_random_search() -> None:
    def best_after(method: str, seed: int) -> float:
        optimizer = make_optimizer(method, Space(FLAT_SPACE), seed, budget=Budget(60))
        return min(t.loss for t in drive(optimizer, 60, flat_loss) if t.loss is not None)

    assert sum(best_after("evolution", s) for s in range(4)) < sum(
        best_after("random", s) for s in range(4)
    )


def test_a_stopped_and_resumed_search_proposes_what_an_unbroken_one_does(
    tmp_path: Path, write_spec: Any
) -> None:
    search = {"name": "e", "method": "evolution", "seed": 8, "iterations": 16}
    doc = {
        "hyperparameters": FLAT_SPACE,
        "function": quadratic("anything"),
        "search": {**search, "evolution": {"population_size": 5}},
    }
    runs = {}
    for name, steps in (("unbroken", [None]), ("resumed", ["7", None])):
        spec = write_spec({**doc, "results": {"directory": str(tmp_path / name)}}, f"{name}.json")
        for iterations in steps:
            flags = ["--iterations", iterations] if iterations else []
            result = run_cli(str(spec), "--no-ui", *flags, cwd=tmp_path)
            assert result.returncode == 0, result.stderr
        records = journal_records(tmp_path / name / "e")
        runs[name] = [r["params"] for r in records if r["event"] == "trial_started"]
    assert len(runs["unbroken"]) == 16
    assert runs["resumed"] == runs["unbroken"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            {"strategy": "rand2bin", "population_size": 5},
            "search.evolution.population_size: must be at least 6 with the strategy rand2bin, "
            "got 5",
        ),
        (
            {"strategy": "worst1bin"},
            "search.evolution.strategy: must be a base (rand, best, currenttobest or "
            "randtobest), 1 or 2 differences and a crossover (bin or exp), like best1bin, "
            'got "worst1bin"',
        ),
        ({"mutation": 0}, "search.evolution.mutation: must be greater than 0, got 0"),
    ],
)
def test_option_problems_are_one_line_each(
    options: dict[str, Any], expected: str, tmp_path: Path
) -> None:
    (tmp_path / "objective.py").write_text("def train(params):\n    return 0.0\n")
    doc = {
        "hyperparameters": FLAT_SPACE,
        "function": {"type": "python_function", "module": "objective", "name": "train"},
        "search": {"method": "evolution", "evolution": options},
    }
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "bad.json")
    assert str(caught.value) == f"bad.json: {expected}"
