"""The records of a journal, read back a line at a time and checked as they are read, and
quick looks that read no more of it than they need: its header, one trial's metadata, whether
it holds trials (see :mod:`hypermax.journal` for the records and how they are written, and
:mod:`hypermax.journal_replay` for the state they replay to).

A torn last line (a crash mid-write) is skipped with a warning; any other damage (a broken
line before the last, a trial record of the wrong shape) is an error naming the line.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from hypermax.bulk import bulk
from hypermax.errors import ResultsError
from hypermax.execution.reports import whole_step
from hypermax.specfile.regular_file import file_kind, open_to_read
from hypermax.trial import TrialState

#: how :func:`hypermax.journal._finite` writes the numbers JSON cannot hold
_NOT_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def numbers_back(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (a record's metrics, loss terms, metadata or report) with the journal's
    ``"nan"``, ``"inf"`` and ``"-inf"`` as the numbers they were written for, inside its
    lists and objects too: what a trial that ran here holds, read back the same."""
    return {name: _number_back(value) for name, value in values.items()}


def _number_back(value: Any) -> Any:
    """:func:`numbers_back` of one value."""
    if isinstance(value, str):
        return _NOT_FINITE.get(value, value)
    if isinstance(value, dict):
        return numbers_back(value)
    if isinstance(value, list):
        return [_number_back(item) for item in value]
    return value


@bulk
def read_records(path: Path, writing: bool = False) -> list[dict[str, Any]]:
    """All records of a journal, as :func:`iter_records` reads them."""
    return list(iter_records(path, writing))


def iter_records(path: Path, writing: bool = False) -> Iterator[dict[str, Any]]:
    """The records of a journal, read a line at a time as they are asked for; none when it
    does not exist.

    A broken last line (a crash mid-write: not ended, or holding NULs) is skipped with a
    warning (without one when ``writing``: a hypermax appends to the journal now, and the line
    is the record it writes as it is read), and so is a broken line that a later
    ``torn_line`` record marks as seen. Any other broken line, a trial record
    :func:`~hypermax.journal_replay.replay` cannot fold (no integer id from 1, params, internal
    values, metrics, loss terms or metadata not an object, an unknown state) and a journal that
    cannot be read are a ResultsError naming the file (and line), raised when the reading comes
    to it.
    """
    broken: tuple[int, bytes] | None = None  # the number and text of a broken line
    for number, raw in enumerate(_lines(path), 1):
        if not raw.strip():
            continue
        record = parse_line(raw)
        if record is None:
            if broken is not None:
                raise _damaged(path, *broken) from None
            broken = number, raw
            continue
        if broken is not None:
            if record.get("event") != "torn_line" or record.get("line") != broken[0]:
                raise _damaged(path, *broken)
            broken = None
            continue
        problem = _shape_problem(record)
        if problem is not None:
            raise ResultsError(f"{path}: line {number}: {problem}")
        yield record
    if broken is not None and _not_torn(broken[1]):
        raise _damaged(path, *broken)
    if broken is not None and not writing:
        warnings.warn(
            f"{path}: line {broken[0]}: skipping a torn last line (a crash while writing)",
            stacklevel=2,
        )


def _not_torn(raw: bytes) -> bool:
    """Whether the last line ``raw``, which holds no record, is no line a crash can leave: a
    write cut short leaves the first part of a line, without its newline, or NULs where the
    machine lost what it had not written to the disk yet; a whole line (a line appended by
    another program or by hand) is damage, said as any other broken line is."""
    return raw.endswith(b"\n") and b"\0" not in raw


def _lines(path: Path) -> Iterator[bytes]:
    """The lines of the journal at ``path``, one at a time; none when it does not exist."""
    try:
        with open_journal(path) as file:
            yield from file
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read the journal: {exc.strerror or exc}") from None


@contextlib.contextmanager
def open_journal(path: Path) -> Iterator[BinaryIO]:
    """The journal at ``path`` opened for reading (OSError when it cannot be). ResultsError when
    it is not a regular file: a named pipe would wait for a writer forever, and a device
    (``/dev/zero``) would never end; it is opened without waiting for a pipe's writer."""
    fd = open_to_read(path)
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # a folder: EISDIR when read
            raise ResultsError(f"{path}: is {file_kind(mode)}, not a journal")
        with open(fd, "rb", closefd=False) as file:
            yield file
    finally:
        os.close(fd)


_TRIAL_EVENTS = frozenset({"trial_started", "trial_imported", "trial_reported", "trial_finished"})
_STATES = frozenset(state.value for state in TrialState)


def read_header(path: Path) -> dict[str, Any] | None:
    """The header of a journal (its first record), without reading the rest; None when it has
    none or cannot be read. A header a crash tore, and the mark of it, are passed over: the
    search that resumed it wrote its header after them."""
    try:
        with open_journal(path) as f:
            for raw in f:
                record = parse_line(raw)
                if record is None or record["event"] == "torn_line":
                    continue
                return record if record["event"] == "header" else None
    except (OSError, ResultsError):
        return None
    return None


