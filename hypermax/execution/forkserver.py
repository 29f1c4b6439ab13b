"""The preloaded trial server: import the objective once, then fork every trial from it.

``python -m hypermax.execution.forkserver --socket FD (--module NAME | --src PATH) --name FUNC
[--path DIR]`` loads the trial function as the child bootstrap would (:mod:`.child`), checks that
the process is still safe to fork (:mod:`.fork_safety`: no Python thread running, CUDA not
initialised, no GNU OpenMP thread pool started), says ``ready`` on the socket (a Unix
``SOCK_SEQPACKET`` socket to hypermax), and serves: each request becomes one trial (what the
requests and messages hold, and how they travel: :mod:`.forkserver_wire`; the server reads only
a request's head, and passes the rest to the spare as it came). The server never starts a
thread, so every fork copies a single-threaded process. It forks each trial's process ahead,
while the previous trial runs: this spare leads its own session, is tied to the server, has
fresh random state (or the state an import that seeded a generator left: :mod:`.import_seeds`),
and waits on a socket of its own; a request is handed to it (fds and all), so a trial starts
with no fork on its path.

The spare becomes what a fresh trial process is: it leads a session of its own, is tied
to the server by the parent-death signal and to hypermax by its lifeline (:mod:`.tether`), gets
the trial's stdin (``/dev/null``), stdout, stderr, environment, folder and ``sys.argv``, shows
its token and trial folder in ``/proc/<pid>/environ`` (where the watchdog, the guardian and the
leftover sweep look for them), reseeds the random generators the import did not, runs the trial
(:func:`.child.run_trial`), and exits like an interpreter (threads joined, ``atexit`` run).

The server reaps each trial and reports its exit status, peak RSS and CPU time: hypermax cannot
``wait4`` a process that is not its child. The trial's result does not pass through the server: a
small one goes straight to hypermax on the result socket of the request (its fourth fd), so that it
outlives a server that dies after the function returned. ``ready`` and each reply also name the
spare forked since: the process the next request goes to, so hypermax need not wait for that
reply. Nobody waits for the reply to a request that a spare took: it goes with the next message
(most often the end of that very trial: one packet, one wake-up of hypermax's reader), or alone
:data:`HOLD_REPLIES_MS` later; replies come in the order of the requests.
The server exits when hypermax closes the socket; its trials die with it. Before it serves, it
freezes the garbage collector's view of what the module made (``gc.freeze``), so that no
collection in a trial writes to those pages, which the fork shares.
"""

from __future__ import annotations

import _signal
import _socket
import atexit
import contextlib
import faulthandler
import gc
import json  # noqa: F401 - not used here: loaded once for the trials (a report imports it)
import marshal
import os
import select
import signal
import socket
import sys
from typing import Any

from hypermax import system_text
from hypermax.execution import child, forked_environ, protocol, reports, tether, trial_exit
from hypermax.execution.fork_safety import fork_hazard
from hypermax.execution.forkserver_wire import HEAD_SIZE, TRIAL_FDS, fd_array, recv_fds, send
from hypermax.execution.import_seeds import SeedWatch
from hypermax.execution.lifeline import watch_lifeline
from hypermax.execution.trial_result import error_reason

#: how long the reply to a request sent to a spare waits for a message to go with (the end of a
#: trial, most often that one's: one packet, and one wake-up of hypermax's reader, fewer)
HOLD_REPLIES_MS = 100
USAGE = f"usage: python -m hypermax.execution.forkserver --socket FD {child.USAGE.split(' ', 4)[4]}"


