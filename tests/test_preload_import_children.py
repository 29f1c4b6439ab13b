"""What a preloaded objective's module starts as it is imported (a process it forks) ends with
the search: the preload server's process group is killed when the server stops, and by the
kernel (the server's lifeline) when hypermax is killed."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from conftest import model_spec, run_hypermax_here
from fake_trials.helpers import pid_alive, start_hypermax, wait_until

MODULE = """\
import os
import time

if os.fork() == 0:  # a helper process the module starts as it is imported
    with open({pid_file!r} + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.replace({pid_file!r} + ".tmp", {pid_file!r})
    time.sleep(300)
    os._exit(0)


def train(params):
    if {wait!r}:  # leave a sentinel, then run until hypermax is killed
        with open({pid_file!r} + ".up", "w"):
            pass
        time.sleep(300)
    return params["x"]
"""


def forking_search(tmp_path: Path, wait: bool, iterations: int) -> tuple[Path, str]:
    """A preloaded search whose module forks a process as it is imported; the spec and the
    file that names that process's pid."""
    pid_file = str(tmp_path / "forked_at_import")
    spec = model_spec(
        tmp_path,
        MODULE.format(pid_file=pid_file, wait=wait),
        {"name": "forks", "iterations": iterations},
        function={"preload": True},
    )
    return spec, pid_file


def assert_forked_process_ends(pid_file: str) -> None:
    pid = int(Path(pid_file).read_text())
    try:
        wait_until(lambda: not pid_alive(pid), 5, "the process forked at import to end")
    finally:
        if pid_alive(pid):  # it outlived the search: end it, the test failed
            os.kill(pid, signal.SIGKILL)


def test_a_process_the_module_forked_at_import_ends_with_the_search(tmp_path):
    spec, pid_file = forking_search(tmp_path, wait=False, iterations=2)
    done = run_hypermax_here(spec)
    assert done.returncode == 0, done.stderr
    assert_forked_process_ends(pid_file)


def test_a_process_the_module_forked_at_import_dies_with_a_killed_hypermax(tmp_path):
    spec, pid_file = forking_search(tmp_path, wait=True, iterations=1)
    hypermax = start_hypermax(spec)
    try:
        wait_until(lambda: Path(pid_file + ".up").exists(), 30, "the trial to start")
        hypermax.kill()
        hypermax.wait(10)
    finally:
        hypermax.kill()
    # before: the server died with hypermax, what its import forked lived on
    assert_forked_process_ends(pid_file)


#: the module starts its helper as a program (``subprocess``, which closes the fds it does not
#: pass): the helper holds none of the server's, its lifeline's read end included
MODULE_STARTING_A_PROGRAM = """\
import os
import subprocess
import sys
import time

HELPER = (
    "import os, time\\n"
    "with open({pid_file!r} + '.tmp', 'w') as f:\\n"
    "    f.write(str(os.getpid()))\\n"
    "os.replace({pid_file!r} + '.tmp', {pid_file!r})\\n"
    "time.sleep(300)\\n"
)
helper = subprocess.Popen([sys.executable, "-c", HELPER])
while not os.path.exists({pid_file!r}):  # the import ends once it runs
    time.sleep(0.01)


def train(params):
    with open({pid_file!r} + ".up", "w"):  # a sentinel, then run until hypermax is killed
        pass
    time.sleep(300)
    return params["x"]
"""


def test_a_program_the_module_started_at_import_dies_with_a_killed_hypermax(tmp_path):
    pid_file = str(tmp_path / "started_at_import")
    spec = model_spec(
        tmp_path,
        MODULE_STARTING_A_PROGRAM.format(pid_file=pid_file),
        {"name": "starts", "iterations": 1},
        function={"preload": True},
    )
    hypermax = start_hypermax(spec)
    try:
        wait_until(lambda: Path(pid_file + ".up").exists(), 30, "the trial to start")
        hypermax.kill()
        hypermax.wait(10)
    finally:
        hypermax.kill()
    # before: the kernel killed the server as hypermax's thread that started it ended, before
    # hypermax's last thread closed the lifeline; the server's trials closed its read end as
    # they died, and with it what would have killed the server's process group
    assert_forked_process_ends(pid_file)
