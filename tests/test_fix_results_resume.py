"""``hypermax resume`` of a folder whose journal lost its header finds the spec's files where a
normal resume does, and errors in a hand-edited frozen spec name the frozen copy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import journal_records, model_spec, run_cli_here

from hypermax.cli import main
from hypermax.errors import ResultsError
from hypermax.frozen_spec import frozen_spec
from hypermax.results import SPEC_ORIGIN
from hypermax.search_folder import prepare
from hypermax.spec import load_spec


def _results_folder(tmp_path: Path, header: bool = False) -> tuple[Path, Path]:
    """A spec in ``project/`` whose ``src`` is relative, and its results folder elsewhere as
    made ready for its search; without ``header``, as a crash between writing the frozen spec
    and the journal's header leaves it."""
    project = tmp_path / "project"
    project.mkdir()
    spec_path = model_spec(
        project,
        "def train(params):\n    return params['x']\n",
        {"name": "s", "method": "random", "iterations": 1, "seed": 3},
        results={"directory": str(tmp_path / "elsewhere")},
    )
    prepared = prepare(load_spec(spec_path))
    prepared.folder.unlock()
    if not header:
        prepared.folder.journal.write_text("")  # the header never reached the disk
    return spec_path, prepared.folder.path


def test_a_headerless_folder_resolves_the_spec_s_paths_from_the_spec_s_folder(tmp_path):
    spec_path, folder = _results_folder(tmp_path)
    spec = frozen_spec(folder)
    assert spec.folder == spec_path.parent.resolve()


def test_resuming_a_headerless_folder_runs_its_trials_and_writes_the_header(tmp_path, capsys):
    spec_path, folder = _results_folder(tmp_path)
    assert main(["resume", str(folder), "--no-ui"]) == 0, capsys.readouterr().err
    records = [json.loads(line) for line in (folder / "trials.jsonl").read_text().splitlines()]
    assert records[0]["event"] == "header"
    assert records[0]["spec_path"] == str(spec_path.resolve())
    assert [r["state"] for r in records if r["event"] == "trial_finished"] == ["ok"]


def test_a_mistake_in_a_hand_edited_frozen_spec_names_the_frozen_copy(tmp_path, capsys):
    _, folder = _results_folder(tmp_path, header=True)
    frozen = folder / "search.json"
    doc = json.loads(frozen.read_text())
    doc["function"]["parallel"] = "two"
    frozen.write_text(json.dumps(doc))
    assert main(["resume", str(folder), "--no-ui"]) == 2
    err = capsys.readouterr().err
    assert err == f'{frozen}: function.parallel: must be an integer, got "two"\n'


def _two_projects(tmp_path: Path, **function: str) -> tuple[Path, Path, Path]:
    """The specs of two projects alike but for their ``model.py`` (a ``src`` beside each, or
    as ``function`` sets it), whose results go to one folder; the first ran its search there.
    Returns both specs and that search's folder."""
    specs = []
    for name, loss in (("a", 1), ("b", 2)):
        project = tmp_path / name
        project.mkdir()
        specs.append(
            model_spec(
                project,
                f"def train(params):\n    return {loss}\n",
                {"name": "s", "method": "random", "iterations": 1, "seed": 3},
                results={"directory": str(tmp_path / "results")},
                function=function,
            )
        )
    assert run_cli_here(str(specs[0]), "--no-ui", cwd=tmp_path).returncode == 0
    return specs[0], specs[1], tmp_path / "results" / "s"


def test_the_spec_of_another_project_does_not_resume_its_search(tmp_path):
    first, second, folder = _two_projects(tmp_path)
    proc = run_cli_here(str(second), "--no-ui", "--iterations", "2", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"{folder}: holds the search of {first}, a spec in another folder (its relative paths"
        " name its own files); give this spec a search.name of its own, or use --fresh to"
        " start anew (the old folder is kept)\n"
    )
    losses = [r["loss"] for r in journal_records(folder) if r["event"] == "trial_finished"]
    assert losses == [1]