def main(argv: list[str] | None = None) -> int:
    """Load the trial function, say whether the server is ready, serve until hypermax leaves."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2 or args[0] != "--socket" or not args[1].isdigit():
        raise SystemExit(USAGE)
    sock = socket.socket(fileno=int(args[1]))
    options = child.parse_options(args[2:])
    if not os.environ.get("PYTHONSAFEPATH"):  # its folder first, as ``python -c`` gives a fresh
        sys.path.insert(0, os.getcwd())  # trial (the server starts with -P: hypermax's own first)
    child.add_search_path(options)
    trial_argv = [child.__file__, *args[2:]]
    sys.argv = list(trial_argv)  # what the import sees, as in a fresh trial (not ``-c --socket``)
    before = dict(os.environ)
    seeds = SeedWatch()
    try:
        with seeds:
            function = child.load_function(
                options.get("module"), options.get("src"), options["name"]
            )
        hazard = fork_hazard()
    except BaseException as exc:
        import traceback

        traceback.print_exc()
        send(sock, {"failed": error_reason(exc)})
        return 1
    if hazard is not None:
        send(sock, {"failed": hazard})
        return 1
    _quiet()
    # a segfault in a trial leaves the Python stack in its log (its fd 2): enabled once here,
    # for every trial, which then neither makes its objects nor copies the pages they are on
    faulthandler.enable(file=2)
    with contextlib.suppress(Exception):  # else each trial reads it, and fails as it would
        child.read_signature_now(function)
    gc.freeze()  # what the module made stays out of every collection: no copies of its pages
    imported = forked_environ.ImportedEnviron.since(before)
    serve(sock, function, imported, trial_argv, seeds)
    return 0


def serve(
    sock: socket.socket,
    function: Any,
    imported: forked_environ.ImportedEnviron,
    argv: list[str],
    seeds: SeedWatch | None = None,
) -> None:
    """Fork a trial for each request; report each trial's end; return when hypermax leaves.
    ``argv``: each trial's ``sys.argv``; ``seeds``: the generators the import seeded."""
    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wake_write)
    # a handler, so that the wake-up fd hears of it; the objective's own (one its import set:
    # ignored, so that its children need no reaping, or a function) is each trial's
    objective_sigchld = _signal.signal(_signal.SIGCHLD, _ignore)
    poll = select.poll()
    poll.register(sock, select.POLLIN)
    poll.register(wake_read, select.POLLIN)
    server = _Server(sock, function, (wake_read, wake_write), os.getpid(), imported, argv)
    server.seeds = seeds or SeedWatch()
    if objective_sigchld is not None:  # None: set from C, not to be set again from Python
        server.sigchld = objective_sigchld
    server.fork_spare()
    send(sock, {"ready": server.pid, **server.spare_info()})
    held: list[dict[str, Any]] = []  # replies that nobody waits for, sent with the next message
    while True:
        events = poll.poll(HOLD_REPLIES_MS if held else None)
        if not events:  # nothing else to say for a while: the replies go alone
            send(sock, *held)
            held.clear()
        for fd, _ in events:
            if fd == wake_read:
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_read, 4096)
                send(sock, *held, *_reap(server.children))
                held.clear()
                server.check_spare()
                continue
            try:
                message, fds = recv_fds(sock)
            except OSError:
                return  # hypermax is gone
            if not message:
                return  # hypermax closed its end: nothing more to run
            reply = server.start_trial(message, fds)
            server.fork_spare()  # the next trial's process, forked while this one runs
            held.append({**reply, **server.spare_info()})
            if "error" in reply or "start" in reply:  # hypermax waits for it
                send(sock, *held)
                held.clear()


