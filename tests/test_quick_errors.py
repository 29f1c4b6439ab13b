"""A quick command line's mistakes are named by its own options and words, not by the JSON
paths of the spec it stands for, and nothing runs."""

from __future__ import annotations

import json
import sys

import pytest

from hypermax.cli import main


@pytest.mark.parametrize(
    ("options", "command", "error"),
    [
        (["--iterations", "0"], ["true", "{lr}"], "--iterations: must be at least 1, got 0"),
        (["--parallel", "0"], ["true", "{lr}"], "--parallel: must be at least 1, got 0"),
        (["--name", "a/b"], ["true"], "--name: must be usable as a folder name"),
        (["--results", ""], ["true"], "--results: must not be empty"),
        (["--seed", "-1"], ["true"], "--seed: must be at least 0, got -1"),
        ([], ["true", "--lr", "{lrr}"], "the command: {lrr} names no param (did you mean {lr}?)"),
        (  # a format, as str.format takes it: every trial got the text "{lr:.4f}"
            [],
            ["true", "--lr", "{lr:.4f}"],
            "the command: {lr:.4f} would reach the program as written: a placeholder takes no "
            "format; write {lr} (the value in full) and format it there",
        ),
        ([], ["no-such-program", "{lr}"], 'the command: cannot find program "no-such-program"'),
        ([], ["{lr", "{lr}"], 'the command: cannot find program "{lr"'),
        # the script of a Python command, as a spec's command is checked: its trials all failed
        ([], [sys.executable, "trian.py", "-x"], 'the command: cannot find the script "trian.py"'),
        ([], [sys.executable, "-u", "trian.py"], 'the command: cannot find the script "trian.py"'),
    ],
)
def test_a_quick_mistake_is_named_as_the_command_line_gives_it(
    tmp_path, monkeypatch, capsys, options, command, error
):
    monkeypatch.chdir(tmp_path)
    argv = ["quick", "--hp", "lr=0:1", "--metric", "acc", *options, "--", *command]
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith(f"hypermax quick: {error}")
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(("hp", "shown"), [("lr=NaN,1", "NaN"), ("lr=-Infinity", "-Infinity")])
def test_a_nan_or_infinity_among_the_values_is_refused_before_anything_runs(
    tmp_path, monkeypatch, capsys, hp, shown
):
    """Python's json reads NaN and Infinity, which JSON holds not: a NaN equals no value, so the
    search failed at its first trial (``nan is not one of [nan, 1]``), exit 1."""
    monkeypatch.chdir(tmp_path)
    assert main(["quick", "--hp", hp, "--metric", "acc", "--", "true", "{lr}"]) == 2
    error = "hypermax quick: --hp lr: must be a finite number (JSON holds no NaN or infinity), "
    assert capsys.readouterr().err == f"{error}got {shown}\n"
    assert not (tmp_path / "results").exists()


def test_a_yaml_nan_in_an_enum_or_a_constant_is_a_spec_error(tmp_path):
    spec = tmp_path / "search.yaml"
    spec.write_text(
        "hyperparameters: {type: object, properties: {x: {enum: [.nan, 1]}, y: {const: [.inf]}}}\n"
        'function: {type: executable, command: ["true"]}\n'
    )
    assert main(["validate", str(spec)]) == 2
    assert main(["run", str(spec), "--no-ui"]) == 2
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("save", [[], ["--save-spec", "search.json"]])
def test_quick_in_a_removed_folder_is_one_line(tmp_path, monkeypatch, capsys, save):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert main(["quick", "--hp", "lr=0:1", "--metric", "acc", *save, "--", "true"]) == 2
    assert capsys.readouterr().err == (
        "hypermax quick: the current folder no longer exists (it was removed): "
        "change to one that does\n"
    )


def test_grid_points_past_the_largest_are_refused_not_listed(tmp_path, monkeypatch, capsys):
    """The values of grid_points are listed, several times while a spec is checked: 10**9 of
    them held hypermax for minutes, and its memory grew by gigabytes."""
    monkeypatch.chdir(tmp_path)
    argv = ["quick", "--hp", "lr=0.0:u2000000:1", "--metric", "acc", "--save-spec", "s.json"]
    assert main([*argv, "--", "true"]) == 2
    error = "hypermax quick: --hp lr: must be at most 100000, got 2000000\n"
    assert capsys.readouterr().err == error
    assert not (tmp_path / "s.json").exists()


def test_a_results_folder_that_cannot_be_made_is_named_by_results(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    argv = ["quick", "--hp", "lr=0:1", "--metric", "acc", "--results", "afile", "--", "true"]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        "hypermax quick: --results: afile/quick: cannot make the results folder: afile is a"
        " file, not a folder\n"
    )


def test_a_folder_of_another_quick_search_names_the_option_that_differs(
    tmp_path, monkeypatch, capsys
):
    """The difference was named by the spec's paths, which a quick user never wrote
    (``hyperparameters.properties.x.max``, ``search.direction``, ``function.command.7``)."""
    monkeypatch.chdir(tmp_path)
    base = ["quick", "--no-ui", "--iterations", "1", "--hp", "x=1:2", "--metric", "acc"]
    command = ["--", "sh", "-c", "echo acc: 1"]
    assert main([*base, *command]) == 0
    capsys.readouterr()
    changes = [
        ([*base[:-3], "x=1:3", "--metric", "acc"], command, "--hp x"),
        ([*base[:-1], "acc:max"], command, "--metric"),
        (base, ["--", "sh", "-c", "echo acc: 2"], "the command"),
    ]
    for argv, trial, named in changes:
        assert main([*argv, *trial]) == 2
        err = capsys.readouterr().err
        assert f"holds a search with another space, function or loss ({named} differs)" in err


