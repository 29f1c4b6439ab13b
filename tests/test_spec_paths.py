"""The paths a spec names for its trials: ``~`` is the home folder, and only a Python script
beside the spec, run without a ``cwd``, is refused for the folder a trial starts in.

The exact errors of a missing ``cwd`` and of such a script are in test_spec_validation's table.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import OBJECTIVES, X_SPACE, finished_records, quadratic, run_cli, run_cli_here
from test_spec_validation import function, spec, write_files

import hypermax
from hypermax.spec import spec_from_dict

#: a program that notes where it started, then prints its loss
NOTE_CWD = '#!/bin/sh\npwd > "$HYPERMAX_TRIAL_DIR/started_in"\necho 0.25\n'


def home_with_files(tmp_path: Path) -> Path:
    """A home folder holding ``code/quadratic.py``, an executable ``bin/train`` and ``work/``."""
    home = tmp_path / "home"
    (home / "code").mkdir(parents=True)
    (home / "bin").mkdir()
    (home / "work").mkdir()
    shutil.copy(OBJECTIVES / "quadratic.py", home / "code" / "quadratic.py")
    program = home / "bin" / "train"
    program.write_text(NOTE_CWD)
    program.chmod(0o755)
    return home


def test_a_python_function_src_and_a_results_directory_under_home(tmp_path: Path) -> None:
    home = home_with_files(tmp_path)
    here = tmp_path / "here"
    here.mkdir()
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "src": "~/code/quadratic.py", "name": "train"},
        "search": {"name": "s", "iterations": 1},
        "results": {"directory": "~/hmres"},
    }
    (here / "search.json").write_text(json.dumps(doc))
    result = run_cli("run", "search.json", "--no-ui", cwd=here, env={"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert [r["state"] for r in finished_records(home / "hmres" / "s").values()] == ["ok"]
    assert sorted(p.name for p in here.iterdir()) == ["search.json"]  # no folder named "~"
    # the results folder keeps the spec as written, which runs the same for whoever resumes it
    frozen = json.loads((home / "hmres" / "s" / "search.json").read_text())
    assert frozen["function"]["src"] == "~/code/quadratic.py"
    assert frozen["results"]["directory"] == "~/hmres"


def test_an_executable_program_and_cwd_under_home(tmp_path: Path) -> None:
    home = home_with_files(tmp_path)
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "executable", "command": ["~/bin/train", "{x}"], "cwd": "~/work"},
        "search": {"name": "s", "iterations": 1},
        "results": {"directory": str(tmp_path / "results")},
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    result = run_cli("run", "search.json", "--no-ui", cwd=tmp_path, env={"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert [r["loss"] for r in finished_records(tmp_path / "results" / "s").values()] == [0.25]
    started_in = (tmp_path / "results" / "s" / "trials" / "1" / "started_in").read_text()
    assert Path(started_in.strip()) == (home / "work").resolve()


def test_the_program_of_a_string_command_under_home_keeps_its_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = home_with_files(tmp_path)
    monkeypatch.setenv("HOME", str(home))
    command = "~/bin/train --out '~/not a path' {x}"
    doc = spec(function={"type": "executable", "command": command})
    loaded = spec_from_dict(doc, tmp_path / "search.json", {"results.directory": "~/out"})
    assert loaded.function.command == (str(home / "bin" / "train"), "--out", "~/not a path", "{x}")
    assert loaded.results_directory == home / "out"
    assert loaded.raw["function"]["command"] == command


def test_a_missing_folder_under_home_is_named_where_it_was_looked_for(tmp_path: Path) -> None:
    home = home_with_files(tmp_path)
    doc = spec(function=function(cwd="~/nowhere"))
    write_files(tmp_path, {"bad.json": doc})
    result = run_cli("validate", "bad.json", cwd=tmp_path, env={"HOME": str(home)})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f'bad.json: function.cwd: cannot find folder "{home / "nowhere"}"'
    ]


@pytest.mark.parametrize(
    ("function_section", "script"),
    [
        pytest.param({"command": ["python3", "train.py"], "cwd": "."}, "train.py", id="cwd-given"),
        pytest.param({"command": ["python3", "-m", "train"]}, "train.py", id="a-module"),
        pytest.param({"command": ["python3", "-c", "print(1)", "t.py"]}, "t.py", id="a-command"),
        pytest.param({"command": ["python3", "{x}.py"]}, "{x}.py", id="a-placeholder"),
        # a script missing from the spec's folder too is a spec error (test_spec_validation);
        # one that climbs out of the trial's own folder is not looked for from the spec's
        pytest.param(
            {"command": ["python3", "../../../../train.py"]}, "other.py", id="out-of-the-trial"
        ),
        pytest.param({"command": ["sh", "train.sh"]}, "train.sh", id="another-program"),
    ],
)
def test_other_commands_are_left_to_the_run(
    function_section: dict[str, Any], script: str, tmp_path: Path
) -> None:
    write_files(tmp_path, {script: "print(0.5)\n"})
    doc = spec(function={"type": "executable", **function_section})
    assert spec_from_dict(doc, tmp_path / "search.json").function.type == "executable"


def test_a_python_script_named_by_its_absolute_path_is_left_to_the_run(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("print(0.5)\n")
    command = [sys.executable, str(tmp_path / "train.py")]
    doc = spec(function={"type": "executable", "command": command})
    assert spec_from_dict(doc, tmp_path / "search.json").function.command == tuple(command)


def test_the_fix_the_error_gives_runs(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("print(0.5)\n")
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "executable", "command": ["python3", "train.py"], "cwd": "."},
        "search": {"name": "s", "iterations": 1},
        "results": {"directory": "results"},
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    result = run_cli_here("run", "search.json", "--no-ui", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [r["loss"] for r in finished_records(tmp_path / "results" / "s").values()] == [0.5]


def test_a_warm_start_under_home(tmp_path: Path) -> None:
    home = home_with_files(tmp_path)
    earlier = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "src": "~/code/quadratic.py", "name": "train"},
        "search": {"name": "earlier", "iterations": 2},
        "results": {"directory": "~/hmres"},
    }
    (tmp_path / "earlier.json").write_text(json.dumps(earlier))
    later = {
        **earlier,
        "search": {"name": "later", "iterations": 3, "warm_start": "~/hmres/earlier"},
    }
    (tmp_path / "later.json").write_text(json.dumps(later))
    for name in ("earlier.json", "later.json"):
        result = run_cli("run", name, "--no-ui", cwd=tmp_path, env={"HOME": str(home)})
        assert result.returncode == 0, result.stderr
    later_folder = home / "hmres" / "later"
    events = [json.loads(line)["event"] for line in (later_folder / "trials.jsonl").open()]
    assert events.count("trial_imported") == 2  # the earlier search's, from its results folder
    assert [r["state"] for r in finished_records(later_folder).values()] == ["ok"] * 3


def test_cluster_tls_files_under_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "ca.pem").write_text("")
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "src": "~/code.py", "name": "train"},
        "cluster": {"scheduler": "tls://127.0.0.1:8786", "security": {"tls_ca_file": "~/ca.pem"}},
    }
    (tmp_path / "code.py").write_text("def train(params):\n    return 0.5\n")
    frozen = spec_from_dict(doc, tmp_path / "elsewhere" / "search.json")
    assert frozen.cluster is not None
    assert frozen.cluster.security == {"tls_ca_file": str(tmp_path / "ca.pem")}


def test_a_spec_read_by_a_relative_path_keeps_its_folder_after_a_change_of_folder(
    tmp_path: Path,
) -> None:
    (tmp_path / "model.py").write_text("def train(params):\n    return params['x']\n")
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {"method": "random", "iterations": 1},
        "results": {"directory": str(tmp_path / "results")},
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    with contextlib.chdir(tmp_path):
        spec = hypermax.load_spec("search.json")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with contextlib.chdir(elsewhere):  # a notebook's os.chdir between load_spec and optimize
        assert spec.folder == tmp_path.resolve()  # before: elsewhere
        result = hypermax.optimize(spec)  # before: cannot find file "model.py" in .../elsewhere
    assert result.best_loss is not None


@pytest.mark.parametrize(
    ("section", "key", "value", "where"),
    [
        ("function", "src", "LONG.py", 'function.src: "LONG.py"'),
        ("function", "cwd", "LONG", 'function.cwd: "LONG"'),
        ("function", "command", ["./LONG"], 'function.command.0: "./LONG"'),
        ("hyperparameters", "$ref", "LONG.json", 'hyperparameters: $ref "LONG.json"'),
        ("search", "warm_start", "LONG", "search.warm_start: {folder}/LONG"),
    ],
)
def test_a_path_longer_than_a_name_may_be_is_one_line(
    tmp_path: Path, section: str, key: str, value: Any, where: str
) -> None:
    """pathlib's checks raise on such a name: it was an unexpected error (OSError), exit 1."""
    long = "y" * 300
    doc: dict[str, Any] = {
        "hyperparameters": X_SPACE,
        "function": quadratic(),
        "search": {"name": "s"},
        "results": {"directory": str(tmp_path / "results")},
    }
    if key == "$ref":
        doc[section] = {"$ref": value.replace("LONG", long)}
    elif key == "command":
        doc[section] = {"type": "executable", "command": [value[0].replace("LONG", long)]}
    else:
        doc[section][key] = value.replace("LONG", long)
    (tmp_path / "search.json").write_text(json.dumps(doc))
    done = run_cli_here("validate", "search.json", cwd=tmp_path)
    expected = where.format(folder=tmp_path).replace("LONG", long)
    assert (done.returncode, done.stderr) == (2, f"search.json: {expected}: File name too long\n")
