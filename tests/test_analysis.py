"""hypermax.analysis: how the params of finished trials relate to their loss."""

from __future__ import annotations

import doctest
import math
import random

import pytest
from conftest import printed_by

from hypermax import analysis
from hypermax.analysis import ParamRelation, rank_params


def only(ranking: list[ParamRelation]) -> ParamRelation:
    assert len(ranking) == 1, ranking
    return ranking[0]


def test_rho_matches_the_textbook_value_with_ties():
    # scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == 0.8207826816681233
    losses = [5.0, 6, 7, 8, 7]
    scored = [({"x": float(x)}, loss) for x, loss in zip(range(1, 6), losses, strict=True)]
    relation = only(rank_params(scored, min_trials=5))
    assert relation.rho == pytest.approx(0.8207826816681233)
    assert (relation.name, relation.trials, relation.kind) == ("x", 5, "number")


def test_tied_values_share_their_average_rank():
    # values 3, 1, 3, 2 rank 3.5, 1, 3.5, 2 (ranked 3, 1, 4, 2 instead, rho would be 0.8)
    scored = [({"x": x}, loss) for x, loss in zip([3, 1, 3, 2], [4.0, 1, 3, 2], strict=True)]
    assert only(rank_params(scored, min_trials=4)).rho == pytest.approx(math.sqrt(0.9))


def test_a_constant_param_or_a_constant_loss_says_nothing():
    scored = [({"x": float(i), "same": 1.0, "name": "adam"}, float(i)) for i in range(6)]
    assert [r.name for r in rank_params(scored, min_trials=5)] == ["x"]
    flat_loss = [({"x": float(i)}, 0.5) for i in range(6)]
    assert rank_params(flat_loss, min_trials=5) == []


def test_param_ranking_orders_by_strength_and_encodes_enums_by_mean_loss():
    scored = []
    for i in range(12):
        opt = ["adam", "sgd", "rmsprop"][i % 3]
        loss = i + {"adam": 0, "sgd": 30, "rmsprop": 15}[opt]
        scored.append(({"lr": float(i), "opt": opt, "const": 7}, float(loss)))
    ranking = rank_params(scored, min_trials=5)
    # a param that never varies says nothing; the enum explains more of the loss than lr
    assert [r.name for r in ranking] == ["opt", "lr"]
    by_name = {r.name: r for r in ranking}
    assert by_name["opt"].kind == "enum" and by_name["opt"].best_value == "adam"
    assert by_name["opt"].rho > 0.8
    assert by_name["lr"].kind == "number" and 0 < by_name["lr"].rho < by_name["opt"].rho


def test_an_enum_is_ranked_by_mean_loss_not_by_its_values_so_rho_is_never_negative():
    # "z" is best: sorted by name the enum would correlate negatively with the loss
    scored = [({"pick": pick}, loss) for pick, loss in [("z", 1.0), ("a", 5), ("z", 2), ("a", 6)]]
    relation = only(rank_params(scored, min_trials=4))
    assert relation.kind == "enum" and relation.best_value == "z"
    assert relation.rho == pytest.approx(math.sqrt(0.8))
    # any JSON value can be an enum's value; the best one comes back as it was
    lists = [({"shape": [2, 2] if i % 2 else [8]}, float(i % 2)) for i in range(6)]
    assert only(rank_params(lists, min_trials=5)).best_value == [8]


def test_a_number_that_grows_with_the_loss_is_positive_and_one_against_it_negative():
    scored = [({"up": float(i), "down": -(float(i) ** 3)}, float(i)) for i in range(6)]
    ranking = rank_params(scored, min_trials=5)
    assert [(r.name, r.rho) for r in ranking] == [
        ("down", pytest.approx(-1.0)),
        ("up", pytest.approx(1.0)),
    ]  # equal strength: by name


def test_bools_are_ranked_as_zero_and_one():
    scored = [({"bn": i % 2 == 1}, float(i % 2) + i / 100) for i in range(6)]
    relation = only(rank_params(scored, min_trials=5))
    assert relation.kind == "bool" and relation.best_value is None
    # False ranks 2 (of 1-3), True 5 (of 4-6); the losses rank 1, 4, 2, 5, 3, 6
    assert relation.rho == pytest.approx(math.sqrt(27 / 35))


def test_losses_that_are_not_finite_numbers_are_skipped():
    scored = [({"x": float(i)}, float(i)) for i in range(5)]
    scored += [({"x": 9.0}, math.nan), ({"x": 10.0}, math.inf), ({"x": 11.0}, -math.inf)]
    relation = only(rank_params(scored, min_trials=5))
    assert relation.trials == 5 and relation.rho == pytest.approx(1.0)