def test_resume_after_the_spec_moved_finds_its_files_where_it_last_ran_from(tmp_path):
    spec_path, folder = _results_folder(tmp_path, header=True)
    moved = tmp_path / "moved"
    spec_path.parent.rename(moved)  # the project, spec and model.py, moved
    run = run_cli_here(str(moved / "search.json"), str(folder), "--no-ui", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    proc = run_cli_here("resume", str(folder), "--no-ui", "--iterations", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    states = [r["state"] for r in journal_records(folder) if r["event"] == "trial_finished"]
    assert states == ["ok", "ok"]


def test_a_folder_that_cannot_be_moved_aside_is_one_line_and_stays_unlocked(tmp_path):
    spec_path, _ = _results_folder(tmp_path, header=True)
    folder = tmp_path / ("n" * 255)  # no room in its name for the ".1" of the folder set aside
    prepare(load_spec(spec_path), folder).folder.unlock()
    with pytest.raises(ResultsError) as refused:
        prepare(load_spec(spec_path), folder, fresh=True)
    assert str(refused.value) == (  # was "....1: cannot be written: File name too long"
        f"{folder}: cannot move the results folder aside to {folder.name}.1: File name too long"
    )
    prepare(load_spec(spec_path), folder).folder.unlock()  # was: in use by this process


def test_resume_of_a_folder_whose_spec_is_gone_says_so_and_what_to_do(tmp_path, capsys):
    spec_path, folder = _results_folder(tmp_path, header=True)
    spec_path.parent.rename(tmp_path / "moved")  # the project moved, the folder did not
    assert main(["resume", str(folder), "--no-ui"]) == 2
    assert capsys.readouterr().err.splitlines()[1:] == [  # it said: cannot find file "model.py"
        f"{folder}/search.json: the spec it came from, {spec_path}, is gone (its relative paths"
        f" start from its folder): hypermax run SPEC {folder} resumes from the spec where it is"
        " now"
    ]


def test_the_spec_of_another_folder_naming_the_same_files_resumes_the_search(tmp_path):
    shared = str(tmp_path / "a" / "model.py")  # both name a's model by its absolute path
    _, second, folder = _two_projects(tmp_path, src=shared)
    proc = run_cli_here(str(second), "--no-ui", "--iterations", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [r["loss"] for r in journal_records(folder) if "loss" in r] == [1, 1]


def test_a_folder_whose_frozen_spec_names_itself_resumes_from_the_spec(tmp_path):
    """An older hypermax resumed a folder without a header from the frozen copy, and named it
    as the spec it came from: it is no other project's."""
    spec_path, folder = _results_folder(tmp_path, header=True)
    frozen = folder / "search.json"
    frozen.write_text(json.dumps({**json.loads(frozen.read_text()), SPEC_ORIGIN: str(frozen)}))
    proc = run_cli_here(str(spec_path), str(folder), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def _quick_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A quick search run in ``project/``, its results in ``elsewhere/quick``, and its script."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "train.py").write_text("print('v 0.5')\n")
    results = str(tmp_path / "elsewhere")
    ran = run_cli_here(
        "quick", "--hp", "x=0:1", "--metric", "v", "--iterations", "1", "--no-ui",
        "--results", results, "--", "python3", "train.py", cwd=project,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    return project, tmp_path / "elsewhere" / "quick"


def test_resume_of_a_quick_search_names_the_folder_it_ran_in_not_a_spec(tmp_path, capsys):
    project, folder = _quick_folder(tmp_path)
    project.rename(tmp_path / "moved")
    assert main(["resume", str(folder), "--no-ui", "--iterations", "2"]) == 2
    assert capsys.readouterr().err.splitlines()[1:] == [  # it said: "the spec it came from,
        # .../hypermax quick, is gone ...: hypermax run SPEC ..." of a spec there never was
        f"{folder}/search.json: hypermax quick ran this search in {project}, which is gone (its"
        " command started there): the same hypermax quick command, run where the command's"
        " files are now, resumes it"
    ]
    project.mkdir()  # there again, without the script
    (project / "other.py").write_text("")
    assert main(["resume", str(folder), "--no-ui", "--iterations", "2"]) == 2
    command = json.loads((folder / "search.json").read_text())["function"]["command"]
    at = command.index("train.py")  # behind the metric reader, however it is started
    assert capsys.readouterr().err.splitlines() == [  # the script's problem alone
        f'{folder}/search.json: function.command.{at}: cannot find the script "train.py" in'
        f" {project}"
    ]
