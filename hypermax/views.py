"""The derived views of a results folder (``results.csv``, ``best.json``), rewritten in a thread.

Rewriting them costs a few milliseconds and two fsyncs, and grows with the trials; the driver
must not spend that while a slot is free. :class:`ViewWriter` takes the latest finished trials
and rewrites the views in a thread of its own; what arrives while it writes replaces what waits,
so it writes at most as often as it can and always ends on the latest trials. A full disk met
by the thread is raised to the driver at its next :meth:`ViewWriter.submit` or
:meth:`ViewWriter.flush` (a full disk stops a search); any other failure is logged, once for
each file and cause (a ``best.json`` in the way would else be logged at every rewrite, all search
long); the search's end says it again (the driver's last :meth:`ViewWriter.flush`).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from hypermax import export
from hypermax.errors import is_disk_full
from hypermax.results.folder import TEMPORARY
from hypermax.trial import Trial

log = logging.getLogger("hypermax")


def view_failure(exc: OSError, folder: Path) -> tuple[str, str]:
    """The view of ``folder`` that could not be written (its path: not that of the temporary
    file it is written to first, which the user never sees), and why."""
    path = Path(os.fsdecode(exc.filename2 or exc.filename or folder / "results.csv"))
    if TEMPORARY.fullmatch(path.name):  # ".results.csv.tmp123": results.csv
        path = path.with_name(path.name[1 : path.name.rindex(".tmp")])
    return str(path), exc.strerror or str(exc)


class ViewWriter:
    """Rewrites the views of ``folder`` from the trials it was last given, in its own thread;
    :meth:`submit_due` at most every ``every`` seconds; ``params``: the flat names of the
    search's params, whose columns ``results.csv`` has in that order (see
    :class:`~hypermax.export.CsvLines`)."""

    def __init__(self, folder: Path, every: float = 0.0, params: Sequence[str] = ()) -> None:
        self.folder = folder
        self.every = every
        self._submitted = -math.inf
        self._pending: Sequence[Trial] | None = None
        self._busy = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False
        self._disk_full: OSError | None = None  # met by the thread, for the next caller
        self._said: set[str] = set()  # the failures the thread logged: each only once
        self._lines = export.CsvLines(params)  # results.csv's lines, kept between rewrites

    def idle(self) -> bool:
        """Whether nothing waits and nothing is being written."""
        with self._cond:
            return self._pending is None and not self._busy

    def submit(self, trials: Sequence[Trial]) -> None:
        """Rewrite the views from ``trials`` soon (replaces trials given before and not written).

        Raises the OSError of a full disk that an earlier write in the thread met.
        """
        with self._cond:
            self._raise_disk_full()
            if self._closing:
                return
            self._pending = trials
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="hypermax-views", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def submit_due(self, trials: Callable[[], Sequence[Trial]]) -> None:
        """:meth:`submit` the ``trials()`` when nothing is being written and the last submit
        was at least ``every`` seconds ago; else nothing (they are asked for only then)."""
        now = time.monotonic()
        if now - self._submitted >= self.every and self.idle():
            self._submitted = now
            self.submit(trials())

    def flush(self, trials: Sequence[Trial]) -> None:
        """Rewrite the views from ``trials`` now, in this thread, after any write under way."""
        with self._cond:
            self._pending = None
            while self._busy:
                self._cond.wait()
            self._raise_disk_full()
            self._busy = True
        try:
            export.write_views(self.folder, trials, self._lines)
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def close(self) -> None:
        """Stop the thread (what waits is dropped: :meth:`flush` the last trials first)."""
        with self._cond:
            self._closing = True
            self._pending = None
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        self._lines.close()

    def _raise_disk_full(self) -> None:
        """(Under the lock.) Raise, once, the full disk the thread met."""
        failure, self._disk_full = self._disk_full, None
        if failure is not None:
            raise failure

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closing and (self._pending is None or self._busy):
                    self._cond.wait()
                trials, self._pending = self._pending, None
                if self._closing or trials is None:
                    return
                self._busy = True
            try:
                export.write_views(self.folder, trials, self._lines)
            except OSError as exc:
                path, why = view_failure(exc, self.folder)
                if not is_disk_full(exc) and self._first(f"{path}: {why}"):
                    log.error(
                        "cannot rewrite results.csv and best.json: %s: %s (writing %s); said "
                        "once, the journal holds every trial",
                        type(exc).__name__,
                        why,
                        path,
                    )
                with self._cond:
                    self._disk_full = self._disk_full or (exc if is_disk_full(exc) else None)
            except Exception as exc:  # derived files: the journal holds the truth; say so, go on
                if self._first(type(exc).__name__):  # a bug: its traceback, once
                    log.exception("cannot rewrite results.csv and best.json")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _first(self, failure: str) -> bool:
        """Whether the thread meets ``failure`` (a file and why) for the first time."""
        first = failure not in self._said
        self._said.add(failure)
        return first
