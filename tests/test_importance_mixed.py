"""A param whose values mix numbers and strings (conditional branches that give one name a
number range in one and ``"auto"`` in another, an enum of both) is ranked by its numbers' order
too, not as ``"auto"`` against the rest."""

from __future__ import annotations

import random

from hypermax.analysis import encode, rank_params
from hypermax.importance import param_importance


def _scored() -> list[tuple[dict[str, object], float]]:
    """``c`` drives the loss (a number in [0, 1], the loss rising with it; ``"auto"``, a
    quarter of the trials, in the middle); ``y`` adds a tenth of that."""
    rng = random.Random(1)
    scored = []
    for _ in range(100):
        auto, c, y = rng.random() < 0.25, rng.uniform(0, 1), rng.random()
        loss = (0.5 if auto else c) + 0.3 * y + rng.gauss(0, 0.01)
        scored.append(({"c": "auto" if auto else c, "y": y}, loss))
    return scored


def test_a_number_range_mixed_with_a_string_is_ranked_by_its_numbers():
    """Each number, tried once, was one group of "values of one trial": c was "auto" against
    the rest, and ranked last (importance 0.0007, rho 0.04)."""
    scored = _scored()
    ranked = param_importance(scored, forest=True)
    assert [p.name for p in ranked.params] == ["c", "y"]
    assert ranked.params[0].importance > 0.8 and ranked.params[0].kind == "enum"
    assert [r.name for r in rank_params(scored)] == ["c", "y"]
    assert rank_params(scored)[0].rho > 0.5
    assert param_importance(scored, forest=False).params[0].name == "c"


def test_the_numbers_keep_their_order_above_the_other_values():
    values = [3, "auto", 1.5, None, "auto", 3, None]
    losses = [0.0, 0.2, 0.9, 0.5, 0.3, 0.1, 0.6]
    kind, codes, best = encode(values, losses)
    # "auto" (mean loss 0.25) below None (0.55); then 1.5 and 3 in order
    assert (kind, codes, best) == ("enum", [3.0, 0.0, 2.0, 1.0, 0.0, 3.0, 1.0], 3)
