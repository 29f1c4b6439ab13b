"""What a fresh python_function trial skips to start and end cheaply, and that skipping it
changes nothing the trial or its user sees: the objective's byte code compiled by hypermax, and
the quick exit of a trial that loaded nothing but its objective."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_child_bootstrap import run_fresh

from hypermax.execution import child, compiled, fresh, protocol
from hypermax.execution.fresh import FreshStart
from hypermax.trial import Outcome, TrialState

#: an objective that leaves work to the interpreter's exit: a file written and never closed,
#: an object whose ``__del__`` writes, a generator stopped inside ``try``/``finally``, held in a
#: cycle (what they call is bound early: a normal exit clears the module's names first)
LEAVES_WORK = """
import os
FOLDER = os.environ["HYPERMAX_TRIAL_DIR"]
LEFT_OPEN = open(os.path.join(FOLDER, "left_open.txt"), "w")

def note(name, open=open, join=os.path.join, folder=FOLDER):  # kept: globals go first at exit
    with open(join(folder, name), "w") as f:
        f.write("ran")

class Noted:
    def __del__(self, note=note):
        note("del.txt")

def steps(note=note):
    try:
        yield 1
        yield 2
    finally:
        note("finally.txt")

KEPT = []

def f(params):
    LEFT_OPEN.write("buffered")  # nothing flushes it but the end of the process
    KEPT.append(Noted())
    gen = steps()
    next(gen)
    KEPT.append(gen)
    KEPT.append(KEPT)  # a cycle: only a collection frees it
    print("printed", end="")
    return params["x"] * 2
"""


def _run_one(tmp_path: Path, source: str, params: dict) -> tuple[Outcome, Path]:
    return run_fresh(tmp_path, source, "f", params)


def test_a_trial_that_loaded_only_its_objective_still_ends_as_an_interpreter_ends(tmp_path):
    outcome, folder = _run_one(tmp_path, LEAVES_WORK, {"x": 0.5})
    assert outcome.state is TrialState.OK, outcome.reason
    assert outcome.result == {"loss": 1.0}
    assert outcome.exit_code == 0
    assert (folder / "left_open.txt").read_text() == "buffered"
    assert (folder / "del.txt").read_text() == "ran"
    assert (folder / "finally.txt").read_text() == "ran"
    assert "printed" in (tmp_path / "1.log").read_text()


@pytest.mark.parametrize("imports", ["import typing", "from collections import OrderedDict"])
def test_a_trial_whose_objective_imports_modules_ends_as_usual(tmp_path, imports):
    """Modules the objective imported (``typing`` puts classes in ``sys.modules`` too) are left
    to the interpreter's own exit."""
    outcome, folder = _run_one(tmp_path, f"{imports}\n{LEAVES_WORK}", {"x": 2.0})
    assert outcome.state is TrialState.OK, outcome.reason
    assert outcome.result == {"loss": 4.0}
    assert (folder / "left_open.txt").read_text() == "buffered"
    assert (folder / "del.txt").read_text() == "ran"


QUICK = """
import sys
from hypermax.execution import child
before = frozenset(sys.modules)
{load}
import atexit
atexit.register(print, "atexit ran")
child.exit_quickly(3, before, frozenset({objective}))
print("the interpreter exits as usual")
"""


def _quick(load: str, objective: str) -> subprocess.CompletedProcess[str]:
    code = QUICK.format(load=load, objective=objective)
    env = {**os.environ, "PYTHONPATH": fresh.spawn.PACKAGE_ROOT}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_exit_quickly_ends_the_process_after_atexit_when_only_the_objective_was_loaded():
    done = _quick("import atexit", "{'atexit'}")
    assert done.returncode == 3
    assert done.stdout == "atexit ran\n"


def test_exit_quickly_leaves_the_exit_to_the_interpreter_after_other_imports_or_threads():
    for load in ("import json", "import threading"):
        done = _quick(load, "{'atexit'}")
        assert done.returncode == 0, load
        assert done.stdout == "the interpreter exits as usual\natexit ran\n", load


