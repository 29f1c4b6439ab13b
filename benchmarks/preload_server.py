"""A preload server driven directly, without hypermax's threads: what the server and each trial
it forks cost, per trivial trial.

    python benchmarks/preload_server.py [--trials 1000] [--rounds 3]

Starts the trial server (``hypermax.execution.forkserver``, of the hypermax that the interpreter
running this script imports: run it with each install's own ``python`` to compare two) on
``x ** 2`` and sends it one request at a time, each to the spare the server named last, as
hypermax does; the next goes once the server reported the trial's end. Per trial: wall time,
the server's CPU time and minor page faults (its copies of the pages it writes while a spare
shares them), and the same for its trials together (the server's reaped children, from
``/proc/<server>/stat``). Page faults hardly move with the machine's load; CPU times do. Also
speaks the protocol of the code before requests were marshalled (one line of JSON, then the
trial's), and of the code before a trial's result came over a socket of its own (three fds with a
request), so that an install of that code can be measured the same way.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import marshal
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from arguments import at_least  # run as a script: its folder is on sys.path

from hypermax import system_text
from hypermax.execution import forkserver, protocol, spawn

try:
    from hypermax.execution import forkserver_wire as wire
except ImportError:  # the code before the wire format moved there
    wire = forkserver  # type: ignore[misc]
try:
    from hypermax.execution.forked_environ import server_environment
except ImportError:  # the code before it moved there
    server_environment = forkserver.server_environment

_TICKS = os.sysconf("SC_CLK_TCK")
#: the code before requests were marshalled: JSON requests and messages, one message a packet
_JSON = not hasattr(wire, "request_trial")


def _counters(pid: int) -> tuple[int, float, int, float]:
    """The server's minor faults and CPU seconds, and its reaped children's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    minflt, cminflt = int(fields[7]), int(fields[8])
    cpu = (int(fields[11]) + int(fields[12])) / _TICKS
    children = (int(fields[13]) + int(fields[14])) / _TICKS
    return minflt, cpu, cminflt, children


def _messages(data: bytes) -> list[dict[str, Any]]:
    if _JSON:
        return [json.loads(data)]
    return list(marshal.loads(data))


def one_round(folder: Path, trials: int) -> dict[str, float]:
    """Per trial: ``wall`` (ms), ``server_cpu`` (ms), ``server_faults``, ``trial_cpu`` (ms),
    ``trial_faults``."""
    objective = folder / "objective.py"
    objective.write_text("def f(params):\n    return params['x'] ** 2\n")
    driver = _Driver(["--name", "f", "--src", str(objective), "--path", str(folder)])
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    argv = spawn.helper_argv("hypermax.execution.forkserver", "main")
    server = subprocess.Popen(
        [*argv, "--socket", str(theirs.fileno()), *driver.options],
        cwd=folder,
        env=system_text.os_environ(driver.server_env),
        stdin=subprocess.DEVNULL,
        pass_fds=(theirs.fileno(),),
        start_new_session=True,
    )
    theirs.close()
    try:
        spare = _messages(ours.recv(65536))[0].get("spare")
        dirs = [folder / str(n) for n in range(trials)]
        for trial_dir in dirs:
            trial_dir.mkdir()
        before = _counters(server.pid)
        started = time.perf_counter()
        for n, trial_dir in enumerate(dirs, 1):
            spare = driver.one_trial(ours, n, spare, trial_dir)
        wall = time.perf_counter() - started
        after = _counters(server.pid)
    finally:
        ours.close()
        server.wait()
        driver.close()
    faults, cpu, trial_faults, trial_cpu = (b - a for a, b in zip(before, after, strict=True))
    return {
        "wall": wall / trials * 1e3,
        "server_cpu": cpu / trials * 1e3,
        "server_faults": faults / trials,
        "trial_cpu": trial_cpu / trials * 1e3,
        "trial_faults": trial_faults / trials,
    }


class _Driver:
    """What hypermax gives every trial of one server: the server's options and environment,
    the trial's environment but for its own variables, its stdout and stderr, its lifeline."""

    def __init__(self, options: list[str]) -> None:
        self.options = options
        self.base = dict(os.environ)
        self.server_env = server_environment(self.base)
        self.devnull = os.open(os.devnull, os.O_WRONLY)
        self.lifeline, self._lifeline_end = os.pipe()

    def close(self) -> None:
        for fd in (self.devnull, self.lifeline, self._lifeline_end):
            os.close(fd)

    def one_trial(
        self, sock: socket.socket, n: int, spare: int | None, trial_dir: Path
    ) -> int | None:
        """Send trial ``n`` (to ``spare``), wait for its end; the spare the server named last."""
        env = {
            **self.base,
            protocol.PARAMS_FILE_ENV: str(trial_dir / "params.json"),
            protocol.RESULT_FILE_ENV: str(trial_dir / "result.json"),
            protocol.TRIAL_DIR_ENV: str(trial_dir),
            protocol.TRIAL_ID_ENV: str(n),
            protocol.TOKEN_ENV: f"{n:032x}",
            protocol.PARAMS_PACKED_ENV: protocol.pack({"x": 0.5}),
            protocol.EXIT_WAIT_ENV: "2",
            "HYPERMAX_PARAM_X": "0.5",
            "PWD": str(trial_dir),
        }
        if _JSON:
            argv = [sys.executable, *protocol.CHILD_ARGS, *self.options]
            head = json.dumps({"id": n, **({"to": spare} if spare else {})}).encode()
            trial = {"argv": argv, "env": env, "cwd": str(trial_dir)}
            data = head + b"\n" + json.dumps(trial).encode()
        else:
            head = wire.request_head(n, spare)
            data = head + wire.request_trial(self.server_env, env, str(trial_dir))
        fds = [self.devnull, self.devnull, self.lifeline]
        result = None  # the trial's result socket, as hypermax gives it: where a small one goes
        if _RESULT_SOCKET:
            result, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            fds.append(theirs.fileno())
        try:
            socket.send_fds(sock, [data], fds)
        finally:
            if result is not None:
                theirs.close()
        ended = False
        while not ended:
            for message in _messages(sock.recv(65536)):
                if "id" in message:
                    spare = message.get("spare")
                ended = ended or "exit" in message
        sent = b""
        if result is not None:
            result.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                sent = result.recv(65536)
            result.close()
        if not sent and not (trial_dir / "result.json").exists():
            raise SystemExit(f"trial {n} wrote no result")
        return spare


#: the server of the install measured takes a fourth fd with each request: the trial's socket
#: for its result (a small one goes there rather than to a file)
_RESULT_SOCKET = hasattr(protocol, "RESULT_PACKET_MAX")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=at_least(1), default=1000)
    parser.add_argument("--rounds", type=at_least(1), default=3)
    args = parser.parse_args()
    runs = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(one_round(Path(tmp), args.trials))
    print(f"{args.trials} trials, {args.rounds} rounds ({sys.executable}); medians [each round]")
    for key in runs[0]:
        values = [run[key] for run in runs]
        each = ", ".join(f"{value:.3g}" for value in values)
        print(f"  {key}: {statistics.median(values):.3g} [{each}]")


if __name__ == "__main__":
    main()
