"""What the pickle of an objective ``hypermax.optimize`` shipped calls as a trial loads it.

Not in :mod:`hypermax.shipped`, whose functions go by value through cloudpickle in a trial (the
script's functions it takes on must reach joblib's and Dask's workers): pickling one of these
by value pickles its code, which calls it again, without end (an objective that ships a
function of its script to ``hypermax.optimize`` itself, a search inside a trial). Here, they go
by name. Only the standard library is imported.
"""

from __future__ import annotations

from typing import Any


def code_in_file(args: tuple[Any, ...], filename: str) -> Any:
    """A code object of the shipped callable, made from cloudpickle's ``args``, named after the
    file it came from (so that a traceback shows its lines)."""
    from types import CodeType

    return CodeType(*args).replace(co_filename=filename)


def cached_again(function: Any, parameters: dict[str, Any]) -> Any:
    """A function of the caller's script that ``functools.cache`` or ``lru_cache`` wrapped
    there, wrapped again in the trial's process (``parameters``: its ``cache_parameters()``)."""
    import functools

    return functools.lru_cache(**parameters)(function)
