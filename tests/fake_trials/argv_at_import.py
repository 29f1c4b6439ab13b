"""An objective module that keeps the ``sys.argv`` it was imported with (a module that reads its
options from the command line as it loads), and whose ``seen`` returns it with the loss."""

from __future__ import annotations

import sys
from typing import Any

AT_IMPORT = list(sys.argv)


def seen(params: dict[str, Any]) -> dict[str, Any]:
    return {"loss": 0.5, "at_import": AT_IMPORT, "in_trial": list(sys.argv)}
