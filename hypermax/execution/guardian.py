"""A process apart that kills the live trials when hypermax dies without closing its runner."""

from __future__ import annotations

import os
import signal
import sys
import threading

TYPE_CHECKING = False  # the guardian process imports this module: typing would cost its start

if TYPE_CHECKING:
    import subprocess

    from hypermax.execution.procfs import ProcInfo
    from hypermax.execution.watchdog import ProcessTree


class Guardian:
    """A small process of its own that kills the live trials if hypermax dies without closing.

    The kernel already kills each trial's process group with hypermax (see the launcher);
    the guardian also gets the processes that left the group: ``setsid`` daemons. hypermax tells
    it, one line at a time on its stdin, which trials run (session, start, token), which of their
    processes escaped their session, and which trials ended. End of file before ``Q`` means
    hypermax is gone: the guardian SIGKILLs every process of every trial still registered.
    Everything here is best effort: if the guardian cannot start or keep up, the search goes on.
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._fd: int | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the guardian process (once, whichever of the threads that start trials at
        the same time comes first: a Dask worker runs one per task)."""
        with self._lock:
            if self._proc is None:
                self._start()

    def _start(self) -> None:
        import subprocess  # here, as below: the guardian process itself never needs them

        from hypermax.execution.spawn import helper_argv, python_path

        read_end, write_end = os.pipe()
        env = dict(os.environ)
        env["PYTHONPATH"] = python_path(env)
        try:
            self._proc = subprocess.Popen(
                helper_argv("hypermax.execution.guardian", "guard"),
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                # a session of its own, left in the child before anything can stop it: with
                # start_new_session, Python starts it by vfork, and a Ctrl-Z that reached the
                # child still in hypermax's process group stopped it there, before its exec;
                # the thread that started it then could not stop, and hypermax, stopping
                # itself, never stopped for its shell (which never said so, nor took the
                # terminal back). With a function to run in the child, Python forks: the
                # child takes Ctrl-Z with hypermax's own handler, and its thread can stop.
                preexec_fn=os.setsid,
                env=env,
            )
        except OSError:
            os.close(write_end)  # no guardian: the kernel-level protections still hold
            return
        finally:
            os.close(read_end)
        os.set_blocking(write_end, False)
        self._fd = write_end

    def trial(self, tree: ProcessTree) -> None:
        """A trial started."""
        self._send(f"T {tree.sid} {tree.root.start:.0f} {tree.token}")

    def escaped(self, tree: ProcessTree, info: ProcInfo) -> None:
        """A process of the trial left its session."""
        self._send(f"P {tree.sid} {info.pid} {info.start:.0f}")

    def ended(self, tree: ProcessTree) -> None:
        """The trial and all its processes are gone."""
        self._send(f"E {tree.sid}")

    def close(self) -> None:
        """hypermax is closing normally: the guardian exits without killing anything."""
        self._send("Q")
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        if self._proc is not None:
            from hypermax.execution.reap import wait_ended

            wait_ended(self._proc, 5)
            self._proc = None

    def _send(self, line: str) -> None:
        with self._lock:
            if self._fd is None:
                return
            try:
                os.write(self._fd, line.encode() + b"\n")  # short lines: atomic
            except (BlockingIOError, BrokenPipeError) as exc:
                # a guardian that is gone or stuck must not stall the search; it is only
                # one layer of several. One that is stuck (its pipe full) ends first: the end
                # of file it would read once it goes on means hypermax died, and it would kill
                # the trials of a search that runs on
                if isinstance(exc, BlockingIOError) and self._proc is not None:
                    self._proc.kill()
                os.close(self._fd)
                self._fd = None


def guard(fd: int = 0) -> int:
    """The guardian's main loop (``python -m hypermax.execution.guardian``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    trials: dict[int, tuple[float, str]] = {}
    escaped: dict[int, set[tuple[int, float]]] = {}
    pending = b""
    while True:
        data = os.read(fd, 65536)
        if not data:
            break
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            word, *args = line.decode("ascii", "replace").split() or [""]
            if word == "Q":
                return 0
            try:
                _guard_message(word, args, trials, escaped)
            except (ValueError, IndexError):
                continue  # only hypermax writes here; a garbled line must not end the guard
    _kill_registered(trials, {p for group in escaped.values() for p in group})
    return 0


def _guard_message(
    word: str,
    args: list[str],
    trials: dict[int, tuple[float, str]],
    escaped: dict[int, set[tuple[int, float]]],
) -> None:
    if word == "T":
        trials[int(args[0])] = (float(args[1]), args[2])
    elif word == "P":
        escaped.setdefault(int(args[0]), set()).add((int(args[1]), float(args[2])))
    elif word == "E":
        trials.pop(int(args[0]), None)
        escaped.pop(int(args[0]), None)


def _kill_registered(trials: dict[int, tuple[float, str]], escaped: set[tuple[int, float]]) -> None:
    """SIGKILL, without a grace, every process of the registered trials until none is left.

    The kill ladder and its reading of ``/proc`` (psutil) are imported here, when hypermax is
    gone, not at the guardian's start: hypermax's close waits for the guardian to read its
    ``Q``, and a short search ends before a guardian that imports them all has started."""
    if not trials:
        return
    from hypermax.execution.kill import kill_ladder
    from hypermax.execution.procfs import list_pids, read_proc, read_token

    oldest = min(start for start, _ in trials.values())
    tokens = {token for _, token in trials.values()}

    def victims() -> list[ProcInfo]:
        found = []
        for pid in list_pids() - {os.getpid()}:
            info = read_proc(pid)
            if info is None or info.zombie or info.start < oldest:
                continue
            session = trials.get(info.sid)
            if (
                (session is not None and info.start >= session[0])
                or (pid, info.start) in escaped
                or read_token(pid) in tokens
            ):
                found.append(info)
        return found

    kill_ladder(victims, 0.0, _unheard)


def _unheard(text: str) -> None:
    """The guardian's notes: nobody reads them (hypermax, which would, is gone)."""


if __name__ == "__main__":
    sys.exit(guard())
