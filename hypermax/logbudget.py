"""A budget for the trials' logs: ``results.max_log_mb`` over the whole search.

Each trial's log is capped (20 MiB) while it runs, but ten thousand chatty trials would still fill
a disk. :class:`LogBudget` counts the logs of finished trials and, past the budget, trims the
oldest ones to their last lines (a note at the top says so), then, should the tails alone pass
it, cuts the oldest to the note. The journal holds everything a trial's record needs; a log is
only its output.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from hypermax.execution.trial_log import note_line

log = logging.getLogger("hypermax")

MIB = 1024 * 1024
#: the lines a trimmed log keeps
KEEP_LINES = 40
#: the most bytes a trimmed log keeps
KEEP_BYTES = 4096

_TAIL, _NOTE = 1, 2  # how far a log was cut: to its tail, to the note alone


@dataclass
class _Log:
    path: Path
    size: int
    cut: int = 0  # 0, _TAIL or _NOTE


class LogBudget:
    """Keeps the finished trials' logs within ``max_bytes`` in all.

    Args:
        max_bytes: the budget; logs of trials still running are not counted.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._logs: dict[int, _Log] = {}  # in the order the trials finished: oldest first
        self.total = 0

    def add(self, trial_id: int, path: Path) -> None:
        """Count the log of a trial that just finished (a missing log counts nothing)."""
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        old = self._logs.pop(trial_id, None)
        self.total += size - (old.size if old else 0)
        self._logs[trial_id] = _Log(path, size)

    def trim(self) -> list[int]:
        """Trim the oldest logs until the total is within the budget; the ids trimmed."""
        trimmed: list[int] = []
        for cut in (_TAIL, _NOTE):
            for trial_id, entry in self._logs.items():
                if self.total <= self.max_bytes:
                    return trimmed
                if entry.cut >= cut:
                    continue
                size = _shrink(entry.path, KEEP_LINES if cut == _TAIL else 0, self.max_bytes)
                self.total -= entry.size - size
                entry.size, entry.cut = size, cut
                if trial_id not in trimmed:
                    trimmed.append(trial_id)
        return trimmed


def _shrink(path: Path, keep_lines: int, budget: int) -> int:
    """Cut a log to a note and its last ``keep_lines`` lines, in place; its new size.

    The new content is written over the start of the old, which it is shorter than, so that
    trimming needs no free space.
    """
    try:
        with open(path, "r+b") as f:
            size = f.seek(0, 2)
            start = max(0, size - KEEP_BYTES)
            f.seek(start)
            lines = f.read().splitlines(keepends=True)
            if start > 0:
                lines = lines[1:]  # the first line read is a part of one
            kept = lines[-keep_lines:] if keep_lines else []
            what = f"its last {len(kept)} lines" if kept else "this note"
            note = note_line(
                f"log of {size} bytes trimmed to {what}, to keep the trials' logs within "
                f"results.max_log_mb ({budget / MIB:g} MiB)"
            ).lstrip()
            data = note + b"".join(kept)
            if len(data) >= size:
                return size
            f.seek(0)
            f.write(data)
            f.truncate()
            return len(data)
    except OSError as exc:
        log.warning("cannot trim the log %s: %s", path, exc)
        with contextlib.suppress(OSError):
            return path.stat().st_size
        return 0
