"""Changes a search makes to the state of its whole process while it runs (Python's warnings
functions, the recursion limit, a library's logger), shared by the searches that threads of one
program run at once (``hypermax.optimize`` in a web app's workers): the first to enter makes the
change, the last to leave undoes it. Each saving what it found and putting it back when it
leaves would, when they overlap, put back what another had made: the program would be left
with hypermax's warnings function, or a larger recursion limit, after every search ended."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

_LOCK = threading.Lock()
#: each change made: how many are inside it, and how to undo it
_HELD: dict[str, tuple[int, Callable[[], None]]] = {}


@contextlib.contextmanager
def changed(key: str, change: Callable[[], Callable[[], None]]) -> Iterator[None]:
    """While inside, the change ``key`` names is in force: ``change()`` makes it and returns
    what undoes it, called by the first thread to enter (or when none is inside any more); the
    undoing by the last to leave."""
    with _LOCK:
        count, undo = _HELD.get(key, (0, None))
        if undo is None:
            undo = change()
        _HELD[key] = (count + 1, undo)
    try:
        yield
    finally:
        with _LOCK:
            count, undo = _HELD.pop(key)
            if count > 1:
                _HELD[key] = (count - 1, undo)
            else:
                undo()


#: held while ``sys.path`` is set aside for a moment (to find or import a module from the spec's
#: folder) and put back: two searches' checks must not put back what the other had set aside
SYS_PATH = threading.RLock()
