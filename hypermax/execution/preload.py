"""Fork ``python_function`` trials from a preloaded server: a trial costs a fork, not an
interpreter start plus the objective's imports.

:class:`PreloadLauncher` is a :class:`~hypermax.execution.launch.Launcher`. On the first trial it
starts one server process (:mod:`.forkserver`) that imports the objective's module, and asks it
for every trial after that; each forked trial is a process of its own, in its own session, with
its own folder, log pipes, environment and lifeline, watched and killed like any other. The
server reaps the trials and reports how each ended, which :meth:`_Forked.wait` returns.

Whatever cannot be forked starts fresh, as the
:class:`~hypermax.execution.launch.SubprocessLauncher` starts it: executables, a module that
fails to import in the server (each trial then fails with the error in its own log, exactly as
without preload), one that is unsafe to fork (it started threads, initialised CUDA or ran an
OpenMP region when imported). A server that dies is replaced by a new one at the next trial
(the trials it was running die with it: they are tied to it by the parent-death signal; they
end with ``ExitStatus.lost`` set to :data:`SERVER_DIED` and how the server ended, and are
recorded ``interrupted``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import itertools
import logging
import marshal
import os
import queue
import select
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

import psutil

from hypermax import system_text
from hypermax.execution import forked_environ, forkserver, procfs, protocol, spawn
from hypermax.execution.launch import (
    ExitStatus,
    LaunchedProcess,
    Launcher,
    LaunchError,
    LaunchInterrupted,
    LaunchRequest,
    SubprocessLauncher,
)
from hypermax.execution.outcome import exit_text
from hypermax.execution.reap import wait_ended
from hypermax.execution.tether import child_setup

log = logging.getLogger("hypermax")

#: how long a server may take to import the objective, without a time limit in the spec
START_TIMEOUT = 300.0
#: how long a running server may take to answer a fork
FORK_TIMEOUT = 30.0
#: how often the reader, with nothing to read, looks for requests a spare took too long to answer
OVERDUE_CHECK = 1.0
#: why a trial that ran when its server died (killed from outside: the out-of-memory killer, a
#: ``kill``) is ``interrupted``: the parent-death signal took it along, through no doing of its own
SERVER_DIED = "lost with its preload server, which died while the trial ran"
#: servers that may die during one search before its trials start fresh for good
MAX_RESTARTS = 3
#: how often a server's start (the objective's import) looks whether the search was interrupted
INTERRUPT_CHECK = 0.1
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ServerFailed(Exception):
    """The server could not load the objective, or is unsafe to fork; the message says why."""


class _ServerGone(Exception):
    """The server died, or stopped answering."""


class PreloadLauncher(Launcher):
    """Forks each ``python_function`` trial from a server that imported its objective once.

    Args:
        cwd: where the server imports the objective (the spec's ``cwd``, else its folder).
        start_timeout: how long the server may take to import it; then trials start fresh.
        fresh: starts what is not forked (default: a fresh process each).
    """

    def __init__(
        self, cwd: str, start_timeout: float = START_TIMEOUT, fresh: Launcher | None = None
    ) -> None:
        self.cwd = cwd
        self.start_timeout = start_timeout
        self.fresh = fresh or SubprocessLauncher()
        self._servers: dict[tuple[str, ...], _Server] = {}
        self._refused: dict[tuple[str, ...], str] = {}
        self._restarts = 0
        self._lock = threading.Lock()

    def launch(self, request: LaunchRequest) -> LaunchedProcess:
        """Fork the trial from its server (started on first use); start it fresh otherwise."""
        options = served_options(request.argv)
        if options is None:
            return self.fresh.launch(request)
        with self._lock:
            for _ in range(2):  # a dead server is replaced once per trial
                server = self._server(options, request)
                if server is None:
                    break
                try:
                    return server.fork(request)
                except _ServerGone:
                    continue
                except _TooLarge:
                    break
        return self.fresh.launch(request)

    def refusals(self) -> list[str]:
        """Why trials start fresh instead of forked: one reason per objective refused."""
        with self._lock:
            return list(self._refused.values())

    def server_pids(self) -> list[int]:
        """The pids of the live servers."""
        with self._lock:
            return [s.pid for s in self._servers.values() if s.alive]

    def close(self) -> None:
        """Stop every server (call once every trial has ended) and the fresh launcher."""
        with self._lock:
            servers = list(self._servers.values())
            self._servers.clear()
        for server in servers:
            server.close()
        self.fresh.close()

    def _server(self, options: tuple[str, ...], request: LaunchRequest) -> _Server | None:
        server = self._servers.get(options)
        if server is not None and server.alive:
            return server
        if server is not None:
            self._servers.pop(options)
            code = server.close()
            self._restarts += 1
            log.warning("the preloaded trial server ended (exit code %s); starting another", code)
            if self._restarts > MAX_RESTARTS:
                self._refused[options] = why = f"the server died {self._restarts} times"
                self.say(f"preload: {why}; every trial starts a fresh process")
        if options in self._refused:
            return None
        try:
            server = _Server(
                options, request.env, self.cwd, self.start_timeout, lambda: self.interrupted
            )
        except ServerFailed as exc:
            self._refused[options] = str(exc)
            self.say(f"preload: {exc}; every trial starts a fresh process")
            return None
        self._servers[options] = server
        return server


def _messages(data: bytes) -> tuple[dict[str, Any], ...]:
    """The messages of one packet of the server: dicts, marshalled (the server runs this
    interpreter)."""
    messages = marshal.loads(data)
    if not isinstance(messages, tuple) or not all(isinstance(m, dict) for m in messages):
        raise ValueError(f"not a packet of the trial server: {data[:80]!r}")
    return messages


def served_options(argv: tuple[str, ...]) -> tuple[str, ...] | None:
    """The child bootstrap's options of a ``python_function`` trial's command; None for others."""
    if len(argv) > 3 and argv[1:3] == protocol.CHILD_ARGS:
        return tuple(argv[3:])
    return None


class _TooLarge(Exception):
    """The trial's request does not fit in one message to the server."""


class _Forked(LaunchedProcess):
    """A trial forked by the server; the server reports how it ended, the trial itself sends
    its result (when small) over a socket of its own: a result sent before the server died
    counts, as one written to the file does."""

    def __init__(self, pid: int, create_time: float) -> None:
        super().__init__(pid, create_time)
        self._ended = threading.Event()
        self._status = ExitStatus()
        self._channel: socket.socket | None = None  # hypermax's end of the trial's socket
        self._result: bytes | None = None
        self._result_lock = threading.Lock()

    def end(self, status: ExitStatus) -> None:
        self._status = status
        self._ended.set()

    def hear_result(self, channel: socket.socket) -> None:
        """``channel``: hypermax's end (non-blocking) of the socket the trial sends its result
        on."""
        self._channel = channel

    def sent_result(self) -> bytes | None:
        """The result the trial sent (one packet, read whole), or None: not sent (yet)."""
        with self._result_lock:
            if self._result is None and self._channel is not None:
                with contextlib.suppress(OSError):  # BlockingIOError: nothing sent yet
                    self._result = self._channel.recv(protocol.RESULT_PACKET_MAX + 1) or None
            return self._result

    def wait(self) -> ExitStatus:
        """Block until the server reaped the trial (all None if the server died first); the
        result it sent goes with how it ended."""
        self._ended.wait()
        result = self.sent_result()
        with self._result_lock:
            channel, self._channel = self._channel, None
        if channel is not None:
            channel.close()
        return self._status if result is None else dataclasses.replace(self._status, result=result)


class _Server:
    """One server process, the socket to it, and a thread that reads what it reports."""

    def __init__(
        self,
        options: tuple[str, ...],
        env: dict[str, str],
        cwd: str,
        timeout: float,
        interrupted: Callable[[], bool] = lambda: False,
    ) -> None:
        try:  # what the server prints
            self._output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        except OSError as exc:  # no temporary folder can be written
            raise ServerFailed(f"cannot start the trial server: {exc}") from exc
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # the server's lifeline: when hypermax dies, the kernel kills the server's process
        # group, what its import started included (the parent-death signal is not inherited)
        life_read, self._lifeline = os.pipe()
        argv = [*spawn.helper_argv("hypermax.execution.forkserver", "main"), "--socket"]
        try:
            self.process = subprocess.Popen(
                [*argv, str(theirs.fileno()), *options],
                cwd=cwd,
                env=system_text.os_environ(forked_environ.server_environment(env)),
                stdin=subprocess.DEVNULL,
                stdout=self._output,
                stderr=self._output,
                pass_fds=(theirs.fileno(), life_read),
                start_new_session=True,
                preexec_fn=child_setup(os.getpid(), life_read),
            )
        except OSError as exc:
            self._sock.close()
            os.close(self._lifeline)
            self._output.close()
            raise ServerFailed(f"cannot start the trial server: {exc}") from exc
        finally:
            theirs.close()
            os.close(life_read)
        self.pid = self.process.pid
        self._env = forked_environ.server_environment(env)  # what each request's env differs from
        self.alive = True
        self._boot_time = psutil.boot_time()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._waiting: dict[int, queue.SimpleQueue[Any]] = {}
        self._forked: dict[int, _Forked] = {}
        self._spare: tuple[int, float] | None = None  # the server's spare: pid, create time
        self._unanswered = 0  # requests sent whose reply was not read yet
        self._sent_to_spare: dict[int, _Forked] = {}  # request id → the spare it went to
        self._sent_at: dict[int, float] = {}  # request id → when it went to a spare
        self._await_ready(timeout, interrupted)
        self._reader = threading.Thread(target=self._read, name="hypermax-preload", daemon=True)
        self._reader.start()

    def _await_ready(self, timeout: float, interrupted: Callable[[], bool]) -> None:
        """Wait for the server's first message, which says whether it loaded the objective;
        an interrupted search stops waiting (and the server) within :data:`INTERRUPT_CHECK`."""
        deadline = time.monotonic() + timeout
        first = b""
        while True:
            if interrupted():
                with contextlib.suppress(OSError):  # it may be in the middle of a long import
                    os.killpg(self.pid, signal.SIGKILL)  # what the import started goes too
                self.close()
                raise LaunchInterrupted("the search was interrupted while the objective loaded")
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                raise ServerFailed(f"the objective took over {timeout:g} s to import")
            readable, _, _ = select.select([self._sock], [], [], min(left, INTERRUPT_CHECK))
            if readable:
                with contextlib.suppress(OSError):
                    first = self._sock.recv(65536)
                break
        message = _messages(first)[0] if first else {}
        if "ready" not in message:
            output = self._output_so_far()  # close() closes the file it is in
            code = self.close()
            ended = "it ended" if code is None else exit_text(code, output)
            why = message.get("failed") or f"the server exited: {ended}"
            raise ServerFailed(f"cannot preload the objective: {why}")
        self._spare = self._announced(message)

    def _output_so_far(self) -> bytes:
        """What the server printed while it loaded the objective."""
        with contextlib.suppress(OSError):
            self._output.seek(0)
            return self._output.read()
        return b""

    def fork(self, request: LaunchRequest) -> _Forked:
        """Have the server fork the trial; its process, which hears the result the trial sends
        on a socket that goes with the request (:func:`.child.run_trial`)."""
        try:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        except OSError as exc:
            raise LaunchError(f"cannot start the trial: {exc}") from exc
        ours.setblocking(False)
        try:
            process = self._fork(request, theirs.fileno())
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        process.hear_result(ours)
        return process

    def _fork(self, request: LaunchRequest, result_socket: int) -> _Forked:
        """Have the server fork the trial, with ``result_socket`` for its result; its process.

        When the server named its spare (the process the request goes to) in its last reply,
        and no request went since, the trial's process is that spare, known without waiting
        for the reply; should the reply say that the spare did not take the request, the
        process ends with nothing known of how. Else, its process once the server answered.
        """
        replies: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # the server reads the head, and passes the rest to the trial's process unread
        body = forkserver.request_trial(self._env, request.env, request.cwd)
        with self._lock:
            if not self.alive:
                raise _ServerGone
            trial = next(self._ids)
            spare = self._spare
            data = forkserver.request_head(trial, spare[0] if spare else None) + body
            fds = [request.stdout, request.stderr, request.lifeline, result_socket]
            try:
                socket.send_fds(self._sock, [data], fds)
            except OSError as exc:
                if exc.errno == errno.EMSGSIZE:
                    raise _TooLarge from exc
                raise _ServerGone from exc
            self._unanswered += 1
            self._spare = None
            if spare is not None:
                process = self._forked[spare[0]] = self._sent_to_spare[trial] = _Forked(*spare)
                self._sent_at[trial] = time.monotonic()
                return process
            self._waiting[trial] = replies
        try:
            reply = replies.get(timeout=FORK_TIMEOUT)
        except queue.Empty:
            self.process.kill()
            raise _ServerGone from None
        if isinstance(reply, _ServerGone | LaunchError):
            raise reply
        assert isinstance(reply, _Forked)
        return reply

    def close(self) -> int | None:
        """Stop the server (it exits when its socket closes), what its import started (its
        process group: the trials lead sessions of their own) and the reader; its exit code."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        code = wait_ended(self.process, 5)
        if code is None:
            self.process.kill()
            code = self.process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.close(self._lifeline)
        reader = getattr(self, "_reader", None)
        if reader is not None and reader is not threading.current_thread():
            reader.join()
        self._sock.close()
        self._output.close()
        return code

    # -- the reader thread ----------------------------------------------------------------------
    def _read(self) -> None:
        while True:
            readable, _, _ = select.select([self._sock], [], [], OVERDUE_CHECK)
            if not readable:
                self._kill_if_overdue()
                continue
            try:
                data = self._sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            for message in _messages(data):  # in the order they were written
                self._dispatch(message)
        with self._lock:
            self.alive = False
            waiting, self._waiting = self._waiting, {}
            forked, self._forked = self._forked, {}
            self._sent_to_spare.clear()
            self._sent_at.clear()
        for replies in waiting.values():
            replies.put(_ServerGone())
        if forked:  # the server died with trials running: they went with it
            lost = self._died_text()
            for process in forked.values():
                process.end(ExitStatus(lost=lost))  # how each died with its server: not known

    def _died_text(self) -> str:
        """Why the trials a dead server ran ended: :data:`SERVER_DIED`, and how it ended."""
        code = wait_ended(self.process, 1)  # its socket closed as it exited: it is ending
        return SERVER_DIED if code is None else f"{SERVER_DIED} ({exit_text(code, b'')})"

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "exit" in message:
            with self._lock:
                process = self._forked.pop(message["exit"], None)
                if self._spare is not None and self._spare[0] == message["exit"]:
                    self._spare = None  # it died before a trial went to it
            if process is not None:
                rss_kib, cpu = message.get("maxrss_kib"), message.get("cpu")
                process.end(ExitStatus(message.get("code"), rss_kib and rss_kib / 1024, cpu))
            return
        missed: _Forked | None = None
        with self._lock:
            self._unanswered -= 1
            if self._unanswered == 0:  # no later request took the spare this reply names
                self._spare = self._announced(message)
            trial = message.get("id", -1)
            sent = self._sent_to_spare.pop(trial, None)
            self._sent_at.pop(trial, None)
            if sent is not None:
                if message.get("pid") != sent.pid:  # the spare did not take the trial
                    missed = self._forked.pop(sent.pid, None)
            else:
                replies = self._waiting.pop(trial, None)
                if replies is None:
                    return
                if "pid" not in message:
                    replies.put(LaunchError(str(message.get("error", "the server said no"))))
                    return
                pid = int(message["pid"])
                process = self._forked[pid] = _Forked(pid, self._created(pid, message.get("start")))
                replies.put(process)
        if missed is not None:
            missed.end(ExitStatus())

    def _kill_if_overdue(self) -> None:
        """A request a spare took and the server did not answer within ``FORK_TIMEOUT``: the
        server is hung; killing it ends its trials (as interrupted), and the next trial starts a
        new one — as when a request without a spare goes unanswered."""
        with self._lock:
            oldest = min(self._sent_at.values(), default=None)
        if oldest is not None and time.monotonic() - oldest > FORK_TIMEOUT:
            log.warning(
                "trial server %d answered no request in %.0f s: killed", self.pid, FORK_TIMEOUT
            )
            with contextlib.suppress(OSError):
                self.process.kill()

    def _announced(self, message: dict[str, Any]) -> tuple[int, float] | None:
        """The spare a message of the server names: pid and create time; None if none."""
        pid = message.get("spare")
        if not isinstance(pid, int):
            return None
        return pid, self._created(pid, message.get("spare_start"))

    def _created(self, pid: int, start: Any) -> float:
        """The create time of the server's child ``pid`` that started ``start`` ticks after boot."""
        if isinstance(start, int):
            return self._boot_time + start / _CLOCK_TICKS
        return procfs.create_time(pid)
