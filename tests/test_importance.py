"""hypermax.importance.param_importance: the share of the loss's variation each param
accounts for."""

from __future__ import annotations

import random

import pytest
from conftest import printed_by

from hypermax.importance import param_importance


def _search(n: int = 120, seed: int = 0) -> list[tuple[dict, float]]:
    """A loss with a U-shaped param, an enum, a weak linear param, noise, and a conditional."""
    rng = random.Random(seed)
    scored = []
    for _ in range(n):
        flat = {
            "u": rng.uniform(0, 1),
            "weak": rng.uniform(0, 1),
            "noise": rng.uniform(0, 1),
            "opt": rng.choice(["adam", "sgd", "rmsprop"]),
        }
        if flat["opt"] == "sgd":
            flat["momentum"] = rng.uniform(0, 1)
        loss = 8 * (flat["u"] - 0.5) ** 2 + 0.6 * flat["weak"]
        loss += {"adam": 0.0, "sgd": 0.6, "rmsprop": 0.3}[flat["opt"]]
        scored.append((flat, loss + rng.gauss(0, 0.01)))
    return scored


def test_the_forest_finds_a_u_shaped_param_that_the_rank_correlation_misses():
    forest = param_importance(_search())
    spearman = param_importance(_search(), forest=False)
    assert forest.method == "forest" and spearman.method == "spearman"
    by_name = {p.name: p for p in forest.params}
    # 8 (u - 0.5)^2 over U(0, 1) has variance 0.36; the enum 0.06; 0.6 * U(0, 1) 0.03
    assert [p.name for p in forest.params[:3]] == ["u", "opt", "weak"]
    assert by_name["u"].importance > 0.7
    assert by_name["noise"].importance < 0.02
    assert abs(by_name["u"].rho) < 0.3  # rising and falling: no rank correlation to speak of
    assert spearman.params[0].name == "opt"  # by |rho| alone, the U is nearly invisible
    assert sum(p.importance for p in forest.params) == pytest.approx(1.0)
    assert sum(p.importance for p in spearman.params) == pytest.approx(1.0)


def test_each_param_keeps_its_kind_count_rho_and_best_enum_value():
    ranking = param_importance(_search())
    by_name = {p.name: p for p in ranking.params}
    assert ranking.trials == 120
    assert by_name["opt"].kind == "enum" and by_name["opt"].best_value == "adam"
    assert by_name["weak"].kind == "number" and by_name["weak"].rho > 0.1
    momentum = by_name["momentum"]  # a conditional param: only in the sgd trials
    assert 20 < momentum.trials < 60 and momentum.importance < 0.05


def test_shares_follow_rho_without_the_forest():
    scored = [({"a": float(i), "b": float(i % 3)}, float(i)) for i in range(12)]
    ranking = param_importance(scored, forest=False)
    shares = {p.name: p.importance for p in ranking.params}
    rhos = {p.name: abs(p.rho) for p in ranking.params}
    assert shares["a"] == pytest.approx(rhos["a"] / (rhos["a"] + rhos["b"]))
    assert [p.name for p in ranking.params] == ["a", "b"]


def test_the_same_trials_give_the_same_importance_and_the_seed_is_used():
    first = param_importance(_search(40), seed=1)
    assert param_importance(_search(40), seed=1) == first
    assert param_importance(_search(40), seed=2) != first


def test_a_constant_loss_or_too_few_trials_rank_nothing():
    flat_loss = [({"x": float(i)}, 0.25) for i in range(10)]
    assert param_importance(flat_loss).params == ()
    few = [({"x": float(i)}, float(i)) for i in range(3)]
    assert param_importance(few, min_trials=5).params == ()
    with_nan = [({"x": float(i)}, float(i)) for i in range(6)] + [({"x": 9.0}, float("nan"))]
    assert param_importance(with_nan).trials == 6


