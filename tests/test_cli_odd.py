"""``show`` and ``export`` on results folders a demanding user has: params with letters beyond
ASCII, control characters, empty lists and conditional branches."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import X_SPACE, quadratic, run_cli, run_cli_here
from fake_trials.helpers import write_spec

from hypermax.cli import main

#: every trial gets ``word`` and ``lst``; ``x`` decides the loss, ``pick`` follows it.
SPACE = {
    "type": "object",
    "properties": {
        "x": {"type": "number", "min": 0, "max": 2},
        "word": {"const": "日本 ünï"},
        "pick": {"enum": ["ö", "β"]},
        "lst": {"enum": [["β"], []]},
        "line\nname": {"enum": ["p", "q"]},
    },
}


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished search of 8 trials over :data:`SPACE`; its results folder."""
    folder = tmp_path_factory.mktemp("odd")
    spec = write_spec(
        folder,
        {
            "hyperparameters": SPACE,
            "function": quadratic(),
            "search": {"name": "odd", "method": "random", "iterations": 8, "seed": 2},
        },
    )
    done = run_cli("run", str(spec), "--no-ui", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder / "results" / "odd"


def test_show_writes_letters_beyond_ascii_as_they_are(odd: Path) -> None:
    done = run_cli_here("show", str(odd), "--importance", cwd=odd)
    assert done.returncode == 0, done.stderr
    assert 'word="日本 ünï"' in done.stdout and "\\u65e5" not in done.stdout
    ranked = done.stdout.split("param importance")[1].splitlines()
    assert any(line.startswith("line\\nname ") for line in ranked), ranked
    assert all(line.strip() for line in ranked[1:]), "a param name broke its row"
    pick = next(line for line in ranked if line.startswith("pick "))
    assert pick.endswith(('"ö"', '"β"')), pick


def test_show_names_an_empty_list_param_as_it_does_in_the_csv(odd: Path) -> None:
    summary = run_cli_here("show", str(odd), cwd=odd).stdout
    rows = [line for line in summary.splitlines() if line.lstrip()[:1].isdigit()]
    assert rows and all("lst=[]" in row or 'lst.0="β"' in row for row in rows), summary
    empty = next(int(row.split()[0]) for row in rows if "lst=[]" in row)
    one = run_cli_here("show", str(odd), "--trial", str(empty), cwd=odd).stdout
    assert any(line.split() == ["lst", "[]"] for line in one.splitlines()), one


def test_show_of_a_search_whose_trials_have_not_ended_says_none_has_a_loss_yet(
    odd: Path, tmp_path: Path
) -> None:
    lines = (odd / "trials.jsonl").read_text().splitlines(keepends=True)
    started = [line for line in lines if '"trial_started"' in line]
    folder = tmp_path / "cut"
    shutil.copytree(odd, folder)
    (folder / "trials.jsonl").write_text(lines[0] + started[0])
    summary = run_cli_here("show", str(folder), cwd=tmp_path).stdout
    assert "(1 unfinished)" in summary
    assert summary.splitlines()[-1] == "no trial produced a loss yet"
    ended = json.loads(next(line for line in lines if '"trial_finished"' in line))
    interrupted = {**ended, "state": "interrupted", "loss": None, "reason": "interrupted"}
    started_one = next(line for line in started if f'"id":{ended["id"]},' in line)
    (folder / "trials.jsonl").write_text(lines[0] + started_one + json.dumps(interrupted) + "\n")
    summary = run_cli_here("show", str(folder), cwd=tmp_path).stdout
    assert "(1 interrupted)" in summary
    assert summary.splitlines()[-1] == "no trial produced a loss yet"
    (folder / "trials.jsonl").write_text(lines[0])  # no trial yet: it was said none produced one
    summary = run_cli_here("show", str(folder), cwd=tmp_path).stdout
    assert summary.splitlines() == [f"{folder}: 0 trials", "no trial produced a loss yet"]


def test_a_python_file_given_as_the_spec_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "objective.py").write_text("def train(params):\n    return params['x']\n")
    for command in ("validate", "run", "show"):
        done = run_cli_here(command, "objective.py", cwd=tmp_path)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.startswith("objective.py: is a Python file, not a spec: "), done.stderr
        assert len(done.stderr.splitlines()) == 1 and "JSON" in done.stderr