def trial_metadata(path: Path, trial_id: int) -> dict[str, Any] | None:
    """The metadata trial ``trial_id`` ended with, as the journal at ``path`` has it (the end
    :func:`~hypermax.journal_replay.replay` keeps: its first that is for good); None when the
    journal has none, or cannot be read. Only the lines that may be that end are parsed: what
    a resume let go of (see :func:`~hypermax.journal_replay.replay`) is read back for one
    trial, not with the whole journal."""
    keys = (f'"id":{trial_id},'.encode(), f'"id": {trial_id},'.encode())  # compact, or not
    try:
        with open_journal(path) as f:
            for raw in f:
                if not any(key in raw for key in keys) or b'"trial_' not in raw:
                    continue
                record = parse_line(raw)
                if (
                    record is not None
                    and record.get("event") in ("trial_finished", "trial_imported")
                    and record.get("id") == trial_id
                    and record.get("state", "ok") != TrialState.INTERRUPTED.value
                ):
                    metadata = record.get("metadata")
                    return metadata if isinstance(metadata, dict) else None
    except (OSError, ResultsError):
        return None
    return None


def holds_trials(path: Path) -> bool:
    """Whether a journal holds any trial record (one started or imported), reading only as far
    as the first; False when it has none or cannot be read."""
    try:
        with open(path, "rb") as f:
            for raw in f:
                record = parse_line(raw)
                if record is not None and str(record["event"]) in _TRIAL_EVENTS:
                    return True
    except OSError:
        return False
    return False


def _shape_problem(record: dict[str, Any]) -> str | None:
    """What makes a trial record unusable by
    :func:`~hypermax.journal_replay.replay` (None: nothing)."""
    event = record["event"]
    if not isinstance(event, str):
        return f"record whose event is not a string: {json.dumps(event)}"
    if event == "header" and type(record.get("format", 0)) is not int:
        return f"header whose format is not a whole number: {json.dumps(record['format'])}"
    seed = record.get("seed", 0)
    if event == "header" and (type(seed) is not int or seed < 0):
        return f"header whose seed is not a whole number from 0: {json.dumps(seed)}"
    if event not in _TRIAL_EVENTS:
        return None  # a header, a torn_line mark, or an event a later version writes
    if type(record.get("id")) is not int:
        return f"{event} record without an integer id"
    if record["id"] < 1:
        return f"{event} record whose id is not a trial's (a whole number from 1): {record['id']}"
    if event in ("trial_started", "trial_imported"):
        if not isinstance(record.get("params"), dict):
            return f"{event} record whose params are not an object"
        internal = record.get("internal", {})
        if not isinstance(internal, dict):
            return f"{event} record whose internal values are not an object"
        odd = next((k for k, v in internal.items() if finite_number(v) is None), None)
        if odd is not None:
            return (
                f"{event} record whose internal value of {json.dumps(odd)} is not a finite "
                f"number: {json.dumps(internal[odd])}"
            )
    for name in ("metrics", "loss_terms", "metadata"):
        if not isinstance(record.get(name, {}), dict):
            return f"{event} record whose {name} are not an object"
    step = record.get("step")
    if event == "trial_reported" and step is not None and report_step(step) is None:
        return f"{event} record whose step is not a whole number: {json.dumps(step)}"
    state = record.get("state", "ok")
    finishes = event in ("trial_finished", "trial_imported")
    if finishes and not (isinstance(state, str) and state in _STATES):
        return f"{event} record with an unknown state {json.dumps(state)}"
    return None


def _damaged(path: Path, number: int, raw: bytes) -> ResultsError:
    """The error of line ``number`` of a journal, ``raw``, which holds no record: not JSON, or
    JSON of another shape (a list, an object without an event)."""
    try:
        value = json.loads(raw)
    except ValueError:
        why = "not valid JSON"
    except RecursionError:
        why = "nested too deeply"
    else:
        why = "an object without an event" if isinstance(value, dict) else "not a JSON object"
    return ResultsError(f"{path}: line {number}: damaged journal record ({why})")


def parse_line(raw: bytes) -> dict[str, Any] | None:
    """The record a line holds; None when it holds none (torn, garbage, NULs)."""
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):  # ``[[[[...``, deeper than Python reads
        return None
    return record if isinstance(record, dict) and "event" in record else None


def finite_number(value: Any) -> float | None:
    """A finite number of a record as it is; None for anything else: "nan" and "inf" (as the
    journal writes them), a hand-edited "abc", and the NaN, Infinity or whole number past the
    largest float that another program's JSON may hold."""
    if type(value) is float:  # most of them: no bool, no overflow to look for
        return value if math.isfinite(value) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return value if math.isfinite(value) else None
    except OverflowError:
        return None


def report_step(value: Any) -> int | None:
    """A report's step as the trial's reports take it (``2.0`` is 2); None when it is none."""
    try:
        return whole_step(value)
    except TypeError:
        return None
