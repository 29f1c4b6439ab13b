"""The results folder of ``hypermax run`` may come after the options, as users type it."""

from __future__ import annotations

from conftest import X_SPACE, run_cli_here, run_hypermax_here
from fake_trials.helpers import fake, finished, write_spec


def test_a_results_folder_after_the_options_is_the_results_folder(tmp_path):
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": X_SPACE,
            "function": {"type": "executable", "command": fake("good")},
            "search": {"name": "s", "iterations": 1},
        },
    )
    folder = tmp_path / "here"
    done = run_hypermax_here(spec, str(folder))  # hypermax run SPEC --no-ui FOLDER
    assert done.returncode == 0, done.stderr  # before: "unrecognized arguments", exit 2
    assert [t["state"] for t in finished(folder).values()] == ["ok"]
    done = run_hypermax_here(spec, "--", "-dashed")  # a name that starts with a dash, after --
    assert done.returncode == 0, done.stderr  # before: "unrecognized arguments: -- -dashed"
    assert [t["state"] for t in finished(tmp_path / "-dashed").values()] == ["ok"]


def test_an_empty_results_folder_is_refused_as_an_empty_results_option_is(tmp_path):
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": X_SPACE,
            "function": {"type": "executable", "command": fake("good")},
            "search": {"name": "s", "iterations": 1},
        },
    )
    done = run_hypermax_here(spec, "")  # hypermax run SPEC "$DIR", DIR unset
    assert (done.returncode, done.stderr) == (2, "hypermax run: RESULTS_DIR: must not be empty\n")
    assert not (tmp_path / "results").exists()  # the search went to the spec's folder


def test_an_empty_spec_or_results_folder_is_refused_by_every_command(tmp_path):
    """An unset variable's "$DIR" was read as the current folder: ``hypermax resume ""``
    resumed the search there, ``export ""`` exported it, ``validate ""`` named "."."""
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": X_SPACE,
            "function": {"type": "executable", "command": fake("good")},
            "search": {"name": "s", "iterations": 1},
        },
    )
    assert run_cli_here(str(spec), cwd=tmp_path).returncode == 0
    folder = tmp_path / "results" / "s"
    journal = (folder / "trials.jsonl").read_text()
    for command, word in [
        ("show", "RESULTS_DIR"),
        ("export", "RESULTS_DIR"),
        ("plot", "RESULTS_DIR"),
        ("resume", "RESULTS_DIR"),
        ("validate", "SPEC"),
        ("sample", "SPEC"),
        ("run", "SPEC"),
    ]:
        done = run_cli_here(command, "", cwd=folder)  # from inside the results folder
        assert (done.returncode, done.stdout) == (2, ""), command
        assert done.stderr == f"hypermax {command}: {word}: must not be empty\n"
    done = run_cli_here("", cwd=folder)
    assert (done.returncode, done.stderr) == (2, "hypermax run: SPEC: must not be empty\n")
    assert (folder / "trials.jsonl").read_text() == journal
    assert not (folder / "plots").exists()


def test_anything_else_left_over_is_still_refused_in_one_line(tmp_path):
    spec = write_spec(tmp_path, {"hyperparameters": X_SPACE})
    done = run_hypermax_here(spec, "one", "two")
    assert done.returncode == 2
    assert done.stderr.strip() == "hypermax run: unrecognized arguments: one two"


def test_a_results_folder_and_results_given_together_are_refused(tmp_path):
    """Both name where the search goes: the folder was taken and --results silently dropped."""
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": X_SPACE,
            "function": {"type": "executable", "command": fake("good")},
            "search": {"name": "s", "iterations": 1},
        },
    )
    done = run_hypermax_here(spec, str(tmp_path / "here"), "--results", str(tmp_path / "there"))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "hypermax run: give RESULTS_DIR (the search's own folder) or --results (the folder that"
        " holds it), not both\n"
    )
    assert not (tmp_path / "here").exists() and not (tmp_path / "there").exists()


