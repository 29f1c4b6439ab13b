"""A well-behaved trial: one report, a plot in its folder, then its result as a JSON line."""

import json
import os
import pathlib

print('HYPERMAX_REPORT {"step": 1, "loss": 0.5}', flush=True)
pathlib.Path(os.environ["HYPERMAX_TRIAL_DIR"], "plot.png").write_bytes(b"png")
print(json.dumps({"loss": 0.25, "plot": "plot.png"}))
