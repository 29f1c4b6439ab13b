"""A mistake in optimize()'s arguments names optimize() and the spec path, not a made-up file."""

from __future__ import annotations

import pytest

import hypermax
from hypermax.errors import HypermaxError, SpecError


def train(params):
    return params["x"]


def test_a_bad_argument_is_named_by_its_spec_path_in_optimize(tmp_path):
    with pytest.raises(SpecError) as raised:
        hypermax.optimize(train, space={"x": "0:1"}, iterations=0, results_dir=tmp_path)
    assert str(raised.value) == "optimize(): search.iterations: must be at least 1, got 0"
    with pytest.raises(SpecError) as raised:
        hypermax.optimize(train, space={"x": {"type": "number", "min": 1}}, results_dir=tmp_path)
    assert (
        str(raised.value) == 'optimize(): hyperparameters.properties.x: missing required key "max"'
    )
    assert not list(tmp_path.iterdir())


def test_a_spec_dict_s_mistake_and_an_unusable_folder_name_optimize_too(tmp_path):
    spec = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
        "function": {"type": "python_function", "module": "model", "name": "fit", "paralel": 2},
    }
    with pytest.raises(SpecError) as raised:
        hypermax.optimize(spec)
    assert str(raised.value).startswith("optimize(): function: ")
    (tmp_path / "file").write_text("")
    with pytest.raises(HypermaxError) as raised:
        hypermax.optimize(train, space={"x": "0:1"}, results_dir=tmp_path / "file")
    assert str(raised.value).startswith("optimize(): results.directory: ")
