"""Resolve ``$ref`` in a spec: replace each ``{"$ref": ...}`` by the node or section it names.

``other.json#/json/pointer`` and ``other.yaml`` are relative to the file the ``$ref`` is in,
``#/pointer`` points into that same file, ``template:NAME#/pointer`` into a bundled template
(``hypermax/templates/NAME.json``). Keys beside ``$ref`` override the keys of the referenced
object. A ``$ref`` that cannot be followed (missing file, bad pointer, a cycle) is one problem
naming the JSON path where it stood. So is one that would make the spec too large (past
:data:`~hypermax.specfile.reader.MAX_VALUES` values: a few refs that each pull another twice can
expand to billions), too deep (past :data:`~hypermax.specfile.reader.MAX_DEPTH` levels), or
that starts a chain of more than :data:`MAX_REF_CHAIN` refs.

The resolver is hand-written rather than built on the ``referencing`` library that jsonschema
brings along, because ``referencing`` does not fit these documents, which are not schemas:
its JSON-pointer walk indexes into strings and accepts negative indices (``#/name/0`` into
``"train"`` gives ``"t"``, ``#/items/-1`` the last item) and raises a bare ValueError for a word
into a list, so every pointer would need the check below anyway; a file it cannot read surfaces
wrapped twice (Unresolvable, then Unretrievable), far from the one-line reason; ``template:``
names are not URIs it can join against. What is left to share is joining a relative path to a
folder, which pathlib does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from hypermax.errors import SpecError
from hypermax.specfile.problems import JsonPath, dotted, show
from hypermax.specfile.reader import MAX_DEPTH, MAX_VALUES, parse_document

#: the longest chain of ``$ref``s followed to resolve one (a ref to a ref to a ref ...)
MAX_REF_CHAIN = 50

TEMPLATES_FOLDER = Path(__file__).parent.parent / "templates"
TEMPLATE_PREFIX = "template:"


def template_names() -> list[str]:
    """Names of the bundled search-space templates (``template:NAME`` in a ``$ref``)."""
    return sorted(p.stem for p in TEMPLATES_FOLDER.glob("*.json"))


class _RefProblem(Exception):
    """A ``$ref`` that cannot be followed; ``where`` is the JSON path where it stood."""

    def __init__(self, where: JsonPath, message: str) -> None:
        super().__init__(message)
        self.where = where


def resolve_refs(doc: dict[str, Any], path: Path, named: str | None = None) -> dict[str, Any]:
    """A copy of ``doc`` (read from ``path``) with every ``$ref`` replaced by what it names.

    Raises:
        SpecError: one line naming the JSON path where a ``$ref`` that cannot be followed stood,
            in the file ``named`` (``path``'s name by default).
    """
    resolver = _Resolver(path, doc)
    try:
        resolved = resolver.resolve(doc, (), resolver.spec_file)
    except _RefProblem as exc:
        raise SpecError(named or path.name, [(dotted(exc.where), str(exc))]) from None
    return resolved


class _Resolver:
    """Follows ``$ref``s, keeping each file it read and the chain of refs being followed."""

    def __init__(self, spec_path: Path, doc: dict[str, Any]) -> None:
        self.spec_file = spec_path.resolve()
        self.spec_folder = self.spec_file.parent
        self.documents: dict[Path, Any] = {self.spec_file: doc}
        self.chain: list[tuple[Path, str]] = []
        self.following: list[tuple[str, JsonPath, Path]] = []  # (ref, where, base) of the chain
        self.values = 0  # values written into the resolved document so far

    def resolve(self, value: Any, where: JsonPath, base: Path) -> Any:
        """A copy of ``value`` (found in file ``base``) with its ``$ref``s replaced."""
        self.values += 1
        if self.values > MAX_VALUES or len(where) > MAX_DEPTH:
            self._too_big(where)
        if isinstance(value, list):
            return [self.resolve(item, (*where, i), base) for i, item in enumerate(value)]
        if not isinstance(value, dict):
            return value
        if "$ref" not in value:
            return {key: self.resolve(item, (*where, key), base) for key, item in value.items()}
        target = self.follow(value["$ref"], where, base)
        siblings = {key: item for key, item in value.items() if key != "$ref"}
        if not siblings:
            return target
        if not isinstance(target, dict):
            problem = "names a value that is not an object, so keys beside $ref cannot apply"
            raise _RefProblem(where, self._ref_message(value["$ref"], base, problem))
        return {**target, **self.resolve(siblings, where, base)}

    def follow(self, ref: Any, where: JsonPath, base: Path) -> Any:
        """The resolved value a ``$ref`` written in file ``base`` names."""
        if not isinstance(ref, str):
            raise _RefProblem(where, f"$ref must be a string, got {show(ref)}")
        file_part, _, fragment = ref.partition("#")
        target_file = self._target_file(ref, file_part, where, base)
        pointer = unquote(fragment)
        key = (target_file, pointer)
        if key in self.chain:
            cycle = " -> ".join(
                self._display(*link) for link in [*self.chain[self.chain.index(key) :], key]
            )
            raise _RefProblem(where, self._ref_message(ref, base, f"forms a cycle: {cycle}"))
        if len(self.chain) >= MAX_REF_CHAIN:
            message = f"starts a chain of more than {MAX_REF_CHAIN} $refs"
            first, first_where, first_base = self.following[0]
            raise _RefProblem(first_where, self._ref_message(first, first_base, message))
        document = self._document(ref, target_file, where, base)
        target = self._point(document, pointer, ref, where, base, target_file)
        self.chain.append(key)
        self.following.append((ref, where, base))
        try:
            return self.resolve(target, where, target_file)
        finally:
            self.chain.pop()
            self.following.pop()

    def _too_big(self, where: JsonPath) -> None:
        """Refuse the spec at the outermost ``$ref`` being followed, the one the spec's author
        wrote, when it made the spec too large or too deep."""
        problem = (
            f"expands the spec past {MAX_VALUES:,} values"
            if self.values > MAX_VALUES
            else f"nests the spec more than {MAX_DEPTH} levels deep"
        )
        if not self.following:
            raise _RefProblem(where, problem)
        ref, at, base = self.following[0]
        raise _RefProblem(at, self._ref_message(ref, base, problem))

    def _target_file(self, ref: str, file_part: str, where: JsonPath, base: Path) -> Path:
        if file_part.startswith(TEMPLATE_PREFIX):
            name = file_part[len(TEMPLATE_PREFIX) :]
            found = TEMPLATES_FOLDER / f"{name}.json"
            if not re.fullmatch(r"[A-Za-z0-9_-]+", name) or not found.is_file():
                known = ", ".join(template_names()) or "none"
                message = f'unknown template "{name}" (templates: {known})'
                raise _RefProblem(where, self._ref_message(ref, base, message))
            return found
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", file_part):
            message = "only files and templates can be referenced"
            raise _RefProblem(where, self._ref_message(ref, base, message))
        if not file_part:
            return base
        return (base.parent / unquote(file_part)).resolve()

    def _document(self, ref: str, file: Path, where: JsonPath, base: Path) -> Any:
        if file not in self.documents:
            if not file.is_file():
                raise _RefProblem(where, self._ref_message(ref, base, "file not found"))
            try:
                self.documents[file] = parse_document(file)
            except SpecError as exc:
                message = exc.problems[0][1] if exc.problems else str(exc)
                raise _RefProblem(where, self._ref_message(ref, base, message)) from None
        return self.documents[file]

    def _point(
        self, document: Any, pointer: str, ref: str, where: JsonPath, base: Path, file: Path
    ) -> Any:
        if pointer == "":
            return document
        if not pointer.startswith("/"):
            message = "the part after # must be a JSON pointer such as #/hyperparameters"
            raise _RefProblem(where, self._ref_message(ref, base, message))
        value = document
        for token in pointer[1:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(value, dict) and token in value:
                value = value[token]
            elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
                value = value[int(token)]
            else:
                message = f"{self._display(file, '')} has no {pointer}"
                raise _RefProblem(where, self._ref_message(ref, base, message))
        return value

    def _ref_message(self, ref: str, base: Path, problem: str) -> str:
        origin = "" if base == self.spec_file else f" (in {self._display(base, '')})"
        return f'$ref "{ref}"{origin}: {problem}'

    def _display(self, file: Path, pointer: str) -> str:
        if file.parent == TEMPLATES_FOLDER:
            name = f"{TEMPLATE_PREFIX}{file.stem}"
        elif file.is_relative_to(self.spec_folder):
            name = file.relative_to(self.spec_folder).as_posix()
        else:
            name = str(file)
        return f"{name}#{pointer}" if pointer else name
