"""Executables that cannot run, named for what they are."""

from __future__ import annotations

import json

import pytest

import hypermax
from hypermax.errors import SpecError


def test_a_folder_named_as_the_program_is_called_a_folder(tmp_path):
    (tmp_path / "train").mkdir()
    spec = tmp_path / "search.json"
    spec.write_text(
        json.dumps(
            {
                "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
                "function": {"type": "executable", "command": ["./train"], "cwd": "."},
            }
        )
    )
    with pytest.raises(SpecError) as raised:
        hypermax.load_spec(str(spec))
    assert str(raised.value) == (
        'search.json: function.command.0: "./train" is a folder, not a program'
    )
