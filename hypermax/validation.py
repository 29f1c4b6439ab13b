"""Resolve ``$ref`` in a spec document, check it, and fill in its defaults.

The steps live in :mod:`hypermax.specfile`: ``refs`` (``$ref``), ``schema`` (schema.json and the
defaults it declares), ``checks`` (what the schema cannot say). Every problem becomes one
``(json.path, message)`` pair; :func:`resolve_and_validate` raises them together as a SpecError,
at most five of them, sorted by path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hypermax.errors import SpecError
from hypermax.specfile.checks import semantic_problems
from hypermax.specfile.plans import planned_iterations
from hypermax.specfile.problems import report
from hypermax.specfile.refs import TEMPLATES_FOLDER, resolve_refs, template_names
from hypermax.specfile.schema import check_schema

__all__ = ["TEMPLATES_FOLDER", "default_search_name", "resolve_and_validate", "template_names"]


def resolve_and_validate(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    """Return the resolved document with defaults filled in, or raise SpecError.

    Args:
        doc: the parsed spec (it is not modified).
        path: where the spec was read from; ``$ref`` files, ``module`` and ``src`` are found
            relative to its folder, and its stem is the default ``search.name``.

    Returns:
        A new document: every ``$ref`` replaced by what it names, the defaults schema.json
        declares filled in, ``search.name``, and for a grid or an ablation study
        ``search.iterations`` (the size of its plan). It validates again as it stands.

    Raises:
        SpecError: one ``file: json.path: message`` line per problem (at most five).
    """
    resolved = resolve_refs(doc, path)
    problems = check_schema(resolved)
    if not problems:
        problems = semantic_problems(resolved, path)
    if problems:
        raise SpecError(path.name, report(problems))
    if "name" not in resolved["search"]:
        resolved["search"] = {"name": default_search_name(path), **resolved["search"]}
    if "iterations" not in resolved["search"]:  # a method that plans its trials
        resolved["search"]["iterations"] = planned_iterations(resolved)
    return resolved


def default_search_name(path: Path) -> str:
    """The spec file's stem, made safe as a folder name (``my search.json`` → ``my_search``)."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem).lstrip(".-")
    return name[:100] or "search"
