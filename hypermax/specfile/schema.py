"""``schema.json``: check a spec document against it and fill in the defaults it declares.

The schema's ``"default"`` keywords are the one place the spec's defaults are written: checking a
document writes each missing default into it (the jsonschema FAQ recipe of extending the
``properties`` keyword), and :func:`declared_default` reads one for code that builds a frozen
spec without a document. A default inside a ``then``/``else`` branch applies only where that
branch does (a value metric's ``direction``), and a failing ``if`` fills nothing, so the filled
document is valid again as it stands. Defaults that depend on more than the document (the
search's name, from the spec file's name) are filled by the caller.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypermax.specfile.problems import JsonPath, KeyPath, Problem
from hypermax.specfile.schema_errors import explain, unknown_keys

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

SCHEMA_PATH = Path(__file__).parent.parent / "schema.json"


@functools.cache
def spec_schema() -> dict[str, Any]:
    """The JSON Schema of a spec (``hypermax/schema.json``), read once."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def declared_default(definition: str, key: str) -> Any:
    """The ``default`` schema.json declares for ``key`` in ``$defs/<definition>``.

    Looks in the definition's ``properties``, then in those of its ``allOf`` branches' ``then``.
    Raises KeyError when it declares none.
    """
    schema = spec_schema()["$defs"][definition]
    for branch in (schema, *(part.get("then", {}) for part in schema.get("allOf", []))):
        subschema = branch.get("properties", {}).get(key, {})
        if "default" in subschema:
            return subschema["default"]
    raise KeyError(f"schema.json declares no default for {definition}.{key}")


def check_schema(doc: dict[str, Any]) -> list[Problem]:
    """Every way ``doc`` breaks schema.json, one short message each; fills defaults into ``doc``.

    The defaults are written as the schema is walked, so ``doc`` is complete only when no
    problem is returned.
    """
    # each worded as it is found: the defaults filled later must not count as written (a key
    # "resutls" is a typo of the "results" the spec left out, not of one filled in)
    found = [
        (tuple(error.absolute_path), error.validator, _where(error), explain(error))
        for error in _spec_validator().iter_errors(doc)
    ]
    # a value held to one constant (the top of the space: "object") is told that alone, not also
    # the list of choices the same key has elsewhere (a node's "type")
    held = {path for path, validator, _, _ in found if validator == "const"}
    return [
        (where, message)
        for path, validator, where, message in found
        if validator != "enum" or path not in held
    ]


def _where(error: ValidationError) -> JsonPath:
    """The path of the value ``error`` is about: for keys an object must not hold, the first
    of them (a key written beside a ``$ref`` is named in the file that wrote it)."""
    path = tuple(error.absolute_path)
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        unknown = unknown_keys(error)
        if unknown:
            return KeyPath((*path, unknown[0]))
    return path


@functools.cache
def _spec_validator() -> Validator:
    return filling_validator(spec_schema())


def filling_validator(schema: dict[str, Any]) -> Validator:
    """A Draft 2020-12 validator of ``schema`` that writes each missing default as it checks.

    Where ``properties`` applies to an object, a property it lacks whose subschema has a
    ``default`` gets a copy of that default, before its subschema is checked (so the defaults of
    a section filled in this way are filled in too). An ``if`` is tested without filling.
    """
    from jsonschema import Draft202012Validator, validators

    plain = Draft202012Validator(schema)
    check_properties = Draft202012Validator.VALIDATORS["properties"]

    def properties(
        validator: Validator, properties: Mapping[str, Any], instance: Any, schema: Any
    ) -> Iterator[ValidationError]:
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if name not in instance and isinstance(subschema, dict) and "default" in subschema:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from check_properties(validator, properties, instance, schema)

    def if_(
        validator: Validator, if_schema: Any, instance: Any, schema: Any
    ) -> Iterator[ValidationError]:
        # only the branch taken may leave defaults behind, and the condition itself none
        branch = "then" if plain.evolve(schema=if_schema).is_valid(instance) else "else"
        if branch in schema:
            yield from validator.descend(instance, schema[branch], schema_path=branch)

    filling = validators.extend(Draft202012Validator, {"properties": properties, "if": if_})
    return filling(schema)
