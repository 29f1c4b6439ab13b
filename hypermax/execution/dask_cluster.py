"""The connection to a Dask cluster: connect, check it answers, keep Dask's logs off the screen."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from distributed import Client
from distributed.versions import VersionMismatchWarning, error_message

from hypermax.errors import SearchFailed, SpecError, UsageError, one_line
from hypermax.execution.dask_capacity import (
    CHECK_SECONDS,
    PAUSED,
    ask_workers,
    memory_restarts,
    offers,
    resources_text,
)
from hypermax.execution.dask_waiting import (
    QUIET_SECONDS,
    SLOW_SECONDS,
    TAKES,
    host_port,
    waiting_line,
    why_not,
)
from hypermax.execution.dask_worker import finds_module, worker_facts
from hypermax.values import quoted

if TYPE_CHECKING:
    from distributed.security import Security

    from hypermax.spec import ClusterSpec

log = logging.getLogger("hypermax")

#: how much longer than its own timeout connecting may take before hypermax gives up on it
#: (Dask bounds the connection, not the handshake after it: a port that accepts and never
#: answers in Dask's terms, a web server say, would hold it forever)
HANDSHAKE_GRACE = 1.0
#: what Dask raises, at once, for a value of its own configuration it cannot use: a time it
#: cannot read (KeyError), a timeout too low (AssertionError), a security loader it cannot
#: import, encryption it requires of a tcp:// address (RuntimeError)
CONFIGURATION_ERRORS = (KeyError, AssertionError, ImportError, RuntimeError)
#: at most this much of what Dask said goes into an error line
SAID_CHARS = 200
#: The longest the caller's wait for a connection sleeps before it looks for a Ctrl-C.
WAIT_SLICE = 0.1
#: a wait for the scheduler longer than this is said as it begins: a shorter one ends soon,
#: in an error that says why
SAID_WAIT = 1.0
#: what sets a search's wait for the scheduler
LIMIT = "cluster.lost_scheduler_wait"
#: how long one try to connect to the scheduler lasts at first (see ``_Client``): a scheduler
#: that is up answers well within it
TRY_SECONDS = 1.0
#: the pause between two tries to connect to the scheduler
RETRY_PAUSE = 0.1


def connect(
    cluster: ClusterSpec, spec_name: str, wait: float | None = None, limit: str = LIMIT
) -> Client:
    """A client of the cluster's scheduler. One that does not answer at once is waited for (a
    scheduler started a moment later, by the same job script) saying so on stderr, one line:
    ``limit`` names what sets ``wait``.

    Raises:
        SpecError: Dask cannot use the address or the TLS settings (it says so at once).
        SearchFailed: no scheduler answers within ``wait`` seconds (default
            ``cluster.lost_scheduler_wait``), or what answers is no Dask scheduler.
        UsageError: Dask refuses to connect at once (a value of its own configuration it cannot
            read, say: a ``DASK_*`` environment variable).
    """
    from distributed.security import Security

    wait = cluster.lost_scheduler_wait if wait is None else wait
    deadline, until = time.monotonic() + wait + HANDSHAKE_GRACE, time.time() + wait
    attempt = _Attempt(lambda: _client(cluster, Security, wait))
    try:
        if wait > SAID_WAIT:
            _say_waiting(attempt, cluster.scheduler, wait, until, limit)
        return attempt.result(max(0.0, deadline - time.monotonic()))
    except (ValueError, TypeError, ssl.SSLError) as exc:  # at once: settings Dask cannot use
        raise SpecError(spec_name, [_settings_problem(cluster, exc)]) from None
    except CONFIGURATION_ERRORS as exc:  # Dask refused at once: its own configuration
        said = _shortened(one_line(exc))
        raise UsageError(
            f"{spec_name}: cluster.scheduler: Dask cannot connect to {cluster.scheduler}: {said} "
            "(is Dask's own configuration right? DASK_* environment variables, ~/.config/dask)"
        ) from None
    except OSError as exc:  # no answer in time (TimeoutError, CommClosedError are OSErrors)
        why = _unresolved(cluster.scheduler) or f" ({_last_try(cluster.scheduler, exc)})"
        raise SearchFailed(
            f"{spec_name}: cluster.scheduler: no Dask scheduler answers at {cluster.scheduler} "
            f"within {wait:g} s{why}"
        ) from None
    except Exception as exc:  # an answer Dask could not read (a web server's, read as a frame)
        raise SearchFailed(
            f"{spec_name}: cluster.scheduler: something answers at {cluster.scheduler}, but not "
            f"as a Dask scheduler does ({_shortened(one_line(exc))})"
        ) from None


def _say_waiting(attempt: _Attempt, address: str, wait: float, until: float, limit: str) -> None:
    """Say on stderr, one line, that hypermax waits ``wait`` seconds (until ``until``, a
    ``time.time()``) for the scheduler at ``address``, when it did not answer at once: at once
    when nothing takes the connection there (not up yet, or a mistyped port), after
    :data:`SLOW_SECONDS` when something does (a scheduler slow to answer, as on a loaded
    machine, need not be said)."""
    if attempt.done_within(QUIET_SECONDS):
        return
    why = why_not(address)
    if why is None:
        if attempt.done_within(min(SLOW_SECONDS, wait)):
            return
        why = TAKES
    if not attempt.done_within(0):  # it may have answered during the look at its port
        print(waiting_line(address, why, wait, until, limit), file=sys.stderr, flush=True)


def _last_try(address: str, exc: OSError) -> str:
    """Why no scheduler answered: for Dask's own timeout, which it reports whatever the cause,
    what a look at the scheduler's port finds now (``connection refused: nothing listens
    there``, say); else what was raised."""
    if str(exc).startswith("Timed out trying to connect"):
        return why_not(address) or TAKES
    return one_line(exc)


def _unresolved(address: str) -> str | None:
    """``: the name HOST does not resolve (...)`` when the host of ``address`` names no
    address (a mistyped name), which Dask's wait for it only says timed out; else None."""
    place = host_port(address)
    if place is None:
        return None
    host, port = place
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f": the name {host} does not resolve ({one_line(exc)})"
    except OSError:
        return None
    return None