def test_run_options_before_a_spec_without_run_are_run_s(tmp_path):
    """``hypermax --no-ui --iterations 2 SPEC`` as ``hypermax SPEC --no-ui --iterations 2``
    (it said: unrecognized arguments: --no-ui)."""
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": X_SPACE,
            "function": {"type": "executable", "command": fake("good")},
            "search": {"name": "s", "iterations": 1},
        },
    )
    done = run_cli_here("--no-ui", "--iterations", "2", str(spec), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(finished(tmp_path / "results" / "s")) == 2
    assert run_cli_here("--version", str(spec), cwd=tmp_path).stdout.startswith("hypermax ")
    spec.rename(tmp_path / "-s.json")  # a spec that starts with a dash, after "--"
    done = run_cli_here("--no-ui", "--", "-s.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr  # it said: argument COMMAND: invalid choice: '--'
    assert len(finished(tmp_path / "results" / "s")) == 2


def test_a_mistyped_command_is_named_as_one_not_as_a_spec_that_cannot_be_read(tmp_path):
    """``hypermax shwo results/s`` is read as ``hypermax run shwo results/s``: it said
    ``shwo: cannot read: No such file or directory``, as if a spec were meant."""
    done = run_cli_here("shwo", "results/s", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "hypermax: shwo: no such command, nor a spec file (did you mean hypermax show?)\n"
    )
    done = run_cli_here("new", cwd=tmp_path)  # another tool's word for init
    assert done.stderr == (
        "hypermax: new: no such command, nor a spec file (did you mean hypermax init?)\n"
    )
    assert not (tmp_path / "results").exists()
    done = run_cli_here("nonesuch", cwd=tmp_path)  # a spec's name mistyped: as before
    assert done.returncode == 2
    assert done.stderr == "nonesuch: cannot read: No such file or directory\n"
    done = run_cli_here("run", "shwo", cwd=tmp_path)  # run said so: a spec is meant
    assert done.stderr == "shwo: cannot read: No such file or directory\n"


def test_a_mistyped_command_asked_for_its_help_is_named_as_one(tmp_path):
    """``hypermax shwo --help`` printed the help of ``run`` (which a word that is no command
    is read as) and exited 0; it names the mistyped command, as without ``--help``."""
    for argv in (["shwo", "--help"], ["--help", "shwo"], ["new", "-h"]):
        done = run_cli_here(*argv, cwd=tmp_path)
        assert (done.returncode, done.stdout) == (2, ""), argv
        assert done.stderr.startswith(f"hypermax: {argv[argv[0].startswith('-')]}: no such")
    assert run_cli_here("show", "--help", cwd=tmp_path).stdout.startswith("usage: hypermax show")
    assert run_cli_here("--help", cwd=tmp_path).returncode == 0
    (tmp_path / "shwo.json").write_text("{}")  # a spec's own help: run's
    assert run_cli_here("shwo.json", "--help", cwd=tmp_path).stdout.startswith(
        "usage: hypermax run"
    )


def test_a_results_option_that_cannot_hold_the_folder_is_named_by_the_option(tmp_path):
    """The value came from --results, not from the spec's results.directory, which holds
    another value or none: the line named the spec's path, as if the spec were wrong."""
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": X_SPACE,
            "function": {"type": "executable", "command": fake("good")},
            "search": {"name": "s", "iterations": 1},
        },
    )
    (tmp_path / "afile").write_text("not a folder")
    done = run_hypermax_here(spec, "--results", "afile")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "hypermax run: --results: afile/s: cannot make the results folder: afile is a file, "
        "not a folder\n"
    )


def test_an_option_a_subcommand_lacks_is_refused_naming_the_subcommand(tmp_path):
    """It said "hypermax: unrecognized arguments: --method tpe", as if hypermax had no such
    option anywhere; the subcommand whose options were read is named, as its other errors are."""
    spec = write_spec(tmp_path, {"hyperparameters": X_SPACE})
    done = run_cli_here("sample", str(spec), "--method", "tpe", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "hypermax sample: unrecognized arguments: --method tpe\n"
