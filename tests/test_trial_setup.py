"""What each trial's start reuses from the ones before it stays true to the trial."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

from conftest import run_hypermax_here

from hypermax.execution import spawn
from hypermax.execution.host import TrialHost
from hypermax.execution.limits import Limits


def test_each_trial_gets_the_environment_as_it_is_when_it_starts(monkeypatch):
    monkeypatch.delenv("HYPERMAX_TEST_LATE", raising=False)
    assert "HYPERMAX_TEST_LATE" not in spawn.current_environ()
    monkeypatch.setenv("HYPERMAX_TEST_LATE", "1")
    assert spawn.current_environ()["HYPERMAX_TEST_LATE"] == "1"
    monkeypatch.setenv("HYPERMAX_TEST_LATE", "2")
    assert spawn.current_environ()["HYPERMAX_TEST_LATE"] == "2"
    monkeypatch.delenv("HYPERMAX_TEST_LATE")
    env = spawn.current_environ()
    assert env == dict(os.environ)
    env["HYPERMAX_TEST_LATE"] = "mine"  # a copy: neither the environment nor the next copy
    assert "HYPERMAX_TEST_LATE" not in os.environ
    assert "HYPERMAX_TEST_LATE" not in spawn.current_environ()


def test_trial_folders_resolve_as_path_resolve_does(tmp_path):
    host = TrialHost(Limits())
    real = tmp_path / "real"
    (real / "trials").mkdir(parents=True)
    (tmp_path / "link").symlink_to(real)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (real / "trials" / "2").symlink_to(elsewhere)  # a trial folder that is a symlink itself
    for trial in ("1", "2", "1"):
        path = tmp_path / "link" / "trials" / trial
        assert host.resolve_trial_dir(path) == path.resolve()
    assert host.resolve(tmp_path / "link") == real


def _regular_install(tmp_path: Path) -> Path:
    """A virtual environment holding a copy of hypermax in its site folder, as ``pip install``
    (not ``-e``) leaves it, with a module ``shadowed`` installed beside it; the packages hypermax
    needs come from this environment's site folder (a ``.pth`` path line). Its python."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    found = subprocess.run(
        [str(python), "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True,
        text=True,
        check=True,
    )
    folder = Path(found.stdout.strip())
    shutil.copytree(
        Path(spawn.PACKAGE_ROOT) / "hypermax",
        folder / "hypermax",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (folder / "deps.pth").write_text(site.getsitepackages()[0] + "\n")
    (folder / "shadowed.py").write_text('WHERE = "installed"\n')
    return python


def test_an_installed_hypermax_keeps_the_users_pythonpath_first_and_off_other_pythons(tmp_path):
    python = _regular_install(tmp_path)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "shadowed.py").write_text('WHERE = "mine"\n')
    (tmp_path / "obj.py").write_text(
        "def train(p):\n    import shadowed\n    return 0.0 if shadowed.WHERE == 'mine' else 1.0\n"
    )
    spec = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
        "function": {"type": "python_function", "src": "obj.py", "name": "train"},
        "search": {"method": "random", "iterations": 1},
    }
    env = {**os.environ, "PYTHONPATH": str(mine)}
    for preload in (True, False):
        spec["function"]["preload"] = preload
        spec["search"]["name"] = f"preload_{preload}"
        (tmp_path / "search.json").write_text(json.dumps(spec))
        done = subprocess.run(
            [str(python), "-m", "hypermax", "search.json", "--no-ui"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "best loss 0 " in done.stdout, done.stdout  # the user's module, not the installed
    # a program the trial runs (another Python, another environment) gets neither the site
    # folder nor its packages, as without hypermax; its own interpreter gets it last
    code = "from hypermax.execution import spawn as s; import json; e = {'PYTHONPATH': '/mine'}; "
    code += "print(json.dumps([s.python_path(e, '/spec', own_interpreter=o) for o in (0, 1)]))"
    found = subprocess.run(
        [str(python), "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    other, own = json.loads(found.stdout)
    assert other == os.pathsep.join(["/spec", "/mine"])
    assert own.split(os.pathsep)[:2] == ["/spec", "/mine"] and len(own.split(os.pathsep)) == 3


def test_a_relative_pythonpath_names_folders_from_where_hypermax_started(tmp_path, monkeypatch):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "shadowed.py").write_text("WHERE = 'mine'\n")
    monkeypatch.setenv("PYTHONPATH", "mine")  # PYTHONPATH=mine hypermax search.json
    show = "import shadowed; print(0.5)"
    spec = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
        "function": {"type": "executable", "command": [sys.executable, "-c", show]},
        "search": {"method": "random", "iterations": 1},
    }
    (tmp_path / "search.json").write_text(json.dumps(spec))
    done = run_hypermax_here(tmp_path / "search.json")  # from tmp_path; the trial starts in its own
    assert done.returncode == 0, done.stderr  # before: ModuleNotFoundError: No module named ...
