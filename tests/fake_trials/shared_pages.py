"""An objective whose trials differ in how much of their memory is their own.

The preload server imports it once and holds ``DATA``; every trial is forked from the server,
so its RSS counts ``DATA``, which it shares with the server and the other trials. A ``pool``
trial forks two workers that share it too: its tree's summed RSS counts ``DATA`` three times,
its PSS only its share. A ``private`` trial fills a block of its own. Each writes ``ready`` in
its folder, then waits to be killed.
"""

import os
import time
from pathlib import Path

DATA = b"\x01" * (128 << 20)


def train(params):
    if params["role"] == "pool":
        for _ in range(2):
            if os.fork() == 0:
                while True:
                    time.sleep(60)
        own = b""
    else:
        own = bytearray(b"\x01") * (96 << 20)
    Path(os.environ["HYPERMAX_TRIAL_DIR"], "ready").write_text(str(len(own)))
    while True:
        time.sleep(60)
