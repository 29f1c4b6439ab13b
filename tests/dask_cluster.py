"""A real Dask cluster on 127.0.0.1 for the tests and the throughput benchmark.

``dask scheduler`` and ``dask worker`` processes (no nanny: a worker's pid is the process that
runs its trials) on random free ports; the scheduler's address comes from its scheduler file,
which the workers read too: they start alongside the scheduler, not after it.
Every process is stopped by its pid, and :meth:`LocalDaskCluster.stop` waits for each to end.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hypermax.execution.reap import wait_ended

STARTUP_SECONDS = 60.0


class LocalDaskCluster:
    """A scheduler and workers started as processes of their own in ``folder``.

    Args:
        folder: where their files (scheduler file, logs, workers' local folders) go.
        workers: how many workers to start.
        threads: how many tasks (trials) each worker runs at once.
        tls: (ca, cert, key) PEM files: the cluster speaks TLS only.
        port: the scheduler's port (0: a free one).
    """

    def __init__(
        self,
        folder: Path,
        workers: int = 2,
        threads: int = 2,
        tls: tuple[Path, Path, Path] | None = None,
        port: int = 0,
    ) -> None:
        self.folder = folder
        self.port = port
        self.threads = threads
        self.tls = tls
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self._options: dict[int, tuple[str, ...]] = {}
        self.address = ""
        folder.mkdir(parents=True, exist_ok=True)
        self._info = folder / "scheduler.json"
        self._info.unlink(missing_ok=True)  # the workers find the address of this scheduler
        try:
            self.scheduler = self._start_scheduler()
            for _ in range(workers):  # each waits for the scheduler file as it starts
                self.add_worker()
            self.address = _wait_for_address(self._info, self.scheduler)
            self.wait_for_workers(workers)
        except BaseException:
            self.stop()  # nothing it started outlives a failed start
            raise

    def _tls_args(self) -> list[str]:
        if self.tls is None:
            return []
        ca, cert, key = self.tls
        return ["--tls-ca-file", str(ca), "--tls-cert", str(cert), "--tls-key", str(key)]

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        with open(self.folder / f"{name}.log", "ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "dask", *argv],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=self.folder,
            )

    def _start_scheduler(self) -> subprocess.Popen[bytes]:
        protocol = "tls" if self.tls else "tcp"
        return self._spawn(
            "scheduler",
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--protocol",
                protocol,
                "--no-dashboard",
                "--scheduler-file",
                str(self._info),
                *self._tls_args(),
            ],
        )

    def add_worker(self, *options: str) -> subprocess.Popen[bytes]:
        """Start one more worker (``options``: more ``dask worker`` options)."""
        index = len(self.workers) + 1
        worker = self._spawn(
            f"worker{index}",
            [
                "worker",
                "--scheduler-file",
                str(self._info),
                "--nthreads",
                str(self.threads),
                "--no-nanny",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
                "--death-timeout",
                "60",
                "--local-directory",
                str(self.folder / f"worker{index}"),
                *self._tls_args(),
                *options,
            ],
        )
        self.workers.append(worker)
        self._options[worker.pid] = options
        return worker

    def replace_worker(self, worker: subprocess.Popen[bytes]) -> None:
        """Start a worker like ``worker`` (which ended) in its place; wait until it is known."""
        self.workers.remove(worker)
        self.add_worker(*self._options.pop(worker.pid))
        self.wait_for_workers(len(self.workers))

    def remove_worker(self, worker: subprocess.Popen[bytes]) -> None:
        """Stop ``worker`` (SIGTERM: it says goodbye to the scheduler) and wait until the
        scheduler no longer counts it: the cluster is as it was before :meth:`add_worker`."""
        _stop([worker], signal.SIGTERM)
        self.workers.remove(worker)
        self._options.pop(worker.pid, None)
        self.wait_for_workers(len(self.live_workers()))

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments of ``distributed.Client`` for this cluster."""
        if self.tls is None:
            return {}
        from distributed.security import Security

        ca, cert, key = self.tls
        security = Security(tls_ca_file=str(ca), tls_client_cert=str(cert), tls_client_key=str(key))
        return {"security": security}

    def wait_for_workers(self, count: int) -> None:
        """Block until the scheduler knows ``count`` live workers."""
        from distributed import Client

        with Client(self.address, timeout=STARTUP_SECONDS, **self.client_options()) as client:
            if count:
                client.wait_for_workers(count, timeout=STARTUP_SECONDS)
            deadline = time.monotonic() + STARTUP_SECONDS
            while len(client.nthreads()) != count:
                if time.monotonic() > deadline:
                    raise AssertionError(f"the scheduler did not come to {count} workers")
                time.sleep(0.01)

    def live_workers(self) -> list[subprocess.Popen[bytes]]:
        return [worker for worker in self.workers if worker.poll() is None]

    def stop(self) -> None:
        """Stop every worker, then the scheduler, each by its pid; wait for each to end.

        A worker asked to stop says goodbye to its scheduler first, so it gets SIGTERM while the
        scheduler runs, and SIGKILL once the scheduler is gone (it would wait for it in vain).
        """
        scheduler = [self.scheduler] if self.scheduler is not None else []
        _stop(self.workers, signal.SIGTERM if scheduler and scheduler[0].poll() is None else None)
        _stop(scheduler, signal.SIGTERM)


class Proxy:
    """A TCP proxy on 127.0.0.1 in front of the scheduler at ``address`` (threads of this
    process): :meth:`drop` breaks every connection through it at once, as a network blip does,
    and the next connections go through again; :meth:`close` leaves its port refusing
    connections, as a scheduler that died does, until a proxy is made again on that ``port``."""

    def __init__(self, address: str, port: int = 0) -> None:
        host, target_port = address.removeprefix("tcp://").rsplit(":", 1)
        self._target = (host, int(target_port))
        self._server = socket.create_server(("127.0.0.1", port))
        self.address = f"tcp://127.0.0.1:{self._server.getsockname()[1]}"
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._gate = threading.Event()  # clear: the next connections wait (see drop)
        self._gate.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                near, _ = self._server.accept()
            except OSError:  # closed
                return
            self._gate.wait()
            try:
                far = socket.create_connection(self._target)
            except OSError:
                near.close()
                continue
            with self._lock:
                self._open += [near, far]
            for source, sink in ((near, far), (far, near)):
                threading.Thread(target=_forward, args=(source, sink), daemon=True).start()

    def retarget(self, address: str) -> None:
        """Send the next connections to the scheduler at ``address`` (one started in place of
        the first)."""
        host, port = address.removeprefix("tcp://").rsplit(":", 1)
        self._target = (host, int(port))

    def drop(self, hold: bool = False) -> None:
        """Break every connection open through the proxy; ``hold``: the next connections wait
        to go through until :meth:`release`."""
        if hold:
            self._gate.clear()
        with self._lock:
            broken, self._open = self._open, []
        for end in broken:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def release(self) -> None:
        """Let the connections held since :meth:`drop` go through."""
        self._gate.set()

    def close(self) -> None:
        self.release()
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        self.drop()


def _forward(source: socket.socket, sink: socket.socket) -> None:
    """Carry what ``source`` reads to ``sink``; its end (or a break) ends ``sink``'s writing too,
    as the end of a connection reaches its other end."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


def _stop(processes: list[subprocess.Popen[bytes]], how: signal.Signals | None) -> None:
    """Stop ``processes`` with signal ``how`` (None: SIGKILL) and wait for each to end."""
    for proc in processes:
        if proc.poll() is None:
            proc.send_signal(how or signal.SIGKILL)
    for proc in processes:
        if wait_ended(proc, 15) is None:
            proc.kill()
            proc.wait()


def _wait_for_address(info: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the scheduler exited with code {process.returncode}")
        try:
            return str(json.loads(info.read_text())["address"])
        except (OSError, ValueError, KeyError):
            time.sleep(0.01)
    raise AssertionError("the scheduler did not write its address")


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A certificate authority and one certificate for 127.0.0.1 signed by it, with openssl."""
    ca_key, ca, key, request, cert = (
        folder / name for name in ("ca.key", "ca.pem", "node.key", "node.csr", "node.pem")
    )
    extensions = folder / "node.ext"
    extensions.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)

    new_key = ("-newkey", "rsa:2048", "-nodes")
    openssl("req", "-x509", *new_key, "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
            "-subj", "/CN=hypermax-test-ca")  # fmt: skip
    openssl("req", *new_key, "-keyout", str(key), "-out", str(request), "-subj", "/CN=127.0.0.1")
    signed_by_ca = ("-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial")
    openssl("x509", "-req", "-in", str(request), *signed_by_ca, "-out", str(cert), "-days", "2",
            "-extfile", str(extensions))  # fmt: skip
    return ca, cert, key
