"""Leaves a process that hypermax cannot find holding its stdout open, then prints its loss.

The process escapes every way a process can: it calls setsid, is double-forked at once, and
runs with an empty environment. It writes its pid to ``held`` in the trial folder, then sleeps
for a minute (the test kills it sooner).
"""

import os
import sys
import time

held = os.path.join(os.environ["HYPERMAX_TRIAL_DIR"], "held")
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        code = f"import os, time\nopen({held!r}, 'w').write(str(os.getpid()))\ntime.sleep(60)"
        os.execve(sys.executable, [sys.executable, "-c", code], {})
    os._exit(0)
os.wait()
while not os.path.exists(held):
    time.sleep(0.01)
print(0.75)
