"""The param columns of results.csv and export follow the space: a list's items side by side,
a conditional's branches one after the other, and a search without trials has them all."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import OBJECTIVES, run_cli_here, run_hypermax_here

ITEM = {
    "type": "object",
    "properties": {
        "units": {"type": "integer", "min": 1, "max": 9},
        "act": {"enum": ["relu", "tanh"]},
    },
}
SPACE = {
    "type": "object",
    "properties": {
        "layers": {"type": "array", "minItems": 1, "maxItems": 3, "items": ITEM},
        "model": {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {
                        "kind": {"constant": "a"},
                        "depth": {"type": "integer", "min": 1, "max": 3},
                    },
                },
                {
                    "type": "object",
                    "properties": {
                        "kind": {"constant": "b"},
                        "width": {"type": "integer", "min": 1, "max": 3},
                    },
                },
            ]
        },
        "lr": {"type": "number", "min": 0, "max": 1},
    },
}
#: the columns of SPACE's params, in its order
SPACE_COLUMNS = [
    *("layers.0.units", "layers.0.act", "layers.1.units", "layers.1.act"),
    *("layers.2.units", "layers.2.act", "model.kind", "model.depth", "model.width", "lr"),
]
FIXED = ["trial", "state", "loss", "time", "peak_rss_mib"]


def header_of(table: str) -> list[str]:
    return next(csv.reader(io.StringIO(table)))


def spec_of(tmp_path: Path) -> dict[str, Any]:
    """A search of SPACE whose first trial has one layer and branch b, its second three layers
    and branch a."""
    short = {"layers": [{"units": 1, "act": "relu"}], "model": {"kind": "b", "width": 2}}
    three = [{"units": 1, "act": "relu"}, {"units": 2, "act": "relu"}, {"units": 3, "act": "tanh"}]
    wide = {"layers": three, "model": {"kind": "a", "depth": 2}}
    points = [{**short, "lr": 0.1}, {**wide, "lr": 0.2}]
    return {
        "hyperparameters": SPACE,
        "function": {
            "type": "python_function",
            "src": str(OBJECTIVES / "quadratic.py"),
            "name": "anything",
        },
        "search": {"method": "random", "iterations": 2, "points": points, "name": "s"},
        "results": {"directory": str(tmp_path / "results")},
    }


def test_a_lists_items_and_a_conditionals_branches_keep_together(write_spec, tmp_path):
    """The columns were in the order they first appeared: layers.1 and layers.2 after lr,
    model.depth last."""
    assert run_hypermax_here(write_spec(spec_of(tmp_path))).returncode == 0
    folder = tmp_path / "results" / "s"
    expected = [*FIXED, *SPACE_COLUMNS, "reason"]
    assert header_of((folder / "results.csv").read_text()) == expected
    exported = run_cli_here("export", str(folder), cwd=tmp_path)
    assert exported.returncode == 0 and header_of(exported.stdout) == expected
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert rows[0]["layers.1.units"] == "" and rows[0]["model.width"] == "2"
    assert rows[1]["layers.2.act"] == "tanh" and rows[1]["model.depth"] == "2"


def test_the_dataframe_has_the_columns_of_results_csv(tmp_path):
    pytest.importorskip("pandas", reason="Result.dataframe() needs pandas")
    import hypermax

    result = hypermax.optimize(spec_of(tmp_path))
    assert list(result.dataframe().columns) == [*FIXED[1:], *SPACE_COLUMNS, "reason"]


def test_the_dataframe_of_a_search_without_finished_trials_has_the_columns(tmp_path):
    """It had no column at all."""
    pytest.importorskip("pandas", reason="Result.dataframe() needs pandas")
    from hypermax.api import make_result

    frame = make_result(folder_of(tmp_path, []), "interrupted", ()).dataframe()
    assert frame.empty and list(frame.columns) == [*FIXED[1:], *SPACE_COLUMNS, "reason"]


def folder_of(tmp_path: Path, records: list[dict[str, object]]) -> Path:
    """A results folder whose frozen spec searches SPACE and whose journal holds ``records``."""
    folder = tmp_path / "r"
    folder.mkdir()
    frozen = {"hyperparameters": SPACE, "function": {"type": "python_function"}}
    (folder / "search.json").write_text(json.dumps(frozen))
    lines = [{"event": "header", "format": 1}, *records]
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    return folder


def test_a_search_without_finished_trials_exports_the_columns_of_its_params(tmp_path):
    """Without a finished trial (or any), the table had the fixed columns alone: a script
    reading the params' columns broke on an empty search."""
    expected = [*FIXED, *SPACE_COLUMNS, "reason"]
    folder = folder_of(tmp_path, [])
    for extra in ([], ["--best"]):
        exported = run_cli_here("export", str(folder), *extra, cwd=tmp_path)
        assert exported.returncode == 0 and exported.stdout.splitlines() == [",".join(expected)]


def test_params_the_space_does_not_have_come_after_its_own(tmp_path):
    """A trial of the space before an edit: its param gone from the space keeps its column,
    after the space's."""
    params = {"lr": 0.5, "momentum": 0.9, "layers": [{"units": 1, "act": "relu"}]}
    started = {"event": "trial_started", "id": 1, "params": params}
    ended = {"event": "trial_finished", "id": 1, "state": "ok", "loss": 0.1}
    folder = folder_of(tmp_path, [started, ended])
    exported = run_cli_here("export", str(folder), cwd=tmp_path)
    assert header_of(exported.stdout) == [*FIXED, *SPACE_COLUMNS, "momentum", "reason"]