class _Server:
    """The server's state: its socket, its function, its own fds, its pid, what the import did
    to ``os.environ``, the trials' ``sys.argv``, its children, and the spare: a child forked
    ahead, ready to become the next trial."""

    def __init__(
        self,
        sock: socket.socket,
        function: Any,
        own: tuple[int, int],
        pid: int,
        imported: forked_environ.ImportedEnviron,
        argv: list[str],
    ) -> None:
        self.sock = sock
        self.argv = argv
        self.function = function
        self.own = own
        self.pid = pid
        self.slots = forked_environ.environ_slots()
        self.children: set[int] = set()
        self.spare: tuple[int, _socket.socket] | None = None
        self.imported = imported
        #: the random generators the import seeded, and their states then
        self.seeds = SeedWatch()
        #: SIGCHLD's handler in a trial: what the objective's import left (the default, most often)
        self.sigchld: Any = _signal.SIG_DFL
        #: ``os.environ`` as every spare inherits it (nothing in the server changes it from
        #: now on): what a trial's environment is compared with, without decoding it again
        self.environ = dict(os.environ)

    def fork_spare(self) -> None:
        """Fork the process of the next trial now: it waits for its request on a socket."""
        if self.spare is not None:
            return
        # the C half's sockets: ``socket.socketpair`` wraps each in Python's class, objects that
        # the spare's fork makes the server copy the pages of
        ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        try:
            pid = os.fork()
        except OSError:
            ours.close()
            theirs.close()
            return  # the next request will say why
        if pid == 0:
            code = 1
            try:
                ours.close()
                code = self.become_trial(theirs)
            except BaseException:
                import traceback

                traceback.print_exc()  # to the trial's log once its stderr is in place
            finally:
                os._exit(code)
        theirs.close()
        self.children.add(pid)
        self.spare = (pid, ours)

    def spare_info(self) -> dict[str, Any]:
        """The spare, as told to hypermax: its pid and start ticks (nothing if there is none)."""
        if self.spare is None:
            return {}
        pid = self.spare[0]
        return {"spare": pid, "spare_start": _start_ticks(pid)}

    def check_spare(self) -> None:
        """Forget a spare that ended (it was reaped): the next request forks another."""
        if self.spare is not None and self.spare[0] not in self.children:
            self.spare[1].close()
            self.spare = None

    def start_trial(self, message: bytes, fds: list[int]) -> dict[str, Any]:
        """Hand the trial a request ``message`` describes to the spare; the reply to hypermax.

        A request sent to a named spare (``"to": pid``, the spare hypermax was told of) goes to
        that one or fails: hypermax follows that process as the trial's. Only the request's
        head is read here (:func:`.forkserver_wire.request_head`); the rest, the trial itself,
        goes to the spare as it came.
        """
        trial_id = int.from_bytes(message[:8], "little")
        to = int.from_bytes(message[8:HEAD_SIZE], "little") or None
        trial = message[HEAD_SIZE:]
        if self.spare is None and to is None:
            self.fork_spare()
        spare, self.spare = self.spare, None
        try:
            if len(fds) != TRIAL_FDS:
                raise OSError("the trial's pipes did not arrive")
            if not trial:
                raise OSError("the request holds no trial")
            if spare is None or to not in (None, spare[0]):
                raise OSError("cannot fork" if to is None else "the spare ended before its trial")
            pid, channel = spare
            channel.sendmsg([trial], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fd_array(fds))])
            channel.close()
        except OSError as exc:
            if spare is not None:
                spare[1].close()  # the spare reads end of file and exits
            return {"id": trial_id, "error": str(exc)}
        finally:
            for fd in fds:
                os.close(fd)
        if to is not None:  # hypermax knows the spare's start from the reply that named it
            return {"id": trial_id, "pid": pid}
        return {"id": trial_id, "pid": pid, "start": _start_ticks(pid)}

    def become_trial(self, channel: _socket.socket) -> int:
        """In the spare: get ready, wait for a trial, become its process, run it, exit like an
        interpreter. Exits at once when the server closes the channel without a trial."""
        os.setsid()
        # oom_first: the server's, inherited; SIGTERM or SIGINT ignored now is the objective's
        # doing at import (the server started with both heard): kept, as a fresh trial keeps it
        tether.child_setup(self.pid, None, oom_first=False, hear_stops=False)()
        # the C half: ``signal.signal`` makes an enum of the old handler, which costs the trial
        # the copies of the pages that touches (a forked trial copies each page it writes)
        _signal.set_wakeup_fd(-1)
        _signal.signal(_signal.SIGCHLD, self.sigchld)
        self.sock.close()
        for fd in self.own:
            os.close(fd)
        self.seeds.restore()  # fresh random state, or what a seeding import left
        _leave_finalizers_to_the_server()
        reports.listen_for_stop()  # early stopping's request, even before the trial begins
        devnull = os.open(os.devnull, os.O_RDONLY)  # the trial's stdin
        message, fds = recv_fds(channel)
        channel.close()
        if not message or len(fds) != TRIAL_FDS:
            return 0
        request = marshal.loads(message)
        stdout, stderr, lifeline, result = fds
        os.set_inheritable(result, False)  # the trial's alone: no program it runs gets it
        armed = tether.tie_to_lifeline(self.pid, lifeline)
        for fd, target in ((devnull, 0), (stdout, 1), (stderr, 2)):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(system_text.os_text(request["cwd"]))
        changed, unset = self.imported.keep(request["env"], request["unset"])
        changed[protocol.LIFELINE_FD_ENV] = str(lifeline)
        changed = system_text.os_environ(changed)  # what the locale cannot encode: as UTF-8
        forked_environ.change_environ(changed, map(system_text.os_text, unset), self.environ)
        forked_environ.stamp_environ(self.slots, changed)
        sys.argv = self.argv
        if not armed:
            watch_lifeline(lifeline)
        # its peak: _reap reports it; its result: to hypermax over ``result``, when small
        code = child.run_trial(lambda: self.function, leave_peak=False, result_socket=result)
        trial_exit.exit_within(code)
        return _exit_like_an_interpreter(code)


