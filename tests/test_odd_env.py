"""hypermax where batch jobs and containers run it: standard streams closed, no terminal, PID 1
of a pid namespace."""

from __future__ import annotations

import json
import os
import pty
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import X_SPACE, quadratic
from fake_trials.helpers import FAKES, fake, finished, started, wait_until, write_spec
from runner_contract import python_function
from test_hangup import Session


def _search(folder: Path, iterations: int = 2, function: dict[str, Any] | None = None) -> Path:
    """A spec of ``iterations`` random trials over ``x`` (``function``: quadratic's, or this)."""
    return write_spec(
        folder,
        {
            "hyperparameters": X_SPACE,
            "function": function or quadratic(),
            "search": {"name": "s", "method": "random", "iterations": iterations, "seed": 1},
        },
    )


def _one_at_a_time(program: str) -> dict[str, Any]:
    """The ``function`` section that runs the fake trial ``program``, one trial at a time."""
    return {"type": "executable", "command": fake(program), "parallel": 1}


def _states(folder: Path) -> list[str]:
    return [r["state"] for _, r in sorted(finished(folder / "results" / "s").items())]


@pytest.mark.parametrize("closed", ["<&-", "<&- >&- 2>&-", "TTY >&-"])
def test_a_search_runs_with_standard_streams_closed(tmp_path: Path, closed: str) -> None:
    """``<&-`` (a cron job's, a daemon's) left Python's ``sys.stdin`` None, and the check for
    a terminal to draw the dashboard on ended the search before its first trial (an unexpected
    error); so did a closed stdout under a terminal's input (stdin a terminal)."""
    spec = _search(tmp_path)
    master, terminal = pty.openpty()
    try:
        hypermax = [sys.executable, "-m", "hypermax", "run", str(spec)]
        done = subprocess.run(
            ["/bin/sh", "-c", f'exec "$@" {closed.removeprefix("TTY")}', "sh", *hypermax],
            cwd=tmp_path,
            stdin=terminal if closed.startswith("TTY") else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "TERM": "xterm"},
        )
    finally:
        os.close(master)
        os.close(terminal)
    assert done.returncode == 0, done.stderr
    assert _states(tmp_path) == ["ok", "ok"]


def _pid_namespaces() -> bool:
    try:
        done = subprocess.run(
            ["unshare", "--pid", "--kill-child", "--mount-proc", "true"],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


needs_pid_namespaces = pytest.mark.skipif(
    not _pid_namespaces(), reason="needs a pid namespace (unshare --pid, as root)"
)


def _run_unshared(spec: Path, *unshare: str) -> subprocess.CompletedProcess[str]:
    """``hypermax run SPEC --no-ui`` in the spec's folder, under ``unshare UNSHARE...``."""
    hypermax = [sys.executable, "-m", "hypermax", "run", str(spec), "--no-ui"]
    return subprocess.run(
        ["unshare", *unshare, *hypermax],
        cwd=spec.parent,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=90,
    )


@needs_pid_namespaces
def test_as_pid_one_of_a_container_the_orphans_trials_leave_are_reaped(tmp_path: Path) -> None:
    """As PID 1 (``docker run IMAGE hypermax search.json``) hypermax inherits every orphan of
    its trials and reaped none: each trial's zombie stayed until the container's process table
    was full. Each trial counts PID 1's zombies, then leaves one more."""
    spec = _search(tmp_path, 3, _one_at_a_time("orphan_zombies"))
    done = _run_unshared(spec, "--pid", "--kill-child", "--mount-proc")
    assert done.returncode == 0, done.stderr
    losses = [r["loss"] for _, r in sorted(finished(tmp_path / "results" / "s").items())]
    assert losses == [0, 0, 0]


def test_with_standard_streams_closed_no_file_takes_their_place(tmp_path: Path) -> None:
    """With fds 0, 1 and 2 closed, the files hypermax opened first took their numbers: the
    journal was fd 2, and a line a library wrote to stderr went into the journal."""
    shutil.copy(FAKES / "stderr_plugin.py", tmp_path)
    spec = write_spec(
        tmp_path,
        {
            "hyperparameters": {"type": "object", "properties": {"x": {"enum": [0.2, 0.4]}}},
            "function": quadratic(),
            "search": {"name": "s", "method": "stderr_plugin:Noisy"},
        },
    )
    hypermax = [sys.executable, "-m", "hypermax", "run", str(spec)]
    done = subprocess.run(
        ["/bin/sh", "-c", 'exec "$@" <&- >&- 2>&-', "sh", *hypermax], cwd=tmp_path, timeout=60
    )
    assert done.returncode == 0
    journal = (tmp_path / "results" / "s" / "trials.jsonl").read_text()
    assert "warning" not in journal
    assert _states(tmp_path) == ["ok", "ok"]


@pytest.mark.parametrize("command", [["run", "missing.json"], ["show", "missing"]])
def test_a_mistake_whose_line_cannot_be_written_still_exits_2(
    tmp_path: Path, command: list[str]
) -> None:
    """A user's mistake exits 2; with stderr on a full disk (or a pipe whose reader is gone)
    the failed write of its line raised out of the command, and Python's exit made it 1."""
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "hypermax", *command],
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=full,
            timeout=60,
        )
    assert done.returncode == 2


