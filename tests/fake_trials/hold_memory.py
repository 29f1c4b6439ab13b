"""Writes ``HOLD_MIB`` MiB (every page in memory), holds it ``HOLD_SECONDS`` seconds (watchdog
looks come every tenth of a second), then prints its loss."""

from __future__ import annotations

import os
import time

block = b"x" * (int(os.environ["HOLD_MIB"]) << 20)
time.sleep(float(os.environ["HOLD_SECONDS"]))
print(0.5 + 0 * len(block))