def _shortened(said: str) -> str:
    """What Dask said, cut to :data:`SAID_CHARS` (its list of every time unit it reads, say)."""
    return said if len(said) <= SAID_CHARS else f"{said[: SAID_CHARS - 3]}..."


def _settings_problem(cluster: ClusterSpec, exc: BaseException) -> tuple[str, str]:
    """Where and why Dask could not use the cluster's settings (it raised ``exc`` at once)."""
    said = one_line(exc)
    if isinstance(exc, TypeError) and "identity()" in said:  # it answered, refusing the call
        return "cluster.scheduler", (
            f"the Dask server at {cluster.scheduler} is not a scheduler (a worker's address?); "
            f"Dask says: {said}"
        )
    about_tls = isinstance(exc, ssl.SSLError) or (
        isinstance(exc, TypeError) and any(word in said for word in ("ssl", "TLS", "tls"))
    )
    if not about_tls:  # a ucx:// address without Dask's UCX support, say
        return "cluster.scheduler", f"Dask cannot use it: {said}"
    if not cluster.security:
        return "cluster.security", (
            f"{cluster.scheduler.partition('://')[0]}:// needs the TLS files (tls_ca_file, "
            f"tls_client_cert, tls_client_key), here or in Dask's configuration; Dask says: {said}"
        )
    if isinstance(exc, TypeError) and "ssl_context" in said:  # it made no TLS context at all
        return "cluster.security", (
            "Dask cannot use it: it makes a TLS context only from both a tls_ca_file and a "
            f"tls_client_cert (with its tls_client_key), here or in Dask's configuration; "
            f"Dask says: {said}"
        )
    return "cluster.security", f"Dask cannot use it: {said}"


def _client(cluster: ClusterSpec, security_type: type[Security], wait: float) -> Client:
    security = security_type(**cluster.security) if cluster.security else None
    return _Client(
        cluster.scheduler, security=security, timeout=wait, set_as_default=False, name="hypermax"
    )


