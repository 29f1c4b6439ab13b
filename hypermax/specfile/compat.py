"""What specs written for the original Hypermax carry, and what becomes of it here.

Its ``hypermax_results`` section names the search (when ``search.name`` does not) and is kept as
the search's metadata; keys that did something there and nothing here (uploading results,
drawing graphs into the results folder) are accepted with one notice each, so that those specs
run unchanged. ``"type"`` beside an ``enum`` or a ``constant``, ``"mode": "uniform"`` and
``"scaling": "linear"`` are plain schema.json keys.
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
