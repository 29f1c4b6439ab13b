"""Fork ``python_function`` trials from a preloaded server: a trial costs a fork, not an
interpreter start plus the objective's imports.

:class:`PreloadLauncher` is a :class:`~hypermax.execution.launch.Launcher`. On the first trial it
starts one server process (:mod:`.forkserver`) that imports the objective's module, and asks it
for every trial after that; each forked trial is a process of its own, in its own session, with
its own folder, log pipes, environment and lifeline, watched and killed like any other. The
server reaps the trials and reports how each ended, which
:meth:`.preload_server.ForkedTrial.wait` returns.

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

import logging
import threading

from hypermax.execution import protocol
from hypermax.execution.import_notes import ImportNotes
from hypermax.execution.launch import (
    LaunchedProcess,
    Launcher,
    LaunchRequest,
    SubprocessLauncher,
)
from hypermax.execution.preload_server import (
    ServerFailed,
    ServerGone,
    TooLarge,
    TrialServer,
)

log = logging.getLogger("hypermax")

#: how long a server may take to import the objective, without a time limit in the spec
START_TIMEOUT = 300.0
#: how long a server's import of the objective takes before the user is told that trials wait
#: for it (and then, how long it took)
IMPORT_NOTE_SECONDS = 3.0
#: servers that may die during one search before its trials start fresh for good
MAX_RESTARTS = 3


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
        self._servers: dict[tuple[str, ...], TrialServer] = {}
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
                except ServerGone:
                    continue
                except TooLarge:
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

    def _server(self, options: tuple[str, ...], request: LaunchRequest) -> TrialServer | None:
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
            server = TrialServer(
                options,
                request.env,
                self.cwd,
                self.start_timeout,
                lambda: self.interrupted,
                ImportNotes(IMPORT_NOTE_SECONDS, self.start_timeout, self.tell),
            )
        except ServerFailed as exc:
            self._refused[options] = str(exc)
            self.say(f"preload: {exc}; every trial starts a fresh process")
            return None
        self._servers[options] = server
        return server


def served_options(argv: tuple[str, ...]) -> tuple[str, ...] | None:
    """The child bootstrap's options of a ``python_function`` trial's command; None for others."""
    if len(argv) > 3 and argv[1:3] == protocol.CHILD_ARGS:
        return tuple(argv[3:])
    return None
