"""Trials that damage the results folder of their search (``trials/<id>`` is their own folder)
while it runs, as a user cleaning up might; then they return ``x``."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any


def train(params: dict[str, Any]) -> float:
    """Trial 1 deletes the whole results folder."""
    if os.environ["HYPERMAX_TRIAL_ID"] == "1":
        folder = Path(os.environ["HYPERMAX_TRIAL_DIR"]).parents[1]
        for _ in range(100):  # hypermax may write a file into it meanwhile (its log)
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                break
    return float(params["x"])


def freeze_journal(params: dict[str, Any]) -> float:
    """Trial 2, once the journal holds its start (and trial 1's end, written before or with
    it), makes the journal immutable (``chattr +i``: not even root may write it)."""
    if os.environ["HYPERMAX_TRIAL_ID"] == "2":
        journal = Path(os.environ["HYPERMAX_TRIAL_DIR"]).parents[1] / "trials.jsonl"
        _wait_for_start(journal, 2)
        subprocess.run(["chattr", "+i", str(journal)], check=True)
    return float(params["x"])


def move_aside(params: dict[str, Any]) -> dict[str, Any]:
    """Trial 1 moves the whole results folder aside (to ``<name>.moved``); trial 3 (once the
    journal held trial 2's start, in the folder made again) says whether that folder is locked
    against a second hypermax and holds the frozen spec."""
    import fcntl

    folder = Path(os.environ["HYPERMAX_TRIAL_DIR"]).parents[1]
    trial = os.environ["HYPERMAX_TRIAL_ID"]
    if trial == "1":
        os.rename(folder, folder.with_name(folder.name + ".moved"))
    seen: dict[str, Any] = {}
    if trial == "3":
        # a trial held ready starts as the one before it ends, which may be before hypermax
        # has noticed the move: it waits for the records that come once the folder is made again
        _wait_for_start(folder / "trials.jsonl", 2)
        seen["spec"] = (folder / "search.json").is_file()
        try:
            with open(folder / ".lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            seen["locked"] = False
        except BlockingIOError:
            seen["locked"] = True
    return {"loss": float(params["x"]), **seen}


def _wait_for_start(journal: Path, trial: int) -> None:
    """Wait until ``journal`` holds the start of ``trial`` (at most 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            if f'"event":"trial_started","id":{trial},' in journal.read_text():
                return
        except FileNotFoundError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the journal never held the start of trial {trial}")
        time.sleep(0.005)
