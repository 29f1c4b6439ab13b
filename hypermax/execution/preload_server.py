"""The connection to one preload server (:mod:`.forkserver`): :class:`TrialServer` starts it,
waits for it to import the objective, sends it the trials to fork and reads, in a thread of its
own, how each ended; :class:`ForkedTrial` is one trial it forked, whose small result comes over a
socket of its own (a result sent before the server died counts, as one written to the file
does). :class:`~hypermax.execution.preload.PreloadLauncher` holds the servers of a search.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
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
from hypermax.execution import forked_environ, forkserver_wire, procfs, protocol, spawn
from hypermax.execution.import_notes import ImportNotes
from hypermax.execution.launch import (
    ExitStatus,
    LaunchedProcess,
    LaunchError,
    LaunchInterrupted,
    LaunchRequest,
)
from hypermax.execution.outcome import exit_text
from hypermax.execution.reap import wait_ended
from hypermax.execution.tether import child_setup

log = logging.getLogger("hypermax")

#: how long a running server may take to answer a fork
FORK_TIMEOUT = 30.0
#: how often the reader, with nothing to read, looks for requests a spare took too long to answer
OVERDUE_CHECK = 1.0
#: why a trial that ran when its server died (killed from outside: the out-of-memory killer, a
#: ``kill``) is ``interrupted``: the parent-death signal took it along, through no doing of its own
SERVER_DIED = "lost with its preload server, which died while the trial ran"
#: how often a server's start (the objective's import) looks whether the search was interrupted
INTERRUPT_CHECK = 0.1
#: how long a server whose socket closed may take to exit before it is killed (s)
EXIT_WAIT = 5.0
#: how much of the end of what a server printed as it imported the objective is read to say why
#: the import ended it (bytes): its last line, or a crash's stack dump, is in it
OUTPUT_TAIL = 256 * 1024
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ServerFailed(Exception):
    """The server could not load the objective, or is unsafe to fork; the message says why."""


class ServerGone(Exception):
    """The server died, or stopped answering."""


def packet_messages(data: bytes) -> tuple[dict[str, Any], ...]:
    """The messages of one packet of the server: dicts, marshalled (the server runs this
    interpreter)."""
    messages = marshal.loads(data)
    if not isinstance(messages, tuple) or not all(isinstance(m, dict) for m in messages):
        raise ValueError(f"not a packet of the trial server: {data[:80]!r}")
    return messages


class TooLarge(Exception):
    """The trial's request does not fit in one message to the server."""


class ForkedTrial(LaunchedProcess):
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


