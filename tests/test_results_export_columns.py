"""export and results.csv keep a param named like one of hypermax's own columns."""

from __future__ import annotations

import csv
import io
import json

from hypermax.cli import main
from hypermax.warmstart import Finished, load_warm_start


def exported_trial(tmp_path, capsys, params):
    """The results folder of one trial of ``params`` (loss 0.1, 0.5 s) and what export prints."""
    folder = tmp_path / "r"
    folder.mkdir()
    lines = [
        {"event": "header", "format": 1},
        {"event": "trial_started", "id": 1, "params": params},
        {"event": "trial_finished", "id": 1, "state": "ok", "loss": 0.1, "time": 0.5},
    ]
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    assert main(["export", str(folder)]) == 0
    return folder, capsys.readouterr().out


def test_params_named_like_hypermax_columns_are_kept_and_warm_start_reads_them(tmp_path, capsys):
    params = {"time": 30, "state": "CA", "reason": "r", "loss": "l1", "x": 1}
    folder, table = exported_trial(tmp_path, capsys, params)
    (row,) = csv.DictReader(io.StringIO(table))
    assert row["time"] == "0.5" and row["state"] == "ok" and row["loss"] == "0.1"
    assert row["param.time"] == "30" and row["param.state"] == "CA"
    assert row["param.reason"] == "r" and row["param.loss"] == "l1" and row["x"] == "1"
    (folder / "results.csv").write_text(table)
    assert load_warm_start(folder / "results.csv", set(params)) == [
        Finished(params, 0.1, None, 0.5)
    ]


def test_no_two_params_metrics_or_values_share_a_column(tmp_path, capsys):
    """The params ``trial`` and ``param.trial`` were both the column ``param.trial`` (results.csv,
    export, ``Result.dataframe()``): one of them was lost from every row."""
    import pytest

    from hypermax.api import make_result
    from hypermax.trial import Trial, TrialState

    folder = tmp_path / "r"
    folder.mkdir()
    params = {"trial": 0.5, "param": {"trial": 5}, "metric": {"m": "a"}, "x": 1}
    metrics = {"loss": 0.1, "x": 2, "metric.x": 3, "param.x": 4}
    lines = [
        {"event": "header", "format": 1},
        {"event": "trial_started", "id": 1, "params": params},
        {"event": "trial_finished", "id": 1, "state": "ok", "loss": 0.1, "metrics": metrics},
    ]
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    assert main(["export", str(folder)]) == 0
    table = capsys.readouterr().out
    (row,) = csv.DictReader(io.StringIO(table))
    assert row == {
        **{"trial": "1", "state": "ok", "loss": "0.1", "time": "", "peak_rss_mib": ""},
        **{"metric.x": "2", "metric.metric.x": "3", "metric.param.x": "4"},
        **{"param.trial": "0.5", "param.param.trial": "5", "param.metric.m": "a", "x": "1"},
        "reason": "",
    }
    assert len(table.splitlines()[0].split(",")) == len(row)  # no column twice
    (folder / "results.csv").write_text(table)
    assert load_warm_start(folder / "results.csv", set(params)) == [
        Finished(params, 0.1, None, None)
    ]
    pytest.importorskip("pandas", reason="Result.dataframe() needs pandas")
    metadata = {"trial": 6, "metadata.trial": 7, "param.trial": 8}
    trial = Trial(1, params, {}, TrialState.OK, 0.1, metrics=metrics, metadata=metadata)
    frame = make_result(tmp_path, "iterations done", (trial,)).dataframe()
    assert list(frame.columns) == [
        "state", "loss", "time", "peak_rss_mib", "metric.x", "metric.metric.x", "metric.param.x",
        "param.trial", "param.param.trial", "param.metric.m", "x", "metadata.trial",
        "metadata.metadata.trial", "metadata.param.trial", "reason",
    ]  # fmt: skip
    assert frame.loc[1, "param.trial"] == 0.5 and frame.loc[1, "metadata.param.trial"] == 8


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


