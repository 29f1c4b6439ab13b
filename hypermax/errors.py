"""Errors a user can cause, and the exit code each one maps to."""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_SEARCH_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class HypermaxError(Exception):
    """Base of every error hypermax reports as one line instead of a traceback."""

    exit_code = EXIT_SEARCH_FAILED


class UsageError(HypermaxError):
    """Bad command-line arguments."""

    exit_code = EXIT_BAD_INPUT


class SpecError(HypermaxError):
    """A search spec that cannot be used; one ``file: json.path: message`` line per problem."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, file: str, problems: Sequence[tuple[str, str]]) -> None:
        self.file = file
        self.problems = list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        out = []
        for path, message in self.problems:
            out.append(f"{self.file}: {path}: {message}" if path else f"{self.file}: {message}")
        return out


class ResultsError(HypermaxError):
    """A results folder that cannot be used (locked, damaged, from another search)."""

    exit_code = EXIT_BAD_INPUT


class SearchFailed(HypermaxError):
    """The search could not go on (for example every trial failed to start)."""

    exit_code = EXIT_SEARCH_FAILED


def one_line(exc: BaseException) -> str:
    """``Type: first line of the message``, for errors that come from code hypermax runs."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def unexpected(exc: BaseException) -> str:
    """One line for an error hypermax did not foresee (a bug, or a plugin's); ``--debug`` shows
    the traceback."""
    return f"unexpected error: {one_line(exc)} (run with --debug for the traceback)"
