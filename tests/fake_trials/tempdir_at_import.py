"""An objective module that makes a scratch folder when imported, removed at exit
(``tempfile.TemporaryDirectory``), and whose ``scratch`` writes a file there and returns the
folder's path with its loss."""

from __future__ import annotations

import os
import tempfile
from typing import Any

SCRATCH = tempfile.TemporaryDirectory(prefix="hypermax-test-scratch-")


def scratch(params: dict[str, Any]) -> dict[str, Any]:
    with open(os.path.join(SCRATCH.name, "note.txt"), "w") as out:
        out.write("written")
    return {"loss": 0.5, "scratch": SCRATCH.name}
