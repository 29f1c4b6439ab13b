"""optimize() given what a Python user has at hand: a spec dict built with numpy numbers, tuples
and paths, and arguments of the wrong kind, which are named before anything runs."""

from __future__ import annotations

import io
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import OBJECTIVES

import hypermax
from hypermax.errors import SpecError, UsageError


def _spec_dict(results: Path) -> dict:
    return {
        "hyperparameters": {
            "type": "object",
            "properties": {
                "x": {"type": "number", "min": np.float64(-2), "max": np.int64(2)},
                "k": {"enum": (1, 2)},
            },
        },
        "function": {
            "type": "python_function",
            "src": OBJECTIVES / "quadratic.py",
            "name": "train",
        },
        "search": {"name": "dict", "iterations": np.int64(2), "seed": 1},
        "results": {"directory": results},
    }


def test_a_spec_dict_takes_numpy_numbers_tuples_and_paths_as_a_spec_file_would_hold_them(
    tmp_path,
):
    result = hypermax.optimize(_spec_dict(tmp_path / "results"))
    assert [t["state"] for t in result.trials] == ["ok", "ok"]
    assert {t["params"]["k"] for t in result.trials} <= {1, 2}
    frozen = json.loads((tmp_path / "results" / "dict" / "search.json").read_text())
    assert frozen["search"]["iterations"] == 2
    assert frozen["function"]["src"] == str(OBJECTIVES / "quadratic.py")


def test_a_spec_dict_no_spec_file_could_hold_is_a_type_error_before_anything_runs(tmp_path):
    spec = _spec_dict(tmp_path / "results")
    spec["search"]["tags"] = {"a", "b"}
    with pytest.raises(TypeError) as raised:
        hypermax.optimize(spec)
    assert str(raised.value) == "optimize(): the spec holds a set, which JSON cannot hold"
    spec["search"]["tags"] = spec
    with pytest.raises(TypeError) as raised:
        hypermax.optimize(spec)
    assert str(raised.value) == "optimize(): the spec holds itself (a circular reference)"
    assert not (tmp_path / "results").exists()


def train(params):
    return params["x"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"space": {"x": "0:1"}, "metrics": 5},
            "optimize(): metrics= is the spec's metrics section (a dict), or 'name', "
            "'name:min' or 'name:max', got 5",
        ),
        (
            {"space": {"x": "0:1"}, "metrics": ["accuracy"]},
            "optimize(): metrics= is the spec's metrics section (a dict), or 'name', "
            "'name:min' or 'name:max', got ['accuracy']",
        ),
        (
            {"space": [("x", "0:1")]},
            "optimize(): space= maps each param to its range or values, got a list",
        ),
        (  # before: taken as True, the folder's search moved aside
            {"space": {"x": "0:1"}, "fresh": "no"},
            "optimize(): fresh= is True or False, got 'no'",
        ),
    ],
)
def test_an_argument_of_the_wrong_kind_is_a_type_error_before_anything_runs(
    tmp_path, arguments, message
):
    with pytest.raises(TypeError) as raised:
        hypermax.optimize(train, results_dir=tmp_path, **arguments)
    assert str(raised.value) == message
    assert not list(tmp_path.iterdir())


def test_a_resumed_search_says_that_the_seed_given_now_is_not_used(tmp_path, capsys):
    hypermax.optimize(train, space={"x": "0:1"}, iterations=1, seed=1, results_dir=tmp_path)
    capsys.readouterr()
    result = hypermax.optimize(
        train, space={"x": "0:1"}, iterations=2, seed=2, results_dir=tmp_path
    )
    assert len(result.trials) == 2
    assert (
        "optimize(): search.seed: 2 is not used: a resumed search keeps the seed it started "
        "with (1)\n" in capsys.readouterr().err
    )


def test_a_results_dir_in_the_home_folder_keeps_the_objective_there(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    result = hypermax.optimize(train, space={"x": "0:1"}, iterations=1, results_dir="~/res")
    assert result.trials[0]["state"] == "ok"
    folder = tmp_path / "home" / "res" / "train"
    assert (folder / "objective.pkl").is_file() and (folder / "objective.id").is_file()
    assert not (tmp_path / "~").exists()


def test_the_spec_load_spec_read_runs_with_paths_from_its_own_folder(tmp_path, monkeypatch):
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "model.py").write_text("def train(params):\n    return params['x']\n")
    (folder / "search.json").write_text(
        json.dumps(
            {
                "hyperparameters": {"type": "object", "properties": {"x": {"enum": [0.5]}}},
                "function": {"type": "python_function", "src": "model.py", "name": "train"},
                "search": {"name": "loaded"},
            }
        )
    )
    spec = hypermax.load_spec(str(folder / "search.json"))
    monkeypatch.chdir(tmp_path)  # elsewhere: model.py is found from the spec's folder
    result = hypermax.optimize(spec, iterations=1, results_dir=tmp_path / "results")
    assert [(t["state"], t["loss"]) for t in result.trials] == [("ok", 0.5)]


