"""hyperopt's ATPE finds a parameter's value by its name with every ``.<digits>.`` taken out,
which the labels of a leaf inside an array (``layers#2.0.units``) have: the atpe method proposes
for such spaces all the same."""

from __future__ import annotations

import pytest

from hypermax.optimizers import make_optimizer
from hypermax.space import Space

NUMBER = {"type": "number", "min": 0, "max": 1}


def test_atpe_proposes_objects_and_tuples_inside_arrays():
    pytest.importorskip("lightgbm")
    pytest.importorskip("sklearn")
    space = Space(
        {
            "type": "object",
            "properties": {
                "layers": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 2,
                    "items": {
                        "type": "object",
                        "properties": {"units": NUMBER, "e": {"enum": [1, 2]}},
                    },
                },
                "pair": {
                    "type": "array",
                    "items": [{"type": "array", "items": [NUMBER, NUMBER]}, NUMBER],
                },
            },
        }
    )
    optimizer = make_optimizer("atpe", space, 1)
    for trial_id in (1, 2, 3):
        proposal = optimizer.ask(trial_id)
        assert space.encode(proposal.params) == space.active(proposal.internal)
        assert set(proposal.params["layers"][0]) == {"units", "e"}