class _Client(Client):
    """A Client that, when it cannot start (an address Dask cannot parse, TLS settings it
    cannot use), leaves nothing for the interpreter's exit: Dask's own half-made client closes
    itself as it is collected, waiting twice the connect timeout for an event loop that
    never answers, and then prints a traceback."""

    def start(self, **kwargs: Any) -> None:
        try:
            super().start(**kwargs)
        except BaseException:
            self.status = "closed"  # what failed to open needs no closing
            with contextlib.suppress(Exception):
                self._loop_runner.stop()
            raise

    async def _ensure_connected(self, timeout: float | None = None) -> None:
        """Dask's connection to the scheduler (as the client starts, and again once it lost
        it), in tries of :data:`TRY_SECONDS` until ``timeout``: Dask tries for the whole
        ``timeout`` at once, backing off between its attempts ever longer, up to what time is
        left (5 s and more once the scheduler was away for 5 s), so a scheduler started again
        was answered 5-15 s late. A try whose handshake timed out (an answer slower than
        that: a loaded machine, a slow network) is followed by one that lasts all the time
        left, as Dask's own: tries that time out again and again would only start anew."""
        if timeout is None:
            return await super()._ensure_connected(timeout=timeout)
        from distributed.comm.core import FatalCommClosedError

        deadline = time.monotonic() + timeout
        try_for = TRY_SECONDS
        while True:
            began = time.monotonic()
            try:
                return await super()._ensure_connected(timeout=min(deadline - began, try_for))
            except (ssl.SSLError, FatalCommClosedError):  # no try does better
                raise
            except OSError as exc:
                if self.status != "connecting" or time.monotonic() + RETRY_PAUSE >= deadline:
                    raise
                if _too_slow(exc):
                    try_for = timeout
            await asyncio.sleep(RETRY_PAUSE)


def _too_slow(exc: OSError) -> bool:
    """Whether a try to connect failed for want of time: the handshake after the connection
    timed out. Dask's "Timed out trying to connect" says no connection was made within the try
    (the scheduler refused them, or its last attempt was cut short as the try ended)."""
    return isinstance(exc, TimeoutError)


