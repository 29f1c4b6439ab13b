"""A well-behaved trial: one report, a plot in its folder, then its result as a JSON line; with
env ``GO_FILE`` set, it waits until that file exists before the result."""

import json
import os
import pathlib
import time

print('HYPERMAX_REPORT {"step": 1, "loss": 0.5}', flush=True)
pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"], "plot.png").write_bytes(b"png")
if "GO_FILE" in os.environ:
    while not os.path.exists(os.environ["GO_FILE"]):
        time.sleep(0.01)
print(json.dumps({"loss": 0.25, "plot": "plot.png"}))
