"""Calls into a plugin optimizer that an interrupt does not wait for.

A plugin optimizer (``"method": "module:Class"``) is the user's code, and its ``ask`` or ``tell``
may take minutes or never return. The search calls it from its own thread, so a Ctrl-C that came
meanwhile would only be seen once the call returned: the search would hang with its trials
running. Here each call of a plugin runs in a thread of its own while the search's thread waits
for it or for an interrupt, whichever comes first. On an interrupt the call is left running
(:class:`Abandoned` is raised in the search's thread), the search stops and records its trials
as it always does, and the optimizer is not called again. The built-in methods are called
directly: their calls are bounded, and a thread per call would cost every trial.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Abandoned(Exception):
    """The search stopped waiting for an optimizer call (an interrupt came), or would have to
    call an optimizer that is still busy with such a call."""


class OptimizerRaised(Exception):
    """A KeyboardInterrupt that the optimizer's own code raised in a guarded call: it ran in a
    thread that no Ctrl-C reaches, so it is an error of the optimizer, which ends the search as
    every other error of its ``ask`` or ``tell`` does, rather than an interrupt of the search."""


class OptimizerCalls:
    """How the search calls its optimizer: directly, or, ``guarded``, in a thread of its own
    that :meth:`interrupt` stops the search from waiting for."""

    def __init__(self, guarded: bool) -> None:
        self.guarded = guarded
        #: what the optimizer was doing when it was left running (``"ask(7)"``), if it was
        self.abandoned: str | None = None
        self._interrupted = False
        self._wake = threading.Condition()

    def interrupt(self) -> None:
        """Stop waiting for the call under way, if any, and for any later one. Safe from a
        signal handler of the main thread while the search runs in another one."""
        with self._wake:
            self._interrupted = True
            self._wake.notify_all()

    def call(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)``, its result or what it raised; ``what`` names the call in
        :attr:`abandoned`. Raises Abandoned when an interrupt came first, and
        :class:`OptimizerRaised` for a KeyboardInterrupt the call raised (guarded only)."""
        if not self.guarded:
            return fn(*args)
        if self.abandoned is not None:
            raise Abandoned(self.abandoned)
        outcome: list[tuple[bool, Any]] = []

        def run() -> None:
            try:
                result: tuple[bool, Any] = (True, fn(*args))
            except BaseException as exc:  # raised again in the search's thread
                result = (False, exc)
            with self._wake:
                outcome.append(result)
                self._wake.notify_all()

        with self._wake:
            if self._interrupted:
                raise Abandoned(what)
            threading.Thread(target=run, name="hypermax-optimizer", daemon=True).start()
            while not outcome and not self._interrupted:
                self._wake.wait()
            if not outcome:
                self.abandoned = what
                raise Abandoned(what)
        returned, value = outcome[0]
        if not returned and isinstance(value, KeyboardInterrupt):
            told = str(value).strip().splitlines()
            raise OptimizerRaised(
                f"KeyboardInterrupt in {what}{': ' + told[0] if told else ''}"
            ) from value
        if not returned:
            raise value
        return value  # type: ignore[no-any-return]
