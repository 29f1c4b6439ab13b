"""What reads a search's results (show, export, plot, sample, ``Result``, the ablation table,
quick's metric reader) over odd searches: journals written as the driver writes them."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from pathlib import Path
from typing import Any

import pytest

from hypermax.cli import main
from hypermax.trial import Trial, TrialState


def _started(trial: int, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": "trial_started",
        "id": trial,
        "params": params,
        "internal": {},
        "pid": 1,
        "create_time": 1.0,
        "started_at": 1_700_000_000.0 + trial,
    }


def _finished(trial: int, state: str, loss: float | None, **fields: Any) -> dict[str, Any]:
    record = {
        "event": "trial_finished",
        "id": trial,
        "state": state,
        "loss": loss,
        "metrics": {},
        "loss_terms": {},
        "metadata": {},
        "time": 0.5,
        "cpu_time": 0.1,
        "peak_rss_mib": 10.0,
        "reason": None,
        "kill_reason": None,
        "kill_value": None,
        "exit_code": 0,
        "attachments": [],
        "ended_at": 1_700_000_001.0 + trial,
        "step": None,
    }
    return record | fields


def _journal(folder: Path, *records: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    header = {
        "event": "header",
        "format": 1,
        "hypermax": "0.1.0",
        "name": folder.name,
        "spec_hash": "0",
        "spec_path": "search.json",
        "seed": 1,
        "created_at": 1.0,
    }
    lines = [json.dumps(r) + "\n" for r in (header, *records)]
    (folder / "trials.jsonl").write_text("".join(lines))
    return folder


def test_the_csv_columns_keep_their_order_and_a_weighed_loss_metric(tmp_path, capsys):
    imported = _started(1, {"x": 0.1}) | _finished(1, "imported", 0.9, reason="imported")
    stopped = {"metrics": {"loss": 0.7, "acc": 0.5}, "step": 3, "reason": "stopped at step 3"}
    folder = _journal(
        tmp_path / "r",
        imported | {"event": "trial_imported"},
        _started(2, {"x": 0.2}),
        _finished(2, "stopped", 0.4, **stopped),
        _started(3, {"x": 0.3}),
        _finished(3, "ok", 0.2, metrics={"loss": 0.2, "acc": 0.9}),
    )
    assert main(["export", str(folder)]) == 0
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert table[0] == [
        "trial", "state", "loss", "time", "peak_rss_mib", "step", "metric.loss", "acc", "x",
        "reason",
    ]  # fmt: skip
    assert table[2] == ["2", "stopped", "0.4", "0.5", "10.0", "3", "0.7", "0.5", "0.2",
                        "stopped at step 3"]  # fmt: skip
    # its metric loss, the loss too, is in the column that holds it in the other rows: a blank
    # cell read as a loss not returned
    assert table[3][5:8] == ["", "0.2", "0.9"]


def test_a_weighed_loss_metric_is_in_its_column_in_every_row_as_results_csv_grows(tmp_path):
    """results.csv, rewritten as trials end, keeps the lines of the trials before: the line of
    a trial whose metric loss was the loss (a time term of 0) had no metric.loss cell, and once
    a later trial's weighed loss differed, that trial's cell in the new column stayed blank."""
    from hypermax.export import CsvLines

    first = Trial(1, {"x": 0.1}, {}, TrialState.OK, 0.3, metrics={"loss": 0.3}, time=0.5)
    later = Trial(2, {"x": 0.2}, {}, TrialState.OK, 0.45, metrics={"loss": 0.4}, time=0.5)
    lines, path = CsvLines(), tmp_path / "results.csv"
    lines.write(path, [first])
    assert path.read_text().splitlines()[0] == "trial,state,loss,time,peak_rss_mib,x,reason"
    lines.write(path, [first, later])
    table = list(csv.reader(io.StringIO(path.read_text())))
    assert table[0][5] == "metric.loss"
    assert [row[5] for row in table[1:]] == ["0.3", "0.4"]
    lines.close()


def test_the_dataframe_has_the_columns_of_results_csv_in_their_order(tmp_path):
    pytest.importorskip("pandas", reason="Result.dataframe() needs pandas")
    from hypermax.api import make_result

    trials = (
        Trial(1, {"tree": {"leaves": 4}}, {}, TrialState.OK, 0.3, metadata={"note": "a"}),
        Trial(2, {"tree": {"depth": 2}}, {}, TrialState.FAILED, reason="ValueError: no"),
        Trial(3, {"tree": {"depth": 3}}, {}, TrialState.OK, 0.2, metadata={"seen": 1}),
    )
    frame = make_result(tmp_path, "iterations done", trials).dataframe()
    assert list(frame.columns) == [
        "state", "loss", "time", "peak_rss_mib", "tree.leaves", "tree.depth", "note", "seen",
        "reason",
    ]  # fmt: skip
    assert frame.loc[2, "reason"] == "ValueError: no" and frame.loc[3, "tree.depth"] == 3


def test_a_value_named_like_a_param_another_trial_has_gets_a_column_of_its_own(tmp_path, capsys):
    """A metric (in the table) or a returned value (in the dataframe) named like a conditional
    param went into that param's column in the rows of the trials without the param: the
    table said they had it."""
    from hypermax.api import make_result

    folder = _journal(
        tmp_path / "r",
        _started(1, {"k": "a", "depth": 3}),
        _finished(1, "ok", 0.5, metrics={"depth": 0.5}, metadata={"depth": 7}),
        _started(2, {"k": "b"}),
        _finished(2, "ok", 0.7, metrics={"depth": 0.6}, metadata={"depth": 8}),
    )
    assert main(["export", str(folder)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["metric.depth"], r["depth"]) for r in rows] == [("0.5", "3"), ("0.6", "")]
    pytest.importorskip("pandas", reason="Result.dataframe() needs pandas")
    trials = (
        Trial(1, {"k": "a", "depth": 3}, {}, TrialState.OK, 0.5, metadata={"depth": 7}),
        Trial(2, {"k": "b"}, {}, TrialState.OK, 0.7, metadata={"depth": 8}),
    )
    frame = make_result(tmp_path, "iterations done", trials).dataframe()
    assert frame["depth"].fillna(-1).tolist() == [3, -1]
    assert frame["metadata.depth"].tolist() == [7, 8]


def test_a_chart_that_cannot_be_written_is_named_not_its_folder(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    folder = _journal(tmp_path / "r", _started(1, {"x": 0.1}), _finished(1, "ok", 0.5))
    (folder / "plots" / "loss.png").mkdir(parents=True)
    assert main(["plot", str(folder)]) == 2
    assert capsys.readouterr().err == (
        f"{folder}/plots/loss.png: cannot write the charts: Is a directory\n"
    )


def test_parallel_coordinates_tell_null_and_absent_params_from_values(tmp_path):
    pytest.importorskip("matplotlib")
    from hypermax.plots.data import load_plot_data
    from hypermax.plots.scales import ABSENT_LABEL, unit_column

    params = [{"n": None, "m": 1}, {"n": 0, "m": 2}, {"n": 0, "e": []}, {"n": None, "e": "a"}]
    records = []
    for i, p in enumerate(params, start=1):
        records += [_started(i, p), _finished(i, "ok", i / 10)]
    data = load_plot_data(_journal(tmp_path / "r", *records))
    top = list(data.trials)
    n, n_ticks = unit_column(data, top, "n")
    assert n[0] == n[3] != n[1] == n[2] and {text for _, text in n_ticks} == {"0", "null"}
    m, m_ticks = unit_column(data, top, "m")
    assert m[2] == m[3] == 0.0 < m[0] < m[1] and (0.0, ABSENT_LABEL) in m_ticks
    e, e_ticks = unit_column(data, top, "e")
    assert len(set(e)) == 3 and [t for _, t in e_ticks] == [ABSENT_LABEL, "[]", "a"]


def test_the_loss_chart_numbers_whole_trials(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from hypermax.plots import charts
    from hypermax.plots.data import load_plot_data

    drawn = []
    save = charts.save_chart
    monkeypatch.setattr(
        charts, "save_chart", lambda fig, path: drawn.append(fig) or save(fig, path)
    )
    records = [_started(1, {"x": 0.1}), _finished(1, "failed", None, reason="ValueError: no")]
    records += [_started(2, {"x": 0.2}), _finished(2, "ok", 0.5)]
    records += [_started(3, {"x": 0.3}), _finished(3, "ok", 0.4)]
    data = load_plot_data(_journal(tmp_path / "r", *records))
    assert charts.loss_history(data, tmp_path / "loss.png") == tmp_path / "loss.png"
    assert charts.param_chart(data, "x", tmp_path / "x.png") == tmp_path / "x.png"
    (trials, *_), (_, colorbar) = drawn[0].axes, drawn[1].axes
    for ticks, (low, high) in (
        (trials.get_xticks(), trials.get_xlim()),
        (colorbar.get_yticks(), colorbar.get_ylim()),
    ):
        shown = [t for t in ticks if low <= t <= high]
        assert shown and all(t == int(t) for t in shown), shown


def test_the_charts_of_one_trial_say_trial_not_trials(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from hypermax.plots import charts
    from hypermax.plots.data import load_plot_data

    drawn = []
    save = charts.save_chart
    monkeypatch.setattr(
        charts, "save_chart", lambda fig, path: drawn.append(fig) or save(fig, path)
    )
    report = {"event": "trial_reported", "id": 1, "step": 0, "metrics": {"loss": 0.7}, "at": 1.0}
    records = [_started(1, {"x": 0.1}), report, _finished(1, "ok", 0.5)]
    data = load_plot_data(_journal(tmp_path / "r", *records))
    assert charts.loss_history(data, tmp_path / "loss.png") is not None
    assert charts.reported_curves(data, tmp_path / "curves.png") is not None
    titles = [fig.axes[0].get_title() for fig in drawn]
    assert titles == ["r: loss of 1 trial", "reported loss of 1 trial"]


def test_a_loss_of_minus_zero_shows_as_0(tmp_path, capsys):
    records = [_started(1, {"x": 0.1}), _finished(1, "ok", -0.0)]
    folder = _journal(tmp_path / "r", *records, _started(2, {"x": 0.2}), _finished(2, "ok", 0.5))
    assert main(["show", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "best loss 0 (trial 1): x=0.1"
    assert lines[3].split()[:2] == ["1", "0"]


@pytest.mark.parametrize(
    ("line", "value"),
    [(b"val_loss: NaN\n", "nan"), (b"val_loss=-Infinity\n", "-inf"), (b"val_loss INF\n", "inf")],
)
def test_quick_reads_a_diverged_metric_as_r_numpy_or_json_print_it(line, value):
    from hypermax.quick.metric_line import last_value, metric_pattern

    read = last_value([line], metric_pattern("val_loss"), "val_loss")
    assert read is not None and repr(read) == value


def test_text_params_that_read_as_other_values_come_back_from_the_csv(tmp_path, capsys):
    from hypermax.warmstart import load_warm_start

    texts = ["1", "true", "True", "null", "", "NaN", "[]", " 2", 'say "hi"', "x"]
    params = [{"s": text} for text in texts] + [{"s": None}, {"s": 1}, {"s": True}, {"s": []}]
    records = []
    for i, p in enumerate(params, start=1):
        records += [_started(i, p), _finished(i, "ok", i / 10)]
    folder = _journal(tmp_path / "r", *records)
    assert main(["export", str(folder)]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[-2].split(",")[-2] == "true"  # as JSON spells it, as null is
    (folder / "results.csv").write_text(table)
    back = load_warm_start(folder / "results.csv", {"s"})
    assert [f.params for f in back] == params
    assert [type(f.params["s"]) for f in back] == [type(p["s"]) for p in params]


def test_a_curve_spanning_the_whole_range_of_floats_is_drawn():
    from hypermax.ui.formatting import sparkline

    assert sparkline([1e308, -1e308, 0.0]) == "█▁▅"
    assert sparkline([-1.7e308, 1.0], -1.7e308, 1.7e308) == "▁▅"


def test_best_json_is_strict_json_when_the_best_trial_returned_nan(tmp_path):
    from hypermax.export import write_views

    nan = float("nan")
    best = Trial(1, {"x": 0.1}, {}, TrialState.OK, 0.2, metadata={"acc": nan, "big": -math.inf})
    write_views(tmp_path, [best, Trial(2, {"x": 0.2}, {}, TrialState.OK, 0.5)])

    def refuse(constant: str) -> None:
        raise ValueError(f"not strict JSON: {constant}")

    document = json.loads((tmp_path / "best.json").read_text(), parse_constant=refuse)
    assert document["metadata"] == {"acc": "nan", "big": "-inf"} and document["trial"] == 1


def test_the_dataframe_has_nan_as_a_number_also_when_read_back_from_the_journal(tmp_path):
    pytest.importorskip("pandas", reason="Result.dataframe() needs pandas")
    from hypermax.api import make_result

    trials = (
        Trial(1, {"s": "nan"}, {}, TrialState.OK, 0.3, {"acc": "nan"}, metadata={"big": "-inf"}),
        Trial(2, {"s": "x"}, {}, TrialState.OK, 0.2, {"acc": 0.5}, metadata={"big": 1.0}),
    )
    frame = make_result(tmp_path, "iterations done", trials).dataframe()
    assert str(frame["acc"].dtype) == "float64" and math.isnan(frame.loc[1, "acc"])
    assert frame.loc[1, "big"] == -math.inf and frame.loc[1, "s"] == "nan"  # a param's text


def test_show_says_a_trial_stopped_early_was_not_killed(tmp_path, capsys):
    stopped = {"kill_reason": "early_stop", "step": 3, "reason": "stopped at step 3: loss 0.9"}
    killed = {"kill_reason": "time", "kill_value": 12.5, "exit_code": -15}
    folder = _journal(
        tmp_path / "r",
        _started(1, {"x": 0.1}),
        _finished(1, "stopped", 0.9, **stopped),
        _started(2, {"x": 0.2}),
        _finished(2, "killed", None, **killed),
    )
    assert main(["show", str(folder), "--trial", "1"]) == 0
    assert "  ended by    early_stop" in capsys.readouterr().out.splitlines()
    assert main(["show", str(folder), "--trial", "2"]) == 0
    assert "  killed      time at 12.5 s" in capsys.readouterr().out.splitlines()


def test_a_search_without_params_has_no_nameless_column(tmp_path, capsys):
    folder = _journal(tmp_path / "r", _started(1, {}), _finished(1, "ok", 0.25))
    assert main(["export", str(folder)]) == 0
    header, row = csv.reader(io.StringIO(capsys.readouterr().out))
    assert header == ["trial", "state", "loss", "time", "peak_rss_mib", "reason"]
    assert row == ["1", "ok", "0.25", "0.5", "10.0", ""]


def test_the_json_export_keeps_empty_list_params_among_the_flat_params(tmp_path, capsys):
    params = {"layers": [], "opt": {"extra": {}, "lr": 0.1}}
    folder = _journal(tmp_path / "r", _started(1, params), _finished(1, "ok", 0.25))
    assert main(["export", str(folder), "--format", "json"]) == 0
    (trial,) = json.loads(capsys.readouterr().out)["trials"]
    assert trial["flat_params"] == {"layers": [], "opt.extra": {}, "opt.lr": 0.1}


def test_params_named_id_or_status_come_back_from_the_csv(tmp_path, capsys):
    from hypermax.warmstart import load_warm_start

    params = {"id": 3, "status": "new", "x": 1}
    folder = _journal(tmp_path / "r", _started(1, params), _finished(1, "ok", 0.25))
    assert main(["export", str(folder)]) == 0
    (folder / "results.csv").write_text(capsys.readouterr().out)
    (back,) = load_warm_start(folder / "results.csv", set(params))
    assert back.params == params and back.loss == 0.25


def test_show_of_a_search_without_params_has_no_dangling_colon(tmp_path, capsys):
    folder = _journal(tmp_path / "r", _started(1, {}), _finished(1, "ok", 0.25))
    assert main(["show", str(folder)]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "best loss 0.25 (trial 1)"


def test_an_ablation_spread_that_is_float_rounding_shows_as_0():
    from hypermax.ablation_table import ablation_lines

    def planned(i: int, repeat: int, name: str | None, loss: float) -> Trial:
        ablated = None if name is None else {"group": "features", "name": name}
        internal = {"@ablation": i, "@repeat": repeat}
        return Trial(i, {"ablated": ablated, "seed": repeat}, internal, TrialState.OK, loss)

    # the losses of a real study, each 0.5 + change + noise: age adds 0.1 in both repeats
    losses = [(None, 0.52, 0.56), ("age", 0.62, 0.6599999999999999), ("income", 0.7, 0.9)]
    trials = [planned(2 * i + r, r, name, pair[r]) for i, (name, *pair) in enumerate(losses)
              for r in (0, 1)]  # fmt: skip
    table = ablation_lines(trials)
    assert table[3].split() == ["features", "age", "0.64", "+0.1", "±0"]
    assert table[4].split()[-1] == "±0.113"


def test_a_long_text_value_is_cut_on_the_charts(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from hypermax.plots import charts
    from hypermax.plots.data import load_plot_data

    drawn = []
    save = charts.save_chart
    monkeypatch.setattr(
        charts, "save_chart", lambda fig, path: drawn.append(fig) or save(fig, path)
    )
    prompt = "You are a helpful model.\n" * 200
    records = []
    for i, s in enumerate([prompt, "short", prompt, "short"], start=1):
        records += [_started(i, {"s": s, "x": i / 10}), _finished(i, "ok", i / 10)]
    data = load_plot_data(_journal(tmp_path / "r", *records))
    assert charts.param_chart(data, "s", tmp_path / "s.png") == tmp_path / "s.png"
    (ax,) = drawn[0].axes
    labels = [label.get_text() for label in ax.get_xticklabels()]
    assert labels == ["You are a helpful model.\\nYou a…", "short"]  # by median loss


@pytest.mark.parametrize("values", [8, 25])
def test_the_values_of_an_enum_are_labelled_without_overlapping(tmp_path, monkeypatch, values):
    """25 values (or 8 long ones) side by side ran into one unreadable line of labels."""
    pytest.importorskip("matplotlib")
    from hypermax.plots import charts
    from hypermax.plots.data import load_plot_data
    from hypermax.plots.scales import MOST_VALUES

    drawn = []
    save = charts.save_chart
    monkeypatch.setattr(
        charts, "save_chart", lambda fig, path: drawn.append(fig) or save(fig, path)
    )
    names = [f"v{i}" if values == 25 else f"optimizer_variant_{i}" for i in range(values)]
    records = []
    for i in range(1, values + 1):
        records += [_started(i, {"c": names[i % values]}), _finished(i, "ok", (i * 7 % 11) / 10)]
    data = load_plot_data(_journal(tmp_path / "r", *records))
    assert charts.param_chart(data, "c", tmp_path / "c.png") is not None
    (ax,) = drawn[0].axes  # laid out as it was saved
    labels = ax.get_xticklabels()
    assert len(labels) == min(values, MOST_VALUES)  # past that many, the rest are one group
    if labels[0].get_rotation() == 45:  # slanted: parallel lines, apart by a line at least
        ticks = ax.transData.transform([(x, 0) for x in ax.get_xticks()])[:, 0]
        apart = min(b - a for a, b in itertools.pairwise(ticks)) / math.sqrt(2)
        assert apart >= labels[0].get_fontsize() * drawn[0].dpi / 72
        return
    boxes = sorted((label.get_window_extent() for label in labels), key=lambda b: b.x0)
    for left, right in itertools.pairwise(boxes):
        assert left.x1 <= right.x0, (left, right)


def test_sample_says_when_the_method_has_nothing_more_to_propose(tmp_path, capsys):
    (tmp_path / "obj.py").write_text("def train(params):\n    return 0.5\n")
    spec = {
        "hyperparameters": {"type": "object", "properties": {"c": {"enum": ["a", "b"]}}},
        "function": {"type": "python_function", "module": "obj", "name": "train"},
        "search": {"name": "g", "method": "grid", "seed": 1},
        "results": {"directory": str(tmp_path / "results")},
    }
    (tmp_path / "search.json").write_text(json.dumps(spec))
    assert main(["sample", str(tmp_path / "search.json"), "-n", "3"]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line) for line in out.splitlines()] == [{"c": "a"}, {"c": "b"}]
    assert err == "hypermax: search.method grid proposes nothing more: 2 of the 3 asked for\n"


def test_quick_with_an_empty_save_spec_name_runs_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    line = ["quick", "--hp", "x=1:2", "--metric", "m", "--save-spec", "", "--", "true"]
    assert main(line) == 2
    assert capsys.readouterr().err == (
        "hypermax quick: --save-spec: needs the name of the file to write\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_show_lines_up_a_30_hour_trial_and_a_loss_near_the_largest_float(tmp_path, capsys):
    folder = _journal(
        tmp_path / "r",
        _started(1, {"x": 0.1}),
        _finished(1, "ok", 0.5, time=110_000.0),
        _started(2, {"x": 0.2}),
        _finished(2, "ok", -1.7976931348623157e308),
        _started(1_000_000, {"x": 0.3}),
        _finished(1_000_000, "ok", 0.7),
    )
    assert main(["show", str(folder)]) == 0
    header, *rows = capsys.readouterr().out.splitlines()[2:]
    assert [row.index("x=") for row in rows] == [header.index("params")] * 3
    assert rows[1].split()[:4] == ["1", "0.5", "ok", "110000.0s"]


@pytest.mark.parametrize(
    ("line", "value"),
    [(b"val_loss: 1,234.5\n", 1234.5), (b"val_loss=12,345,678 -\n", 12345678.0)],
)
def test_quick_reads_a_metric_printed_with_thousands_separators_whole(line, value):
    from hypermax.quick.metric_line import last_value, metric_pattern

    assert last_value([line], metric_pattern("val_loss"), "val_loss") == value


def test_a_results_folder_with_a_newline_in_its_name_stays_on_one_line(tmp_path, capsys):
    """show's summary, its log line and plot's line broke in two at the newline."""
    folder = _journal(tmp_path / "a\nb", _started(1, {"x": 0.1}), _finished(1, "ok", 0.5))
    shown = str(folder).replace("\n", "\\n")
    assert main(["show", str(folder)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"{shown}: 1 trial (1 ok)"
    assert main(["show", str(folder), "--trial", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"log: {shown}/logs/trial_1.log (not there)"
    pytest.importorskip("matplotlib")
    assert main(["plot", str(folder)]) == 0
    assert capsys.readouterr().out == f"{shown}/plots: loss.png\n"