@needs_pid_namespaces
def test_as_pid_one_of_a_container_a_stop_interrupts_the_search(tmp_path: Path) -> None:
    """``docker stop`` sends SIGTERM to PID 1 alone: the init in front of the command passes
    it on, and the search stops as it does elsewhere (its trial recorded interrupted, exit
    130)."""
    spec = _search(tmp_path, 2, _one_at_a_time("sleep_forever"))
    hypermax = [sys.executable, "-m", "hypermax", "run", str(spec), "--no-ui"]
    unshare = subprocess.Popen(
        ["unshare", "--pid", "--kill-child", "--mount-proc", *hypermax],  # gone with unshare
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        trial = tmp_path / "results" / "s" / "trials" / "1" / "up"
        wait_until(trial.exists, 60, "the trial to start")
        pid_one = int(Path(f"/proc/{unshare.pid}/task/{unshare.pid}/children").read_text())
        os.kill(pid_one, signal.SIGTERM)
        _, err = unshare.communicate(timeout=60)
    finally:
        unshare.kill()
        unshare.wait()
    assert unshare.returncode == 130, err
    assert _states(tmp_path) == ["interrupted"]


@needs_pid_namespaces
def test_as_pid_one_on_a_terminal_ctrl_c_interrupts_the_search_once(tmp_path: Path) -> None:
    """``docker run -it``: Ctrl-C reaches the whole foreground group, the init and the command;
    the init passes on only what was sent to it, else the command heard Ctrl-C twice and killed
    its trials without their grace."""
    function = {**_one_at_a_time("ignore_sigterm"), "kill_grace": 1}
    spec = _search(tmp_path, 1, function)
    hypermax = [sys.executable, "-m", "hypermax", "run", str(spec), "--no-ui"]
    session = Session(["unshare", "--pid", "--kill-child", "--mount-proc", *hypermax], tmp_path)
    try:
        trial = tmp_path / "results" / "s" / "trials" / "1"
        wait_until((trial / "up").exists, 60, "the trial to start")
        os.write(session.master, b"\x03")
        assert session.wait(60) == 130
    finally:
        session.end()
    note = (tmp_path / "results" / "s" / "logs" / "trial_1.log").read_text()
    assert "SIGKILL to" in note and "interrupted again" not in note, note


def _run_with_files(spec: Path, soft: int, hard: int) -> subprocess.CompletedProcess[str]:
    """``hypermax run SPEC`` in the spec's folder, with ``ulimit -n`` (open files) lowered to
    ``soft`` and ``hard`` (as far as the limit this test runs under allows)."""
    now = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if now != resource.RLIM_INFINITY:
        hard = min(hard, now)
    soft = min(soft, hard)
    return subprocess.run(
        [sys.executable, "-m", "hypermax", "run", str(spec)],
        cwd=spec.parent,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)),
    )


