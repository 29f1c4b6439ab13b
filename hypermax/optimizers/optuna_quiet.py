"""Optuna kept quiet while hypermax asks it: no line per trial, no warning about experimental
options, and what it still says in hypermax's log rather than on the terminal."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

from hypermax.shared_state import changed
from hypermax.warnings_log import warnings_ignored


class _IntoHypermaxLog(logging.Handler):
    """Optuna's own warnings (a slower fallback it took, say) as lines of hypermax's log, which
    reaches the search's log file and the dashboard's status line, never over its screen."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger("hypermax").log(record.levelno, "optuna: %s", record.getMessage())


@contextlib.contextmanager
def quiet_optuna() -> Iterator[None]:
    """While inside, keep Optuna from logging a line per trial and from warning about
    experimental options; what it still says goes to hypermax's log, not to the terminal.

    Optuna's logger is left as it was found: a program that called ``hypermax.optimize`` and
    uses Optuna too keeps its logging."""
    import optuna

    def change() -> Callable[[], None]:
        own = logging.getLogger("optuna")
        level, handlers = own.level, own.handlers[:]
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        optuna.logging.disable_default_handler()  # a handler the program added stays
        own.addHandler(_IntoHypermaxLog())

        def undo() -> None:
            own.setLevel(level)
            own.handlers = handlers

        return undo

    with (
        changed("optuna's logger", change),
        warnings_ignored(
            "optuna",
            (optuna.exceptions.ExperimentalWarning, ""),
            (FutureWarning, r"optuna\..*"),
        ),
    ):
        yield
