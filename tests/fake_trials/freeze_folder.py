"""Trials that make a folder of their search's results folder immutable while it runs
(``chattr +i``: not even root may make a file in it), as a read-only remount would."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Any


def freeze(params: dict[str, Any]) -> float:
    """Trial 2 makes the folder ``FREEZE_PART`` of the results folder (``trials`` or ``logs``)
    immutable: no trial's folder or log can be made in it from then on."""
    if os.environ["HYPERMAX_TRIAL_ID"] == "2":
        folder = Path(os.environ["HYPERMAX_TRIAL_DIR"]).parents[1] / os.environ["FREEZE_PART"]
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    return float(params["x"])


def trials_to_file(params: dict[str, Any]) -> float:
    """Trial 2 puts a file in place of the results folder's ``trials`` (its own folder moved
    aside with it): no trial's folder can be made from then on."""
    if os.environ["HYPERMAX_TRIAL_ID"] == "2":
        trials = Path(os.environ["HYPERMAX_TRIAL_DIR"]).parent
        for attempt in range(100):  # hypermax may make it again meanwhile (the next trial's)
            with contextlib.suppress(FileNotFoundError):
                os.rename(trials, trials.with_name(f"trials.aside{attempt}"))
            try:
                os.close(os.open(trials, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                break
            except FileExistsError:
                continue
    return float(params["x"])
