"""Signals that end hypermax outside the paths Ctrl-C and SIGTERM take while trials run:
Ctrl-\\ (SIGQUIT), and a signal during start-up, before the search routes them."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fake_trials.helpers import (
    FAKES,
    assert_none_alive,
    at_default_signals,
    fake_search,
    finished,
    hypermax_argv,
    records,
    run_hypermax,
    start_hypermax,
    started,
    wait_until,
    write_spec,
)


def _signalled_when_held(
    tmp_path: Path, hold_at: str, doc: dict[str, Any], sig: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    """Run the search ``doc`` with the plugin optimizer ``holding_plugin:Holding`` of the fake
    trials, which holds hypermax at ``hold_at``; send ``sig`` then. Returns hypermax's exit code
    and what it wrote (stdout, then stderr)."""
    shutil.copy(FAKES / "holding_plugin.py", tmp_path)
    held = tmp_path / "held"
    monkeypatch.setenv("HELD", str(held))
    monkeypatch.setenv("HOLD_AT", hold_at)
    doc = {**doc, "search": {**doc["search"], "method": "holding_plugin:Holding"}}
    process = start_hypermax(write_spec(tmp_path, doc))
    wait_until(held.exists, 30, f"the plugin to hold hypermax at {hold_at}")
    process.send_signal(sig)
    out, err = process.communicate(timeout=30)
    return process.returncode, out + err


def test_ctrl_backslash_stops_the_running_trials_and_records_them_interrupted(tmp_path, marker):
    spec = write_spec(tmp_path, fake_search("wait_for_go", marker, "quit", 1, go=tmp_path / "go"))
    results = tmp_path / "results" / "quit"
    process = start_hypermax(spec)
    wait_until(lambda: (results / "trials" / "1" / "up").exists(), 30, "the first trial to start")
    process.send_signal(signal.SIGQUIT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err  # without a handler: killed by SIGQUIT (-3)
    assert [record["state"] for record in finished(results).values()] == ["interrupted"]
    assert_none_alive(marker)
    (tmp_path / "go").write_text("")
    again = run_hypermax(spec)  # the interrupted trial runs again, with its id and params
    assert again.returncode == 0, again.stderr
    assert [record["state"] for record in finished(results).values()] == ["ok"]
    assert set(started(results)) == {1}
    log = (results / "logs" / "trial_1.log").read_text().splitlines()
    assert "[hypermax: trial 1 runs again: its last run was interrupted]" in log


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT])
def test_a_signal_during_start_up_ends_hypermax_as_ctrl_c_does(tmp_path, marker, sig, monkeypatch):
    doc = fake_search("wait_for_go", marker, "early", 1, go=tmp_path / "go")
    code, said = _signalled_when_held(tmp_path, "import", doc, sig, monkeypatch)
    assert code == 130, said  # without a handler: killed by the signal
    assert said.splitlines()[-1] == "hypermax: interrupted"
    assert "Traceback" not in said
    assert_none_alive(marker)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_inside_code_run_from_a_text_ends_hypermax_with_130(
    tmp_path, marker, sig, monkeypatch
):
    """A signal that comes while code made from a text runs (a dataclass's methods, built as a
    module is imported) raised KeyboardInterrupt there; hypermax caught it, but Python, which
    notes such a KeyboardInterrupt as unhandled, ended its exit by a SIGINT of its own: the
    exit code of a death by SIGINT (-2), not 130."""
    doc = fake_search("wait_for_go", marker, "text", 1, go=tmp_path / "go")
    code, said = _signalled_when_held(tmp_path, "import_in_text", doc, sig, monkeypatch)
    assert code == 130, said
    assert said.splitlines()[-1] == "hypermax: interrupted"
    assert_none_alive(marker)


def test_ctrl_c_again_as_the_first_one_ends_the_start_up_is_no_traceback(
    tmp_path, marker, monkeypatch
):
    """The second Ctrl-C of a user who presses it twice during the start-up comes as hypermax
    writes that it was interrupted (here: held there by a full stderr pipe), the first one's
    handler gone: it was a KeyboardInterrupt traceback, and the exit code of a death by SIGINT."""
    shutil.copy(FAKES / "holding_plugin.py", tmp_path)
    held = tmp_path / "held"
    monkeypatch.setenv("HELD", str(held))
    monkeypatch.setenv("HOLD_AT", "import_stderr_full")
    doc = fake_search("wait_for_go", marker, "twice", 1, go=tmp_path / "go")
    doc["search"]["method"] = "holding_plugin:Holding"
    process = start_hypermax(write_spec(tmp_path, doc))
    try:
        wait_until(held.exists, 30, "the plugin to hold hypermax at its import")
        process.send_signal(signal.SIGINT)
        wchan = Path(f"/proc/{process.pid}/wchan")
        wait_until(lambda: "pipe_write" in wchan.read_text(), 30, "the note of the interrupt")
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == 130, err[-2000:]
    assert "Traceback" not in err and err.endswith("hypermax: interrupted\n")
    assert_none_alive(marker)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_hypermax_exits_after_its_search_changes_nothing(tmp_path, sig, monkeypatch):
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
        "function": {"type": "executable", "command": ["echo", "0.5"]},
        "search": {"name": "exit"},
    }
    code, said = _signalled_when_held(tmp_path, "exit", doc, sig, monkeypatch)
    assert code == 0, said  # Ctrl-C: a KeyboardInterrupt traceback; SIGTERM: -15
    assert "Traceback" not in said and "KeyboardInterrupt" not in said
    assert "2 trials done" in said
    assert [r["state"] for r in finished(tmp_path / "results" / "exit").values()] == ["ok", "ok"]


def test_a_warm_start_interrupted_before_it_was_journaled_is_done_on_resume(tmp_path, monkeypatch):
    (tmp_path / "earlier.csv").write_text("trial,state,loss,x\n1,ok,0.5,1\n2,ok,0.25,2\n")
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2, 3]}}},
        "function": {"type": "executable", "command": ["echo", "0.5"]},
        "search": {"name": "warm", "warm_start": "earlier.csv"},
    }
    code, said = _signalled_when_held(tmp_path, "setup", doc, signal.SIGINT, monkeypatch)
    assert code == 130, said
    results = tmp_path / "results" / "warm"
    # stopped before the import: a search that never ran leaves no folder
    assert not (results / "trials.jsonl").exists()
    doc["search"]["method"] = "grid"
    again = run_hypermax(write_spec(tmp_path, doc))
    assert again.returncode == 0, again.stderr
    assert "warm start: learned from 2 of 2 trials in earlier.csv" in again.stdout + again.stderr
    imported = [r["params"]["x"] for r in records(results) if r["event"] == "trial_imported"]
    assert imported == [1, 2]
    assert [r["state"] for r in finished(results).values()] == ["ok"]  # the one left: x=3


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT])
def test_a_signal_before_the_command_routes_signals_ends_hypermax_as_ctrl_c_does(tmp_path, sig):
    """hypermax without a command prints its help, before any command sets its handlers; held
    there by a full stdout pipe, a SIGTERM killed it (exit status -15), where Ctrl-C ended it
    with 130: every signal that interrupts a search does as Ctrl-C does from the start."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    with contextlib.suppress(BlockingIOError):
        while True:
            os.write(write_end, b"." * 4096)
    os.set_blocking(write_end, True)
    process = subprocess.Popen(
        [sys.executable, "-m", "hypermax"],
        cwd=tmp_path,
        stdout=write_end,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        preexec_fn=at_default_signals,
    )
    os.close(write_end)
    try:
        wchan = Path(f"/proc/{process.pid}/wchan")
        wait_until(lambda: "pipe_write" in wchan.read_text(), 30, "the help to fill stdout")
        process.send_signal(sig)
        with os.fdopen(read_end, "rb") as reader:  # its exit flushes what is left: take it
            reader.read()
        err = process.stderr.read().decode() if process.stderr else ""
        process.wait(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130, err
    assert err.endswith("hypermax: interrupted\n") and "Traceback" not in err


def _hooked_env(tmp_path: Path, sitecustomize: str, **extra: str) -> dict[str, str]:
    """The environment of a hypermax whose interpreter runs ``sitecustomize`` first (a folder
    of ``tmp_path`` ahead on its ``PYTHONPATH``), with ``extra`` variables for it."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(sitecustomize)
    path = os.pathsep.join([str(hook), *filter(None, [os.environ.get("PYTHONPATH")])])
    return {**os.environ, "PYTHONPATH": path, **extra}


#: a ``sitecustomize`` that holds the interpreter as it is about to import the module named by
#: env ``HOLD_IMPORT``: it leaves the file named by env ``HELD`` and waits on the FIFO named by
#: env ``GO``, which nobody opens
_HOLD_AN_IMPORT = """\
import os
import sys


class Hold:
    def find_spec(self, name, path=None, target=None):
        if name == os.environ["HOLD_IMPORT"]:
            sys.meta_path.remove(self)
            open(os.environ["HELD"], "w").close()
            with open(os.environ["GO"]) as go:
                go.read()
        return None


sys.meta_path.insert(0, Hold())
"""


def console_script(folder: Path) -> Path:
    """The console script ``pip install`` writes for hypermax (its text, for the entry point
    setup.py names), in ``folder``."""
    setup = (Path(__file__).resolve().parent.parent / "setup.py").read_text()
    found = re.search(r'"hypermax=([\w.]+):(\w+)"', setup)
    assert found, "setup.py names no console script hypermax"
    module, function = found.groups()
    script = folder / "hypermax"
    script.write_text(
        f"#!{sys.executable}\n"
        "# -*- coding: utf-8 -*-\n"
        "import re\n"
        "import sys\n"
        f"from {module} import {function}\n"
        "if __name__ == '__main__':\n"
        "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
        f"    sys.exit({function}())\n"
    )
    return script


@pytest.mark.parametrize("launch", ["console script", "python -m hypermax"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_the_command_line_is_imported_ends_hypermax_as_ctrl_c_does(
    tmp_path, sig, launch
):
    """A signal as hypermax imports its command line (argparse here), before ``run()`` routed
    the signals: Ctrl-C printed a KeyboardInterrupt traceback (and exit status -2), SIGTERM and
    SIGHUP killed hypermax (-15, -1)."""
    held, go = tmp_path / "held", tmp_path / "go"
    os.mkfifo(go)
    env = _hooked_env(tmp_path, _HOLD_AN_IMPORT, HOLD_IMPORT="argparse", HELD=str(held), GO=str(go))
    if launch == "console script":
        argv = [sys.executable, str(console_script(tmp_path)), "--help"]
    else:
        argv = [sys.executable, "-m", "hypermax", "--help"]
    process = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        preexec_fn=at_default_signals,
    )
    try:
        wait_until(held.exists, 30, "hypermax to import argparse")
        process.send_signal(sig)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == 130, err
    assert err == "hypermax: interrupted\n" and out == ""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_once_the_search_concluded_ends_hypermax_with_the_search_s_exit_code(
    tmp_path, sig
):
    """A search whose every trial failed, held as it says so on a full stderr pipe: its summary
    is shown, its journal closed, every trial recorded. A signal then ended it as interrupted
    (exit 130); the search is over, and its exit code is 1."""
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
        "function": {"type": "executable", "command": ["false"]},
        "search": {"name": "over", "method": "grid"},
    }
    spec = write_spec(tmp_path, doc)
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    with contextlib.suppress(BlockingIOError):
        while True:
            os.write(write_end, b"." * 4096)
    os.set_blocking(write_end, True)
    process = subprocess.Popen(
        [sys.executable, "-m", "hypermax", "run", str(spec), "--no-ui"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=write_end,
        stdin=subprocess.DEVNULL,
        preexec_fn=at_default_signals,
    )
    os.close(write_end)
    try:
        wchan = Path(f"/proc/{process.pid}/wchan")
        wait_until(lambda: "pipe_write" in wchan.read_text(), 30, "the failure's line")
        process.send_signal(sig)
        with os.fdopen(read_end, "rb") as reader:
            err = reader.read().decode().lstrip(".")
        out = process.stdout.read().decode() if process.stdout else ""
        process.wait(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 1, err
    assert "interrupted" not in err and "Traceback" not in err
    assert "hypermax: search ended (" in out
    results = tmp_path / "results" / "over"
    assert [r["state"] for r in finished(results).values()] == ["failed", "failed"]


#: a ``sitecustomize`` whose object, taken apart in the last of the interpreter's exit (once its
#: signal handlers are gone), leaves the file named by env ``HELD`` and waits for a byte on the
#: pipe of env ``GO_FD``: in the process that env ``TEST`` started only (not in its children)
_HOLD_THE_END_OF_THE_EXIT = """\
import os


class Held:
    def __init__(self):
        self.held, self.go = os.environ["HELD"], int(os.environ["GO_FD"])

    def __del__(self, open=open, read=os.read):
        open(self.held, "w").close()
        read(self.go, 1)


if os.getppid() == int(os.environ["TEST"]):
    import builtins

    builtins._held_to_the_end = Held()  # the builtins are taken apart last
"""


@pytest.mark.parametrize("command", ["run", "--version"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_at_the_end_of_the_exit_leaves_the_command_s_exit_code(tmp_path, sig, command):
    """The interpreter's exit takes its signal handlers away before it takes its modules apart:
    a signal then had its default action, and killed hypermax (exit status -2, -15) after its
    search ended, or after it wrote its version."""
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
        "function": {"type": "executable", "command": ["echo", "0.5"]},
        "search": {"name": "done", "method": "grid"},
    }
    argv = (
        hypermax_argv(write_spec(tmp_path, doc))
        if command == "run"
        else [sys.executable, "-m", "hypermax", "--version"]
    )
    held = tmp_path / "held"
    go_read, go = os.pipe()
    env = _hooked_env(
        tmp_path,
        _HOLD_THE_END_OF_THE_EXIT,
        HELD=str(held),
        GO_FD=str(go_read),
        TEST=str(os.getpid()),
    )
    process = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        preexec_fn=at_default_signals,
        pass_fds=(go_read,),
    )
    os.close(go_read)
    try:
        wait_until(held.exists, 30, "the end of hypermax's exit")
        process.send_signal(sig)
        with contextlib.suppress(BrokenPipeError):  # no reader: the signal killed it
            os.write(go, b".")
        out, err = process.communicate(timeout=30)
    finally:
        os.close(go)
        process.kill()
        process.communicate()
    assert process.returncode == 0, err
    assert "Traceback" not in err and "interrupted" not in err
    said = "hypermax: search ended (" if command == "run" else "hypermax 0."
    assert said in out