def test_every_command_whose_output_cannot_be_written_says_so_in_one_line(
    odd: Path, tmp_path: Path
) -> None:
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": SPACE,
            "function": quadratic(),
            "search": {"name": "full", "method": "random", "iterations": 2},
        },
    )
    empty = tmp_path / "empty"  # a search before its first trial: nothing to draw yet
    empty.mkdir()
    (empty / "trials.jsonl").write_text((odd / "trials.jsonl").read_text().splitlines()[0])
    commands = [
        ["validate", str(spec)],
        ["sample", str(spec), "-n", "1"],
        ["templates"],
        ["plot", str(empty)],
    ]
    for command in commands:
        done = _to_a_full_disk(command, tmp_path)
        assert done.returncode == 1, done.stderr
        line = f"hypermax {command[0]}: cannot write its output: No space left on device\n"
        assert done.stderr.endswith(line) and "unexpected" not in done.stderr, done.stderr


def test_quick_saving_its_spec_with_its_output_on_a_full_disk_says_so_in_one_line(
    tmp_path: Path,
) -> None:
    """The spec was written, then the line naming it was an unexpected error with a traceback."""
    words = ["quick", "--hp", "a=1:2", "--metric", "m", "--save-spec", "q.json", "--", "true"]
    done = _to_a_full_disk(words, tmp_path)
    assert (done.returncode, done.stderr) == (
        1,
        "hypermax quick: cannot write its output: No space left on device\n",
    )
    assert json.loads((tmp_path / "q.json").read_text())["search"]["metric"] == "m"


