"""Trials whose results test how a forked trial's result reaches hypermax: over its socket when
small, through the result file when large, and kept whatever happens to the process (or to its
preload server) after the function returned."""

from __future__ import annotations

import atexit
import os
import signal
import time
from typing import Any


def returns(params: dict[str, Any]) -> Any:
    """What ``params["case"]`` names: a plain loss, NaN, inf, ``status: fail``, an attachment,
    a result over the size a socket takes, an error."""
    case = params["case"]
    if case == "plain":
        return 0.25
    if case == "nan":
        return float("nan")
    if case == "inf":
        return {"loss": float("inf")}
    if case == "fail":
        return {"loss": 0.5, "status": "fail", "reason": "diverged"}
    if case == "attachment":
        with open("model.txt", "w") as f:  # in the trial's folder, its cwd
            f.write("weights")
        return {"loss": 0.125, "model": "model.txt"}
    if case == "large":
        return {"loss": 0.375, "blob": "x" * 40_000}
    raise ValueError(f"bad case {case}")


def crashes_after(params: dict[str, Any]) -> float:
    """Returns its loss; its process then ends by SIGSEGV at exit."""
    atexit.register(os.kill, os.getpid(), signal.SIGSEGV)
    return 0.75


def hangs_after(params: dict[str, Any]) -> float:
    """Returns its loss, then its exit hangs (until its time limit kills it)."""
    atexit.register(time.sleep, 3600)
    return 0.5


def kills_its_server(params: dict[str, Any]) -> float:
    """Returns its loss; as its process exits, it kills the preload server that forked it (its
    parent), and dies with it (the parent-death signal)."""

    def kill_parent() -> None:
        os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(3600)

    atexit.register(kill_parent)
    return 0.0625


def forks_and_both_return(params: dict[str, Any]) -> Any:
    """Forks a process that returns from the function too (no ``os._exit``), before the trial's
    own process does: with 0.99 (``"returns"``), or by raising (``"raises"``); the trial returns
    0.5 once that process ended."""
    pid = os.fork()
    if pid == 0:
        if params["case"] == "raises":
            raise RuntimeError("the forked process raised")
        return 0.99
    os.waitpid(pid, 0)
    return 0.5


def leaves_no_folder(params: dict[str, Any]) -> float:
    """Moves its folder aside and leaves a file where it was, so that no result file can be
    written there; returns 0.25."""
    here = os.getcwd()
    os.rename(here, here + ".moved")
    with open(here, "w"):
        pass
    return 0.25