class TrialServer:
    """One server process, the socket to it, and a thread that reads what it reports."""

    def __init__(
        self,
        options: tuple[str, ...],
        env: dict[str, str],
        cwd: str,
        timeout: float,
        interrupted: Callable[[], bool] = lambda: False,
        notes: ImportNotes | None = None,
    ) -> None:
        try:  # what the server prints; appended to, so that it can be emptied under a writer
            self._output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
            fd = self._output.fileno()
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
        except OSError as exc:  # no temporary folder can be written
            raise ServerFailed(f"cannot start the trial server: {exc}") from exc
        self._emptied_at = 0.0  # when the reader last emptied it
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # the server's lifeline: when hypermax dies, the kernel kills the server's process
        # group, what its import started included (the parent-death signal is not inherited)
        life_read, lifeline = os.pipe()
        self._lifeline: int | None = lifeline  # None once closed
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
                preexec_fn=child_setup(os.getpid(), life_read, lifeline_first=True),
            )
        except OSError as exc:
            self._sock.close()
            os.close(lifeline)
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
        self._forked: dict[int, ForkedTrial] = {}
        self._spare: tuple[int, float] | None = None  # the server's spare: pid, create time
        self._unanswered = 0  # requests sent whose reply was not read yet
        self._sent_to_spare: dict[int, ForkedTrial] = {}  # request id → the spare it went to
        self._sent_at: dict[int, float] = {}  # request id → when it went to a spare
        self._seen_stopped = False  # the server was stopped at the last check
        self._await_ready(timeout, interrupted, notes or ImportNotes.silent(timeout))
        self._reader = threading.Thread(target=self._read, name="hypermax-preload", daemon=True)
        self._reader.start()

    def _await_ready(
        self, timeout: float, interrupted: Callable[[], bool], notes: ImportNotes
    ) -> None:
        """Wait for the server's first message, which says whether it loaded the objective;
        an interrupted search stops waiting (and the server) within :data:`INTERRUPT_CHECK`.
        A wait that takes long is told through ``notes``."""
        began = time.monotonic()
        deadline = began + timeout
        first = b""
        stopped = False  # stopped (SIGSTOP) at the last look: it would import nothing more
        while True:
            if interrupted():
                self._stop_importing()
                raise LaunchInterrupted("the search was interrupted while the objective loaded")
            left = deadline - time.monotonic()
            if left <= 0:
                self._stop_importing()
                raise ServerFailed(f"the objective took over {timeout:g} s to import")
            stopped, was_stopped = procfs.is_stopped(self.pid), stopped
            if stopped and was_stopped:
                self._stop_importing()
                raise ServerFailed(
                    "the server was stopped (SIGSTOP) while it imported the objective"
                )
            notes.waited(time.monotonic() - began)
            readable, _, _ = select.select([self._sock], [], [], min(left, INTERRUPT_CHECK))
            if readable:
                with contextlib.suppress(OSError):
                    first = self._sock.recv(65536)
                break
        message = packet_messages(first)[0] if first else {}
        if "ready" in message:
            notes.loaded(time.monotonic() - began)
        else:
            output = self._output_so_far()  # close() closes the file it is in
            code = self.close()
            ended = "it ended" if code is None else exit_text(code, output)
            why = message.get("failed") or f"the server exited: {ended}"
            raise ServerFailed(f"cannot preload the objective: {why}")
        self._spare = self._announced(message)

    def _stop_importing(self) -> None:
        """Kill the server in the middle of its import, with what the import started, and
        close: it does not read its socket yet, so it would not end as its socket closes
        (:meth:`close` would wait :data:`EXIT_WAIT` seconds for it)."""
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)
        self.close()

    def _output_so_far(self) -> bytes:
        """The end of what the server printed while it loaded the objective (its last
        :data:`OUTPUT_TAIL` bytes, from the start of a line): what says why it failed, however
        much an import printed before."""
        with contextlib.suppress(OSError):
            size = self._output.seek(0, os.SEEK_END)
            self._output.seek(max(size - OUTPUT_TAIL, 0))
            tail = self._output.read(OUTPUT_TAIL)
            if size > OUTPUT_TAIL:  # the first line is cut: from the next one
                tail = tail[tail.find(b"\n") + 1 :]
            return tail
        return b""

    def fork(self, request: LaunchRequest) -> ForkedTrial:
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

    def _fork(self, request: LaunchRequest, result_socket: int) -> ForkedTrial:
        """Have the server fork the trial, with ``result_socket`` for its result; its process.

        When the server named its spare (the process the request goes to) in its last reply,
        and no request went since, the trial's process is that spare, known without waiting
        for the reply; should the reply say that the spare did not take the request, the
        process ends with nothing known of how. Else, its process once the server answered.
        """
        replies: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # the server reads the head, and passes the rest to the trial's process unread
        body = forkserver_wire.request_trial(self._env, request.env, request.cwd)
        with self._lock:
            if not self.alive:
                raise ServerGone
            trial = next(self._ids)
            spare = self._spare
            data = forkserver_wire.request_head(trial, spare[0] if spare else None) + body
            fds = [request.stdout, request.stderr, request.lifeline, result_socket]
            try:
                socket.send_fds(self._sock, [data], fds)
            except OSError as exc:
                if exc.errno == errno.EMSGSIZE:
                    raise TooLarge from exc
                raise ServerGone from exc
            self._unanswered += 1
            self._spare = None
            if spare is not None:
                process = self._forked[spare[0]] = self._sent_to_spare[trial] = ForkedTrial(*spare)
                self._sent_at[trial] = time.monotonic()
                return process
            self._waiting[trial] = replies
        try:
            reply = replies.get(timeout=FORK_TIMEOUT)
        except queue.Empty:
            self.process.kill()
            raise ServerGone from None
        if isinstance(reply, ServerGone | LaunchError):
            raise reply
        assert isinstance(reply, ForkedTrial)
        return reply

    def close(self) -> int | None:
        """Stop the server (it exits when its socket closes), what its import started (its
        process group: the trials lead sessions of their own) and the reader; its exit code.
        Once: a later call only says the code (the lifeline's number, and the server's pid as a
        process group, may be another's by then)."""
        with self._lock:
            lifeline, self._lifeline = self._lifeline, None
        if lifeline is None:
            return self.process.returncode
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        code = wait_ended(self.process, EXIT_WAIT)
        if code is None:
            self.process.kill()
            code = self.process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.close(lifeline)
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
            self._empty_output()
            if not readable:
                self._kill_if_overdue()
                continue
            try:
                data = self._sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            for message in packet_messages(data):  # in the order they were written
                self._dispatch(message)
        with self._lock:
            self.alive = False
            waiting, self._waiting = self._waiting, {}
            forked, self._forked = self._forked, {}
            self._sent_to_spare.clear()
            self._sent_at.clear()
        for replies in waiting.values():
            replies.put(ServerGone())
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
        missed: ForkedTrial | None = None
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
                process = self._forked[pid] = ForkedTrial(
                    pid, self._created(pid, message.get("start"))
                )
                replies.put(process)
        if missed is not None:
            missed.end(ExitStatus())

    def _empty_output(self) -> None:
        """Empty, about every :data:`OVERDUE_CHECK` seconds, the file of what the server prints
        once it has imported the objective: the server prints nothing more (its output goes to
        ``/dev/null``), but a process its import started still writes there (a helper that
        logs as it runs), which would grow a deleted file for as long as the search runs."""
        now = time.monotonic()
        if now - self._emptied_at < OVERDUE_CHECK:
            return
        self._emptied_at = now
        with contextlib.suppress(OSError, ValueError):  # ValueError: closed meanwhile
            if os.fstat(self._output.fileno()).st_size:
                os.ftruncate(self._output.fileno(), 0)

    def _kill_if_overdue(self) -> None:
        """A request a spare took and the server did not answer within ``FORK_TIMEOUT``, or a
        server stopped (SIGSTOP) at two checks in a row: the server is hung (a stopped one
        neither forks, nor reaps its trials, nor says how they ended); killing it ends its
        trials (as interrupted; one whose function returned keeps its result), and the next
        trial starts a new one — as when a request without a spare goes unanswered."""
        with self._lock:
            oldest = min(self._sent_at.values(), default=None)
        stopped, self._seen_stopped = self._seen_stopped, procfs.is_stopped(self.pid)
        if oldest is not None and time.monotonic() - oldest > FORK_TIMEOUT:
            why = f"answered no request in {FORK_TIMEOUT:.0f} s"
        elif stopped and self._seen_stopped:
            why = "is stopped (SIGSTOP)"
        else:
            return
        log.warning("trial server %d %s: killed", self.pid, why)
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
