"""An objective module whose import does not end on its own, like one that loads a large model
or dataset when imported: it writes the importing process's pid to the file named by
``SLOW_IMPORT_STARTED``, then waits for the file named by ``SLOW_IMPORT_RELEASE`` to appear."""

import os
import time

with open(os.environ["SLOW_IMPORT_STARTED"] + ".tmp", "w") as started:
    started.write(str(os.getpid()))
os.replace(os.environ["SLOW_IMPORT_STARTED"] + ".tmp", os.environ["SLOW_IMPORT_STARTED"])
while not os.path.exists(os.environ["SLOW_IMPORT_RELEASE"]):
    time.sleep(0.05)


def f(params):
    return params["x"]
