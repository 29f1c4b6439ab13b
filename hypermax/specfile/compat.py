"""What specs written for the original Hypermax carry, and what becomes of it here.

Its ``hypermax_results`` section names the search (when ``search.name`` does not) and is kept as
the search's metadata; keys that did something there and nothing here (uploading results,
drawing graphs into the results folder) are accepted with one notice each, so that those specs
run unchanged. ``"type"`` beside an ``enum`` or a ``constant``, ``"mode": "uniform"`` and
``"scaling": "linear"`` are plain schema.json keys. Its forms that have no counterpart here (the
``remote`` function, the ``abh`` method) are one problem each, saying what to use instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypermax.specfile.problems import Problem

#: the original Hypermax's top-level section about a search's results
RESULTS_SECTION = "hypermax_results"

_DO_NOTHING = {
    (RESULTS_SECTION, "upload_frequency"): (
        "results are not uploaded by this version; the section is kept as the search's metadata"
    ),
    ("results", "graphs"): (
        "this version draws no graphs into the results folder (the dashboard charts the search)"
    ),
}


_NO_GRAPHS = ("results", "graphs", False)

#: forms of the original Hypermax that this version has no counterpart of: the keys that go
#: with each (not unknown keys, then) and what to use instead
_UNAVAILABLE = {
    ("function", "type", "remote"): (
        ("hosts", "rsync"),
        '"remote" (the original Hypermax\'s command run over ssh on each of "hosts") is not'
        ' available: run ssh as an "executable", "command": ["ssh", "HOST", "COMMAND"]',
    ),
    ("search", "method", "abh"): (
        ("min_budget", "max_budget", "eta"),
        '"abh" (the original Hypermax\'s Adaptive Bayesian Hyperband) is not available:'
        ' "early_stopping": {"policy": "asha"} stops poor trials from their reports, as'
        " Hyperband does",
    ),
}


def unavailable(doc: dict[str, Any]) -> list[Problem]:
    """One ``(json path, problem)`` per form of the original Hypermax ``doc`` uses that has no
    counterpart here (``"type": "remote"``); the keys that go with it (``hosts``) are taken out
    of ``doc``, so that they are not named as unknown keys besides."""
    found: list[Problem] = []
    for (section, key, value), (companions, text) in _UNAVAILABLE.items():
        part = doc.get(section)
        if isinstance(part, dict) and part.get(key) == value:
            for companion in companions:
                part.pop(companion, None)
            found.append(((section, key), text))
    return found


def notices(doc: dict[str, Any]) -> Iterator[Problem]:
    """One ``(json path, notice)`` per key of the original Hypermax that does nothing here
    (``"graphs": false`` asks for nothing, which is what it gets)."""
    for (section, key), text in _DO_NOTHING.items():
        if key in doc.get(section, {}) and (section, key, doc[section][key]) != _NO_GRAPHS:
            yield (section, key), text


def metadata(doc: dict[str, Any]) -> dict[str, Any]:
    """The search's metadata: the ``hypermax_results`` section, as written."""
    return dict(doc.get(RESULTS_SECTION, {}))


def given_name(doc: dict[str, Any]) -> str | None:
    """The search's name that ``hypermax_results.name`` gives, if any."""
    name = doc.get(RESULTS_SECTION, {}).get("name")
    return name if isinstance(name, str) else None
