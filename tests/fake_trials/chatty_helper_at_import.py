"""An objective module whose import starts a helper that logs as it runs: once the file named by
``HELPER_GO`` exists, it writes ``HELPER_MIB`` MiB (default 16) to its stdout, the importing
process's, then writes ``done`` to the file named by ``HELPER_DONE`` and sleeps."""

import os
import subprocess
import sys

_HELPER = """
import os, sys, time
go, done, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
while not os.path.exists(go):
    time.sleep(0.01)
chunk = (b"helper says " + b"." * 1011 + b"\\n") * 1024
for _ in range(mib):
    os.write(1, chunk)
with open(done + ".tmp", "w") as out:
    out.write("done")
os.replace(done + ".tmp", done)
time.sleep(3600)
"""

helper = subprocess.Popen(
    [
        sys.executable,
        "-c",
        _HELPER,
        os.environ["HELPER_GO"],
        os.environ["HELPER_DONE"],
        os.environ.get("HELPER_MIB", "16"),
    ]
)


def f(params):
    return params["x"]
