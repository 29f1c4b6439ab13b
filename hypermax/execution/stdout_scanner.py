"""A trial's stdout read as lines: its report lines handed on, its last result line kept."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hypermax.execution.protocol import (
    ESCAPE_PATTERN,
    MAX_PARSED_LINE,
    REPORT_PREFIX,
    parse_result_line,
)
from hypermax.execution.reports import parse_report, shown_value

_PREFIX = REPORT_PREFIX.encode()
#: what a chunk of output holds if a line of it may be a report (or one to refuse): the word, or
#: an escape sequence, which a terminal leaves out (and which may stand inside the word)
_WORD = REPORT_PREFIX.rstrip().encode()
_REPORT_MARKS = (_WORD, b"\x1b")
#: what a line may begin with that a terminal does not show: a terminal escape sequence (a
#: colouring logger's), UTF-8's byte-order mark (a first line written by some Windows tools)
_BOM = "\ufeff".encode()
_ESCAPES = re.compile(ESCAPE_PATTERN.encode())
#: what a line that is a result (or may have been one, too long to read) starts with, when it
#: has no escape sequence, byte-order mark or carriage return (see :func:`.parse_result_line`)
_RESULT_STARTS = b"{-+.0123456789NnIi \t"
_LINE_STARTS = b"H" + _RESULT_STARTS  # or a report
#: the ASCII characters that ``str.strip()`` strips
_SPACES = bytes(c for c in range(128) if chr(c).isspace())

#: why an executable has no result whose last stdout line that may be one was too long to read
RESULT_LINE_TOO_LONG = (
    f"no result: its last stdout line that may be the result (a JSON object) is longer than"
    f" {MAX_PARSED_LINE // 1024} KiB, more than a result line may be: write a larger result"
    " to the file HYPERMAX_RESULT_FILE names"
)

#: why an executable has no result whose last stdout line that may be one starts a JSON object
#: written over several lines (``print(json.dumps(result, indent=2))``)
RESULT_OVER_LINES = (
    'no result: its last stdout line that may be the result is "{" alone, the start of a JSON'
    " object written over several lines, which is not read: print the result on one line"
    " (json.dumps without indent)"
)


def _may_settle(line: bytes) -> bool:
    """Whether a line without escape sequences may settle the result: False for one that can
    be neither a result nor a line too long that may have been one, as far as a glance tells
    (a progress line, ``12/500 [==>...]``; a log line), which spares reading it whole."""
    head = line[:1]
    if b"\r" in line or head == _BOM[:1]:
        return True  # read as a terminal shows it
    if head not in _RESULT_STARTS:
        return False
    if head == b"{" or not line.isascii():
        return True
    text = line.strip(_SPACES)  # as str.strip() strips it: the line is ASCII
    return text[:1] == b"{" or b" " not in text  # no number holds a space


def _marked_lines(data: bytes, count: int) -> dict[int, None]:
    """Which of the ``count`` whole lines of the chunk ``data`` (its lines but the first and
    the last, which may be parts of lines) hold the report word or an escape sequence, in
    order: the lines that may be reports (or lines to refuse). Most chunks hold neither."""
    found: set[int] = set()
    for mark in _REPORT_MARKS:
        line, counted, at = 0, 0, data.find(mark)
        while at >= 0:
            line += data.count(b"\n", counted, at)
            counted = at
            found.add(line - 1)  # the first line is not one of them
            at = data.find(mark, data.find(b"\n", at) + 1 or len(data))
    return dict.fromkeys(sorted(i for i in found if 0 <= i < count))


class StdoutScanner:
    """Cuts a trial's stdout into lines as it arrives; hands on reports, keeps the last result.

    Memory stays bounded whatever the trial prints: a line longer than ``MAX_PARSED_LINE`` is
    skipped up to its end instead of being gathered (a report line so long is refused).

    Args:
        on_report: called with the step and metrics of each report line.
        on_refused: called with why, the first time a line that starts with the report prefix
            is no usable report (see :func:`~.reports.parse_report`). Such lines are ignored;
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
        whole = lines[1:-1]
        marked = _marked_lines(data, len(whole))  # the lines that may be reports, in order
        settled_at = -1  # the last of them that settled the result
        for at in marked:
            if self._whole_line(whole[at]):
                settled_at = at
        # of the others after it, only the last one that settles the result matters
        starts, bom = _RESULT_STARTS, _BOM[:1]
        for at in range(len(whole) - 1, settled_at, -1):
            line = whole[at]
            head = line[:1]
            if head not in starts and head != bom and b"\r" not in line:
                continue  # at a glance: no result (nor a line too long that may be one)
            if at not in marked and _may_settle(line) and self._whole_line(line):
                break
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

    def _whole_line(self, line: bytes) -> bool:
        """Read a line that came whole in one chunk; whether it settled the result."""
        if len(line) <= MAX_PARSED_LINE:
            return self._line(line)
        return self._skipped(line[: len(_PREFIX)])

    def _skipped(self, head: bytes) -> bool:
        """A line too long to read was skipped: refused, if it began as a report line; if it
        began as a JSON object, it may have been the result, which is then not known (and
        True is returned: the line settled the result)."""
        if head.startswith(_PREFIX):
            self._refuse(f"longer than {MAX_PARSED_LINE // 1024} KiB, more than a report may be")
        elif head.lstrip(b" \t").startswith(b"{"):
            self.result = None
            self.no_result = RESULT_LINE_TOO_LONG
            return True
        return False

    def _line(self, raw: bytes) -> bool:
        """Read one line: a report is handed on, a result kept; whether it was a result."""
        raw = raw.rstrip(b"\r").rpartition(b"\r")[2]  # a terminal shows what a \r rewrote last
        if b"\x1b" in raw or raw.startswith(_BOM):  # coloured, or marked: as a terminal shows it
            raw = _ESCAPES.sub(b"", raw.removeprefix(_BOM))
        if not raw or raw[:1] not in _LINE_STARTS:
            self._misplaced(raw)
            return False
        line = raw.decode("utf-8", "replace")
        try:
            report = parse_report(line)
        except ValueError as exc:
            self._refuse(str(exc))
            return False
        if report is not None:
            self._on_report(*report)
            return False
        result = parse_result_line(line)
        if result is None and line.strip() == "{":  # a result written over several lines
            self.result = None
            self.no_result = RESULT_OVER_LINES
            return True
        if result is None:
            self._misplaced(raw)
            return False
        self.result = result
        self.no_result = ""
        return True

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