def test_another_method_or_seed_on_a_quick_rerun_names_the_option(tmp_path, monkeypatch, capsys):
    """A quick search run again with another ``--method`` or ``--seed`` said ``search.method``
    and ``search.seed``, spec paths its user never wrote."""
    monkeypatch.chdir(tmp_path)
    base = ["quick", "--no-ui", "--hp", "x=1:2", "--metric", "acc", "--seed", "1"]
    command = ["--", "sh", "-c", "echo acc: 1"]
    assert main([*base, "--iterations", "1", "--method", "random", *command]) == 0
    capsys.readouterr()
    assert main([*base[:-1], "2", "--iterations", "2", "--method", "tpe", *command]) == 0
    err = capsys.readouterr().err.splitlines()
    said = "hypermax quick: --method: tpe asks from now on (it was random), taught the trials done"
    assert said in err
    assert (
        "hypermax quick: --seed: 2 is not used: a resumed search keeps the seed it started with (1)"
        in err
    )


def test_the_script_of_a_quick_command_edited_since_is_said_on_a_rerun(
    tmp_path, monkeypatch, capsys
):
    """The script a quick command runs, edited between two runs (a bug fixed), went unsaid."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.py").write_text("print('acc: 1')\n")
    base = ["quick", "--no-ui", "--hp", "x=1:2", "--metric", "acc"]
    command = ["--", sys.executable, "t.py", "{x}"]
    assert main([*base, "--iterations", "1", *command]) == 0
    (tmp_path / "t.py").write_text("print('acc: 2')\n")
    capsys.readouterr()
    assert main([*base, "--iterations", "2", *command]) == 0
    assert (
        "hypermax quick: the command: t.py changed since the search last ran: its trials before"
        " ran the earlier code (--fresh starts anew)"
    ) in capsys.readouterr().err.splitlines()


def test_a_name_in_letters_beyond_ascii_is_a_name(tmp_path, monkeypatch, capsys):
    """é, a letter, was refused as no letter, the name shown as "\\u00e9"; a spec takes it."""
    monkeypatch.chdir(tmp_path)
    argv = ["quick", "--hp", "été=1:2", "--metric", "acc", "--save-spec", "s.json"]
    assert main([*argv, "--", "true", "{été}"]) == 0
    doc = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert doc["hyperparameters"]["properties"] == {"été": {"type": "integer", "min": 1, "max": 2}}
    assert main(["quick", "--hp", "2é=1:2", "--metric", "acc", "--", "true"]) == 2
    assert capsys.readouterr().err.endswith('not starting with a digit: got "2é"\n')


def test_a_command_given_without_its_double_dash_is_told_to_come_after_it(tmp_path, capsys):
    """Its options were taken for hypermax's: "hypermax: unrecognized arguments: -c ...", which
    said nothing of the -- a command goes after."""
    assert main(["quick", "--hp", "x=0:1", "--metric", "loss", "python3", "-c", "print(1)"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "hypermax quick: unrecognized arguments: -c print(1) (a command's options come after --: "
        "hypermax quick ... -- COMMAND ...)"
    )


def test_a_command_s_option_that_is_also_hypermax_s_is_not_taken_for_hypermax_s(
    tmp_path, monkeypatch, capsys
):
    """python train.py --seed 3, without the --: hypermax took --seed 3 as its own, and the
    command ran without it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text("print('loss: 1')\n")
    argv = ["quick", "--hp", "x=0:1", "--metric", "loss", "python3", "train.py", "--seed", "3"]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        "hypermax quick: options after the command (python3 train.py) are taken for hypermax's "
        "own: a command's options come after --: hypermax quick ... -- COMMAND ...\n"
    )
    assert not (tmp_path / "results").exists()


def test_a_grid_short_of_the_iterations_given_names_the_option(tmp_path, monkeypatch, capsys):
    """``hypermax quick --method grid --iterations 50`` over a grid of 2 points said
    ``hypermax quick: search.iterations: 50, ...``, a spec path its user never wrote."""
    monkeypatch.chdir(tmp_path)
    argv = ["quick", "--no-ui", "--hp", "x=1,2", "--metric", "acc", "--method", "grid"]
    assert main([*argv, "--iterations", "50", "--", "sh", "-c", "echo acc: 1"]) == 0
    assert (
        "hypermax quick: --iterations: 50, but the grid has 2 points: only 2 trials will run"
        in capsys.readouterr().err.splitlines()
    )


def test_a_saved_spec_says_what_a_run_of_it_would_say(tmp_path, monkeypatch, capsys):
    """``--save-spec`` of a grid short of its ``--iterations`` wrote the spec and said nothing;
    ``validate`` and a run of it said that only 2 trials would run. It says so as it writes."""
    monkeypatch.chdir(tmp_path)
    argv = ["quick", "--hp", "x=1,2", "--metric", "acc", "--method", "grid", "--iterations", "50"]
    assert main([*argv, "--save-spec", "s.json", "--", "echo", "acc", "1"]) == 0
    assert capsys.readouterr().err == (
        "s.json: search.iterations: 50, but the grid has 2 points: only 2 trials will run\n"
    )
