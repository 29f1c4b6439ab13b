"""A Ctrl-C while hypermax waits for a Dask scheduler ends the wait even when the kernel hands
the signal to another thread (the one connecting, or Dask's event loop): only that thread
wakes, so a single long wait in the main thread would hold it until the wait's end (60 s)."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

CONNECT = """
import signal, sys, threading, time
from hypermax.execution.dask_cluster import connect
from hypermax.spec import ClusterSpec

def ctrl_c_to_the_connecting_thread():
    while True:
        found = [t for t in threading.enumerate() if t.name == "hypermax-dask-connect"]
        if found:
            time.sleep(0.2)  # well inside Dask's attempts
            signal.pthread_kill(found[0].ident, signal.SIGINT)
            return
        time.sleep(0.01)

threading.Thread(target=ctrl_c_to_the_connecting_thread, daemon=True).start()
try:
    connect(ClusterSpec(scheduler=sys.argv[1], lost_scheduler_wait=60), "search.json")
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def test_a_ctrl_c_that_another_thread_receives_ends_the_wait_for_a_scheduler():
    pytest.importorskip("distributed", reason="needs the dask extra: pip install 'hypermax[dask]'")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        address = f"tcp://127.0.0.1:{taken.getsockname()[1]}"  # then nothing listens there
    done = subprocess.run(
        [sys.executable, "-c", CONNECT, address], capture_output=True, text=True, timeout=30
    )
    assert (done.returncode, done.stdout.strip()) == (0, "interrupted"), done.stderr
