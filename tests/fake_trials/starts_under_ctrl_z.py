"""Starts short processes one after the other (``/bin/true``, by
:func:`hypermax.execution.process_start.start`) in a thread, while its main thread takes Ctrl-Z
as hypermax does while a search runs: its handler stops the process (``stop_this_process``).

``starts_under_ctrl_z.py READY``: once the starts have begun, it makes the file ``READY``; it
runs until it is killed. It holds many open files, which every start closes in the child
before its ``exec``: the time a child spends there, still in the program's process group, is
long enough for a Ctrl-Z to reach it.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading

from hypermax.execution.process_start import start
from hypermax.interrupts import signals_to, stop_this_process

#: the most files it holds (the limit of a process's open files permitting)
HELD_FILES = 20000
HELD: list[int] = []


def starts() -> None:
    while True:
        start(["/bin/true"], stdin=subprocess.DEVNULL).wait()


def main() -> None:
    _, most = resource.getrlimit(resource.RLIMIT_NOFILE)
    if most == resource.RLIM_INFINITY:
        most = HELD_FILES + 100
    resource.setrlimit(resource.RLIMIT_NOFILE, (most, most))
    null = os.open(os.devnull, os.O_RDONLY)
    HELD.extend(os.dup(null) for _ in range(min(HELD_FILES, most - 100)))
    with signals_to(lambda signum, frame: os._exit(3), on_stop=lambda s, f: stop_this_process()):
        threading.Thread(target=starts, daemon=True).start()
        with open(sys.argv[1], "w"):
            pass
        waiting = threading.Event()
        while True:  # in steps, as hypermax's main thread waits: its handlers run meanwhile
            waiting.wait(0.2)


if __name__ == "__main__":
    main()