def test_param_ranking_skips_params_seen_in_too_few_trials():
    scored = [
        ({"x": float(i), "branch_only": i} if i < 3 else {"x": float(i)}, float(i))
        for i in range(8)
    ]
    ranking = rank_params(scored, min_trials=5)
    assert [r.name for r in ranking] == ["x"]
    assert ranking[0].rho == pytest.approx(1.0)


def test_the_documented_example_holds():
    assert doctest.testmod(analysis).failed == 0


def test_scipy_is_loaded_by_load_or_a_ranking_not_by_the_import():
    code = (
        "import sys, hypermax.analysis as a; print('scipy' in sys.modules); a.load(); "
        "print('scipy.stats' in sys.modules)"
    )
    assert printed_by(code) == ["False", "True"]


def test_a_ranking_of_too_few_trials_loads_no_scipy():
    # the dashboard ranks from its first refresh on, with no trial finished: that ranking costs
    # nothing, and numpy's and scipy's import waits for one that has something to rank
    code = (
        "import sys, hypermax.analysis as a; print(a.rank_params([({'x': 1.0}, 1.0)]));"
        "print('scipy.stats' in sys.modules);"
        "a.rank_params([({'x': float(i)}, i) for i in range(5)]);"
        "print('scipy.stats' in sys.modules)"
    )
    assert printed_by(code) == ["[]", "False", "True"]


def test_an_enum_whose_one_loss_is_huge_still_ranks_with_a_rho_that_is_not_negative():
    """Value a's losses are the lowest but one, whose mean puts it behind b: ranked by its
    losses' ranks it comes first, and rho is positive, as its docstring says."""
    from hypermax.analysis import rank_params

    losses = {"a": [1.0, 2.0, 3.0, 1e300], "b": [4.0, 5.0, 6.0, 7.0]}
    scored = [({"e": value}, loss) for value, some in losses.items() for loss in some]
    (relation,) = rank_params(scored, 3)
    assert relation.rho > 0
    assert relation.best_value == "b"  # the lowest mean loss, as before


def test_thousands_of_params_are_ranked_in_a_few_scipy_calls(monkeypatch):
    """One scipy call per param took seconds for a list of thousands of params, every second,
    in the dashboard's drawing; the params that share their trials are ranked at once."""
    rng = random.Random(4)
    scored = []
    for i in range(30):
        flat = {f"mask.{j}": rng.random() for j in range(8000)}
        flat["opt"] = ["adam", "sgd"][i % 2]
        if i % 3:
            flat["momentum"] = rng.random()  # a conditional param: trials of its own
        scored.append((flat, flat["mask.0"] + (i % 2) + rng.random() * 0.01))
    stats, calls = analysis._stats(), []

    class Counted:  # scipy.stats, its calls counted
        def __getattr__(self, name: str) -> object:
            def call(*args: object, **kwargs: object) -> object:
                calls.append(name)
                return getattr(stats, name)(*args, **kwargs)

            return call

    monkeypatch.setattr(analysis, "_stats", Counted)
    ranked = rank_params(scored)
    assert 0 < len(calls) <= 10, len(calls)  # a few batches; one or more per param before
    by_name = {r.name: r for r in ranked}
    assert ranked[0].name == "opt" and by_name["opt"].best_value == "adam"
    assert by_name["mask.0"].rho > 0.3 and by_name["momentum"].trials == 20


def test_an_enum_of_values_each_tried_once_does_not_follow_the_loss():
    """Each value tried once was coded by its one trial's loss: rho 1.0 and the top of the
    ranking for a param that had nothing to do with the loss (3,000 numbers and one "auto" in
    a journal, or ids). Those values are one group now."""
    unique = [({"id": f"run-{i}", "x": float(i % 5)}, float(i)) for i in range(40)]
    assert [r.name for r in rank_params(unique, min_trials=5)] == ["x"]
    # "auto" in every fourth trial, whatever the loss, and numbers the loss does not follow:
    # against the other values together, it is no better and no worse
    depths = random.Random(2).sample(range(40), 40)
    mixed = [({"depth": "auto" if i % 4 == 0 else depths[i]}, float(i)) for i in range(40)]
    relation = only(rank_params(mixed, min_trials=5))
    assert relation.kind == "enum" and abs(relation.rho) < 0.2
    # a value tried twice keeps its code: the two best trials share it
    twice = [({"opt": "best" if i < 2 else f"other-{i}"}, float(i)) for i in range(10)]
    relation = only(rank_params(twice, min_trials=5))
    assert relation.best_value == "best" and relation.rho > 0.5
