"""When the dashboard cannot go on: the plain console reporter takes over the search's events."""

from __future__ import annotations

import logging
import sys

from hypermax import events as ev
from hypermax.ui.formatting import format_loss
from hypermax.ui.reporter import DashboardReporter, DriverDone
from hypermax.ui.state import DashboardState

log = logging.getLogger("hypermax")


def fall_back_to_console(
    exc: Exception, state: DashboardState, reporter: DashboardReporter, ran: bool
) -> DriverDone | None:
    """Say why the dashboard stopped, then hand the search's events to a console reporter.

    Args:
        exc: what ended the dashboard.
        state: what the dashboard had shown, summed up in the console's first line.
        reporter: the dashboard's reporter; from now on it forwards to the console.
        ran: whether the dashboard drew at all (``the dashboard stopped`` rather than
            ``no dashboard``).

    Returns:
        The driver's end, if it came among the events queued before the console took over.
    """
    from hypermax.ui.console import ConsoleReporter

    what = "the dashboard stopped" if ran else "no dashboard"
    print(f"hypermax: {what} ({exc}); plain output follows", file=sys.stderr)
    log.debug("dashboard failure", exc_info=exc)
    console = ConsoleReporter()
    console.total = state.iterations
    counts = state.counts()
    if state.started_at is not None:
        best = state.best
        console.handle(
            ev.Message(
                f"{counts['done']} of {state.iterations} trials done so far, best "
                + (f"{format_loss(best.loss)} (trial {best.id})" if best else "-")
            )
        )
    done = None
    for event in reporter.forward_to(console):
        if isinstance(event, DriverDone):
            done = event
        else:
            console.handle(event)
    return done
