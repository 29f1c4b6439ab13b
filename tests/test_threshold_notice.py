"""``loss_threshold`` is a loss, lower is better: with one maximised metric the loss is minus
that metric, and a threshold written as the metric's value (0.95 of an accuracy) is reached by
the first trial. The spec says so where that is what it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hypermax.spec import spec_from_dict

NOTICE = (
    "search.json: search.loss_threshold: a loss, and the loss is minus acc (maximised): 0.95 is "
    "reached once acc is -0.95 or more; to stop at acc 0.95, write -0.95"
)


def _spec(search: dict[str, Any], metrics: dict[str, Any] | None = None) -> tuple[str, ...]:
    doc: dict[str, Any] = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
        "function": {"type": "executable", "command": ["true"]},
        "search": {"name": "s", **search},
    }
    if metrics is not None:
        doc["metrics"] = metrics
    return spec_from_dict(doc, Path("search.json")).notices


@pytest.mark.parametrize(
    ("search", "metrics", "said"),
    [
        ({"direction": "max", "metric": "acc", "loss_threshold": 0.95}, None, True),
        ({"loss_threshold": 0.95}, {"acc": {"direction": "increase"}}, True),
        ({"loss_threshold": -0.95}, {"acc": {"direction": "increase"}}, False),
        # normalised by its max, the loss falls from 1 to 0: a threshold above 0 is meant so
        ({"loss_threshold": 0.05}, {"acc": {"direction": "increase", "max": 1}}, False),
        ({"loss_threshold": 0.95}, {"err": {"direction": "decrease"}}, False),
        ({"loss_threshold": 0.95}, None, False),
    ],
)
def test_a_positive_threshold_of_a_maximised_metric_is_said_to_be_a_loss(search, metrics, said):
    assert (NOTICE in _spec(search, metrics)) is said
