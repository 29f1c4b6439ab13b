"""Which part of the search a spec edited since its search started changed, as the refusal to
resume names it."""

from __future__ import annotations

import copy

import pytest

from hypermax.spec import first_difference

BEFORE = {
    "hyperparameters": {
        "type": "object",
        "properties": {"x": {"type": "number", "min": 0, "max": 1}, "k": {"enum": [1, 2]}},
    },
    "function": {"type": "python_function", "module": "m", "name": "train", "parallel": 1},
    "metrics": {},
    "search": {"direction": "min", "metric": "loss", "iterations": 10},
}


def edited(change) -> dict:
    doc = copy.deepcopy(BEFORE)
    change(doc)
    return doc


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (
            lambda d: d["hyperparameters"]["properties"]["x"].update(max=2),
            "hyperparameters.properties.x.max",
        ),
        (
            lambda d: d["hyperparameters"]["properties"]["k"]["enum"].append(3),
            "hyperparameters.properties.k.enum",
        ),
        (lambda d: d["hyperparameters"]["properties"].pop("k"), "hyperparameters.properties.k"),
        (lambda d: d["function"].update(name="fit"), "function.name"),
        (lambda d: d["metrics"].update(auc={"direction": "max"}), "metrics.auc"),
        (lambda d: d["search"].update(direction="max"), "search.direction"),
        (lambda d: d["search"].update(metric="acc"), "search.metric"),
        (lambda d: d["search"].update(iterations=50), None),  # the same search, more trials
        (lambda d: d["function"].update(parallel=4), None),
        (lambda d: d["hyperparameters"]["properties"]["x"].update(title="rate"), None),
        # what a node says as its default does: the original Hypermax's specs write them
        (lambda d: d["hyperparameters"]["properties"]["x"].update(mode="uniform"), None),
        (lambda d: d["hyperparameters"]["properties"]["x"].update(scaling="linear"), None),
        (lambda d: d["hyperparameters"]["properties"]["k"].update(type="integer"), None),
        (
            lambda d: d["hyperparameters"]["properties"]["x"].update(scaling="logarithmic"),
            "hyperparameters.properties.x.scaling",
        ),
        (
            lambda d: d["hyperparameters"]["properties"]["x"].update(mode="normal"),
            "hyperparameters.properties.x.mode",
        ),
        (lambda d: d["hyperparameters"].update(description="the space"), None),
        (
            lambda d: d["hyperparameters"]["properties"].update(title={"constant": 1}),
            "hyperparameters.properties.title",
        ),
    ],
)
def test_the_first_difference_is_named_by_its_json_path(change, where):
    assert first_difference(BEFORE, edited(change)) == where
