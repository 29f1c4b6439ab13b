"""Trials that make a folder of their search's results folder immutable while it runs
(``chattr +i``: not even root may make a file in it), as a read-only remount would."""

from __future__ import annotations

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
