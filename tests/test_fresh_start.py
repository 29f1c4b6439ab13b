"""How a fresh python_function trial's interpreter starts: without ``site`` only when the
bootstrap's replay of it gives the trial what ``site`` gives it, and with the bootstrap compiled
once per search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hypermax.execution import compiled, fresh, protocol
from hypermax.execution.fresh import FreshStart

#: a trial function that tells what its interpreter looks like
LOOK = """
import json, os, site, sys
def look(params):
    return {
        "loss": 0.0,
        "path": sys.path[2:],  # [0] and [1]: the folders the bootstrap puts first
        "no_site": sys.flags.no_site,
        "prefix": [sys.prefix, sys.exec_prefix],
        "site": [site.PREFIXES, site.ENABLE_USER_SITE, site.USER_BASE, site.USER_SITE],
        "builtins": [repr(exit), repr(help)],
        "pth_ran": os.environ.get("PTH_RAN"),
        "modules": sorted(sys.modules),
        "cached": sys.modules["hypermax.execution.child"].__cached__,
    }
"""
#: what a plain interpreter started like a trial sees (``python -c``), for comparison
PLAIN = """
import json, os, site, sys
print(json.dumps({
    "path": sys.path[1:],  # [0]: the entry of -c
    "prefix": [sys.prefix, sys.exec_prefix],
    "site": [site.PREFIXES, site.ENABLE_USER_SITE, site.USER_BASE, site.USER_SITE],
    "builtins": [repr(exit), repr(help)],
    "pth_ran": os.environ.get("PTH_RAN"),
}))
"""


@pytest.fixture
def start():
    return FreshStart()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERMAX_")}
    env.pop(protocol.TRIAL_SITE_ENV, None)
    (tmp_path / "params.json").write_text("{}")
    objective = tmp_path / "objective"
    objective.mkdir(exist_ok=True)
    (objective / "looking.py").write_text(LOOK)
    root = fresh.spawn.PACKAGE_ROOT
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(objective), root, env.get("PYTHONPATH")) if p
    )
    env[protocol.PARAMS_FILE_ENV] = str(tmp_path / "params.json")
    env[protocol.RESULT_FILE_ENV] = str(tmp_path / "result.json")
    env.update(extra)
    return env


def _trial(
    start: FreshStart,
    tmp_path: Path,
    python: str = sys.executable,
    module: str = "looking",
    name: str = "look",
    **extra: str,
) -> tuple[list[str], dict]:
    """Start a trial of ``module.name`` as the launcher would; its argv and its result."""
    env = _env(tmp_path, **extra)
    request = (python, *protocol.CHILD_ARGS, "--module", module, "--name", name)
    argv, env = start.command(request, env, str(tmp_path))
    subprocess.run(argv, env=env, cwd=tmp_path, check=True, timeout=60)
    return argv, json.loads((tmp_path / "result.json").read_text())


def _plain(
    tmp_path: Path, python: str = sys.executable, cwd: Path | None = None, **extra: str
) -> dict:
    """What ``python -c`` sees, started as the trial is."""
    env = _env(tmp_path, **extra)
    done = subprocess.run(
        [python, "-c", PLAIN], env=env, cwd=cwd or tmp_path, check=True, capture_output=True
    )
    return json.loads(done.stdout)


def _venv(tmp_path: Path) -> tuple[str, Path]:
    """A real virtual environment (no pip): its python and its site-packages folder."""
    folder = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = str(folder / "bin" / "python")
    site_packages = subprocess.run(
        [python, "-c", "import site; print(site.getsitepackages()[0])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return python, Path(site_packages)


def _same_as_plain(seen: dict, plain: dict) -> None:
    for key in ("path", "prefix", "site", "builtins", "pth_ran"):
        assert seen[key] == plain[key], key


def test_a_trial_started_without_site_sees_what_site_would_have_given_it(start, tmp_path):
    python, site_packages = _venv(tmp_path)
    (site_packages / "extra.pth").write_text(str(tmp_path / "added") + "\n")  # a path line
    (tmp_path / "added").mkdir()
    argv, seen = _trial(start, tmp_path, python)
    assert argv[1] == "-S"
    assert seen["no_site"] == 1
    _same_as_plain(seen, _plain(tmp_path, python))
    assert str(tmp_path / "added") in seen["path"]
    assert str(site_packages) in seen["path"]
    assert seen["prefix"][0] == str(tmp_path / "venv")  # the virtual environment's, not the base's


def test_this_environment_starts_trials_without_site_and_imports_its_packages(start, tmp_path):
    argv, seen = _trial(start, tmp_path)
    assert argv[1] == "-S"
    _same_as_plain(seen, _plain(tmp_path))
    (tmp_path / "objective" / "uses_psutil.py").write_text(
        "import psutil\n\ndef f(params):\n    return {'loss': 0.0, 'file': psutil.__file__}\n"
    )
    argv, seen = _trial(start, tmp_path, module="uses_psutil", name="f")
    assert argv[1] == "-S"
    import psutil

    assert seen["file"] == psutil.__file__  # from this environment's site-packages


@pytest.mark.parametrize(
    ("name", "text", "ran"),
    [
        ("coverage_like.pth", "import os; os.environ['PTH_RAN'] = 'pth'\n", "pth"),
        ("sitecustomize.py", "import os\nos.environ['PTH_RAN'] = 'custom'\n", "custom"),
    ],
)
def test_code_that_site_runs_and_the_trial_cannot_replay_makes_it_start_with_site(
    start, tmp_path, name, text, ran
):
    python, site_packages = _venv(tmp_path)
    (site_packages / name).write_text(text)
    argv, seen = _trial(start, tmp_path, python)
    assert "-S" not in argv
    assert seen["no_site"] == 0
    assert seen["pth_ran"] == ran  # its effect reaches the trial
    _same_as_plain(seen, _plain(tmp_path, python))


def test_a_pth_file_added_during_the_search_is_seen_by_the_next_trial(start, tmp_path):
    python, site_packages = _venv(tmp_path)
    assert _trial(start, tmp_path, python)[0][1] == "-S"
    (site_packages / "later.pth").write_text("import os; os.environ['PTH_RAN'] = '1'\n")
    argv, seen = _trial(start, tmp_path, python)
    assert "-S" not in argv
    assert seen["pth_ran"] == "1"


def test_setuptools_distutils_line_is_run_by_the_trial(start, tmp_path):
    python, site_packages = _venv(tmp_path)
    (site_packages / "distutils-precedence.pth").write_text(
        "import os; os.environ.setdefault('PTH_RAN', 'distutils')\n"
    )
    argv, seen = _trial(start, tmp_path, python)
    assert argv[1] == "-S"
    assert seen["pth_ran"] == "distutils"
    _same_as_plain(seen, _plain(tmp_path, python))


def test_hypermax_trial_site_starts_trials_with_site(start, tmp_path):
    argv, seen = _trial(start, tmp_path, **{protocol.TRIAL_SITE_ENV: "1"})
    assert "-S" not in argv
    assert seen["no_site"] == 0
    _same_as_plain(seen, _plain(tmp_path))


def test_a_relative_pythonpath_entry_starts_the_trial_again_with_site(start, tmp_path):
    """The probe ran in another folder: the trial's path before site differs from the probe's."""
    (tmp_path / "objective" / "rel").mkdir(parents=True)
    relative = _env(tmp_path)
    relative["PYTHONPATH"] = "rel" + os.pathsep + relative["PYTHONPATH"]
    request = (sys.executable, *protocol.CHILD_ARGS, "--module", "looking", "--name", "look")
    argv, env = start.command(request, relative, str(tmp_path))  # probed in tmp_path
    assert argv[1] == "-S"
    subprocess.run(argv, env=env, cwd=tmp_path / "objective", check=True, timeout=60)
    seen = json.loads((tmp_path / "result.json").read_text())
    assert seen["no_site"] == 0  # started again, with site
    assert str(tmp_path / "objective" / "rel") in seen["path"]
    _same_as_plain(
        seen, _plain(tmp_path, cwd=tmp_path / "objective", PYTHONPATH=relative["PYTHONPATH"])
    )


def test_the_bootstrap_is_read_compiled_and_nothing_else_is_compiled_for_it(start, tmp_path):
    argv, seen = _trial(start, tmp_path)
    folder = argv[3].split("sys.pycache_prefix, ")[1].split(";")[0].strip("'")
    assert seen["cached"].startswith(folder)
    assert os.path.exists(seen["cached"])
    # the standard modules the bootstrap imports are imported before the prefix is set: none is
    # looked for (and compiled) under it
    code = (
        f"import sys, {', '.join(compiled.BOOTSTRAP_IMPORTS)}; before = set(sys.modules); "
        "import hypermax.execution.child, hypermax.execution.tether; "
        "print([m for m in set(sys.modules) - before if not m.startswith('hypermax') "
        "and (getattr(sys.modules[m], '__file__', None) or '').endswith('.py')])"
    )
    env = {**os.environ, "PYTHONPATH": fresh.spawn.PACKAGE_ROOT}
    done = subprocess.run(
        [sys.executable, "-S", "-c", code], env=env, check=True, capture_output=True, text=True
    )
    assert done.stdout.strip() == "[]"


def test_the_compiled_bootstrap_is_shared_and_removed_when_its_process_exits(tmp_path):
    """Every search of a process reads the same folder; a forked child that exits leaves it."""
    code = (
        "import os, sys\n"
        "from hypermax.execution import protocol\n"
        "from hypermax.execution.fresh import FreshStart\n"
        "request = (sys.executable, *protocol.CHILD_ARGS, '--module', 'm', '--name', 'f')\n"
        "codes = {FreshStart().command(request, dict(os.environ), '.')[0][-5] for _ in 'ab'}\n"
        "(code,) = codes\n"
        "folder = code.split('sys.pycache_prefix, ')[1].split(';')[0][1:-1]\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    sys.exit(0)  # a normal exit: atexit runs in the child too\n"
        "os.waitpid(child, 0)\n"
        "print(folder, os.path.isdir(folder))\n"
    )
    env = {**os.environ, "PYTHONPATH": fresh.spawn.PACKAGE_ROOT}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    folder, there = done.stdout.split()
    assert there == "True"  # one folder for both, still there after the child exited
    assert not os.path.exists(folder)  # removed when the process that made it exited


def test_a_changed_bootstrap_source_is_compiled_again_by_the_trial(tmp_path):
    """The compiled files are checked against their sources, as Python checks them."""
    source = tmp_path / "mod.py"
    source.write_text("VALUE = 1\n")
    folder = tmp_path / "compiled"
    cached = fresh.cached_path(str(folder), str(source))
    import py_compile

    py_compile.compile(str(source), cfile=cached, doraise=True)
    source.write_text("VALUE = 22\n")  # another size: stale whatever the clock says
    code = f"import sys; sys.pycache_prefix = {str(folder)!r}; import mod; print(mod.VALUE)"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "22"


def test_compiled_bootstrap_folders_left_by_killed_processes_are_removed(tmp_path):
    """A SIGKILLed hypermax runs no exit handler: its folder goes when another process makes
    one; the folder of a process that still runs, and other folders, stay."""
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    left = tmp_path / f"{fresh.BOOTSTRAP_PREFIX}{ended.pid}-abc"
    live = tmp_path / f"{fresh.BOOTSTRAP_PREFIX}{os.getpid()}-def"
    other = tmp_path / f"{fresh.BOOTSTRAP_PREFIX}notapid"
    for folder in (left, live, other):
        (folder / "hypermax").mkdir(parents=True)
    assert fresh.remove_leftovers(str(tmp_path)) == [str(left)]
    assert not left.exists() and live.is_dir() and other.is_dir()


def test_hypermax_run_with_optimisation_compiles_the_objective_as_its_trials_run_it(tmp_path):
    (tmp_path / "model.py").write_text(
        'def train(params):\n    assert params["x"] > 2, "asserts run"\n    return 0.5\n'
    )
    spec = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {"method": "random", "iterations": 1},
    }
    spec["function"]["preload"] = False
    (tmp_path / "s.json").write_text(json.dumps(spec))
    command = [sys.executable, "-OO", "-m", "hypermax", "s.json", "--no-ui"]  # trials: no -O
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1  # before: 0, the trial ran the objective without its assert
    assert "every trial failed: AssertionError: asserts run" in done.stderr


def test_trials_run_where_no_temporary_folder_can_be_written(tmp_path):
    (tmp_path / "model.py").write_text("def train(params):\n    return 0.5\n")
    spec = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {"method": "random", "iterations": 1},
    }
    (tmp_path / "s.json").write_text(json.dumps(spec))
    # as on a machine whose temporary folders are all read-only or full
    code = f"import sys, tempfile; tempfile.tempdir = {str(tmp_path / 'none')!r}; "
    code += "from hypermax.cli import run; sys.exit(run())"
    command = [sys.executable, "-c", code, "s.json", "--no-ui"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr  # before: an unexpected FileNotFoundError
    log = (tmp_path / "results" / "s" / "logs" / "hypermax.log").read_text()
    assert "preload: cannot start the trial server: [Errno 2] No such file" in log


def test_trials_in_their_own_folders_share_one_probe(start, tmp_path, monkeypatch):
    """Each trial's ``PWD`` names its own folder: that is no reason to probe ``site`` again."""
    probes = []
    probe = fresh.probe_site
    monkeypatch.setattr(fresh, "probe_site", lambda *args: probes.append(args) or probe(*args))
    monkeypatch.setattr(FreshStart, "_sites", {})
    request = (sys.executable, *protocol.CHILD_ARGS, "--module", "looking", "--name", "look")
    for trial in ("1", "2"):
        start.command(request, _env(tmp_path, PWD=str(tmp_path / trial)), str(tmp_path))
    assert len(probes) == 1
