"""Method options that schema.json cannot check: spec errors, one line each with the JSON path."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from conftest import quadratic

from hypermax.errors import SpecError
from hypermax.spec import spec_from_dict

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("nevergrad") is None, reason="ngopt needs nevergrad"
)


def spec(search: dict[str, Any]) -> dict[str, Any]:
    return {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": 0, "max": 1}},
        },
        "function": quadratic(),
        "search": {"iterations": 3, **search},
    }


@pytest.mark.parametrize(
    ("search", "line"),
    [
        (
            {"method": "ngopt", "ngopt": {"optimizer": "ngopt"}},
            'search.ngopt.optimizer: nevergrad has no optimizer "ngopt" (did you mean NGOpt,',
        ),
        (
            {"method": "auto", "auto": {"ngopt": {"optimizer": "NoSuchOptimizer"}}},
            'search.auto.ngopt.optimizer: nevergrad has no optimizer "NoSuchOptimizer"',
        ),
    ],
    ids=["ngopt", "auto"],
)
def test_a_nevergrad_optimizer_nevergrad_does_not_have_is_a_spec_error(
    tmp_path: Path, search: dict[str, Any], line: str
) -> None:
    """It used to pass validation, then end the run with "unexpected error: KeyError"."""
    with pytest.raises(SpecError) as caught:
        spec_from_dict(spec(search), tmp_path / "search.json")
    assert caught.value.exit_code == 2
    assert [text.startswith(f"search.json: {line}") for text in caught.value.lines()] == [True]


def test_a_nevergrad_optimizer_by_its_registry_name_is_accepted(tmp_path: Path) -> None:
    loaded = spec_from_dict(
        spec({"method": "ngopt", "ngopt": {"optimizer": "CMA"}}), tmp_path / "search.json"
    )
    assert loaded.search.options == {"optimizer": "CMA"}
