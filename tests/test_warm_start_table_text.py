"""A warm start's table as spreadsheets save it: UTF-8 with a byte order mark (Excel's "CSV
UTF-8") is read as the table it is; an empty file, with no loss column, is refused."""

from __future__ import annotations

import json

from conftest import quadratic, run_hypermax_here

from hypermax.warmstart import load_warm_start


def _spec(tmp_path, table):
    spec = {
        "hyperparameters": {
            "type": "object",
            "properties": {"x": {"type": "number", "min": 0, "max": 1}, "c": {"enum": ["a", "b"]}},
        },
        "function": quadratic(),
        "search": {"name": "w", "iterations": 1, "seed": 1, "warm_start": table},
        "results": {"directory": "res"},
    }
    path = tmp_path / "search.json"
    path.write_text(json.dumps(spec))
    return path


def test_a_table_with_a_byte_order_mark_is_read(tmp_path):
    table = tmp_path / "saved.csv"
    table.write_bytes("loss,x,c\r\n0.01,0.35,a\r\n0.2,0.5,b\r\n".encode("utf-8-sig"))
    read = load_warm_start(table, {"x", "c"})
    assert [(f.params, f.loss) for f in read] == [
        ({"x": 0.35, "c": "a"}, 0.01),
        ({"x": 0.5, "c": "b"}, 0.2),
    ]
    done = run_hypermax_here(_spec(tmp_path, "saved.csv"))
    assert done.returncode == 0, done.stderr
    assert "learned from 2 of 2 trials" in done.stdout + done.stderr


def test_an_empty_file_is_refused_and_a_header_alone_is_a_table_of_no_trials(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    done = run_hypermax_here(_spec(tmp_path, "empty.csv"))
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        "empty.csv: not a results table (an empty file, no loss column)"
    )
    assert done.stderr.count("\n") == 1
    (tmp_path / "header.csv").write_text("loss,x,c\n")
    assert load_warm_start(tmp_path / "header.csv", {"x", "c"}) == []
