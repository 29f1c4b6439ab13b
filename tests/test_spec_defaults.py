"""Spec defaults: declared once, as schema.json's ``default`` keywords, and filled in from there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hypermax.spec import FunctionSpec, MetricSpec, load_spec
from hypermax.specfile.schema import SCHEMA_PATH, filling_validator, spec_schema
from hypermax.validation import resolve_and_validate

SPECS = Path(__file__).parent / "specs"

HYPERPARAMETERS = {"type": "object", "properties": {"x": {"type": "number", "min": 0, "max": 1}}}
FUNCTION = {"type": "python_function", "module": "objective", "name": "train"}


def write_spec(folder: Path, doc: dict[str, Any], name: str = "search.json") -> Path:
    (folder / "objective.py").write_text("def train(params):\n    return 0.0\n")
    path = folder / name
    path.write_text(json.dumps(doc))
    return path


def test_a_spec_with_nothing_optional_is_filled_as_it_always_was(tmp_path: Path) -> None:
    doc = {"hyperparameters": HYPERPARAMETERS, "function": FUNCTION}
    spec = load_spec(write_spec(tmp_path, doc, "nothing optional.json"))
    assert spec.raw == {
        "hyperparameters": HYPERPARAMETERS,
        "function": {**FUNCTION, "parallel": 1, "kill_grace": 2},
        "search": {"name": "nothing_optional", "method": "tpe", "iterations": 100},
        "results": {"directory": "results"},
    }
    assert list(spec.raw["search"]) == ["name", "method", "iterations"]


def test_only_value_metrics_get_a_direction(tmp_path: Path) -> None:
    metrics = {
        "auc": {"min": 0.5, "max": 1.0},
        "err": {"type": "value", "min": 0},
        "up": {"min": 0, "direction": "increase"},
        "time": {"type": "time", "target_time": 1, "max_time": 2, "penalty_at_max": 1},
        "rss": {"type": "ram", "target": 100, "max": 200, "penalty_at_max": 1},
    }
    doc = {"hyperparameters": HYPERPARAMETERS, "function": FUNCTION, "metrics": metrics}
    spec = load_spec(write_spec(tmp_path, doc))
    assert spec.raw["metrics"] == {
        "auc": {"min": 0.5, "max": 1.0, "weight": 1, "direction": "decrease"},
        "err": {"type": "value", "min": 0, "weight": 1, "direction": "decrease"},
        "up": {"min": 0, "direction": "increase", "weight": 1},
        "time": {"type": "time", "target_time": 1, "max_time": 2, "penalty_at_max": 1, "weight": 1},
        "rss": {"type": "ram", "target": 100, "max": 200, "penalty_at_max": 1, "weight": 1},
    }
    # the filled document is valid again as it stands: the time and ram metrics got no direction
    assert resolve_and_validate(spec.raw, spec.path) == spec.raw


@pytest.mark.parametrize(
    ("name", "fingerprint"),
    [("search.json", "846ed2d9fa694484"), ("search.yaml", "846ed2d9fa694484")],
)
def test_fingerprints_stay_what_results_folders_recorded(name: str, fingerprint: str) -> None:
    """A results folder's journal holds its spec's fingerprint, taken of the filled document:
    filling other defaults into the space, function or metrics would refuse to resume it."""
    assert load_spec(SPECS / name).fingerprint() == fingerprint


def test_frozen_dataclass_defaults_are_the_ones_schema_json_declares() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    function = schema["$defs"]["function"]["properties"]
    metric = schema["$defs"]["metric"]
    value_metric = metric["allOf"][-1]["then"]["properties"]
    built = FunctionSpec(type="executable")
    assert (built.parallel, built.kill_grace) == (1, 2)
    assert (built.parallel, built.kill_grace) == (
        function["parallel"]["default"],
        function["kill_grace"]["default"],
    )
    assert (MetricSpec("m").weight, MetricSpec("m").direction) == (1, "decrease")
    assert (MetricSpec("m").weight, MetricSpec("m").direction) == (
        metric["properties"]["weight"]["default"],
        value_metric["direction"]["default"],
    )


def test_filling_leaves_the_schema_defaults_untouched(tmp_path: Path) -> None:
    doc = {"hyperparameters": HYPERPARAMETERS, "function": FUNCTION}
    first = load_spec(write_spec(tmp_path, doc, "first.json"))
    first.raw["results"]["directory"] = "elsewhere"
    assert spec_schema()["properties"]["search"]["default"] == {}
    assert spec_schema()["properties"]["results"]["default"] == {}
    second = load_spec(write_spec(tmp_path, doc, "second.json"))
    assert second.raw["search"] == {"name": "second", "method": "tpe", "iterations": 100}
    assert second.raw["results"] == {"directory": "results"}


CONDITIONAL = {
    "type": "object",
    "properties": {"kind": {"enum": ["x", "y"]}},
    "if": {"properties": {"kind": {"const": "x"}, "noted": {"default": True}}},
    "then": {"properties": {"size": {"default": 3}}},
    "else": {"properties": {"colour": {"default": "red"}}},
}


@pytest.mark.parametrize(
    ("given", "filled"),
    [
        ({"kind": "x"}, {"kind": "x", "size": 3}),
        ({"kind": "y"}, {"kind": "y", "colour": "red"}),
        ({"kind": "x", "size": 4}, {"kind": "x", "size": 4}),
    ],
)
def test_only_the_branch_taken_fills_and_the_condition_never_does(
    given: dict[str, Any], filled: dict[str, Any]
) -> None:
    errors = list(filling_validator(CONDITIONAL).iter_errors(given))
    assert errors == []
    assert given == filled
