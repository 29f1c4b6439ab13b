"""A trial's files: its folder with its params file, its log, and where its result lands.

:class:`TrialFiles` makes them before the trial's process starts (ahead of time, while other
trials run, when the runner can) and removes them again for a trial that never ran, so that a
results folder only ever holds trials that ran.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

from hypermax.execution.protocol import PEAK_FILE
from hypermax.execution.reports import STOP_FILE, STOPPED_FILE, VERDICTS_FILE
from hypermax.execution.trial_log import LogSink, append_note

#: in the trial's folder: its params as JSON (``HYPERMAX_PARAMS_FILE``)
PARAMS_FILE = ".hypermax_params.json"
#: in the trial's folder: where its result is written (``HYPERMAX_RESULT_FILE``)
RESULT_FILE = ".hypermax_result.json"


class TrialFiles:
    """The files of one trial.

    Args:
        trial_dir: the trial's own folder (made if missing, with its parents).
        log_path: its log, for its stdout, its stderr and hypermax's notes.
    """

    def __init__(self, trial_dir: Path, log_path: Path) -> None:
        self.trial_dir = trial_dir
        self.log_path = log_path
        #: the params as the params file holds them, once :meth:`make` wrote it
        self.params_json = "{}"
        # each made once: a path joined anew costs a trial on the way of every start and end
        self.params_file = trial_dir / PARAMS_FILE
        self.result_file = trial_dir / RESULT_FILE
        #: where a ``python_function`` trial leaves its process's peak RSS (kB)
        self.peak_file = trial_dir / PEAK_FILE

    @property
    def stop_files(self) -> tuple[Path, ...]:
        """Early stopping's files (see :mod:`.verdicts`): where it asks a ``python_function``
        trial's processes to stop, where the trial says that a report of its stopped it, and
        the count of the verdicts it was sent."""
        return tuple(self.trial_dir / name for name in (STOP_FILE, STOPPED_FILE, VERDICTS_FILE))

    def peak_mib(self) -> float | None:
        """The peak RSS the trial's process left in :attr:`peak_file`, in MiB; None without it."""
        try:
            return int(read_left_file(self.peak_file, 64) or b"") / 1024
        except (OSError, ValueError):
            return None

    def are_new(self) -> bool:
        """Whether neither the folder nor the log is there yet (nothing of another run)."""
        return not (os.path.lexists(self.trial_dir) or os.path.lexists(self.log_path))

    def are_there(self) -> bool:
        """Whether the params file and the log :meth:`make` made are still there (neither was
        removed since, nor the folders holding them)."""
        return os.path.isfile(self.params_file) and os.path.isfile(self.log_path)

    def make(self, params: dict[str, Any], again: str | None = None) -> LogSink:
        """The folder with the params file, cleared of an earlier run's result; the open log.
        ``again``: why the trial runs again, noted in its log after the earlier run's output
        (a log with output that the journal does not know of is noted too: hypermax stopped
        as that run started, before the journal had it)."""
        if not _make_dir(self.trial_dir):  # it was there: it may hold an earlier run's result
            if again is None and _has_output(self.log_path):  # a new trial's log is not looked at
                again = UNRECORDED_RUN
            _give_back(self.trial_dir)
            for path in (self.result_file, self.peak_file, *self.stop_files):
                if path.is_dir() and not path.is_symlink():  # what that run made of the name
                    shutil.rmtree(path, ignore_errors=True)
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        _make_dir(self.log_path.parent)
        self.params_json = json.dumps(params)
        with open(self.params_file, "w", encoding="utf-8") as f:
            f.write(self.params_json)
        if again is not None:
            append_note(self.log_path, f"trial {self.trial_dir.name} runs again: {again}")
        return LogSink(self.log_path)

    def remove(self) -> None:
        """Remove what :meth:`make` made (close the log first), for a trial that will not run."""
        for path in (self.params_file, self.log_path):
            with contextlib.suppress(OSError):  # gone, or its folder replaced by a file
                os.unlink(path)
        with contextlib.suppress(OSError):
            os.rmdir(self.trial_dir)

    def room_left(self) -> bool:
        """Whether the file system of the folder has a free block left (True when it cannot
        tell): a trial whose files were made before the disk filled up must not start."""
        try:
            return os.statvfs(self.trial_dir).f_bavail > 0
        except OSError:
            return True


#: why a trial whose log holds a run the journal has no start of runs again
UNRECORDED_RUN = "its last run is not in the journal (hypermax stopped as it started)"


def _has_output(log: Path) -> bool:
    try:
        return log.stat().st_size > 0
    except OSError:
        return False


class LeftFileError(OSError):
    """A file a trial left that hypermax does not read: ``str()`` says why (``is a named pipe,
    not a file``); ``size`` is its size in bytes when it is too large."""

    def __init__(self, why: str, size: int | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.size = size

    def __str__(self) -> str:
        return self.why


def read_left_file(path: Path, cap: int) -> bytes | None:
    """The bytes of the file a trial left at ``path``, None when there is none.

    A trial may leave anything under the name, so only a regular file of at most ``cap`` bytes
    is read: a named pipe is opened without waiting for a writer (which would wait forever), a
    device such as ``/dev/zero`` (a symlink to one included) would never end, and a file still
    growing is read no further than ``cap``.

    Raises:
        LeftFileError: it is a folder, a named pipe, a socket or a device, or it holds more than
            ``cap`` bytes.
    """
    from hypermax.specfile.regular_file import file_kind, open_to_read

    try:
        fd = open_to_read(path)
    except FileNotFoundError:
        return None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise LeftFileError("is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise LeftFileError(f"is {file_kind(info.st_mode)}, not a file")
        data = _read_up_to(fd, cap + 1)
        if len(data) > cap:
            raise LeftFileError(f"is larger than {cap} bytes", max(info.st_size, len(data)))
        return data
    finally:
        os.close(fd)


def _give_back(folder: Path) -> None:
    """Give the owner back the rights to a trial's folder that an earlier run of the trial took
    away (``chmod 000`` as a clean-up), so that its run again can use it; one of another owner,
    whose rights cannot be changed, is left as it is."""
    try:
        if not os.access(folder, os.R_OK | os.W_OK | os.X_OK):
            os.chmod(folder, stat.S_IMODE(os.stat(folder).st_mode) | stat.S_IRWXU)
    except OSError:
        return


def _make_dir(path: Path) -> bool:
    """Make the folder ``path`` (and its parents); whether it was made now, rather than there."""
    try:
        os.mkdir(path)
        return True
    except FileExistsError:
        if not os.path.isdir(path):
            raise
        return False
    except FileNotFoundError:
        os.makedirs(path, exist_ok=True)
        return True


def _read_up_to(fd: int, size: int) -> bytes:
    """At most ``size`` bytes from ``fd``, to its end (system calls alone: no file object)."""
    parts = []
    while size > 0:
        part = os.read(fd, size)
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)
