"""Objectives for the Dask cluster tests: each says where it ran, some wait on sentinel files.

``HYPERMAX_TEST_SENTINELS`` (set through the spec's ``function.env``) names a folder the test
watches: a trial writes ``up-<trial id>`` there with its pid, and waits for ``go`` where asked.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def _sentinels() -> Path:
    return Path(os.environ["HYPERMAX_TEST_SENTINELS"])


def where(params: dict[str, Any]) -> dict[str, Any]:
    """A quadratic loss, and the pids of the trial's process and of its parent."""
    return {"loss": (params["x"] - 0.3) ** 2, "pid": os.getpid(), "parent": os.getppid()}


def folder(params: dict[str, Any]) -> dict[str, Any]:
    """``where``, and the folder the trial runs in."""
    return {**where(params), "cwd": os.getcwd()}


def where_unless_one(params: dict[str, Any]) -> Any:
    """``where``, except that at x = 1 it hangs (see ``hang``)."""
    return hang(params) if params["x"] == 1.0 else where(params)


def first_run_hangs(params: dict[str, Any]) -> dict[str, Any]:
    """Each run adds its pid to ``runs``; the first one then hangs (until its worker dies)."""
    runs = _sentinels() / "runs"
    with open(runs, "a") as f:
        f.write(f"{os.getpid()} {os.getppid()}\n")
    if len(runs.read_text().splitlines()) == 1:
        (_sentinels() / "up").write_text(f"{os.getpid()} {os.getppid()}")
        while True:
            time.sleep(60)
    return where(params)


def hang(params: dict[str, Any]) -> float:
    """Writes ``up-<trial id>`` with its pid, then sleeps until it is killed."""
    trial = os.environ["HYPERMAX_TRIAL_ID"]
    (_sentinels() / f"up-{trial}").write_text(str(os.getpid()))
    while True:
        time.sleep(60)


def hang_unless_reporting(params: dict[str, Any], reporter: Any) -> float:
    """At x = 1, reports step 1 with a loss of 0.5 and returns it; else ``hang``."""
    if params["x"] != 1.0:
        return hang(params)
    reporter(1, loss=0.5)
    return 0.5


#: how many reports ``flood_after_go`` sends
FLOOD = 2000


def flood_after_go(params: dict[str, Any], reporter: Any) -> float:
    """Writes ``up-<trial id>``, waits for ``go``, then reports steps 1 to :data:`FLOOD` as fast
    as it can and returns."""
    trial = os.environ["HYPERMAX_TRIAL_ID"]
    (_sentinels() / f"up-{trial}").write_text(str(os.getpid()))
    while not (_sentinels() / "go").exists():
        time.sleep(0.01)
    for step in range(1, FLOOD + 1):
        reporter(step, loss=1.0 / step)
    return 0.0


#: what ``odd_reports`` reports at step 1: JSON values Dask's msgpack cannot carry
ODD_METRICS: dict[str, Any] = {"loss": 0.5, "big": 10**30, "text": "\ud800", "deep": [[[[]]]]}
for _ in range(600):
    ODD_METRICS["deep"] = [ODD_METRICS["deep"]]


def odd_reports(params: dict[str, Any], reporter: Any) -> float:
    """Reports :data:`ODD_METRICS` at step 1, then returns 0.4."""
    reporter(1, **ODD_METRICS)
    return 0.4


def where_after_go(params: dict[str, Any]) -> dict[str, Any]:
    """Writes ``up-<trial id>``, waits for ``go``, then returns ``where``."""
    trial = os.environ["HYPERMAX_TRIAL_ID"]
    (_sentinels() / f"up-{trial}").write_text(str(os.getpid()))
    while not (_sentinels() / "go").exists():
        time.sleep(0.01)
    return where(params)
