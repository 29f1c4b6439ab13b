"""Errors a user can cause, and the exit code each one maps to."""

from __future__ import annotations

import contextlib
import errno
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from hypermax.entry import EXIT_INTERRUPTED as EXIT_INTERRUPTED  # the program's first module

EXIT_OK = 0
EXIT_SEARCH_FAILED = 1
EXIT_BAD_INPUT = 2


class SentWhole:
    """Mixed into an exception whose ``__init__`` takes other values than its message: it is
    pickled with its message and attributes as they are, where Python's own pickling would
    call ``__init__`` again with the message alone, and fail. A process pool (and ``copy``)
    must carry a search's error back whole (``SpecError``, with its problems, and not a
    ``BrokenProcessPool``)."""

    args: tuple[object, ...]

    def __reduce__(self) -> tuple[object, ...]:
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(
    cls: type[BaseException], args: tuple[object, ...], state: dict[str, object]
) -> object:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class HypermaxError(SentWhole, Exception):
    """Base of every error hypermax reports as one line instead of a traceback."""

    exit_code = EXIT_SEARCH_FAILED


class UsageError(HypermaxError):
    """Bad command-line arguments."""

    exit_code = EXIT_BAD_INPUT


#: control characters, as the escapes Python writes them with (``\n``, ``\x1b``)
_ESCAPES = {code: repr(chr(code))[1:-1] for code in (*range(0x20), *range(0x7F, 0xA0))}


def printable(text: str) -> str:
    """``text`` with its control characters written as escapes (a newline as ``\\n``): it
    stays on one line and cannot steer the terminal."""
    return text.translate(_ESCAPES)


def current_folder(who: str, then: str = "") -> Path:
    """The current folder; a UsageError from ``who`` when it was removed (a shell still in it,
    a notebook whose folder went): what it would write or run there has nowhere to go."""
    try:
        return Path.cwd()
    except FileNotFoundError:
        raise UsageError(
            f"{who}: the current folder no longer exists (it was removed): change to one that "
            f"does{then}"
        ) from None


def shown_file(path: str | os.PathLike[str]) -> str:
    """How an error names a file (a spec, a file its ``$ref``s name, a frozen spec): its path
    from the current folder when it is in it or below (``search.json``, ``sub/search.json``),
    else its absolute path, ``..`` parts folded (as compilers name files, so two files of one
    name in two folders read apart). ``-`` (stdin) stays ``-``."""
    text = os.fspath(path)
    if text == "-":
        return text
    try:
        here = os.getcwd()
    except OSError:  # the current folder was removed: only the absolute path names the file
        return os.path.normpath(os.path.abspath(text)) if os.path.isabs(text) else text
    full = os.path.normpath(os.path.join(here, text))
    if full == here:
        return "."
    if full.startswith(here.rstrip(os.sep) + os.sep):
        return os.path.relpath(full, here)
    return full


class SpecError(HypermaxError):
    """A search spec that cannot be used; one ``file: json.path: message`` line per problem
    (a control character, a newline in a param's name, as its escape)."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, file: str, problems: Sequence[tuple[str, str]]) -> None:
        self.file = file
        self.problems = list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        out = []
        file = printable(self.file)
        for path, message in self.problems:
            path, message = printable(path), printable(message)
            out.append(f"{file}: {path}: {message}" if path else f"{file}: {message}")
        return out


class ResultsError(HypermaxError):
    """A results folder that cannot be used (locked, damaged, from another search): one line,
    a newline in a folder's or a file's name as its escape."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(printable(message))


class SearchFailed(HypermaxError):
    """The search could not go on (for example every trial failed to start)."""

    exit_code = EXIT_SEARCH_FAILED


#: the errors of a full disk, or of a full quota on it
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or the user's quota on it) is full."""
    return isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS


class DiskFull(HypermaxError):
    """The results folder's disk filled up. What was written is intact; the search resumes.

    Exit code 1, like any search that could not go on.
    """

    exit_code = EXIT_SEARCH_FAILED

    def __init__(self, folder: Path, error: OSError) -> None:
        import shutil

        self.folder = folder
        self.error = error
        try:
            free = f"{_size(shutil.disk_usage(folder).free)} free there"
        except OSError:
            free = "free space unknown"
        what = "disk quota exceeded" if error.errno == errno.EDQUOT else "no space left on device"
        super().__init__(
            f"hypermax: {what} in {folder} ({free}); free some space, then run the same "
            "command again to resume"
        )


