"""hypermax quick: ranges typed on the command line, a metric read from the trial's output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import finished_records, journal_records, run_cli, run_cli_here

from hypermax.quick.ranges import RangeError, parse_assignment, parse_range, space_node

TRAIN = textwrap.dedent(
    """
    import argparse, json, os, sys
    p = argparse.ArgumentParser()
    p.add_argument("--lr", type=float)
    p.add_argument("--layers", type=int)
    p.add_argument("--dropout", type=float)
    p.add_argument("--debug", action="store_true")
    a = p.parse_args()
    print("val_loss: 99")  # an early epoch: the last line wins
    print("epoch 2 of 2", "debug" if a.debug else "")
    print(f"val_loss={a.lr * 100 + a.layers + a.dropout}")
    if os.environ.get("WRITE_RESULT"):
        with open(os.environ["HYPERMAX_RESULT_FILE"], "w") as f:
            json.dump({"val_loss": -1.0}, f)
    if os.environ.get("SIGNAL"):
        os.kill(os.getpid(), int(os.environ["SIGNAL"]))
    sys.exit(int(os.environ.get("EXIT", "0")))
    """
)
COMMAND = ["--", sys.executable, "train.py", "--lr", "{lr}", "--layers", "{layers}"]
COMMAND += ["--dropout", "{dropout}"]
RANGES = ["--hp", "lr=1e-5:l5:0.1", "--hp", "layers=1,2,3", "--hp", "dropout=0.1:0.5"]


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("0.1:0.5", {"type": "number", "min": 0.1, "max": 0.5}),
        ("16:256", {"type": "integer", "min": 16, "max": 256}),
        (
            "1e-5:l5:0.1",
            {"type": "number", "min": 1e-5, "max": 0.1, "scaling": "logarithmic", "grid_points": 5},
        ),
        ("0:u3:1.0", {"type": "number", "min": 0, "max": 1.0, "grid_points": 3}),
        ("1,2,3", {"enum": [1, 2, 3]}),
        ("adam, sgd,true", {"enum": ["adam", "sgd", True]}),
        ('"",x', {"enum": ["", "x"]}),
        ("relu", {"constant": "relu"}),
        ("0.5", {"constant": 0.5}),
        # a quoted text is one value, its ":" and "," too (it was split: '""http" is not a number')
        ('"http://x.org"', {"constant": "http://x.org"}),
        ('"12:30"', {"constant": "12:30"}),
        # numbers JSON does not read were refused, or a list's texts ("0.1,.2": 0.1 and ".2")
        (".1:.5", {"type": "number", "min": 0.1, "max": 0.5}),
        ("+1:+5", {"type": "integer", "min": 1, "max": 5}),
        ("0.1,.2,1.", {"enum": [0.1, 0.2, 1.0]}),
        ("007,008", {"enum": ["007", "008"]}),  # an id, maybe: a text
        ('adam,"sgd:0.9","a,b","q\\"x:y"', {"enum": ["adam", "sgd:0.9", "a,b", 'q"x:y']}),
    ],
)
def test_each_range_form_is_the_spec_node_it_stands_for(text, node):
    assert parse_range(text) == node


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lr", "write name=range, e.g. lr=1e-5:l5:0.1"),
        ("2lr=1:2", 'a name is letters, digits and _, not starting with a digit: got "2lr"'),
        ("lr=", "the range is empty"),
        ("lr=0.5:0.1", "the low end must be below the high end"),
        ("lr=0:l5:1", "a log-spaced range needs a low end above 0"),
        ("lr=1:x5:2", "the middle part is lN (log-spaced) or uN (evenly spaced), N >= 2"),
        ("lr=1:l1:2", "the middle part is lN (log-spaced) or uN (evenly spaced), N >= 2"),
        ("lr=a:2", '"a" is not a number'),
        ("lr=1e999:2", '"1e999" is not a finite number'),
        ("lr=Infinity:0", '"Infinity" is not a finite number'),
        ("lr=NaN:1", '"NaN" is not a finite number'),
        ("lr=1:2:3:4", "write a:b, a:lN:b or a:uN:b"),
        ('lr="a:2', '""a" is not a number'),  # a quote left open quotes nothing
        # no number at either end: a text, and how to keep it whole (it said only the first)
        (
            "url=http://x.org",
            '"http" is not a number (a text holding ":" is one value written in double quotes:'
            ' "http://x.org")',
        ),
        ("layers=1,,2", 'a value of the list is empty: write "" for an empty text'),
        ("opt=adam,", 'a value of the list is empty: write "" for an empty text'),
        # a list in brackets was the values "[1" and "2]", passed on to the command as written
        ("layers=[1,2]", "a list is written without brackets: 1,2"),
        ("layers=(1, 2)", "a list is written without brackets: 1,2"),
    ],
)
def test_a_range_that_cannot_be_read_says_why(text, message):
    with pytest.raises(RangeError) as refused:
        parse_assignment(text)
    assert str(refused.value) == message


def test_a_short_space_keeps_nodes_and_names_a_bad_range():
    node = space_node({"x": {"type": "number", "min": 0, "max": 1}, "opt": ["a", "b"], "k": 3})
    assert node["properties"] == {
        "x": {"type": "number", "min": 0, "max": 1},
        "opt": {"enum": ["a", "b"]},
        "k": {"constant": 3},
    }
    whole = {"type": "object", "properties": {"y": {"constant": 1}}}
    assert space_node(whole) is whole
    with pytest.raises(RangeError, match='space "lr": "1:0": the low end must be below'):
        space_node({"lr": "1:0"})


def quick(tmp_path, *options: str, env: dict[str, str] | None = None):
    """``hypermax quick RANGES OPTIONS --no-ui -- python train.py ...`` in ``tmp_path``."""
    (tmp_path / "train.py").write_text(TRAIN)
    return run_cli("quick", *RANGES, *options, "--no-ui", *COMMAND, cwd=tmp_path, env=env)


def _started(folder) -> dict[int, dict]:
    return {r["id"]: r["params"] for r in journal_records(folder) if r["event"] == "trial_started"}


def test_quick_tunes_a_script_from_ranges_and_reads_the_last_metric_line(tmp_path):
    ran = quick(
        tmp_path,
        "--metric",
        "val_loss:min",
        "--method",
        "random",
        "--iterations",
        "4",
        "--parallel",
        "2",
        "--seed",
        "3",
    )
    assert ran.returncode == 0, ran.stderr
    folder = tmp_path / "results" / "quick"
    finished, started = finished_records(folder), _started(folder)
    assert [r["state"] for r in finished.values()] == ["ok"] * 4
    for trial_id, record in finished.items():
        params = started[trial_id]
        assert 1e-5 <= params["lr"] <= 0.1 and params["layers"] in (1, 2, 3)
        expected = params["lr"] * 100 + params["layers"] + params["dropout"]
        assert record["loss"] == pytest.approx(expected)
        assert record["metrics"] == {"val_loss": pytest.approx(expected)}
    frozen = json.loads((folder / "search.json").read_text())
    assert frozen["hyperparameters"]["properties"]["lr"]["scaling"] == "logarithmic"
    assert frozen["search"]["method"] == "random" and frozen["function"]["parallel"] == 2


def test_a_hypermax_py_beside_the_script_does_not_stand_in_for_hypermax(tmp_path):
    (tmp_path / "hypermax.py").write_text("raise SystemExit('the user\\'s own hypermax.py')\n")
    (tmp_path / "train.py").write_text(TRAIN)
    command = [str(Path(sys.executable).with_name("hypermax")), "quick", *RANGES, "--no-ui"]
    command += ["--metric", "val_loss", "--iterations", "1", "--method", "random", *COMMAND]
    ran = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr  # the console script: its folder, not the cwd, first
    (record,) = finished_records(tmp_path / "results" / "quick").values()
    assert record["state"] == "ok", record


def test_a_metric_to_maximise_and_a_result_file_that_wins_over_the_output(tmp_path):
    ran = quick(
        tmp_path, "--metric", "val_loss:max", "--iterations", "2", env={"WRITE_RESULT": "1"}
    )
    assert ran.returncode == 0, ran.stderr
    finished = finished_records(tmp_path / "results" / "quick")
    assert [r["metrics"]["val_loss"] for r in finished.values()] == [-1.0, -1.0]
    assert [r["loss"] for r in finished.values()] == [1.0, 1.0]  # maximised: the loss is -value


def test_a_trial_that_never_prints_the_metric_or_exits_badly_fails_with_the_reason(tmp_path):
    silent = quick(tmp_path, "--metric", "accuracy", "--iterations", "1")
    assert silent.returncode == 1
    (record,) = finished_records(tmp_path / "results" / "quick").values()
    assert record["state"] == "failed"
    assert (
        record["reason"]
        == 'accuracy was never printed ("accuracy: 0.31", "accuracy=0.31" or "accuracy 0.31" '
        'in a line, or a line {"accuracy": 0.31})'
    )
    crashed = quick(
        tmp_path, "--metric", "val_loss", "--iterations", "1", "--name", "bad", env={"EXIT": "3"}
    )
    assert crashed.returncode == 1
    (record,) = finished_records(tmp_path / "results" / "bad").values()
    assert record["state"] == "failed" and "3" in record["reason"]


def test_a_command_ended_by_a_signal_fails_as_an_executable_trial_does(tmp_path):
    """The metric reader exited 128 + the signal's number, so the trial failed with "exit code
    140" where an executable's says "ended by signal SIGUSR2" (and the out-of-memory killer's
    SIGKILL was no longer named as such)."""
    env = {"SIGNAL": str(int(signal.SIGUSR2))}
    ended = quick(tmp_path, "--metric", "val_loss", "--iterations", "1", env=env)
    assert ended.returncode == 1
    (record,) = finished_records(tmp_path / "results" / "quick").values()
    assert (record["state"], record["reason"]) == ("failed", "ended by signal SIGUSR2")


def _python3_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``python3`` first on ``PATH`` that is this interpreter (its environment included)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "python3").write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    (folder / "python3").chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


READER = ["hypermax.quick.metric_line", "val_loss", "--"]


def test_save_spec_writes_a_search_json_that_runs_the_same_search(tmp_path, monkeypatch):
    """The metric reader was this interpreter and hypermax's folder by their absolute paths: a
    spec no other machine, nor another checkout, could run. It is python3 -m when that imports
    this hypermax as a trial would."""
    _python3_on_path(tmp_path, monkeypatch)
    (tmp_path / "train.py").write_text(TRAIN)
    (tmp_path / "specs").mkdir()
    saved = run_cli_here(
        "quick",
        *RANGES,
        "--metric",
        "val_loss",
        "--iterations",
        "2",
        "--seed",
        "1",
        "--save-spec",
        "specs/search.json",
        *COMMAND,
        "--debug",
        cwd=tmp_path,
    )
    assert saved.returncode == 0, saved.stderr
    assert saved.stdout == "wrote specs/search.json; run it with: hypermax specs/search.json\n"
    assert not (tmp_path / "results").exists()  # saving runs nothing
    doc = json.loads((tmp_path / "specs" / "search.json").read_text())
    assert doc["function"]["cwd"] == ".." and doc["results"]["directory"] == "results"
    assert doc["function"]["command"][-1] == "--debug"  # after --, it belongs to the command
    assert doc["function"]["command"][:6] == ["python3", "-P", "-m", *READER]
    ran = run_cli_here("specs/search.json", "--no-ui", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    finished = finished_records(tmp_path / "results" / "quick")
    assert [r["state"] for r in finished.values()] == ["ok", "ok"]
    log = (tmp_path / "results" / "quick" / "logs" / "trial_1.log").read_text()
    assert "epoch 2 of 2 debug" in log


def test_a_hypermax_py_beside_a_saved_spec_leaves_the_reader_loaded_by_its_path(
    tmp_path, monkeypatch
):
    """python3 -m would import the hypermax.py of the spec's folder, first on a trial's
    PYTHONPATH: the reader then loads hypermax from its folder, by absolute path."""
    _python3_on_path(tmp_path, monkeypatch)
    (tmp_path / "hypermax.py").write_text("raise SystemExit('not hypermax')\n")
    saved = run_cli_here(
        "quick", "--hp", "x=0:1", "--metric", "val_loss", "--save-spec", "s.json", "--", "true",
        cwd=tmp_path,
    )  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    command = json.loads((tmp_path / "s.json").read_text())["function"]["command"]
    assert command[:3] == [sys.executable, "-P", "-c"] and command[4:] == [*READER, "true"]


def test_the_grid_method_visits_the_points_the_ranges_name(tmp_path):
    (tmp_path / "train.py").write_text(TRAIN)
    ran = run_cli_here(
        "quick",
        "--hp",
        "lr=1e-4:l3:0.01",
        "--hp",
        "layers=1,2",
        "--hp",
        "dropout=0.2",
        "--metric",
        "val_loss",
        "--method",
        "grid",
        "--no-ui",
        *COMMAND,
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    started = _started(tmp_path / "results" / "quick").values()
    visited = sorted((round(p["lr"], 12), p["layers"], p["dropout"]) for p in started)
    grid = sorted((lr, layers, 0.2) for lr in (1e-4, 1e-3, 1e-2) for layers in (1, 2))
    assert visited == grid  # every point once: the grid's size is the number of trials
    continuous = run_cli(
        "quick",
        "--hp",
        "lr=1e-4:0.01",
        "--metric",
        "v",
        "--method",
        "grid",
        "--",
        "true",
        cwd=tmp_path,
        env={},
    )
    assert (continuous.returncode, continuous.stderr) == (
        2,
        "hypermax quick: --hp lr=1e-4:0.01: the grid method needs grid points: "
        "write a:lN:b or a:uN:b\n",
    )


def test_integers_too_many_for_the_grid_are_named_in_the_terms_of_the_command_line(tmp_path):
    """The spec's remedy, a "grid" of values, is no option of quick: it names its own."""
    wide = run_cli_here(
        "quick", "--hp", "seed=0:100000000", "--hp", "layers=1:4", "--metric", "v",
        "--method", "grid", "--", "true", cwd=tmp_path,
    )  # fmt: skip
    assert (wide.returncode, wide.stderr) == (
        2,
        "hypermax quick: --hp seed=0:100000000: has 100,000,001 steps, more than the grid method"
        " walks (10,000,000): write a:lN:b or a:uN:b\n",
    )


