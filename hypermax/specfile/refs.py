"""Resolve ``$ref`` in a spec: replace each ``{"$ref": ...}`` by the node or section it names.

``other.json#/json/pointer`` and ``other.yaml`` are relative to the file the ``$ref`` is in,
``#/pointer`` points into that same file, ``template:NAME#/pointer`` into a bundled template
(``hypermax/templates/NAME.json``). Keys beside ``$ref`` override the keys of the referenced
object. A ``$ref`` that cannot be followed (missing file, bad pointer, a cycle) is one problem
naming the JSON path where it stood. So is one that would make the spec too large (past
:data:`~hypermax.specfile.limits.MAX_VALUES` values: a few refs that each pull another twice can
expand to billions), too deep (past :data:`~hypermax.specfile.limits.MAX_DEPTH` levels), or
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

import difflib
import re
import stat
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from hypermax.errors import SpecError, shown_file
from hypermax.specfile.limits import MAX_DEPTH, MAX_VALUES
from hypermax.specfile.paths import too_long
from hypermax.specfile.problems import JsonPath, show
from hypermax.specfile.reader import parse_document
from hypermax.specfile.regular_file import file_kind
from hypermax.specfile.sources import Place, Sources
from hypermax.values import quoted

#: the longest chain of ``$ref``s followed to resolve one (a ref to a ref to a ref ...)
MAX_REF_CHAIN = 50

TEMPLATES_FOLDER = Path(__file__).parent.parent / "templates"
TEMPLATE_PREFIX = "template:"


def template_names() -> list[str]:
    """Names of the bundled search-space templates (``template:NAME`` in a ``$ref``)."""
    from hypermax.templates import template_names as bundled

    return bundled()


class _RefProblem(Exception):
    """A ``$ref`` that cannot be followed; ``place`` is where it was written."""

    def __init__(self, place: Place, message: str) -> None:
        super().__init__(message)
        self.place = place


class _SpecTooBig(_RefProblem):
    """A spec too large or too deep: said alone, since following the other ``$ref``s would
    only grow it."""


def resolve_refs(
    doc: dict[str, Any], path: Path, named: str | None = None
) -> tuple[dict[str, Any], Sources]:
    """A copy of ``doc`` (read from ``path``) with every ``$ref`` replaced by what it names, and
    where each part of it was written, to name a problem found in it where it was written
    (``path`` is named ``named``, by default its name).

    Raises:
        SpecError: one line naming the file and the JSON path where a ``$ref`` that cannot be
            followed was written.
    """
    resolver = _Resolver(path, doc, named or shown_file(path))
    try:
        resolved = resolver.resolve(doc, (), Place(resolver.spec_file))
    except _RefProblem as exc:
        raise resolver.sources.error_at([(exc.place, str(exc))]) from None
    if resolver.problems:  # each $ref that could not be followed, in the order written
        raise resolver.sources.error_at(resolver.problems)
    return resolved, resolver.sources


class _Resolver:
    """Follows ``$ref``s, keeping each file it read and the chain of refs being followed."""

    def __init__(self, spec_path: Path, doc: dict[str, Any], named: str) -> None:
        self.spec_file = spec_path.resolve()
        self.spec_folder = self.spec_file.parent
        self.documents: dict[Path, Any] = {self.spec_file: doc}
        self.chain: list[tuple[Path, str]] = []
        self.following: list[tuple[str, Place]] = []  # (ref, where it stands) of the chain
        self.values = 0  # values written into the resolved document so far
        self.problems: list[tuple[Place, str]] = []  # the $refs that could not be followed
        self.sources = Sources(self.spec_file, named, lambda file: self._display(file, ""))

    def resolve(self, value: Any, where: JsonPath, place: Place) -> Any:
        """A copy of ``value`` (written at ``place``) with its ``$ref``s replaced; ``where`` is
        its path in the resolved spec."""
        self.values += 1
        if self.values > MAX_VALUES or len(where) > MAX_DEPTH:
            self._too_big(place)
        if isinstance(value, list):
            return [self.resolve(item, (*where, i), place.child(i)) for i, item in enumerate(value)]
        if not isinstance(value, dict):
            return value
        if "$ref" not in value:
            return {
                key: self.resolve(item, (*where, key), place.child(key))
                for key, item in value.items()
            }
        try:
            return self._resolve_ref(value, where, place)
        except _SpecTooBig:
            raise
        except _RefProblem as exc:  # said with the others once every $ref was followed
            if self.following:  # a $ref inside what another names: said at the one written
                raise
            self.problems.append((exc.place, str(exc)))
            return None

    def _resolve_ref(self, value: dict[str, Any], where: JsonPath, place: Place) -> Any:
        """What an object holding a ``$ref`` resolves to: the value it names, with the keys
        written beside it."""
        target = self.follow(value["$ref"], where, place)
        siblings = {key: item for key, item in value.items() if key != "$ref"}
        if not siblings:
            return target
        if not isinstance(target, dict):
            problem = "names a value that is not an object, so keys beside $ref cannot apply"
            raise _RefProblem(place, _ref_message(value["$ref"], problem))
        for key in siblings:  # the keys beside the $ref are the referring file's
            self.sources.add((*where, key), place.child(key))
        return {**target, **self.resolve(siblings, where, place)}

    def follow(self, ref: Any, where: JsonPath, place: Place) -> Any:
        """The resolved value a ``$ref`` written at ``place`` names."""
        if not isinstance(ref, str):
            raise _RefProblem(place, f"$ref must be a string, got {show(ref)}")
        file_part, _, fragment = ref.partition("#")
        target_file = self._target_file(ref, file_part, place)
        pointer = unquote(fragment)
        key = (target_file, pointer)
        if key in self.chain:
            cycle = " -> ".join(
                self._display(*link) for link in [*self.chain[self.chain.index(key) :], key]
            )
            raise _RefProblem(place, _ref_message(ref, f"forms a cycle: {cycle}"))
        if len(self.chain) >= MAX_REF_CHAIN:
            message = f"starts a chain of more than {MAX_REF_CHAIN} $refs"
            first, first_place = self.following[0]
            raise _RefProblem(first_place, _ref_message(first, message))
        document = self._document(ref, target_file, place)
        target, tokens = self._point(document, pointer, ref, place, target_file)
        self.chain.append(key)
        self.following.append((ref, place))
        target_place = Place(target_file, tokens, place)
        self.sources.add(where, target_place)
        try:
            return self.resolve(target, where, target_place)
        finally:
            self.chain.pop()
            self.following.pop()

    def _too_big(self, place: Place) -> None:
        """Refuse the spec at the outermost ``$ref`` being followed, the one the spec's author
        wrote, when it made the spec too large or too deep; without one, at the object or list
        that crossed the bound."""
        problem = (
            f"expands the spec past {MAX_VALUES:,} values"
            if self.values > MAX_VALUES
            else f"nests the spec more than {MAX_DEPTH} levels deep"
        )
        if not self.following:  # written out: the object or list it is in holds too much
            if self.values > MAX_VALUES:
                problem = f"the spec passes the {MAX_VALUES:,} values a spec may hold here"
                place = Place(place.file, place.at[:-1], place.via)
            raise _SpecTooBig(place, problem)
        ref, first_place = self.following[0]
        raise _SpecTooBig(first_place, _ref_message(ref, problem))

    def _target_file(self, ref: str, file_part: str, place: Place) -> Path:
        if file_part.startswith(TEMPLATE_PREFIX):
            from hypermax.templates import template_named, unknown_template

            asked = file_part[len(TEMPLATE_PREFIX) :]
            name = template_named(asked)
            if name is None:
                message = f"unknown template {unknown_template(asked)}"
                raise _RefProblem(place, _ref_message(ref, message))
            return TEMPLATES_FOLDER / f"{name}.json"
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", file_part):
            message = "only files and templates can be referenced"
            raise _RefProblem(place, _ref_message(ref, message))
        if not file_part:
            return place.file
        return (place.file.parent / unquote(file_part)).resolve()

    def _document(self, ref: str, file: Path, place: Place) -> Any:
        if file not in self.documents:
            if (why := too_long(file)) is not None:
                raise _RefProblem(place, _ref_message(ref, why))
            if not file.is_file():
                raise _RefProblem(place, _ref_message(ref, _not_a_file(file)))
            try:
                self.documents[file] = parse_document(file)
            except SpecError as exc:
                # every problem, each at its place in the file (a duplicate key in JSON)
                said = [
                    f"{where}: {problem}" if where else problem for where, problem in exc.problems
                ]
                message = "; ".join(said) if said else str(exc)
                raise _RefProblem(place, _ref_message(ref, message)) from None
        return self.documents[file]

    def _point(
        self, document: Any, pointer: str, ref: str, place: Place, file: Path
    ) -> tuple[Any, JsonPath]:
        """The value ``pointer`` names in ``document`` (of ``file``), and its path there."""
        if pointer == "" and file.parent == TEMPLATES_FOLDER and "function" not in document:
            # a space template's file holds its summary beside the space: never a node itself
            bare = ref.rstrip("#")
            message = f'a template\'s space is at #/hyperparameters: "{bare}#/hyperparameters"'
            raise _RefProblem(place, _ref_message(bare, message))
        if pointer == "":
            return document, ()
        if not pointer.startswith("/"):
            message = "the part after # must be a JSON pointer such as #/hyperparameters"
            raise _RefProblem(place, _ref_message(ref, message))
        value = document
        tokens: list[str] = []
        written = pointer[1:].split("/")
        for i, token in enumerate(written):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(value, dict) and token in value:
                value = value[token]
            elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
                value = value[int(token)]
            else:
                meant = _meant(value, tokens, token, written[i + 1 :])
                message = f"{self._display(file, '')} has no {pointer}{meant}"
                raise _RefProblem(place, _ref_message(ref, message))
            tokens.append(token)
        return value, tuple(tokens)

    def _display(self, file: Path, pointer: str) -> str:
        if file.parent == TEMPLATES_FOLDER:
            name = f"{TEMPLATE_PREFIX}{file.stem}"
        else:
            name = shown_file(file)
        return f"{name}#{pointer}" if pointer else name


def _meant(value: Any, tokens: list[str], token: str, rest: list[str]) -> str:
    """`` (did you mean #/lr?)`` when ``value``, reached by ``tokens``, has a key close to the
    ``token`` it lacks (its case aside: ``c`` for ``C``), the pointer's ``rest`` (as written)
    after it; else ``""``."""
    if not isinstance(value, dict):
        return ""
    keys = {str(key).lower(): str(key) for key in value}
    close = difflib.get_close_matches(token.lower(), list(keys), n=1, cutoff=0.75)
    if not close:
        return ""
    escaped = [t.replace("~", "~0").replace("/", "~1") for t in (*tokens, keys[close[0]])]
    return f" (did you mean #/{'/'.join([*escaped, *rest])}?)"


def _not_a_file(file: Path) -> str:
    """Why a ``$ref`` cannot read ``file``, which is no regular file."""
    try:
        mode = file.stat().st_mode
    except OSError:
        return "file not found"
    return "is a folder, not a file" if stat.S_ISDIR(mode) else f"is {file_kind(mode)}, not a file"


def _ref_message(ref: str, problem: str) -> str:
    return f"$ref {quoted(ref)}: {problem}"
