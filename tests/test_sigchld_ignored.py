"""A program whose SIGCHLD is ignored (a daemon's, a server's; or inherited by hypermax from the
program that started it) has its children reaped by the kernel: how a trial ended was lost, and
a trial that printed its loss and exited 3 was recorded ok."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

from fake_trials.helpers import finished

SPEC = {
    "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
    "function": {"type": "executable", "command": ["sh", "-c", "echo 0.5; exit 3"]},
    "search": {"name": "s", "iterations": 1},
}


def _ignoring_sigchld() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)


def test_a_search_started_with_sigchld_ignored_knows_how_its_trials_end(tmp_path):
    (tmp_path / "search.json").write_text(json.dumps(SPEC))
    script = textwrap.dedent(
        """
        import signal, sys, hypermax
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
        result = hypermax.optimize("search.json")
        print(result.trials[0]["reason"])
        print(signal.getsignal(signal.SIGCHLD) is signal.SIG_IGN)  # as the program had it
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.splitlines()[-2:] == ["exit code 3", "True"], done.stderr


def test_the_command_line_started_with_sigchld_ignored_knows_how_its_trials_end(tmp_path):
    (tmp_path / "search.json").write_text(json.dumps(SPEC))
    done = subprocess.run(
        [sys.executable, "-m", "hypermax", "run", "search.json", "--no-ui"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_ignoring_sigchld,  # inherited across exec
    )
    assert done.returncode == 1, done.stdout + done.stderr
    (trial,) = finished(tmp_path / "results" / "s").values()
    assert (trial["state"], trial["reason"]) == ("failed", "exit code 3")


def test_a_search_in_a_thread_with_sigchld_ignored_is_refused_before_anything_runs(tmp_path):
    """Only the main thread can set SIGCHLD back."""
    script = textwrap.dedent(
        """
        import signal, threading, hypermax
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
        def search():
            try:
                hypermax.optimize(lambda params: 0.5, space={"x": [1]}, iterations=1)
            except hypermax.errors.UsageError as exc:
                print(exc)
        thread = threading.Thread(target=search)
        thread.start()
        thread.join()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.stdout == (
        "optimize(): SIGCHLD is ignored in this process (signal.SIG_IGN), so how a trial ends "
        "(its exit code) could not be known: restore it, signal.signal(signal.SIGCHLD, "
        "signal.SIG_DFL), or call it from the main thread, which sets it back while the search "
        "runs\n"
    ), done.stderr
    assert not (tmp_path / "results").exists()
