"""Parse a YAML spec file's text into plain JSON values, with ``safe_load`` rules made stricter.

YAML aliases are counted as they are composed (a document that would expand past
:data:`~hypermax.specfile.limits.MAX_VALUES` values, or nest deeper than
:data:`~hypermax.specfile.limits.MAX_DEPTH`, is refused naming the first alias that crossed the
bound). Tags that would build Python objects, duplicate keys and keys that are not strings are
refused; numbers written with an exponent (``1e-3``, ``5e+2``), which PyYAML reads as strings,
are numbers, and ``010`` is 10, not YAML 1.1's octal 8; dates and YAML 1.1's base-60 numbers
(``16:9``, ``12:30``) stay text. Each problem is a SpecError naming the line.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sys
from typing import Any

from hypermax.errors import SpecError
from hypermax.specfile.limits import MAX_DEPTH, MAX_VALUES, too_large
from hypermax.values import quoted

#: a number with an exponent, as YAML 1.2 and JSON write it, that PyYAML 1.1 rules miss
_EXPONENT_NUMBER = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")


#: a whole number written with a leading zero (``010``, ``08``), which YAML 1.1 reads as octal
#: (8) or as text (``"08"``), and YAML 1.2 as the decimal number it looks like
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]*[0-9][0-9_]*$")


class _YAMLProblem(Exception):
    """A YAML document that parses but is not allowed in a spec."""

    def __init__(self, node: Any, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1


class _Expansion:
    """The size and depth each composed YAML node would have with its aliases expanded.

    Nodes are measured once, when they are complete, from their children's measures, so a
    document of a few aliases that would expand to billions of values is measured in the time
    it takes to read it.
    """

    def __init__(self) -> None:
        self.measures: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth)
        self.total = 0  # values of the document so far, with its aliases expanded

    def measure(self, node: Any) -> tuple[int, int]:
        """Record a complete node: 1 + its children's values, 1 + its deepest child's depth."""
        if not isinstance(node.value, list):  # a scalar
            measured = (1, 0)
        else:
            children = [
                part
                for child in node.value
                for part in (child if isinstance(child, tuple) else (child,))
            ]
            sizes = [self.measures[id(child)] for child in children]
            measured = (
                1 + sum(values for values, _ in sizes),
                1 + max((depth for _, depth in sizes), default=0),
            )
        self.measures[id(node)] = measured  # the document holds every node: ids stay unique
        return measured


@functools.cache
def _spec_yaml_loader() -> type:
    """A SafeLoader that refuses unknown tags (and ``!!binary`` and ``!!set``, which build
    values JSON has no form for), duplicate keys and keys that are not strings,
    counts what its aliases expand to, and reads numbers with an exponent as numbers.

    Built on first use so that reading a JSON spec never imports yaml.
    """
    import yaml

    class SpecLoader(yaml.SafeLoader):
        def compose_document(self) -> Any:
            self.expansion = _Expansion()
            self.duplicates: list[_YAMLProblem] = []
            return super().compose_document()

        def compose_node(self, parent: Any, index: Any) -> Any:
            expansion: _Expansion = self.expansion
            if not self.check_event(yaml.AliasEvent):
                node = super().compose_node(parent, index)
                values, depth = expansion.measure(node)
                expansion.total += 1
                if depth > MAX_DEPTH:
                    raise _YAMLProblem(node, f"nested more than {MAX_DEPTH} levels deep")
                return node
            alias = self.peek_event()
            node = super().compose_node(parent, index)
            if id(node) not in expansion.measures:  # still being composed: it holds the alias
                raise _YAMLProblem(alias, f"alias *{alias.anchor} refers to a value that holds it")
            values, depth = expansion.measures[id(node)]
            expansion.total += values
            if expansion.total > MAX_VALUES:
                message = f"alias *{alias.anchor} expands the document past {MAX_VALUES:,} values"
                raise _YAMLProblem(alias, message)
            return node

        def flatten_mapping(self, node: Any) -> None:
            # as the YAML merge type says (PyYAML 6.0.4's own lets the last mapping of a
            # "<<" list win for keys of two characters or more): a key written in the
            # mapping wins, then the first mapping merged in that has it
            merged: list[tuple[Any, Any]] = []
            own: list[tuple[Any, Any]] = []
            for key_node, value_node in node.value:
                if key_node.tag != "tag:yaml.org,2002:merge":
                    if key_node.tag == "tag:yaml.org,2002:value":
                        key_node.tag = "tag:yaml.org,2002:str"
                    own.append((key_node, value_node))
                    continue
                many = isinstance(value_node, yaml.SequenceNode)
                for source in value_node.value if many else [value_node]:
                    if not isinstance(source, yaml.MappingNode):
                        raise yaml.constructor.ConstructorError(
                            "while constructing a mapping",
                            node.start_mark,
                            "expected a mapping or list of mappings for merging, "
                            f"but found {source.id}",
                            source.start_mark,
                        )
                    self.flatten_mapping(source)
                    merged.extend(source.value)
            taken = {(key_node.tag, key_node.value) for key_node, _ in own}
            first: list[tuple[Any, Any]] = []
            for key_node, value_node in merged:
                key = (key_node.tag, key_node.value) if isinstance(key_node.value, str) else None
                if key is None or key not in taken:
                    first.append((key_node, value_node))
                    if key is not None:
                        taken.add(key)
            node.value = first + own

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    # the mappings a merge key brings in are checked as any other mapping
                    # (built once: a mapping written inline there is built nowhere else)
                    merged = value_node.value if isinstance(value_node.value, list) else []
                    for part in [value_node, *merged]:
                        if isinstance(part, yaml.MappingNode):
                            self.construct_object(part, deep=True)
                    continue
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    shown = json.dumps(key, default=str)
                    raise _YAMLProblem(key_node, f"key {shown} must be a string (quote it)")
                if key in seen:  # every one is said, in the order of the file's lines
                    self.duplicates.append(_YAMLProblem(key_node, f"duplicate key {quoted(key)}"))
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    def refuse_tag(loader: Any, node: Any) -> Any:
        tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        raise _YAMLProblem(node, f"YAML tag {tag} is not allowed")

    def timestamp_as_text(loader: Any, node: Any) -> str:
        return str(loader.construct_scalar(node))

    def finite_float(loader: Any, node: Any) -> float | str:
        if ":" in str(node.value):  # 1:30.5, YAML 1.1's base 60: 90.5
            return str(loader.construct_scalar(node))
        value: float = loader.construct_yaml_float(node)
        if math.isinf(value) and "inf" not in str(node.value).lower():  # 1e400, not .inf
            raise _YAMLProblem(node, too_large(str(node.value)) or "too large")
        return value

    def bounded_int(loader: Any, node: Any) -> int | str:
        text = str(node.value)
        if ":" in text:  # 16:9, 12:30: YAML 1.1's base 60 (1009, 750); text in YAML 1.2, JSON
            return str(loader.construct_scalar(node))
        problem = too_large(text) if text.lstrip("+-").replace("_", "").isdigit() else None
        if problem is not None:
            raise _YAMLProblem(node, problem)
        if _LEADING_ZERO.fullmatch(text):  # 010: YAML 1.1's octal (8); 10 in YAML 1.2
            return int(text.replace("_", ""))
        value: int = loader.construct_yaml_int(node)
        if abs(value) > sys.float_info.max:  # 0x...
            raise _YAMLProblem(node, too_large(str(abs(value))) or "too large")
        return value

    SpecLoader.add_constructor(None, refuse_tag)
    for tag in ("binary", "set"):  # bytes and sets: values JSON has no form for
        SpecLoader.add_constructor(f"tag:yaml.org,2002:{tag}", refuse_tag)
    SpecLoader.add_implicit_resolver(
        "tag:yaml.org,2002:float", _EXPONENT_NUMBER, list("-+.0123456789")
    )
    # 08 and 09 too (YAML 1.1 has them text), read as the whole numbers they are written as
    SpecLoader.add_implicit_resolver("tag:yaml.org,2002:int", _LEADING_ZERO, list("-+0"))
    # dates stay the text they were written as: a spec holds JSON values only
    SpecLoader.add_constructor("tag:yaml.org,2002:timestamp", timestamp_as_text)
    SpecLoader.add_constructor("tag:yaml.org,2002:int", bounded_int)
    SpecLoader.add_constructor("tag:yaml.org,2002:float", finite_float)
    return SpecLoader


class InvalidYAML(SpecError):
    """Text that PyYAML cannot parse at all (as against YAML holding what a spec cannot)."""


def parse_yaml(text: str, file: str) -> Any:
    """Parse YAML ``text`` of the file named ``file``; SpecError for what a spec cannot hold."""
    import yaml

    loader = _spec_yaml_loader()(text)  # a SafeLoader subclass: yaml.safe_load's rules, stricter
    try:
        doc = loader.get_single_data()
    except _YAMLProblem as exc:
        raise SpecError(file, [("", f"line {exc.line}: {exc}")]) from None
    except RecursionError:
        raise SpecError(file, [("", f"nested more than {MAX_DEPTH} levels deep")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        if context and problem.startswith("but "):  # "but found another document"
            problem = f"{context}, {problem}"
        if "'\\t'" in problem:  # PyYAML refuses tabs where a user sees whitespace
            problem += " (write spaces, not tabs, to indent and separate YAML)"
        raise InvalidYAML(file, [("", f"{where}invalid YAML: {problem}")]) from None
    finally:
        loader.dispose()
    duplicates = sorted(getattr(loader, "duplicates", []), key=lambda found: found.line)
    if duplicates:
        raise SpecError(file, [("", f"line {found.line}: {found}") for found in duplicates])
    return doc
