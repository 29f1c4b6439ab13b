"""With param ``leave`` 1, leaves a child that ignores SIGTERM running (its pid in ``child`` in
the trial's folder, once it ignores it); then does what ``wait_for_go.py`` does: leaves ``up``
in its folder, waits until the file named by env ``GO_FILE`` exists, and prints its loss, 0.5."""

import os
import pathlib
import runpy
import signal
import time

folder = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"])
if os.environ.get("HYPERMAX_PARAM_LEAVE") == "1":
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.close(1)
        os.close(2)
        (folder / "child.tmp").write_text(str(os.getpid()))
        os.replace(folder / "child.tmp", folder / "child")
        while True:
            signal.pause()
    while not (folder / "child").exists():
        time.sleep(0.01)
runpy.run_path(str(pathlib.Path(__file__).with_name("wait_for_go.py")), run_name="__main__")