def test_an_ablation_study_is_refused_for_the_components_no_option_gives(tmp_path):
    refused = run_cli_here(
        "quick", "--hp", "x=1:5", "--metric", "v", "--method", "ablation", "--", "true",
        cwd=tmp_path,
    )  # fmt: skip
    assert (refused.returncode, refused.stderr) == (
        2,
        "hypermax quick: --method ablation: an ablation study needs the components it leaves"
        ' out, which only a spec gives ("search": {"method": "ablation", "ablation":'
        ' {"components": {...}}})\n',
    )


def test_a_bad_range_or_metric_is_one_line_and_exit_2(tmp_path):
    bad = run_cli_here("quick", "--hp", "lr=0.5:0.1", "--metric", "v", "--", "true", cwd=tmp_path)
    assert (bad.returncode, bad.stderr) == (
        2,
        "hypermax quick: --hp lr=0.5:0.1: the low end must be below the high end\n",
    )
    for written in ("v:best", "v:"):  # nothing after the colon is no direction, not min
        metric = run_cli_here(
            "quick", "--hp", "lr=0:1", "--metric", written, "--", "true", cwd=tmp_path
        )
        assert (metric.returncode, metric.stderr) == (
            2,
            f'hypermax quick: --metric "{written}": write NAME, NAME:min or NAME:max\n',
        )
    assert not (tmp_path / "results").exists()
