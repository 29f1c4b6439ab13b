"""Python's warnings, raised while a search runs, as lines of hypermax's log."""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hypermax.shared_state import changed


@contextlib.contextmanager
def warnings_logged(logger: logging.Logger) -> Iterator[None]:
    """While inside, a warning Python shows (a library's numeric overflow, say: once per place
    under Python's default filters) is a warning of ``logger`` instead, one line naming its
    category and the file it came from, so that it reaches wherever the log goes (the results
    folder's log; the dashboard's status line, rather than over its screen)."""

    def log_warning(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        where = f"{Path(filename).parent.name}/{Path(filename).name}:{lineno}"
        logger.warning("%s: %s (%s)", category.__name__, message, where)

    def change() -> Callable[[], None]:
        shown = warnings.showwarning
        warnings.showwarning = log_warning

        def undo() -> None:
            warnings.showwarning = shown

        return undo

    with changed("warnings.showwarning", change):
        yield


@contextlib.contextmanager
def warnings_ignored(key: str, *ignored: tuple[type[Warning], str]) -> Iterator[None]:
    """While inside, Python ignores the warnings of each ``(category, module)`` (a regular
    expression of the module the warning is attributed to; ``""``: any).

    ``warnings.catch_warnings`` saves the whole list of filters and puts it back when it leaves,
    for the whole process: a filter that another thread of a program that called
    ``hypermax.optimize`` set meanwhile (``simplefilter("error")``) was undone. These filters
    are added by the first thread to enter (shared under ``key``: see
    :func:`~hypermax.shared_state.changed`) and only they are taken out by the last to leave.
    One the program had already is left as it was."""

    def change() -> Callable[[], None]:
        added = []
        filters = _filters()
        for category, module in ignored:
            item = ("ignore", None, category, re.compile(module) if module else None, 0)
            if item not in filters:
                filters.insert(0, item)
                added.append(item)
        warnings._filters_mutated()  # type: ignore[attr-defined]

        def undo() -> None:
            for item in added:
                with contextlib.suppress(ValueError):  # warnings.resetwarnings() took it
                    _filters().remove(item)
            warnings._filters_mutated()  # type: ignore[attr-defined]

        return undo

    with changed(f"warnings ignored: {key}", change):
        yield


def _filters() -> list[Any]:
    """Python's list of warning filters (``catch_warnings`` puts another in its place)."""
    return warnings.filters  # type: ignore[return-value] # typed a Sequence; it is a list
