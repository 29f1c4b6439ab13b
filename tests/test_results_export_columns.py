"""export and results.csv keep a param named like one of hypermax's own columns."""

from __future__ import annotations

import csv
import io
import json

from hypermax.cli import main
from hypermax.warmstart import Finished, load_warm_start


def test_params_named_like_hypermax_columns_are_kept_and_warm_start_reads_them(tmp_path, capsys):
    folder = tmp_path / "r"
    folder.mkdir()
    params = {"time": 30, "state": "CA", "reason": "r", "loss": "l1", "x": 1}
    lines = [
        {"event": "header", "format": 1},
        {"event": "trial_started", "id": 1, "params": params},
        {"event": "trial_finished", "id": 1, "state": "ok", "loss": 0.1, "time": 0.5},
    ]
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    assert main(["export", str(folder)]) == 0
    table = capsys.readouterr().out
    (row,) = csv.DictReader(io.StringIO(table))
    assert row["time"] == "0.5" and row["state"] == "ok" and row["loss"] == "0.1"
    assert row["param.time"] == "30" and row["param.state"] == "CA"
    assert row["param.reason"] == "r" and row["param.loss"] == "l1" and row["x"] == "1"
    (folder / "results.csv").write_text(table)
    assert load_warm_start(folder / "results.csv", set(params)) == [
        Finished(params, 0.1, None, 0.5)
    ]


def test_losses_near_the_largest_float_are_ranked_not_an_unexpected_error(tmp_path, capsys):
    folder = tmp_path / "r"
    folder.mkdir()
    lines = [{"event": "header", "format": 1}]
    for i in range(12):
        params = {"opt": ["adam", "sgd"][i % 2], "lr": i / 12}
        loss = 1.7e308 if i % 2 else 1.0 + i  # sgd diverged
        lines.append({"event": "trial_started", "id": i + 1, "params": params})
        lines.append({"event": "trial_finished", "id": i + 1, "state": "ok", "loss": loss})
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    assert main(["export", str(folder), "--format", "json"]) == 0
    ranked = json.loads(capsys.readouterr().out)["importance"]["params"]
    assert ranked[0]["name"] == "opt" and ranked[0]["best_value"] == "adam"
    assert all(0 <= p["importance"] <= 1 for p in ranked)
