"""A results folder or a working folder that cannot be written: one line naming it, exit 2."""

from __future__ import annotations

import json
import resource
import subprocess
import sys

from conftest import X_SPACE

from hypermax.cli import main


def test_a_results_folder_whose_lock_cannot_be_made_is_one_line_naming_it(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # the spec is named search.json from its folder
    folder = tmp_path / "results" / "s"
    (folder / ".lock").mkdir(parents=True)  # as on a read-only disk: open() fails
    spec = tmp_path / "search.json"
    spec.write_text(
        json.dumps(
            {
                "hyperparameters": X_SPACE,
                "function": {"type": "executable", "command": ["true"]},
                "search": {"name": "s", "iterations": 1},
                "results": {"directory": str(tmp_path / "results")},
            }
        )
    )
    assert main(["run", str(spec), "--no-ui"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"search.json: results.directory: {folder}: cannot lock the results folder: "
        "Is a directory\n"
    )
    assert main(["run", str(spec), str(folder), "--no-ui"]) == 2
    assert capsys.readouterr().err == f"{folder}: cannot lock the results folder: Is a directory\n"


def test_init_that_cannot_write_a_file_says_so_and_leaves_nothing_behind(tmp_path):
    def no_room() -> None:  # files of at most one byte: as a full disk or quota would refuse
        resource.setrlimit(resource.RLIMIT_FSIZE, (1, 1))

    command = [sys.executable, "-m", "hypermax", "init"]
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, preexec_fn=no_room, check=False
    )
    assert done.returncode == 2
    assert done.stderr == f"hypermax init: cannot write {tmp_path}/search.json: File too large\n"
    assert list(tmp_path.iterdir()) == []  # not half a template: init may run again


def _save_spec(target: str) -> int:
    hp = ["--hp", "x=0:1", "--metric", "loss", "--save-spec", target]
    return main(["quick", *hp, "--", "true"])


def test_quick_save_spec_never_overwrites_a_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "search.json").write_text('{"mine": 1}\n')
    assert _save_spec("search.json") == 2
    err = capsys.readouterr().err
    assert err == "hypermax quick: --save-spec search.json: exists already; nothing was written\n"
    assert (tmp_path / "search.json").read_text() == '{"mine": 1}\n'


def test_quick_save_spec_into_a_missing_folder_names_the_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert _save_spec("specs/search.json") == 2
    assert capsys.readouterr().err == (
        "hypermax quick: --save-spec specs/search.json: no folder specs\n"
    )


def test_quick_whose_every_trial_failed_names_the_log_to_read(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    hp = ["--hp", "x=0:1", "--metric", "loss", "--iterations", "1", "--no-ui"]
    assert main(["quick", *hp, "--", sys.executable, "-c", "raise SystemExit(3)"]) == 1
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.endswith("details in results/quick/logs/trial_1.log"), last