def test_a_carriage_return_in_a_param_keeps_its_row_whole(tmp_path, capsys):
    """A cell holding "\\r" was written bare: a reader took it for the end of the row, and a warm
    start from that results.csv read two broken rows."""
    params = {"prompt": "50%\rdone", "a\rb": 1}
    folder, table = exported_trial(tmp_path, capsys, params)
    assert table.endswith('"50%\rdone",1,\n') and "\r\n" not in table
    (row,) = csv.DictReader(io.StringIO(table, newline=""))
    assert row["prompt"] == "50%\rdone" and row["a\rb"] == "1"
    (folder / "results.csv").write_text(table, newline="")
    assert load_warm_start(folder / "results.csv", set(params)) == [
        Finished(params, 0.1, None, 0.5)
    ]


def header_of(table: str) -> list[str]:
    return next(csv.reader(io.StringIO(table)))


def test_the_columns_do_not_depend_on_which_trials_have_a_loss_or_have_ended(tmp_path, capsys):
    from hypermax.export import write_views
    from hypermax.journal_replay import read_state

    folder = tmp_path / "r"
    folder.mkdir()
    branch_a = {"model": {"kind": "a", "depth": 3}, "lr": 0.1}
    branch_b = {"model": {"kind": "b", "width": 8}, "lr": 0.2}
    lines = [
        {"event": "header", "format": 1},
        {"event": "trial_started", "id": 1, "params": branch_a},
        {"event": "trial_finished", "id": 1, "state": "failed"},
        {"event": "trial_started", "id": 2, "params": branch_b},
    ]
    journal = folder / "trials.jsonl"
    journal.write_text("".join(json.dumps(r) + "\n" for r in lines))
    every = ["trial", "state", "loss", "time", "peak_rss_mib"]
    every += ["model.kind", "model.depth", "lr", "model.width", "reason"]
    # no trial has a loss, one still runs: every param has its column all the same
    for argv in (["export", str(folder)], ["export", str(folder), "--best"]):
        assert main(argv) == 0
        assert header_of(capsys.readouterr().out) == every
    write_views(folder, list(read_state(journal).trials.values()))
    assert header_of((folder / "results.csv").read_text()) == every
    # once trial 2 has the best loss, the table of the best alone has the columns of trial 1
    with journal.open("a") as out:
        out.write(json.dumps({"event": "trial_finished", "id": 2, "state": "ok", "loss": 1}))
        out.write("\n")
    assert main(["export", str(folder), "--best"]) == 0
    table = capsys.readouterr().out
    assert header_of(table) == every and len(table.splitlines()) == 2


def test_a_returned_loss_of_nan_adds_no_metric_loss_column_beside_the_loss(tmp_path, capsys):
    """One trial whose returned loss was NaN (failed: its loss blank) put a metric.loss column,
    the loss again, in every row of the table, and only in the tables that had its row."""
    folder = tmp_path / "r"
    folder.mkdir()
    lines = [{"event": "header", "format": 1}]
    for trial_id, loss in ((1, 0.3), (2, "nan"), (3, 0.2)):
        state = "failed" if loss == "nan" else "ok"
        lines += [
            {"event": "trial_started", "id": trial_id, "params": {"x": trial_id}},
            {
                "event": "trial_finished",
                "id": trial_id,
                "state": state,
                "loss": None if loss == "nan" else loss,
                "metrics": {"loss": loss, "acc": 0.5},
                "reason": "loss is nan" if loss == "nan" else None,
            },
        ]
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    columns = ["trial", "state", "loss", "time", "peak_rss_mib", "acc", "x", "reason"]
    for argv in (["export", str(folder)], ["export", str(folder), "--best"]):
        assert main(argv) == 0
        assert header_of(capsys.readouterr().out) == columns


def test_the_table_of_the_best_has_the_weighed_loss_metric_column_of_the_others(tmp_path, capsys):
    folder = tmp_path / "r"
    folder.mkdir()
    lines = [{"event": "header", "format": 1}]
    for trial_id, loss, returned in ((1, 0.3, 0.3), (2, 0.45, 0.4)):  # 2's time term: 0.05
        lines += [
            {"event": "trial_started", "id": trial_id, "params": {"x": trial_id}},
            {"event": "trial_finished", "id": trial_id, "state": "ok", "loss": loss,
             "metrics": {"loss": returned}},
        ]  # fmt: skip
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    columns = ["trial", "state", "loss", "time", "peak_rss_mib", "metric.loss", "x", "reason"]
    assert main(["export", str(folder), "--best"]) == 0
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert table == [columns, ["1", "ok", "0.3", "", "", "0.3", "1", ""]]
