"""An executable trial: reads params three ways, prints noise, then its loss as the last line."""

import json
import os
import sys

with open(os.environ["HYPERMAX_PARAMS_FILE"]) as f:
    params = json.load(f)
assert float(os.environ["HYPERMAX_PARAM_X"]) == params["x"]
assert float(sys.argv[1]) == params["x"]
with open(os.path.join(os.environ["HYPERMAX_TRIAL_DIR"], "argv.json"), "w") as f:
    json.dump({"argv": sys.argv[1:], "env_x": os.environ["HYPERMAX_PARAM_X"]}, f)
print("starting a trial; 12 things to do")
print("HYPERMAX_REPORT " + json.dumps({"step": 1, "loss": 9.0}))
print(json.dumps({"loss": (params["x"] - 1.0) ** 2, "note": "exe"}))