def where(params):
    import os

    return {"loss": 0.0, "cwd": os.getcwd(), "data": os.environ["DATA"]}


def test_function_options_may_be_paths_as_the_rest_of_python_has_them(tmp_path):
    result = hypermax.optimize(
        where,
        space={"x": [1]},
        iterations=1,
        results_dir=tmp_path / "results",
        cwd=tmp_path,
        env={"DATA": tmp_path / "data"},
    )
    (trial,) = result.trials
    assert trial["metadata"] == {"cwd": str(tmp_path), "data": str(tmp_path / "data")}


def scored(params):
    return {"loss": 1 - params["x"], "accuracy": params["x"], "x": "seen", "history": [0.1]}


def test_the_dataframe_has_what_the_objective_returned_besides_its_loss(tmp_path):
    pytest.importorskip("pandas", reason="Result.dataframe() needs pandas")
    result = hypermax.optimize(scored, space={"x": [0.25]}, iterations=1, results_dir=tmp_path)
    frame = result.dataframe()
    assert frame.loc[1, "accuracy"] == 0.25 and frame.loc[1, "loss"] == 0.75
    assert frame.loc[1, "x"] == 0.25 and frame.loc[1, "metadata.x"] == "seen"
    assert "history" not in frame.columns and list(frame.columns)[-1] == "reason"


def test_a_spec_dict_without_a_search_name_is_named_after_its_function(tmp_path):
    spec = _spec_dict(tmp_path / "results")
    del spec["search"]["name"]
    result = hypermax.optimize(spec, iterations=1)
    assert result.folder.name == "train"  # not "optimize__", from no file at all


def _carried(error: BaseException) -> BaseException:
    """``error`` as a process pool carries it back (pickled), and as ``copy`` copies it."""
    import copy
    import pickle

    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == str(error)
    assert vars(copy.copy(error)) == vars(error)
    return again


def test_the_errors_of_a_search_survive_a_process_pool_s_pickling(tmp_path):
    from hypermax.api import SearchInterrupted, make_result
    from hypermax.errors import Crashed, DiskFull

    with pytest.raises(SpecError) as spec_error:
        hypermax.optimize({"hyperparameters": {"type": "object"}, "functoin": {}})
    assert _carried(spec_error.value).problems == spec_error.value.problems
    interrupted = SearchInterrupted(make_result(tmp_path, "interrupted", ()))
    assert _carried(interrupted).result == interrupted.result
    full = DiskFull(tmp_path, OSError(28, "No space left on device"))
    assert _carried(full).folder == tmp_path
    crashed = Crashed(ValueError("a bug"), tmp_path / "hypermax.log")
    assert _carried(crashed).log == tmp_path / "hypermax.log"


def test_the_summary_reaches_an_ascii_stdout_with_what_it_cannot_hold_escaped(
    tmp_path, monkeypatch
):
    out = io.BytesIO()
    ascii_stdout = io.TextIOWrapper(out, encoding="ascii", write_through=True)  # LC_ALL=C
    monkeypatch.setattr(sys, "stdout", ascii_stdout)
    hypermax.optimize(
        lambda params: 0.5,
        space={"s": ["é"]},
        iterations=1,
        method="random",
        results_dir=tmp_path / "results",
    )
    shown = out.getvalue().decode("ascii")
    assert 'best loss 0.5 (trial 1): s="\\xe9"' in shown  # before: the line was lost, in a log


def _waits_for(path: str):
    def objective(params):
        while not os.path.exists(path):  # the host has changed its folder
            time.sleep(0.01)
        return params["x"]

    return objective


