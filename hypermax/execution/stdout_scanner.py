"""A trial's stdout read as lines: its report lines handed on, its last result line kept."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hypermax.execution.protocol import (
    ESCAPE_PATTERN,
    MAX_PARSED_LINE,
    REPORT_PREFIX,
    parse_report,
    parse_result_line,
    shown_value,
)

_PREFIX = REPORT_PREFIX.encode()
#: what a line may begin with that a terminal does not show: a terminal escape sequence (a
#: colouring logger's), UTF-8's byte-order mark (a first line written by some Windows tools)
_BOM = "\ufeff".encode()
_ESCAPES = re.compile(ESCAPE_PATTERN.encode())

#: why an executable has no result whose last stdout line that may be one was too long to read
RESULT_LINE_TOO_LONG = (
    f"no result: its last stdout line that may be the result (a JSON object) is longer than"
    f" {MAX_PARSED_LINE // 1024} KiB, more than a result line may be: write a larger result"
    " to the file HYPERMAX_RESULT_FILE names"
)


class StdoutScanner:
    """Cuts a trial's stdout into lines as it arrives; hands on reports, keeps the last result.

    Memory stays bounded whatever the trial prints: a line longer than ``MAX_PARSED_LINE`` is
    skipped up to its end instead of being gathered (a report line so long is refused).

    Args:
        on_report: called with the step and metrics of each report line.
        on_refused: called with why, the first time a line that starts with the report prefix
            is no usable report (see :func:`~.protocol.parse_report`). Such lines are ignored;
            :attr:`refused` counts them.
    """

    def __init__(
        self,
        on_report: Callable[[int, dict[str, Any]], None],
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        self._on_report = on_report
        self._on_refused = on_refused
        self.refused = 0
        self._partial = bytearray()
        self._too_long = False
        self._too_long_head = b""  # how the line too long to gather began
        self.result: dict[str, Any] | None = None
        #: why there is no :attr:`result`, when it is not that nothing parsed as one
        self.no_result = ""

    def feed(self, data: bytes) -> None:
        """Take the next chunk of output."""
        lines = data.split(b"\n")
        self._extend(lines[0])
        if len(lines) == 1:
            return
        self._end_line()
        for line in lines[1:-1]:
            if len(line) <= MAX_PARSED_LINE:
                self._line(line)
            else:
                self._skipped(line[: len(_PREFIX)])
        self._extend(lines[-1])

    def close(self) -> None:
        """The output ended: a last line without a newline counts too."""
        self._end_line()

    def _extend(self, chunk: bytes) -> None:
        if self._too_long or not chunk:
            return
        if len(self._partial) + len(chunk) > MAX_PARSED_LINE:
            self._too_long = True
            self._too_long_head = bytes(self._partial[: len(_PREFIX)] + chunk[: len(_PREFIX)])
            self._partial.clear()
        else:
            self._partial += chunk

    def _end_line(self) -> None:
        if self._too_long:
            self._skipped(self._too_long_head)
        elif self._partial:
            self._line(bytes(self._partial))
        self._partial.clear()
        self._too_long = False

    def _skipped(self, head: bytes) -> None:
        """A line too long to read was skipped: refused, if it began as a report line; if it
        began as a JSON object, it may have been the result, which is then not known."""
        if head.startswith(_PREFIX):
            self._refuse(f"longer than {MAX_PARSED_LINE // 1024} KiB, more than a report may be")
        elif head.lstrip(b" \t").startswith(b"{"):
            self.result = None
            self.no_result = RESULT_LINE_TOO_LONG

    def _line(self, raw: bytes) -> None:
        raw = raw.rstrip(b"\r").rpartition(b"\r")[2]  # a terminal shows what a \r rewrote last
        if b"\x1b" in raw or raw.startswith(_BOM):  # coloured, or marked: as a terminal shows it
            raw = _ESCAPES.sub(b"", raw.removeprefix(_BOM))
        if not raw or raw[:1] not in b"H{-+.0123456789NnIi \t":
            self._misplaced(raw)
            return
        line = raw.decode("utf-8", "replace")
        try:
            report = parse_report(line)
        except ValueError as exc:
            self._refuse(str(exc))
            return
        if report is not None:
            self._on_report(*report)
            return
        result = parse_result_line(line)
        if result is not None:
            self.result = result
            self.no_result = ""
        else:
            self._misplaced(raw)

    def _misplaced(self, raw: bytes) -> None:
        """Refuse a line that holds the report word after something else (a logger's prefix,
        an indent), which would otherwise be passed over without a trace."""
        if _PREFIX in raw:
            shown = shown_value(raw.decode("utf-8", "replace"))
            self._refuse(f"{REPORT_PREFIX.rstrip()} is to start its line, got {shown}")

    def _refuse(self, why: str) -> None:
        self.refused += 1
        if self.refused == 1 and self._on_refused is not None:
            self._on_refused(why)