@pytest.mark.parametrize(
    "command", [["export", "missing"], ["validate", "missing.json"], ["quick", "--hp", "x"]]
)
def test_a_mistake_with_stderr_closed_goes_nowhere_not_into_the_output(
    tmp_path: Path, command: list[str]
) -> None:
    """With stderr closed (``2>&-``) Python's sys.stderr is None, and a line printed to it
    went to stdout: ``export DIR 2>&- > trials.csv`` wrote the error into the data."""
    done = subprocess.run(
        ["/bin/sh", "-c", 'exec "$@" 2>&-', "sh", sys.executable, "-m", "hypermax", *command],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (2, "")


def test_help_and_version_that_cannot_be_written_say_so_as_every_command_does(
    tmp_path: Path,
) -> None:
    """argparse drops an error writing them: the help lost to a full disk exited 0, silent."""
    for words, prog in (
        (["--help"], "hypermax"),
        (["--version"], "hypermax"),
        (["show", "-h"], "hypermax show"),
        ([], "hypermax"),
    ):
        done = _to_a_full_disk(words, tmp_path)
        assert (done.returncode, done.stderr) == (
            1,
            f"{prog}: cannot write its output: No space left on device\n",
        ), words


def test_a_spec_whose_search_has_not_run_says_so_where_its_results_are_due(
    tmp_path: Path,
) -> None:
    write_spec(
        tmp_path,
        {
            "hyperparameters": SPACE,
            "function": quadratic(),
            "search": {"name": "later", "method": "random", "iterations": 2},
        },
    )
    for command in ("show", "export", "plot", "resume"):
        done = run_cli_here(command, "search.json", cwd=tmp_path)
        assert (done.returncode, done.stdout) == (2, ""), done.stderr
        assert done.stderr == (
            f"search.json: its search has not run yet (no {tmp_path}/results/later):"
            " hypermax search.json runs it\n"
        )
    assert not (tmp_path / "results").exists()


def test_show_writes_the_letters_of_a_metadata_list_as_they_are(odd: Path, tmp_path: Path) -> None:
    folder = tmp_path / "meta"
    shutil.copytree(odd, folder)
    frozen = json.loads((folder / "search.json").read_text())
    frozen["hypermax_results"] = {"author": "Zoë", "input_types": ["画像", "テキスト"]}
    (folder / "search.json").write_text(json.dumps(frozen))
    summary = run_cli_here("show", str(folder), cwd=tmp_path).stdout
    assert "  author       Zoë\n" in summary
    assert '  input_types  ["画像", "テキスト"]\n' in summary, summary


@pytest.mark.parametrize("command", [["show", "results/s"], ["validate", "s.json"], ["s.json"]])
def test_a_relative_path_in_a_removed_current_folder_is_named_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    with contextlib.chdir(gone):
        gone.rmdir()  # the shell's folder, removed since
        assert main(command) == 2
    # before: "results/s: no such results folder or spec", "s.json: cannot read: No such file"
    assert capsys.readouterr().err == (
        f"{command[-1]}: the current folder no longer exists (it was removed): change to one "
        "that does\n"
    )


def test_a_spec_whose_module_is_beside_it_is_checked_and_run_from_a_removed_current_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Finding the module asked for the current folder, to leave it out of sys.path: a spec
    named by its absolute path, with its results there too, was an unexpected error (exit 1);
    and --fresh said the results folder "cannot be written"."""
    (tmp_path / "model.py").write_text("def train(params):\n    return params['x']\n")
    spec = tmp_path / "s.json"
    space = {"type": "object", "properties": {"x": {"type": "number", "min": 0, "max": 1}}}
    doc = {
        "hyperparameters": space,
        "function": {"type": "python_function", "module": "model", "name": "train"},
        "search": {"name": "s", "iterations": 1},
        "results": {"directory": str(tmp_path / "results")},
    }
    spec.write_text(json.dumps(doc))
    gone = tmp_path / "gone"
    gone.mkdir()
    with contextlib.chdir(gone):
        gone.rmdir()  # the shell's folder, removed since
        assert main(["validate", str(spec)]) == 0, capsys.readouterr().err
        assert main(["run", str(spec), "--no-ui"]) == 0, capsys.readouterr().err
        assert "1 trial done" in capsys.readouterr().out
        # --fresh asked for the current folder, lest it move aside with the old search
        assert main(["run", str(spec), "--no-ui", "--fresh"]) == 0, capsys.readouterr().err
    assert "1 trial done" in capsys.readouterr().out
    assert (tmp_path / "results" / "s.1" / "trials.jsonl").is_file()


@pytest.mark.parametrize("command", ["show", "export", "resume", "sample"])
def test_a_spec_with_relative_results_names_a_removed_current_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """Its results folder is found from the current folder: removed, show said the search "has
    not run yet" and sample sampled a new search, saying nothing."""
    doc = {"function": quadratic(), "search": {"name": "s"}, "results": {"directory": "results"}}
    spec = write_spec(tmp_path, {**doc, "hyperparameters": X_SPACE})
    gone = tmp_path / "gone"
    gone.mkdir()
    with contextlib.chdir(gone):
        gone.rmdir()  # the shell's folder, removed since
        assert main([command, str(spec)]) == 2
    assert capsys.readouterr() == (
        "",
        "results/s: the current folder no longer exists (it was removed): change to one that "
        "does\n",
    )


def test_validate_writes_a_control_character_of_the_spec_path_as_its_escape(
    tmp_path: Path,
) -> None:
    """A newline split its ok line in two; a terminal escape in a folder's name steered the
    terminal: every other line names such a file with the character escaped."""
    folder = tmp_path / "e\x1b[31m"
    folder.mkdir()
    spec = write_spec(folder, {"hyperparameters": SPACE, "function": quadratic()})
    named = spec.rename(folder / "a\nb.json")
    done = run_cli_here("validate", str(named.relative_to(tmp_path)), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("e\\x1b[31m/a\\nb.json: ok ("), done.stdout
    assert len(done.stdout.splitlines()) == 1


def _to_a_full_disk(words: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``hypermax WORDS > /dev/full``."""
    with open("/dev/full", "w") as full:
        return subprocess.run(
            [sys.executable, "-m", "hypermax", *words],
            cwd=cwd,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
