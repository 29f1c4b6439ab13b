"""The journal: ``trials.jsonl``, append-only, one JSON record a line, fsynced at every write.

It is the only source of truth of a search; every other file is derived from it. Records:

- ``header``: format version, hypermax version, spec fingerprint, seed (first line).
- ``trial_started``: id, params, internal (optimizer) values, pid, create_time, started_at.
- ``trial_reported``: id, step, metrics, at.
- ``trial_finished``: id, state, loss, metrics, loss_terms, metadata, time, cpu_time,
  peak_rss_mib, reason, attachments, ended_at, step (of the last report; where a stopped
  trial stopped).

The file is never rewritten. :mod:`hypermax.journal_records` reads it back, and
:mod:`hypermax.journal_replay` replays it to the state of every trial.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypermax.errors import ResultsError
from hypermax.journal_records import open_journal, parse_line
from hypermax.trial import Trial

log = logging.getLogger("hypermax")

JOURNAL_NAME = "trials.jsonl"


class Journal:
    """Appends records to the journal file, each written and flushed before ``append`` returns.

    Records are appended whole or not at all: when the disk is full part-way through, the file
    is cut back to where it was and the OSError is raised, so the journal stays readable and can
    be appended to again once there is room. ``append`` also fsyncs before it returns;
    ``append_many(records, wait_for_disk=False)`` leaves the fsync to a background thread, which
    syncs once for everything appended since its last sync, at most every
    :data:`SYNC_EVERY_SECONDS`: the records are in the kernel when the call returns (a crash of
    hypermax loses nothing), and on the disk a sync later (only a crash of the machine in
    between could lose them). :meth:`close` waits for the last sync.
    """

    def __init__(self, path: Path, made_again: Callable[[], None] | None = None) -> None:
        self.path = path
        seal_torn_tail(path)
        self._file = open(path, "a+b", buffering=0)  # noqa: SIM115 - closed by close()
        #: called when the results folder is made again (the one the journal was in was moved
        #: aside or deleted while the search ran), before the journal is written there: it
        #: locks the new folder and freezes the spec in it (an OSError: not written there yet)
        self._made_again = made_again
        self._folder = _identity(os.stat(path.parent))
        self._syncer: _Syncer | None = None
        #: the files found at the path that could not be appended to, said (None: none there)
        self._left: list[tuple[int, int] | None] = []
        #: whether the path is watched: not on a file system whose stat and fstat of one file
        #: disagree (some overlay file systems), where the file would seem replaced at once
        self._follows = _identity(os.stat(path)) == _identity(os.fstat(self._file.fileno()))
        #: why the folder made again at the journal's path is another's (the error of another
        #: hypermax holding it), when it is: this search's records go on in the file open here
        self.taken: str | None = None

    def append(self, record: dict[str, Any]) -> None:
        self.append_many([record])

    def append_many(self, records: list[dict[str, Any]], wait_for_disk: bool = True) -> None:
        """Append ``records`` in order with one write (nothing when empty); then fsync, or have
        the background thread fsync when ``wait_for_disk`` is False."""
        if not records:
            return
        data = "".join(f"{_line(record)}\n" for record in records).encode()
        self._follow_path()
        fd = self._file.fileno()
        end = os.lseek(fd, 0, os.SEEK_END)
        try:
            self._write(data)
            if wait_for_disk:
                os.fsync(fd)
        except OSError:
            with contextlib.suppress(OSError):  # if even this fails, the next start seals it
                os.ftruncate(fd, end)
            raise
        if wait_for_disk:
            return
        if self._syncer is None:
            self._syncer = _Syncer(self._file.fileno())
        self._syncer.request()

    def follow_path(self) -> None:
        """Between appends: what an append does first (see :meth:`_follow_path`), so that a
        results folder moved aside or deleted is made again, and locked, at once, not at the
        next record: another hypermax starting there meanwhile would take it."""
        self._follow_path()

    def _follow_path(self) -> None:
        """When the journal's path no longer names the file open here (deleted, or replaced by
        an editor, while the search ran), append to the file there from now on: a deleted one is
        written there again first, from the file still open here, so that no record is lost (in
        its folder made again, when the whole results folder was deleted). When that cannot be
        done, appending goes on where it did, and it is tried again at the next append."""
        if not self._follows:
            return
        there: tuple[int, int] | None
        try:
            there = _identity(os.stat(self.path))
        except FileNotFoundError:
            there = None
        except OSError:
            return
        if there == _identity(os.fstat(self._file.fileno())):
            return
        what = "deleted" if there is None else "replaced (edited?)"
        try:
            if there is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)  # the results folder too
            folder = _identity(os.stat(self.path.parent))
            if folder != self._folder:
                if there is not None:  # in a folder made again: another search's, maybe
                    what = "replaced, with its results folder,"
                if self._made_again is not None:
                    self._lock_folder_made_again()
            self._folder = folder
            if there is None:
                _copy_out(self._file.fileno(), self.path)
            seal_torn_tail(self.path)
            new = open(self.path, "a+b", buffering=0)  # noqa: SIM115 - closed by close()
        except OSError as exc:  # tried again at the next append; said once
            if there not in self._left:
                self._left.append(there)
                why = exc.strerror or exc
                log.warning(
                    "%s: %s while the search ran; cannot write it: %s", self.path, what, why
                )
            return
        done = "written again from what it held" if there is None else "appending to the new file"
        log.warning("%s: %s while the search ran; %s", self.path, what, done)
        syncer, self._syncer = self._syncer, None
        with contextlib.suppress(OSError):  # a sync of the file left: what it held is here
            if syncer is not None:
                syncer.close()
        old, self._file = self._file, new
        old.close()

    def _lock_folder_made_again(self) -> None:
        """Call ``made_again``; when another hypermax holds the folder made again (``EBUSY``),
        note it in :attr:`taken` and raise its error."""
        assert self._made_again is not None
        try:
            self._made_again()
        except OSError as exc:
            if exc.errno == errno.EBUSY:
                self.taken = exc.strerror or str(exc)
            raise

    def where(self) -> Path | None:
        """Where the file open here is now (the folder it was in moved aside); None when it
        was deleted, or that cannot be told."""
        try:
            found = os.readlink(f"/proc/self/fd/{self._file.fileno()}")
        except (OSError, ValueError):
            return None
        return None if found.endswith(" (deleted)") else Path(found)

    def _write(self, data: bytes) -> None:
        """Write all of ``data`` at the end of the file (a write may take only part of it)."""
        view = memoryview(data)
        while view:
            written = self._file.write(view)
            view = view[written or 0 :]

    def close(self) -> None:
        syncer, self._syncer = self._syncer, None
        try:
            if syncer is not None:
                syncer.close()
        finally:
            self._file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def folder_taken(journal: Journal) -> ResultsError:
    """The error a search ends with whose results folder another hypermax took (see
    :attr:`Journal.taken`), saying where its trials are."""
    where = journal.where()
    kept = (
        f"its trials are in {where.parent} (hypermax resume {where.parent} goes on)"
        if where is not None
        else "its journal was deleted with its folder"
    )
    return ResultsError(
        f"{journal.taken}, which made the folder again after this search's was moved aside or"
        f" deleted while it ran: this search stopped; {kept}"
    )


#: the least time between two background syncs of the journal: the records appended meanwhile
#: go to the disk in one sync (a sync a trial cost a wake-up of the thread and an fsync each)
SYNC_EVERY_SECONDS = 0.05


class _Syncer:
    """A thread that fsyncs a file whenever asked, once for all the requests since its last,
    and at most once every :data:`SYNC_EVERY_SECONDS` (:meth:`close` syncs at once)."""

    def __init__(self, fd: int) -> None:
        import threading

        self._fd = fd
        self._wanted = threading.Event()
        self._closed = threading.Event()  # cuts the pause between two syncs short
        self._closing = False
        self.error: OSError | None = None
        self._thread = threading.Thread(target=self._run, name="hypermax-journal", daemon=True)
        self._thread.start()

    def request(self) -> None:
        if self.error is not None:
            raise self.error
        self._wanted.set()

    def close(self) -> None:
        """Sync what is pending, stop the thread; raise what a sync raised."""
        self._closing = True
        self._wanted.set()
        self._closed.set()
        self._thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            closing = self._closing
            try:
                os.fsync(self._fd)
            except OSError as exc:  # reported to the writer at its next append, or at close
                self.error = exc
                return
            if closing:
                return
            self._closed.wait(SYNC_EVERY_SECONDS)  # what is appended meanwhile waits for one sync


def _identity(found: os.stat_result) -> tuple[int, int]:
    """Which file a stat found: its device and inode."""
    return found.st_dev, found.st_ino


def _copy_out(fd: int, path: Path) -> None:
    """Write what the open file ``fd`` holds to a new file ``path``, synced; on a failure
    (a full disk), remove what was made and raise."""
    with open(path, "xb") as out:
        try:
            offset = 0
            while chunk := os.pread(fd, 1 << 20, offset):
                out.write(chunk)
                offset += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        except OSError:
            path.unlink(missing_ok=True)
            raise


#: one encoder for every line (``json.dumps`` with options makes one a call)
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def _line(record: dict[str, Any]) -> str:
    """``record`` as one line of strict JSON; a NaN or an infinity (rare: the C encoder refuses
    it) as its name, in a string (:func:`_finite`)."""
    try:
        return _ENCODER.encode(record)
    except ValueError:
        return _ENCODER.encode(_finite(record))


def _finite(value: Any) -> Any:
    """NaN and infinities → their names as strings, so every line is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def seal_torn_tail(path: Path) -> None:
    """Before appending to a journal: end its last line, and when that line holds no record
    (torn, or NULs a crash left, with or without its newline) mark it seen, so that it stays
    skippable once records follow it."""
    number, last, ended = 0, b"", True  # the last line that is not blank, read a line at a time
    try:
        with open_journal(path) as file:
            for count, raw in enumerate(file, 1):
                if raw.strip():
                    number, last = count, raw
                ended = raw.endswith(b"\n")
    except FileNotFoundError:
        return
    tail = b"" if ended else b"\n"
    if last and parse_line(last) is None:
        tail += json.dumps({"event": "torn_line", "line": number}).encode() + b"\n"
    if not tail:
        return
    with open(path, "ab") as f:
        f.write(tail)
        f.flush()
        os.fsync(f.fileno())


def started_record(trial: Trial, pid: int | None, create_time: float | None) -> dict[str, Any]:
    return {
        "event": "trial_started",
        "id": trial.id,
        "params": trial.params,
        "internal": trial.internal,
        "pid": pid,
        "create_time": create_time,
        "started_at": trial.started_at,
    }


def finished_record(trial: Trial) -> dict[str, Any]:
    return {
        "event": "trial_finished",
        "id": trial.id,
        "state": trial.state.value,
        "loss": trial.loss,
        "metrics": trial.metrics,
        "loss_terms": trial.loss_terms,
        "metadata": trial.metadata,
        "time": trial.time,
        "cpu_time": trial.cpu_time,
        "peak_rss_mib": trial.peak_rss_mib,
        "reason": trial.reason,
        "kill_reason": trial.kill_reason,
        "kill_value": trial.kill_value,
        "exit_code": trial.exit_code,
        "attachments": list(trial.attachments),
        "ended_at": trial.ended_at,
        "step": trial.step,
    }
