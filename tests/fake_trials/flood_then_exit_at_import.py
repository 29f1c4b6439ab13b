"""An objective module whose import prints ``FLOOD_MIB`` MiB (default 32) of lines to stdout,
then a last line to stderr, ``import gave up: no data``, and ends the process
(``os._exit(4)``): a loader that logs as it goes, then gives up."""

import os

_LINE = b"loading " + b"." * 1014 + b"\n"
_CHUNK = _LINE * 1024
for _ in range(int(os.environ.get("FLOOD_MIB", "32"))):
    os.write(1, _CHUNK)
os.write(2, b"import gave up: no data\n")
os._exit(4)


def f(params):
    return params["x"]
