"""An objective module that imports nothing, and whose ``seen`` returns which of a few modules
its trial's process holds, beside its loss: what hypermax imported there for it."""

from __future__ import annotations

import sys
from typing import Any

#: modules neither this objective nor a trial needs
WATCHED = ("weakref",)


def seen(params: dict[str, Any]) -> dict[str, Any]:
    return {"loss": 1.0, "imported": [name for name in WATCHED if name in sys.modules]}
