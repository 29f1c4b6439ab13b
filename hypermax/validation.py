"""Resolve ``$ref`` in a spec document, check it, and fill in its defaults.

The steps live in :mod:`hypermax.specfile`: ``refs`` (``$ref``), ``schema`` (schema.json and the
defaults it declares), ``checks`` (what the schema cannot say). Every problem becomes one
``(json.path, message)`` pair; :func:`resolve_and_validate` raises them together as a SpecError,
sorted by path: the schema's problems and those of every part the schema found sound.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hypermax.shared_state import changed
from hypermax.specfile.checks import NAME_BYTES, semantic_problems
from hypermax.specfile.compat import given_name, unavailable
from hypermax.specfile.limits import MAX_DEPTH
from hypermax.specfile.plans import planned_iterations
from hypermax.specfile.refs import TEMPLATES_FOLDER, resolve_refs, template_names
from hypermax.specfile.schema import check_schema
from hypermax.system_text import os_size

#: Python frames the checks may take per level of nesting (jsonschema descends through a
#: dozen keywords for each node of the space)
_FRAMES_PER_LEVEL = 40

__all__ = ["TEMPLATES_FOLDER", "default_search_name", "resolve_and_validate", "template_names"]


def resolve_and_validate(
    doc: dict[str, Any], path: Path, named: str | None = None
) -> dict[str, Any]:
    """Return the resolved document with defaults filled in, or raise SpecError.

    Args:
        doc: the parsed spec (it is not modified).
        path: where the spec was read from; ``$ref`` files, ``module`` and ``src`` are found
            relative to its folder, and its stem is the default ``search.name``.
        named: the file its problems name, when the document was read from another file than
            ``path`` (the copy a results folder keeps); ``path``'s name by default.

    Returns:
        A new document: every ``$ref`` replaced by what it names, the defaults schema.json
        declares filled in, ``search.name`` (from ``hypermax_results.name``, else the spec
        file's name), and for a grid or an ablation study ``search.iterations`` (the size of
        its plan). It validates again as it stands.

    Raises:
        SpecError: one ``file: json.path: message`` line per problem; a problem in a file a
            ``$ref`` names is named in that file, with the ``$ref`` that brought it in.
    """
    resolved, sources = resolve_refs(doc, path, named)
    refused = unavailable(resolved)  # the original Hypermax's forms not available here
    with _stack_for(MAX_DEPTH):
        problems = check_schema(resolved)
        problems = refused + [p for p in problems if p[0] not in {where for where, _ in refused}]
        problems += semantic_problems(resolved, path, problems)
    if problems:
        raise sources.error(problems)
    if "name" not in resolved["search"]:
        name = folder_name(given_name(resolved) or path.stem)
        resolved["search"] = {"name": name, **resolved["search"]}
    if "iterations" not in resolved["search"]:  # a method that plans its trials
        resolved["search"]["iterations"] = planned_iterations(resolved)
    return resolved


def default_search_name(path: Path) -> str:
    """The spec file's stem, made safe as a folder name (``my search.json`` → ``my_search``)."""
    return folder_name(path.stem)


def folder_name(text: str) -> str:
    """``text`` made safe as a folder name: ``my search`` → ``my_search`` (letters of any
    script are kept: ``модель`` stays ``модель``)."""
    name = re.sub(r"[^\w.-]", "_", text).lstrip(".-")[:100]
    while os_size(name) > NAME_BYTES:  # 100 letters of 3 or 4 bytes each
        name = name[:-1]
    return name or "search"


@contextlib.contextmanager
def _stack_for(depth: int) -> Iterator[None]:
    """Room on the stack to check a document nested ``depth`` levels deep."""

    def change() -> Callable[[], None]:
        before = sys.getrecursionlimit()
        sys.setrecursionlimit(max(before, depth * _FRAMES_PER_LEVEL))
        return lambda: sys.setrecursionlimit(before)

    with changed(f"recursion limit for {depth}", change):
        yield