def test_a_host_that_changes_its_folder_during_the_search_keeps_it_in_one_folder(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    elsewhere, moved = tmp_path / "elsewhere", tmp_path / "moved"
    elsewhere.mkdir()
    journal = tmp_path / "res" / "s" / "trials.jsonl"

    def host_moves():
        while not journal.exists():
            time.sleep(0.01)
        os.chdir(elsewhere)
        moved.touch()

    mover = threading.Thread(target=host_moves, daemon=True)
    mover.start()
    result = hypermax.optimize(
        _waits_for(str(moved)),
        space={"x": [0.5]},
        iterations=2,
        results_dir="res",
        name="s",
        auto_kill_max_time=30,
    )
    mover.join()
    assert [(t["state"], t["reason"]) for t in result.trials] == [("ok", None)] * 2
    assert result.folder == journal.parent  # before: a crash, the journal not found
    assert not (elsewhere / "res").exists()


def test_a_program_that_uses_optuna_itself_keeps_its_optuna_logging(tmp_path):
    import optuna  # noqa: F401 - as the program did: Optuna's logger set up

    own = logging.getLogger("optuna")
    before = (own.level, own.handlers[:])
    result = hypermax.optimize(train, space={"x": "0.0:1.0"}, iterations=2, results_dir=tmp_path)
    assert len(result.trials) == 2
    # before: WARNING, and a handler that sent the program's own studies' lines to the
    # hypermax log of a search that had ended
    assert (own.level, own.handlers) == before


def test_a_python_that_does_not_know_its_interpreter_is_told_so_before_anything_runs(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(sys, "executable", "")  # as some programs that embed Python leave it
    with pytest.raises(UsageError) as raised:
        hypermax.optimize(train, space={"x": "0:1"}, iterations=1, results_dir=tmp_path)
    # before: every trial failed, "cannot start: [Errno 13] Permission denied: ''"
    assert "sys.executable is empty" in str(raised.value)
    assert not list(tmp_path.iterdir())


def test_a_note_the_console_shows_does_not_reach_the_program_s_logging_too(
    tmp_path, monkeypatch, capsys
):
    """A program that configured logging (a handler on the root logger) got each of
    hypermax's notes twice: printed, and again through its own handlers."""
    (tmp_path / "threaded.py").write_text(
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(5,), daemon=True).start()\n"
        "def train(params):\n"
        "    return params['x']\n"
    )
    monkeypatch.chdir(tmp_path)
    records: list[logging.LogRecord] = []
    programs = logging.Handler()
    programs.emit = records.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(programs)
    try:
        result = hypermax.optimize("threaded:train", space={"x": "0:1"}, iterations=1)
    finally:
        logging.getLogger().removeHandler(programs)
    assert [t["state"] for t in result.trials] == ["ok"]
    said = [line for line in capsys.readouterr().out.splitlines() if "preload:" in line]
    assert len(said) == 1 and said[0].startswith("hypermax: preload: cannot preload the objective")
    assert [r.getMessage() for r in records if "preload:" in r.getMessage()] == []
    assert "preload: cannot preload" in (result.folder / "logs" / "hypermax.log").read_text()


@pytest.mark.skipif(
    resource.getrlimit(resource.RLIMIT_NOFILE)[1] < 80, reason="a hard ulimit -n below 80"
)
def test_a_program_keeps_its_soft_limit_on_open_files_once_the_search_ended(tmp_path):
    """A search of more trials at once than the soft ``ulimit -n`` allows raises it for its
    trials; the program that called optimize() kept the raised limit after the search, where
    a ``select()`` of its own takes no file above 1023."""
    program = (
        "import resource, sys, hypermax\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (40, hard))\n"
        "def train(params):\n"
        "    import resource\n"
        "    return {'loss': params['x'], 'files': resource.getrlimit(resource.RLIMIT_NOFILE)[0]}\n"
        "result = hypermax.optimize(\n"
        "    train, space={'x': '0:1'}, iterations=2, parallel=6, results_dir=sys.argv[1]\n"
        ")\n"
        "print([t['metadata']['files'] for t in result.trials])\n"
        "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    in_trials, after = done.stdout.splitlines()[-2:]
    assert in_trials == "[80, 80]"  # 32 + 8 per trial, as the search needs
    assert after == "40"


#: what the application embedding Python runs: a search, and the handlers it finds after
EMBEDDED = """
import signal, hypermax

def train(params):
    return params["x"]

result = hypermax.optimize(train, space={"x": [1]}, iterations=1, results_dir="out")
print([t["state"] for t in result.trials])
print([signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)])
"""


def _embedding_host(folder: Path) -> Path | None:
    """The embedding host of fake_trials compiled into ``folder``, or None where no C compiler
    or shared libpython is at hand."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None or not sysconfig.get_config_var("Py_ENABLE_SHARED"):
        return None
    libdir, version = sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("LDVERSION")
    host = folder / "embedding_host"
    built = subprocess.run(
        [
            compiler,
            "-o",
            str(host),
            str(Path(__file__).parent / "fake_trials" / "embedding_host.c"),
            f"-I{sysconfig.get_paths()['include']}",
            f"-L{libdir}",
            f"-lpython{version}",
            f"-Wl,-rpath,{libdir}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return host if built.returncode == 0 else None


def test_an_application_that_embeds_python_keeps_its_own_signal_handlers(tmp_path):
    """Where the application handles SIGINT itself (``signal.getsignal`` says None), the search
    put its own handler there and could not put None back: optimize() crashed (``signal
    handler must be signal.SIG_IGN, signal.SIG_DFL, or a callable object``), its handler left
    in the application. Such a signal is now left to the application."""
    host = _embedding_host(tmp_path)
    if host is None:
        pytest.skip("needs a C compiler and a shared libpython")
    script = tmp_path / "embedded.py"
    script.write_text(EMBEDDED)
    done = subprocess.run(
        [str(host), sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["['ok']", "[None, None, None]"], done.stdout