def _command(start: FreshStart, tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERMAX_")}
    env["PYTHONPATH"] = fresh.spawn.PACKAGE_ROOT
    (tmp_path / "params.json").write_text('{"x": 1}')
    env[protocol.PARAMS_FILE_ENV] = str(tmp_path / "params.json")
    env[protocol.RESULT_FILE_ENV] = str(tmp_path / "result.json")
    src = str(tmp_path / "objective.py")
    request = (sys.executable, *protocol.CHILD_ARGS, "--src", src, "--name", "f")
    return start.command(request, env, str(tmp_path))


def _result(argv: list[str], env: dict[str, str], tmp_path: Path) -> object:
    subprocess.run(argv, env=env, cwd=tmp_path, check=True, timeout=60)
    return json.loads((tmp_path / "result.json").read_text())


def test_a_trial_reads_the_objective_compiled_by_hypermax_and_checks_it_against_the_source(
    tmp_path,
):
    source = tmp_path / "objective.py"
    source.write_text("def f(params):\n    return 1\n")
    start = FreshStart()
    _, env = _command(start, tmp_path)
    assert env[child.CODE_CACHE_ENV]
    assert os.path.exists(fresh.cached_path(env[child.CODE_CACHE_ENV], str(source)))
    # the same size and time stamps, other code: only the byte code compiled before says 1
    stamps = os.stat(source)
    source.write_text("def f(params):\n    return 2\n")
    os.utime(source, ns=(stamps.st_atime_ns, stamps.st_mtime_ns))
    assert _result(*_command(start, tmp_path), tmp_path) == 1
    # another size: the trial sees the new source
    source.write_text("def f(params):\n    return 333\n")
    assert _result(*_command(start, tmp_path), tmp_path) == 333


def test_an_objective_that_does_not_compile_fails_in_its_trial_as_before(tmp_path):
    (tmp_path / "objective.py").write_text("def f(params):\n    return (\n")
    start = FreshStart()
    argv, env = _command(start, tmp_path)
    assert child.CODE_CACHE_ENV not in env
    done = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "SyntaxError" in done.stderr
    assert "SyntaxError" in json.loads((tmp_path / "result.json").read_text())[protocol.ERROR_KEY]
    (tmp_path / "objective.py").write_text("def f(params):\n    return 77\n")  # mended
    argv, env = _command(start, tmp_path)
    assert child.CODE_CACHE_ENV in env
    assert _result(argv, env, tmp_path) == 77


#: an objective that tells how its bootstrap was loaded
LOOK = """
import sys
LOADED_BEFORE = sorted(sys.modules)
import hypermax.execution.protocol
from hypermax.execution import protocol

def f(params):
    child = sys.modules["hypermax.execution.child"]
    return {
        "loss": 0.0,
        "loaded": LOADED_BEFORE,
        "cached": child.__cached__,
        "same": protocol is hypermax.execution.protocol is child.protocol,
        "package": [child.__package__, child.__spec__.name, hypermax.execution.__path__],
    }
"""


def _look(start: FreshStart, tmp_path: Path) -> tuple[str, dict]:
    """Run the LOOK objective in a fresh trial; the compiled bootstrap's folder, and its result."""
    (tmp_path / "objective.py").write_text(LOOK)
    argv, env = _command(start, tmp_path)
    folder = argv[3].split("sys.pycache_prefix, ")[1].split(";")[0].strip("'")
    subprocess.run(argv, env=env, cwd=tmp_path, check=True, timeout=60)
    return folder, json.loads((tmp_path / "result.json").read_text())


def test_a_trial_runs_its_bootstrap_from_the_bundle_as_imported_modules(tmp_path):
    folder, seen = _look(FreshStart(), tmp_path)
    assert seen["cached"] == os.path.join(folder, compiled.BUNDLE)
    assert "__future__" not in seen["loaded"]  # its imports compiled in as flags
    assert seen["same"]  # one protocol module, whichever way it is named
    execution = os.path.join(fresh.spawn.PACKAGE_ROOT, "hypermax", "execution")
    assert seen["package"] == ["hypermax.execution", "hypermax.execution.child", [execution]]


def _spoil_bundle(folder: str, spoil: str) -> None:
    path = os.path.join(folder, compiled.BUNDLE)
    with open(path, "rb") as f:
        magic, data = f.read(4), f.read()
    if spoil == "magic":
        magic = bytes(4)
    else:  # one source changed since the bundle was made
        loader, modules = marshal.loads(data)
        name, file, (mtime, size), code = modules[0]
        modules[0] = (name, file, (mtime, size + 1), code)
        data = marshal.dumps((loader, modules))
    with open(path, "wb") as f:
        f.write(magic + data)


@pytest.mark.parametrize("spoil", ["stamp", "magic"])
def test_a_bundle_of_changed_sources_or_another_python_is_not_run(tmp_path, spoil):
    start = FreshStart()
    folder, _ = _look(start, tmp_path)
    bundle = Path(folder, compiled.BUNDLE)
    kept = bundle.read_bytes()  # the folder serves every trial of this process: put it back
    try:
        _spoil_bundle(folder, spoil)
        _, seen = _look(start, tmp_path)
    finally:
        bundle.write_bytes(kept)
    child_source = os.path.join(fresh.spawn.PACKAGE_ROOT, "hypermax", "execution", "child.py")
    assert seen["cached"] == fresh.cached_path(folder, child_source)  # the compiled files
    assert seen["same"]
