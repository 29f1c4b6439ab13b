"""A results folder that cannot be made is a user's mistake: exit 2 and one line that says where."""

from __future__ import annotations

import contextlib
import subprocess
import sys

from conftest import X_SPACE, run_cli_here, run_hypermax_here
from fake_trials.helpers import fake, write_spec

from hypermax.cli import main


def _spec(tmp_path, directory):
    return write_spec(
        tmp_path,
        {
            "hyperparameters": X_SPACE,
            "function": {"type": "executable", "command": fake("good")},
            "search": {"name": "s", "iterations": 1},
            "results": {"directory": str(directory)},
        },
    )


def test_a_results_directory_under_a_file_is_one_line_naming_the_spec_and_its_path(tmp_path):
    in_the_way = tmp_path / "results"
    in_the_way.write_text("not a folder")
    done = run_hypermax_here(_spec(tmp_path, in_the_way))
    assert done.returncode == 2
    assert done.stderr.strip() == (  # was mkdir's own words: "Not a directory"
        f"search.json: results.directory: {in_the_way}/s: cannot make the results folder: "
        f"{in_the_way} is a file, not a folder"
    )


def test_a_results_folder_argument_under_a_file_is_one_line_naming_it(tmp_path):
    in_the_way = tmp_path / "file"
    in_the_way.write_text("not a folder")
    spec = _spec(tmp_path, tmp_path / "results")
    argv = [sys.executable, "-m", "hypermax", "run", str(spec), str(in_the_way / "here"), "--no-ui"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"{in_the_way}/here: cannot make the results folder: {in_the_way} is a file, not a folder"
    )
    done = run_cli_here("run", str(spec), str(in_the_way), "--no-ui", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (  # the folder itself a file: "File exists"
        2,
        f"{in_the_way}: cannot make the results folder: {in_the_way} is a file, not a folder\n",
    )


def test_a_relative_results_directory_in_a_removed_current_folder_is_named_so(tmp_path, capsys):
    spec = _spec(tmp_path, "results")  # relative: to the current folder
    gone = tmp_path / "gone"
    gone.mkdir()
    with contextlib.chdir(gone):
        gone.rmdir()  # the shell's folder, removed since
        code = main(["run", str(spec), "--no-ui"])
    assert code == 2
    assert capsys.readouterr().err == (  # before: "cannot make the results folder: No such file"
        "results/s: the current folder no longer exists (it was removed): change to one that does\n"
    )


def test_a_results_folder_too_long_for_the_paths_of_its_files_is_one_line(tmp_path):
    # 4,080 bytes: its frozen spec's temporary file, or a trial's result, would pass the 4,095
    # a path may have (an OSError then, a traceback, or every trial failing)
    deep = tmp_path.joinpath(*["d" * 200] * 19)
    directory = deep / ("e" * (4080 - len(str(deep)) - 3))
    done = run_hypermax_here(_spec(tmp_path, directory))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"search.json: results.directory: {directory}/s: cannot make the results folder: its"
        " path is 4080 bytes long, and the paths of the files in it up to 64 more, past the"
        " 4095 a path may have"
    )
    assert not (tmp_path / ("d" * 200)).exists()


def test_a_results_directory_through_a_dangling_symlink_names_the_symlink(tmp_path):
    link = tmp_path / "results"
    link.symlink_to(tmp_path / "unmounted")
    done = run_hypermax_here(_spec(tmp_path, link))
    assert done.returncode == 2
    assert done.stderr.strip() == (  # was mkdir's own words: "File exists"
        f"search.json: results.directory: {link}/s: cannot make the results folder: {link} is"
        f" a symlink to {tmp_path}/unmounted, which does not exist"
    )


def test_a_results_folder_named_longer_than_a_name_may_be_is_one_line(tmp_path):
    spec = _spec(tmp_path, tmp_path / "results")
    name = "n" * 256
    done = run_hypermax_here(spec, name)  # it said: .../trials.jsonl: cannot be written
    assert (done.returncode, done.stderr) == (
        2,
        f"{name}: cannot make the results folder: the name nnnnnnnnnnnnnnnn... is 256 bytes"
        " long, more than the 255 a name may have\n",
    )
    for command in ("show", "resume"):  # unexpected error: OSError: File name too long
        done = run_cli_here(command, name, cwd=tmp_path)
        assert (done.returncode, done.stderr) == (2, f"{name}: no such results folder or spec\n")


def test_a_folder_of_results_folders_given_as_run_s_own_is_refused(tmp_path):
    """``hypermax search.json results`` meant ``--results results``: the search went in beside
    the folders of the others, and ``show results`` showed it rather than naming them."""
    spec = _spec(tmp_path, tmp_path / "results")
    results = tmp_path / "results"
    (results / "s").mkdir(parents=True)
    (results / "s" / "trials.jsonl").write_text("")  # the folder of a search
    done = run_hypermax_here(spec, str(results))
    assert (done.returncode, done.stderr) == (
        2,
        f"{results}: holds the results folders of searches ({results}/s), not one: --results"
        f" {results} puts this search in {results}/s\n",
    )
    assert [p.name for p in results.iterdir()] == ["s"]


def test_a_folder_holding_other_files_or_inside_a_search_s_folder_is_refused(tmp_path):
    """``hypermax search.json ~`` (or ``/``, or a project's folder) wrote the search's journal,
    trials and logs in among the files there; ``--results results/s`` put a search inside the
    results folder of another one. A new, an empty and the search's own folder still do."""
    spec = _spec(tmp_path, tmp_path / "results")
    project = tmp_path / "project"
    project.mkdir()
    for name in ("notes.txt", ".bashrc", "data", "model.py"):
        (project / name).write_text("the user's")
    done = run_hypermax_here(spec, str(project))
    assert (done.returncode, done.stderr) == (
        2,
        f"{project}: holds other files than a search's (.bashrc, data, model.py, ...), not the"
        " results of a search: give the search a folder of its own (a new or an empty one)\n",
    )
    assert sorted(p.name for p in project.iterdir()) == [".bashrc", "data", "model.py", "notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_hypermax_here(spec, str(empty)).returncode == 0  # an empty folder
    assert run_hypermax_here(spec, str(empty)).returncode == 0  # and the search's own again
    done = run_hypermax_here(spec, "--results", str(empty))
    assert (done.returncode, done.stderr) == (
        2,
        f"{empty}/s: is inside the results folder of the search in {empty}: give the search a"
        " folder of its own\n",
    )
    assert not (empty / "s").exists()
    for inside in ("trials", "logs"):  # among its trials' folders (a search named 4: trial 4's)
        done = run_hypermax_here(spec, "--results", str(empty / inside))
        assert (done.returncode, done.stderr) == (
            2,
            f"{empty}/{inside}/s: is inside the results folder of the search in {empty}: give"
            " the search a folder of its own\n",
        )
    # a trial that runs a search of its own, in its folder
    assert run_hypermax_here(spec, "--results", str(empty / "trials" / "1")).returncode == 0
