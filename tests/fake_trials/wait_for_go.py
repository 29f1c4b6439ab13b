"""Leaves ``up`` (its pid) in its folder, waits until the file named by env ``GO_FILE`` exists,
then prints its loss, 0.5."""

import os
import pathlib
import time

folder = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"])
(folder / "up.tmp").write_text(str(os.getpid()))
os.replace(folder / "up.tmp", folder / "up")
go = pathlib.Path(os.environ["GO_FILE"])
while not go.exists():
    time.sleep(0.01)
print(0.5)