def test_without_scikit_learn_the_ranking_falls_back_to_the_rank_correlation():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "from hypermax.importance import param_importance\n"
        "r = param_importance([({'x': float(i)}, float(i)) for i in range(8)])\n"
        "print(r.method, r.params[0].importance)\n"
        "try:\n    param_importance([({'x': float(i)}, float(i)) for i in range(8)], forest=True)\n"
        "except ImportError:\n    print('required')\n"
    )
    assert printed_by(code) == ["spearman", "1.0", "required"]


def test_to_dict_is_plain_json():
    ranking = param_importance(_search(30))
    doc = ranking.to_dict()
    assert doc["method"] == "forest" and doc["trials"] == 30
    assert [p["name"] for p in doc["params"]] == [p.name for p in ranking.params]
    assert set(doc["params"][0]) == {"name", "importance", "rho", "trials", "kind", "best_value"}


def test_a_search_of_a_thousand_params_asks_only_the_trees_that_split_on_each(monkeypatch):
    """The main effect of each param was predicted by every tree over a batch as wide as all
    params: a list of 3,000 params took 12 minutes to show, plot or export. A tree that never
    splits on a param leaves its main effect's variance as it is, so only the others are asked
    (counted here: every tree's predictions of the forest go through its own ``predict``)."""
    pytest.importorskip("sklearn")
    from sklearn.tree import DecisionTreeRegressor

    rng = random.Random(2)
    scored = []
    for _ in range(12):
        flat = {f"mask.{i}": rng.random() for i in range(1000)}
        scored.append((flat, 3 * flat["mask.0"] + rng.random() * 0.1))
    asked: list[int] = []
    trees: dict[int, DecisionTreeRegressor] = {}
    predict = DecisionTreeRegressor.predict

    def counted(tree: DecisionTreeRegressor, *args: object, **kwargs: object) -> object:
        asked.append(id(tree))
        trees[id(tree)] = tree
        return predict(tree, *args, **kwargs)

    monkeypatch.setattr(DecisionTreeRegressor, "predict", counted)
    ranked = param_importance(scored)
    splits = sum(len(set(t.tree_.feature[t.tree_.feature >= 0].tolist())) for t in trees.values())
    assert 0 < len(asked) <= splits  # each tree once for each param it splits on; 1,000 each
    assert ranked.method == "forest" and len(ranked.params) == 1000
    assert sum(p.importance for p in ranked.params) == pytest.approx(1.0)


def test_the_forest_learns_from_a_seeded_sample_of_a_large_search(monkeypatch):
    from sklearn.ensemble import RandomForestRegressor

    import hypermax.importance as importance

    fitted: list[int] = []
    fit = RandomForestRegressor.fit

    def counted_fit(self, x, y, *args, **kwargs):
        fitted.append(len(x))
        return fit(self, x, y, *args, **kwargs)

    monkeypatch.setattr(RandomForestRegressor, "fit", counted_fit)
    monkeypatch.setattr(importance, "FOREST_SAMPLE", 100)
    first = param_importance(_search(300))
    assert fitted == [100]  # its fit costs the same however many trials the search has
    assert first.method == "forest" and first.trials == 300
    assert first.params[0].name == "u"  # as clear from the sample
    assert param_importance(_search(300)) == first  # the same sample: the same importance
    assert param_importance(_search(300), seed=1) != first


def test_an_enum_is_ranked_from_one_json_text_of_each_value_not_of_each_trial(monkeypatch):
    import json

    from hypermax import analysis

    rng = random.Random(3)
    values = ["adam", "sgd", None, 0.0, -0.0, True, 1]
    scored = [({"opt": v}, values.index(v) + rng.random()) for v in rng.choices(values, k=700)]
    texts = 0
    dumps = json.dumps

    def counting(*args, **kwargs):
        nonlocal texts
        texts += 1
        return dumps(*args, **kwargs)

    monkeypatch.setattr(analysis.json, "dumps", counting)
    (opt,) = analysis.rank_params(scored)
    assert texts <= 2 * len(values)  # the best value's text is read back too
    assert opt.best_value == "adam" and opt.rho > 0.9
    _, codes, _ = analysis.encode([flat["opt"] for flat, _ in scored], [x for _, x in scored])
    assert len(set(codes)) == len(values)  # -0.0 and 0.0, True and 1 kept apart
