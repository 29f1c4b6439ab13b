"""A mistake inside a ``$ref``'d file is named in that file, at its path there, with the
``$ref`` that brought it in."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hypermax.errors import SpecError
from hypermax.spec import load_spec

pytestmark = pytest.mark.usefixtures("in_tmp_path")  # errors name files from here


X = {"type": "number", "min": 0, "max": 1}


def _problems(folder: Path, files: dict[str, object]) -> list[str]:
    """The lines of the SpecError that loading ``folder/search.json`` raises; ``files`` are
    written first (a str as it stands, anything else as JSON)."""
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(SpecError) as caught:
        load_spec(folder / "search.json")
    return str(caught.value).splitlines()


def _spec(hyperparameters: object, **more: object) -> dict[str, object]:
    return {
        "hyperparameters": hyperparameters,
        "function": {"type": "executable", "command": ["true"]},
        **more,
    }


def test_problems_in_referenced_files_name_the_file_and_the_path_inside_it(tmp_path):
    space = (
        "space:\n"
        "  type: object\n"
        "  properties:\n"
        "    x: {type: number, min: 1, max: 0}\n"
        '    z: {$ref: "more.json#/z"}\n'
    )
    files = {
        "parts/space.yaml": space,
        "parts/more.json": {"z": {"enum": []}},
        "search.json": _spec({"$ref": "parts/space.yaml#/space"}, search={"iterations": 0}),
    }
    assert _problems(tmp_path, files) == [
        "parts/space.yaml: space.properties.x.max: must be greater than min (1), got 0 "
        "(via the $ref at search.json: hyperparameters)",
        "parts/more.json: z.enum: must not be empty (via the $ref at parts/space.yaml: "
        "space.properties.z)",
        "search.json: search.iterations: must be at least 1, got 0",
    ]


def test_keys_beside_a_ref_and_the_spec_s_own_anchors_are_the_spec_s(tmp_path):
    doc = _spec(
        {
            "type": "object",
            "properties": {
                "y": {"$ref": "parts.json#/y", "max": "ten"},
                "lr": {"$ref": "#/x-rate"},
            },
        },
        **{"x-rate": {"type": "number", "min": 1, "max": 0}},
    )
    files = {"parts.json": {"y": {**X, "min": "zero"}}, "search.json": doc}
    assert _problems(tmp_path, files) == [
        "search.json: x-rate.max: must be greater than min (1), got 0 (via the $ref at "
        "search.json: hyperparameters.properties.lr)",
        'search.json: hyperparameters.properties.y.max: must be a number, got "ten"',
        'parts.json: y.min: must be a number, got "zero" (via the $ref at search.json: '
        "hyperparameters.properties.y)",
    ]


def test_a_ref_that_cannot_be_followed_inside_a_referenced_file_is_named_there(tmp_path):
    files = {
        "parts/space.json": {"type": "object", "properties": {"x": {"$ref": "gone.json#/x"}}},
        "search.json": _spec({"$ref": "parts/space.json"}),
    }
    assert _problems(tmp_path, files) == [
        'parts/space.json: properties.x: $ref "gone.json#/x": file not found '
        "(via the $ref at search.json: hyperparameters)"
    ]


def test_a_ref_to_what_is_no_file_says_what_it_is(tmp_path):
    """Not "file not found", for a folder or a named pipe that is there."""
    (tmp_path / "parts").mkdir()
    os.mkfifo(tmp_path / "pipe.json")
    for ref, what in (("parts#/a", "a folder"), ("pipe.json#/b", "a named pipe")):
        space = {"type": "object", "properties": {"a": {"$ref": ref}}}
        assert _problems(tmp_path, {"search.json": _spec(space)}) == [
            f'search.json: hyperparameters.properties.a: $ref "{ref}": is {what}, not a file'
        ]
