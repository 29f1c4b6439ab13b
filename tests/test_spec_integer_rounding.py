"""An integer's rounding must be a whole number: a fractional one (0.1) would make multiples
that are not integers, which the search then rounds out of its range."""

from __future__ import annotations

import json

import pytest

from hypermax.cli import main

pytestmark = pytest.mark.usefixtures("in_tmp_path")  # errors name files from here


def _validate(tmp_path, capsys, node: dict) -> tuple[int, str]:
    spec = {
        "hyperparameters": {"type": "object", "properties": {"x": node}},
        "function": {"type": "executable", "command": ["true"]},
    }
    (tmp_path / "s.json").write_text(json.dumps(spec))
    code = main(["validate", str(tmp_path / "s.json")])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("rounding", [0.1, 2.5])
def test_a_fractional_rounding_of_an_integer_is_refused(tmp_path, capsys, rounding):
    node = {"type": "integer", "min": 0.2, "max": 10, "rounding": rounding}
    assert _validate(tmp_path, capsys, node) == (
        2,
        "s.json: hyperparameters.properties.x.rounding: must be a whole number "
        f"for an integer, got {rounding}\n",
    )


def test_a_whole_rounding_of_an_integer_written_as_a_float_is_taken(tmp_path, capsys):
    node = {"type": "integer", "min": 0, "max": 10, "rounding": 2.0}
    assert _validate(tmp_path, capsys, node)[0] == 0
