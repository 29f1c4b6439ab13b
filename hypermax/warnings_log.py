"""Python's warnings, raised while a search runs, as lines of hypermax's log."""

from __future__ import annotations

import contextlib
import logging
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
