"""The callable objective of a :class:`~hypermax.api.plan.Plan` written into its results folder,
where each trial process unpickles it (:mod:`hypermax.shipped`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from hypermax.callables import IDENTITY_FILE
from hypermax.errors import ResultsError

if TYPE_CHECKING:
    from hypermax.api.plan import Plan


def ship(plan: Plan, resumed: bool) -> None:
    """Write the plan's pickled objective (:func:`pickled`) and its identity beside it (and,
    on a second line, the digest of its data), atomically; before that, refuse a search
    ``resumed`` under a name nobody gave (a lambda's, a partial's, a callable object's
    ``objective``) when the folder's search had another objective, and say so on stderr when a
    named one was edited since (a bug fixed), or when the objective's data changed (``b.fit``
    for ``a.fit``, a closure over another value): it resumes, its trials so far of the earlier
    code or data."""
    if plan.shipped is None or plan.shipped_file is None:
        return
    folder = plan.shipped_file.parent
    kept = folder / IDENTITY_FILE
    was = kept.read_text(encoding="utf-8").split() if resumed and kept.exists() else []
    changed = bool(was) and was[0] not in (plan.identity, plan.earlier_identity)
    if changed and plan.named:
        print(
            f"optimize(): the objective changed since the search in {folder} began: its "
            "trials so far ran its earlier code; fresh=True starts anew (the old folder is kept)",
            file=sys.stderr,
        )
    elif changed:
        raise ResultsError(
            f"{folder}: holds the search of another objective (a lambda, a partial and a "
            'callable object are all named "objective"): give each a name=, or fresh=True '
            "to start anew (the old folder is kept)"
        )
    elif len(was) > 1 and plan.data is not None and was[1] != plan.data:
        print(
            f"optimize(): the objective's data changed since the search in {folder} began (the "
            "object its method is bound to, its arguments or the values its code closes over): "
            "its trials so far ran with the earlier data; fresh=True starts anew (the old "
            "folder is kept)",
            file=sys.stderr,
        )
    folder.mkdir(parents=True, exist_ok=True)
    digests = "".join(f"{each}\n" for each in (plan.identity, plan.data) if each is not None)
    for path, data in ((plan.shipped_file, plan.shipped), (kept, digests.encode())):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