def _leave_finalizers_to_the_server() -> None:
    """In a spare: what the import made to be cleaned up at exit with ``weakref.finalize`` (a
    module-level ``tempfile.TemporaryDirectory`` removes its folder so) is the server's, which
    every trial shares: it is not cleaned up as a trial exits (the first trial's exit removed
    the folder from under the next), but as the server does, as ``multiprocessing``'s own
    finalizers keep to the process that made them. What the trial makes runs at its exit."""
    weakref = sys.modules.get("weakref")  # not imported: nothing was left to it (importing
    if weakref is None:  # it here would cost every trial the import)
        return
    for finalizer in list(getattr(weakref.finalize, "_registry", {})):
        with contextlib.suppress(Exception):
            finalizer.atexit = False


def _exit_like_an_interpreter(code: int) -> int:
    """What an interpreter does before it exits: wait for threads, run ``atexit``, flush."""
    threading = sys.modules.get("threading")
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        with contextlib.suppress(Exception):
            shutdown()
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    return code


def _reap(running: set[int]) -> list[dict[str, Any]]:
    """The report of every trial that ended."""
    ended = []
    while running:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            running.clear()
            break
        if pid == 0:
            break
        running.discard(pid)
        ended.append(
            {
                "exit": pid,
                "code": os.waitstatus_to_exitcode(status),
                "maxrss_kib": usage.ru_maxrss,
                "cpu": usage.ru_utime + usage.ru_stime,
            }
        )
    return ended


def _start_ticks(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (it is not reaped yet)."""
    try:  # os.read rather than open(): fewer objects made, fewer pages copied after the fork
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
        try:
            stat = os.read(fd, 4096)
        finally:
            os.close(fd)
        # the 20th field after the command's ")", found without splitting them all (objects
        # made: the pages they are on copied, while a spare shares them)
        at = stat.rindex(b")") + 2
        for _ in range(19):
            at = stat.index(b" ", at) + 1
        return int(stat[at : stat.index(b" ", at)])
    except (OSError, ValueError):
        return None


def _quiet() -> None:
    """Loading is over: the server's own stdout and stderr go nowhere from now on."""
    sys.stdout.flush()
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def _ignore(signum: int, frame: Any) -> None:
    """SIGCHLD's handler: the wake-up fd does the work."""


if __name__ == "__main__":
    sys.exit(main())
