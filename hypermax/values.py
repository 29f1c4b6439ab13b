"""Comparing JSON values the way a spec means them, and showing them as a spec writes them."""

from __future__ import annotations

import json
import os
from typing import Any


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: ``1 == 1.0``, but ``true != 1`` and ``1 != "1"``; lists and objects by
    their items."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple | dict) or isinstance(b, list | tuple | dict):
        return False
    return bool(a == b)


def json_text(value: Any, limit: int | None = 60) -> str:
    """``value`` as JSON spells it, on one line, for a message about a value of the spec or the
    params: ``true``, ``null``, ``"a"``, ``[1, "b"]`` (a tuple as the list it stands for), not
    Python's ``True``, ``None``, ``'a'``, ``(1, 'b')``; a text's line break as ``\\n``. Cut to
    ``limit`` characters, if given (a string keeps its closing quote); a value JSON cannot hold
    (one given to :func:`hypermax.optimize`: ``b"res"``, a set) is shown as Python writes it,
    not as a JSON string it is not."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # not JSON, or a list that holds itself
        text = repr(value)
    if limit is None or len(text) <= limit:
        return text
    if isinstance(value, str):
        return text[: limit - 4] + '..."'
    return text[: limit - 3] + "..."


def quoted(text: str) -> str:
    """A name or a path from the spec in JSON's quotes, whole (:func:`json_text`, not cut): a
    quote or a line break in it is escaped, so that it stays one line of a message."""
    return json_text(text, None)


def plain(value: Any) -> Any:
    """A numpy array or number (or anything with ``tolist``: a pandas Series, a tensor) as the
    Python list or number it holds, a ``range`` as a list; any other value as it is."""
    if isinstance(value, range):
        return list(value)
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and not isinstance(value, type | str | list | tuple):
        return tolist()
    return value


def as_json(value: Any) -> Any:
    """``value`` as JSON holds it: numpy values inside as the numbers and lists they hold
    (:func:`plain`), tuples as lists, paths as strings. Raises TypeError naming the type of a
    value JSON cannot hold (a set, an object), ValueError for a value that holds itself."""

    def convert(inner: Any) -> Any:
        if isinstance(inner, os.PathLike):
            return os.fspath(inner)
        converted = plain(inner)
        if converted is inner:
            raise TypeError(f"a {type(inner).__name__}, which JSON cannot hold")
        return converted

    return json.loads(json.dumps(value, default=convert))
