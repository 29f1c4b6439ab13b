"""Signals that end hypermax outside the paths Ctrl-C and SIGTERM take while trials run:
Ctrl-\\ (SIGQUIT), and a signal during start-up, before the search routes them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from fake_trials.helpers import (
    FAKES,
    assert_none_alive,
    fake_search,
    finished,
    hypermax_argv,
    started,
    wait_until,
    write_spec,
)


def _start(spec: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """hypermax as a terminal's foreground job starts it: SIGQUIT and SIGINT at their default
    action (a shell running the tests in the background ignores them, and that would be
    inherited)."""

    def default_signals() -> None:  # in the child, before exec
        signal.signal(signal.SIGQUIT, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    return subprocess.Popen(
        hypermax_argv(spec),
        cwd=spec.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        preexec_fn=default_signals,
        env={**os.environ, **(env or {})},
    )


def test_ctrl_backslash_stops_the_running_trials_and_records_them_interrupted(tmp_path, marker):
    spec = write_spec(tmp_path, fake_search("wait_for_go", marker, "quit", 1, go=tmp_path / "go"))
    results = tmp_path / "results" / "quit"
    process = _start(spec)
    wait_until(lambda: (results / "trials" / "1" / "up").exists(), 30, "the first trial to start")
    process.send_signal(signal.SIGQUIT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err  # without a handler: killed by SIGQUIT (-3)
    assert [record["state"] for record in finished(results).values()] == ["interrupted"]
    assert_none_alive(marker)
    (tmp_path / "go").write_text("")
    process = _start(spec)  # the interrupted trial runs again, with its id and params
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert [record["state"] for record in finished(results).values()] == ["ok"]
    assert set(started(results)) == {1}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT])
def test_a_signal_during_start_up_ends_hypermax_as_ctrl_c_does(tmp_path, marker, sig):
    shutil.copy(FAKES / "waiting_plugin.py", tmp_path)
    doc = fake_search("wait_for_go", marker, "early", 1, go=tmp_path / "go")
    doc["search"]["method"] = "waiting_plugin:Waiting"  # its import holds hypermax
    spec = write_spec(tmp_path, doc)
    up = tmp_path / "plugin_up"
    process = _start(spec, env={"PLUGIN_UP": str(up)})
    wait_until(up.exists, 30, "hypermax to import the plugin")
    process.send_signal(sig)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err  # without a handler: killed by the signal
    assert err.splitlines()[-1] == "hypermax: interrupted"
    assert "Traceback" not in err
    assert_none_alive(marker)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_hypermax_exits_after_its_search_changes_nothing(tmp_path, sig):
    shutil.copy(FAKES / "slow_exit_plugin.py", tmp_path)
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
        "function": {"type": "executable", "command": ["echo", "0.5"]},
        "search": {"name": "exit", "method": "slow_exit_plugin:SlowExit"},
    }
    spec = write_spec(tmp_path, doc)
    exiting = tmp_path / "exiting"
    process = _start(spec, env={"EXITING": str(exiting)})
    wait_until(exiting.exists, 30, "hypermax to finish its search and exit")
    process.send_signal(sig)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err  # Ctrl-C: a KeyboardInterrupt traceback; SIGTERM: -15
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "2 trials done" in out + err
    assert [r["state"] for r in finished(tmp_path / "results" / "exit").values()] == ["ok", "ok"]
