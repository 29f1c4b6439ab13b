"""What the commands that read a results folder (``show``, ``export``, ``plot``) say: tables
whose columns do not run together, and one line that names the mistake when they are given
something else than a results folder or the spec of one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from hypermax.cli import main
from hypermax.commands import importance_lines, results_folder_named
from hypermax.importance import Importance, ParamImportance
from hypermax.trial import Trial, TrialState
from hypermax.ui.console import summary_lines as console_summary_lines


def test_a_full_importance_bar_stays_apart_from_rho_and_under_its_header():
    params = (
        ParamImportance("x", 0.98, 1.0, 10, "number"),
        ParamImportance("y", 0.02, -0.25, 10, "number"),
    )
    header, full, short = importance_lines(Importance("spearman", params, 10))[1:]
    assert full == "x      0.98 #################### +1.00"
    assert short == "y      0.02                      -0.25"
    # rho's header ends where its values end
    assert header.index("rho") + 3 == len(full)


def test_an_enum_whose_best_value_is_null_shows_null():
    params = (
        ParamImportance("activation", 0.6, None, 10, "enum", None),
        ParamImportance("optimizer", 0.4, None, 10, "enum", "adam"),
        ParamImportance("x", 0.0, 0.1, 10, "number"),
    )
    rows = importance_lines(Importance("spearman", params, 10))[2:]
    assert [row.split()[-1] for row in rows] == ["null", '"adam"', "+0.10"]


def test_the_importance_line_says_the_forest_learnt_from_a_sample_of_many_trials():
    """The forest learns from a sample of 2,000 trials past that many, while the line said it
    rested on every trial (rho does)."""
    params = (ParamImportance("x", 1.0, 0.5, 50_000, "number"),)
    assert importance_lines(Importance("forest", params, 50_000))[0] == (
        "param importance (a random forest learnt from 2000 of 50000 trials; rho: rank correlation)"
    )
    assert importance_lines(Importance("forest", params, 2_000))[0] == (
        "param importance (a random forest, 2000 trials; rho: rank correlation)"
    )


def write_results(folder: Path, losses: Sequence[float | None] = (0.25, 0.5)) -> None:
    """A results folder whose journal holds one finished trial per loss (None: it failed)."""
    folder.mkdir(parents=True)
    records: list[dict[str, Any]] = [{"event": "header", "format": 1, "name": folder.name}]
    for trial_id, loss in enumerate(losses, 1):
        params = {"x": trial_id / 10}
        state = "failed" if loss is None else "ok"
        records += [
            {"event": "trial_started", "id": trial_id, "params": params, "internal": params},
            {"event": "trial_finished", "id": trial_id, "state": state, "loss": loss},
        ]
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "search.json").write_text('{"function": {"module": "gone", "name": "train"}}')
    (folder / "results.csv").write_text("trial,loss\n")


def output(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_file_in_a_results_folder_stands_for_the_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_results(tmp_path / "results" / "quad")
    by_folder = output(capsys, "show", "results/quad")
    assert by_folder[0] == 0 and "best loss 0.25 (trial 1)" in by_folder[1]
    for name in ("trials.jsonl", "search.json", "results.csv"):
        assert output(capsys, "show", f"results/quad/{name}") == by_folder
    # its frozen spec is not loaded as a spec (whose module is not there)
    assert results_folder_named("results/quad/search.json") == "results/quad"


def test_a_file_that_is_neither_a_spec_nor_in_a_results_folder_says_so(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("x = 0.3\n")
    (tmp_path / "results.csv").write_text("trial,loss\n1,0.25\n")
    for command, name in (("show", "notes.txt"), ("export", "results.csv")):
        assert output(capsys, command, name) == (
            2,
            "",
            f"{name}: is neither a results folder nor a search spec (a .json, .yaml or .yml"
            " file)\n",
        )


def test_a_folder_that_is_not_there_is_said_to_be_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for command in ("show", "export", "plot", "resume"):
        assert output(capsys, command, "results/quadd") == (
            2,
            "",
            "results/quadd: no such results folder or spec\n",
        )


def test_the_folder_of_results_folders_names_a_few_of_its_searches(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for name in ("g", "f", "e", "d", "c", "b", "a"):
        write_results(tmp_path / "results" / name)
    (tmp_path / "results" / "0-notes").mkdir()  # no journal: not a search
    for command in ("show", "export", "plot", "resume"):
        assert output(capsys, command, "results") == (
            2,
            "",
            "results: holds the results folders of searches, not one: name one of results/a,"
            " results/b, results/c, results/d, results/e (and 2 more)\n",
        )
    code, _, err = output(capsys, "show", "results/0-notes")  # a folder of none: as before
    assert (code, err) == (2, "results/0-notes: not a hypermax results folder (no trials.jsonl)\n")


def test_the_last_line_of_a_run_with_no_params_ends_at_its_trial():
    for params, last in (
        ({}, "best loss 0.5 (trial 3)"),
        ({"x": 1}, "best loss 0.5 (trial 3): x=1"),
    ):
        best = Trial(3, params, params, TrialState.OK, 0.5)
        assert console_summary_lines("iterations", 3, best)[-1] == last


def test_export_best_with_no_loss_says_so_on_stderr(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_results(tmp_path / "failed", (None, None))
    said = "hypermax: no trial has a loss yet: --best exports none\n"
    code, out, err = output(capsys, "export", "failed", "--best")
    header = "trial,state,loss,time,peak_rss_mib,x,reason"  # the param's column all the same
    assert (code, out.splitlines(), err) == (0, [header], said)
    code, out, err = output(capsys, "export", "failed", "--best", "--format", "json")
    assert (code, json.loads(out)["trials"], err) == (0, [], said)
    write_results(tmp_path / "done", (None, 0.5))
    code, out, err = output(capsys, "export", "done", "--best")
    assert (code, len(out.splitlines()), err) == (0, 2, "")


def test_write_plots_on_a_folder_of_results_folders_names_its_searches(tmp_path):
    from hypermax.errors import ResultsError
    from hypermax.plots import write_plots

    write_results(tmp_path / "a")
    with pytest.raises(ResultsError) as refused:
        write_plots(tmp_path)  # the API says what the command line says
    assert str(refused.value) == (
        f"{tmp_path}: holds the results folders of searches, not one: name one of {tmp_path}/a"
    )
    with pytest.raises(ResultsError, match="no such results folder"):
        write_plots(tmp_path / "gone")


def test_the_importance_table_cuts_a_long_best_value_and_a_long_name_takes_its_row_alone():
    """A best value of 5,000 characters was one line of 5,000 columns, and a name of 300 made
    every row of the table 300 columns wide."""
    params = (
        ParamImportance("s", 0.75, 0.5, 10, "enum", "Q" * 5000),
        ParamImportance("n" * 300, 0.25, -0.5, 10, "number"),
    )
    header, long_best, long_name = importance_lines(Importance("spearman", params, 10))[1:]
    assert header.startswith("param" + " " * 27 + "  importance")
    assert long_best == f'{"s":<32}  0.75 ###############      +0.50  "{"Q" * 96}...'
    assert long_name == "n" * 300 + "  0.25 #####                -0.50"