#: the errors of a process (EMFILE) or of the whole system (ENFILE) out of file descriptors
OUT_OF_FILES_ERRNOS = (errno.EMFILE, errno.ENFILE)


def is_out_of_files(exc: BaseException) -> bool:
    """Whether ``exc`` says no file descriptor is left (``ulimit -n``, or the system's)."""
    return isinstance(exc, OSError) and exc.errno in OUT_OF_FILES_ERRNOS


class OutOfFiles(HypermaxError):
    """No file descriptor was left to start a trial: the search stopped as for a full disk
    (running trials recorded ``interrupted``, every finished one in the journal) and resumes.

    Exit code 1, like any search that could not go on.
    """

    exit_code = EXIT_SEARCH_FAILED

    def __init__(self, error: OSError, parallel: int) -> None:
        import resource

        self.error = error
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if error.errno == errno.ENFILE:
            what = "the system ran out of open files"
        else:
            what = f"too many open files (ulimit -n is {soft})"
        super().__init__(
            f"hypermax: {what} to run {parallel} trials at once; raise the limit "
            "(ulimit -n) or lower function.parallel, then run the same command again to resume"
        )


def _size(count: int) -> str:
    """``512 bytes``, ``12.0 KiB``, ``3.4 GiB``."""
    if count < 1024:
        return f"{count} bytes"
    value, units = count / 1024, ["KiB", "MiB", "GiB", "TiB"]
    while value >= 1024 and len(units) > 1:
        value, units = value / 1024, units[1:]
    return f"{value:.1f} {units[0]}"


def one_line(exc: BaseException) -> str:
    """``Type: first line of the message``, for errors that come from code hypermax runs."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


#: where a search keeps its own log (warnings, and the traceback of an unforeseen error)
HYPERMAX_LOG = "hypermax.log"


#: the folder of hypermax's own code: a warning raised there is one of hypermax's
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


@contextlib.contextmanager
def own_warnings_in_one_line() -> Iterator[None]:
    """While inside, a warning raised in hypermax's own code (a torn journal line skipped, a
    glyph a chart's font lacks) is shown as one line, ``hypermax: warning: ...``, rather than
    with the file and line of hypermax that raised it; any other as it was shown before."""
    from hypermax.shared_state import changed

    def change() -> Callable[[], None]:
        shown = warnings.formatwarning

        def one_line(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            line: str | None = None,
        ) -> str:
            if filename.startswith(_PACKAGE):
                return f"hypermax: warning: {message}\n"
            return shown(message, category, filename, lineno, line)

        def undo() -> None:
            warnings.formatwarning = shown

        warnings.formatwarning = one_line
        return undo

    with changed("warnings.formatwarning", change):
        yield


class Crashed(SentWhole, Exception):
    """An error nobody foresaw ended a search; its traceback was saved to ``log``."""

    def __init__(self, error: BaseException, log: Path) -> None:
        super().__init__(str(error))
        self.error = error
        self.log = log


def save_traceback(exc: BaseException, folder: Path | None = None) -> Path:
    """Append ``exc``'s traceback to ``folder/hypermax.log`` and return that file's path.

    Without a folder, or when it cannot be written, the traceback goes to a new file in the
    temporary folder instead.
    """
    import datetime
    import tempfile
    import traceback

    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    text = f"{stamp} unexpected error\n{''.join(traceback.format_exception(exc))}\n"
    if folder is not None:
        path = folder / HYPERMAX_LOG
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as f:
                f.write(text)
            return path
        except OSError:
            pass
    with tempfile.NamedTemporaryFile(
        "w", prefix="hypermax-", suffix=".log", delete=False, encoding="utf-8"
    ) as handle:
        handle.write(text)
    return Path(handle.name)


def unexpected(exc: BaseException, log: Path) -> str:
    """One line for an error hypermax did not foresee (a bug, or a plugin's), naming the file
    that holds its traceback."""
    return f"unexpected error: {one_line(exc)} (traceback in {printable(str(log))})"