class _Attempt:
    """Connecting in a thread of its own, which the caller waits for: a Ctrl-C while the
    scheduler does not answer (a wrong address, a cluster still starting) then ends the wait
    at once. Connecting in the caller's thread, the interrupt left a half-made Client whose
    clean-up blocked the interpreter's exit until Dask's own timeout."""

    def __init__(self, make: Callable[[], Client]) -> None:
        self._make = make
        self._done = threading.Event()
        self._client: Client | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._run, name="hypermax-dask-connect", daemon=True).start()

    def _run(self) -> None:
        try:
            self._client = self._make()
        except BaseException as exc:  # handed to the waiting thread
            self._error = exc
        finally:
            self._done.set()

    def done_within(self, timeout: float) -> bool:
        """Whether connecting ended (either way) within ``timeout`` seconds; waits in short
        slices, as :meth:`result` does, so that a Ctrl-C ends the wait at once."""
        deadline = time.monotonic() + timeout
        while not self._done.wait(min(WAIT_SLICE, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                return False
        return True

    def result(self, timeout: float) -> Client:
        """The client, once connected; raises what connecting raised (KeyboardInterrupt
        from this thread's wait included), or TimeoutError after ``timeout`` seconds.

        The wait is cut in short slices: a Ctrl-C that the kernel hands to another thread (Dask's
        event loop, the connecting one) only wakes that thread, and the main thread sees it
        when it next wakes; one long wait would hold it for the whole ``timeout``."""
        deadline = time.monotonic() + timeout
        while not self._done.wait(min(WAIT_SLICE, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    "something takes connections there but does not answer as a Dask scheduler "
                    "does: a scheduler that hangs (stopped, overloaded), or another server"
                )
        if self._error is not None:
            raise self._error
        assert self._client is not None
        return self._client


def dask_logs_to_hypermax() -> None:
    """From now on, Dask's warnings go to hypermax's log (``logs/hypermax.log`` during a search)
    instead of the terminal, which the dashboard owns. Dask logs even after its client closed
    (a reconnect giving up), so this is never undone. The table of versions that differ, which
    Dask's client warns of as it connects (and reconnects), is ``validate --connect``'s to show
    (:func:`check_cluster`)."""
    warnings.filterwarnings("ignore", category=VersionMismatchWarning)
    dask_loggers = [n for n in logging.root.manager.loggerDict if n.startswith("distributed.")]
    for name in ("distributed", *dask_loggers):
        logger = logging.getLogger(name)
        own = [handler for handler in logger.handlers if not isinstance(handler, _Forward)]
        for handler in own:
            logger.removeHandler(handler)
        if own:  # a logger Dask set up (they do not propagate): forward its warnings
            logger.addHandler(_Forward(logging.WARNING))


class _Forward(logging.Handler):
    """Hands Dask's records to hypermax's logger, while it has somewhere to write them: outside
    a search (``validate --connect``, a connection that failed), Python's last-resort handler
    would print them over the terminal (a failed connection's "Closing dangling stream", which
    Dask logs as the interpreter exits)."""

    def emit(self, record: logging.LogRecord) -> None:
        if log.hasHandlers():
            log.handle(record)


def check_cluster(cluster: ClusterSpec, spec_name: str, module: str | None = None) -> list[str]:
    """What ``hypermax validate --connect`` says of the cluster: it answers, and its workers.
    ``module``: the function's module, when it is the workers' to have (not found here).

    Raises:
        SearchFailed: no scheduler answers, or a worker cannot run hypermax's tasks (hypermax
            missing there, or another version of it), or cannot import ``module``.
    """
    from hypermax import __version__

    dask_logs_to_hypermax()
    wait = min(CHECK_SECONDS, cluster.lost_scheduler_wait)
    most = f"hypermax validate --connect waits {CHECK_SECONDS:g} s at most"
    client = connect(cluster, spec_name, wait, LIMIT if wait < CHECK_SECONDS else most)
    try:
        threads = client.nthreads()
        facts: dict[str, Any] = client.sync(ask_workers, client, worker_facts, threads, wait)
        same = [a for a, f in facts.items() if isinstance(f, dict) and f["hypermax"] == __version__]
        if module is not None and same:  # asked of those that run this hypermax only
            found = client.sync(ask_workers, client, finds_module, same, wait, module)
            for address in same:
                facts[address]["module"] = found[address]
        silent = sorted(address for address, fact in facts.items() if fact is None)
        if silent:  # Dask's version check would wait for them for ever
            raise SearchFailed(
                "\n".join(
                    f"{spec_name}: cluster: worker {address} does not answer within {wait:g} s"
                    for address in silent
                )
            )
        versions: Any = client.get_versions()  # a dict, from a client that is not asynchronous
        restarts = memory_restarts(client)
    finally:
        client.close(timeout=5)
    total = sum(threads.values())
    from hypermax.ui.formatting import counted

    workers = f"{counted(len(threads), 'worker')}, {counted(total, 'thread')}"
    lines = [f"{cluster.scheduler}: answers; {workers}"]
    differ = error_message(versions["scheduler"], versions["workers"], versions["client"])
    if differ["warning"]:
        lines.append("Dask's versions differ between this machine, the scheduler and the workers:")
        lines.extend(line for line in differ["warning"].splitlines() if line.startswith(("+", "|")))
    if cluster.resources:
        wanted = cluster.resources
        offering = [
            address
            for address, fact in facts.items()
            if isinstance(fact, dict) and offers(fact["resources"], wanted)
        ]
        shown = resources_text(wanted)
        lines.append(f"{len(offering)} of them offer the resources each trial holds ({shown})")
    for address, fact in sorted(facts.items()):
        if isinstance(fact, dict) and fact.get("status") == "paused":
            lines.append(f"worker {address} is {PAUSED}: it takes no trial until it goes on")
    lines.extend(f"{restart}: it never stays" for restart in restarts)
    problems = []
    for address, fact in sorted(facts.items()):
        if isinstance(fact, BaseException):
            problems.append(f"worker {address} cannot run hypermax's tasks: {one_line(fact)}")
        elif fact["hypermax"] != __version__:
            problems.append(
                f"worker {address} runs hypermax {fact['hypermax']}, this machine {__version__}"
            )
        elif fact.get("module") is False:
            shown = quoted(module or "")
            problems.append(
                f"worker {address} cannot import the function's module {shown}: install it there"
            )
    if problems:
        raise SearchFailed("\n".join(f"{spec_name}: cluster: {problem}" for problem in problems))
    return lines


#: what a paused worker is
