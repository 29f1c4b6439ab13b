"""Run as PID 1's grandchild in a pid namespace: prints as its loss how many of PID 1's children
are zombies (waiting up to 5 s for them to be reaped), then leaves an orphan that has exited
(its parent exits first, so PID 1 inherits it), to be reaped by PID 1."""

import json
import os
import time


def zombies_of_pid_one() -> int:
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            count += fields[0] == b"Z" and fields[1] == b"1"
    return count


deadline = time.monotonic() + 5
while (left := zombies_of_pid_one()) and time.monotonic() < deadline:
    time.sleep(0.02)
middle = os.fork()
if middle == 0:
    if os.fork() == 0:
        os._exit(0)  # the orphan
    os._exit(0)
os.waitpid(middle, 0)
print(json.dumps({"loss": left}))