def test_too_few_file_descriptors_end_the_search_with_one_line_and_it_resumes(
    tmp_path: Path,
) -> None:
    """With ``ulimit -n 20`` and six trials at once, a trial's pipes could not be made, and the
    search ended in an unexpected error; it now warns at its start, stops as for a full disk,
    saying what ran out and what to do, and the same command with more files finishes it.
    The trials wait for ``go`` (given for the second run): six run at once, however slowly
    they start on a busy machine."""
    go = tmp_path / "go"
    function = python_function("wait_for_go", parallel=6, env={"GO_FILE": str(go)})
    spec = _search(tmp_path, iterations=8, function=function)
    short = _run_with_files(spec, 20, 20)
    assert short.returncode == 1, short.stderr
    last = short.stderr.strip().splitlines()[-1]
    assert "too many open files (ulimit -n is 20)" in last
    assert "function.parallel" in last and "unexpected" not in short.stderr
    assert "Traceback" not in short.stderr
    assert "ulimit -n is 20, too few open files for 6 trials at once" in short.stdout
    go.write_text("")
    again = _run_with_files(spec, 1024, 4096)
    assert again.returncode == 0, again.stderr
    assert _states(tmp_path).count("ok") == 8


def test_an_unwritable_home_gets_no_matplotlib_warnings_on_stderr(tmp_path: Path) -> None:
    """matplotlib, imported by ``ngopt`` (through cma) and by ``hypermax plot``, printed
    "mkdir -p failed ... Matplotlib created a temporary cache directory" on stderr when the
    home cannot hold its config folder (``/dev/null/x``, which not even root can make)."""
    pytest.importorskip("cma")
    pytest.importorskip("matplotlib")
    spec = _search(tmp_path, iterations=3)
    doc = json.loads(spec.read_text())
    doc["search"]["method"] = "ngopt"
    spec.write_text(json.dumps(doc))
    env = {**os.environ, "HOME": "/dev/null/x"}
    env.pop("MPLCONFIGDIR", None)
    env.pop("XDG_CONFIG_HOME", None)
    env.pop("XDG_CACHE_HOME", None)
    for command in (["run", str(spec)], ["plot", str(tmp_path / "results" / "s")]):
        done = subprocess.run(
            [sys.executable, "-m", "hypermax", *command],
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        assert "atplotlib" not in done.stderr and "mkdir" not in done.stderr
    assert _states(tmp_path) == ["ok", "ok", "ok"]
    assert (tmp_path / "results" / "s" / "plots" / "loss.png").is_file()


@needs_pid_namespaces
def test_a_pid_namespace_without_its_own_proc_is_refused_in_one_line(tmp_path: Path) -> None:
    """In a pid namespace made without a /proc of its own (``unshare --pid --fork``, no
    ``--mount-proc``), /proc's pids are another namespace's: hypermax took other processes for
    its trials' (each waited for its process to show there, and signals went astray). It now
    refuses to start any trial, and says to mount a /proc of the namespace."""
    done = _run_unshared(_search(tmp_path), "--pid", "--fork", "--kill-child")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "another pid namespace" in lines[0], done.stderr
    assert "--mount-proc" in lines[0]
    assert not started(tmp_path / "results" / "s")


def test_a_soft_limit_on_open_files_too_low_for_the_trials_is_raised_to_the_hard_one(
    tmp_path: Path,
) -> None:
    """A soft ``ulimit -n`` of 20 under a hard one of 4096 ended a search of six trials at once
    for want of files; hypermax now raises the soft limit first, as far as the hard one."""
    spec = _search(tmp_path, iterations=8, function=quadratic(parallel=6))
    done = _run_with_files(spec, 20, 4096)
    assert done.returncode == 0, done.stderr
    assert "ulimit" not in done.stdout
    assert _states(tmp_path).count("ok") == 8
