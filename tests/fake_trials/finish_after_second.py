"""Trial 1 ends after trial 2 with the same loss: trial 1 waits until the search's journal
records trial 2's end; every trial prints its loss, 0.5."""

import os
import pathlib
import time

folder = pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"])
if folder.name == "1":
    journal = folder.parent.parent / "trials.jsonl"
    while '"event":"trial_finished","id":2,' not in journal.read_text().replace(" ", ""):
        time.sleep(0.01)
print(0.5)
