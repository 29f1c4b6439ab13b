"""Read a spec file (JSON, or YAML read with ``safe_load`` rules) into plain JSON values.

Used for the spec and for every file its ``$ref``s name. Each problem is a SpecError whose one
line names the file (and the line, for syntax errors). Only a regular file of at most
:data:`~hypermax.specfile.limits.MAX_BYTES` is read: a named pipe would wait for a writer, and a
device (``/dev/zero``) or a huge file would fill the memory. The text is parsed by
:mod:`~hypermax.specfile.json_text` or :mod:`~hypermax.specfile.yaml_text`, by its suffix, and
a document nested too deeply for the checks is refused instead of exhausting the stack.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path
from typing import Any

from hypermax.errors import SpecError, shown_file
from hypermax.specfile.json_text import InvalidJSON, parse_json
from hypermax.specfile.limits import MAX_BYTES, MAX_DEPTH, too_deep
from hypermax.specfile.regular_file import file_kind, open_to_read
from hypermax.specfile.yaml_text import InvalidYAML, parse_yaml


def read_document(path: Path) -> dict[str, Any]:
    """Parse a spec file (JSON, or YAML with ``safe_load`` rules) into a dict.

    Raises SpecError naming the file for unreadable files, syntax errors (with their line),
    duplicate keys, YAML tags that would build Python objects, and a top level that is not an
    object; and for ``-`` (stdin), which has no folder for the spec's relative paths.
    """
    if str(path) == "-" and not path.is_file():
        problem = (
            "a spec cannot be read from stdin: save it to a file "
            "(its relative paths are relative to that file's folder)"
        )
        raise SpecError("-", [("", problem)])
    doc = parse_document(path)
    if not isinstance(doc, dict):
        raise SpecError(shown_file(path), [("", "must be an object with the spec's sections")])
    return doc


def parse_document(path: Path) -> Any:
    """Parse a JSON or YAML file (chosen by its suffix) into plain JSON values.

    Used for the spec and for the files its ``$ref``s name; problems are a SpecError whose one
    problem has an empty JSON path.
    """
    try:
        data = _read_file(path)
    except OSError as exc:
        raise SpecError(shown_file(path), [("", f"cannot read: {exc.strerror}")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(shown_file(path), [("", _not_utf8(data))]) from None
    if path.suffix.lower() == ".py":
        problem = (
            "is a Python file, not a spec: a spec is a JSON or YAML file, whose function"
            " section names the Python file (`src`) or module (`module`) a trial runs"
        )
        raise SpecError(shown_file(path), [("", problem)])
    if not text.strip():  # not JSON's "Expecting value", nor YAML's null document
        raise SpecError(shown_file(path), [("", "is empty")])
    if path.suffix.lower() in (".yaml", ".yml"):
        doc = _yaml_or_json(text, shown_file(path))
    else:
        doc = parse_json(text, shown_file(path))
    where = too_deep(doc)
    if where is not None:
        raise SpecError(shown_file(path), [(where, f"nested more than {MAX_DEPTH} levels deep")])
    return doc


#: the byte order marks that say a text's encoding, UTF-32's first: it starts as UTF-16LE's does
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _not_utf8(data: bytes) -> str:
    """Why ``data`` is no spec's text: ``is UTF-16 text, not UTF-8: save it as UTF-8`` when its
    byte order mark says what it is (a Windows editor's "Unicode"), else that it is not UTF-8."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return f"is {encoding} text, not UTF-8: save it as UTF-8"
    return "is not UTF-8 text"


def _yaml_or_json(text: str, file: str) -> Any:
    """A YAML file's document; one that PyYAML (YAML 1.1) refuses but that is JSON (YAML 1.2:
    indented with tabs, say) is the JSON it is, and its problem as JSON when it holds what a
    spec cannot (a number beyond the largest float). Its YAML problem when it is neither."""
    try:
        return parse_yaml(text, file)
    except SpecError as yaml_problem:
        if not text.lstrip().startswith(("{", "[")):
            raise
        try:
            return parse_json(text, file)
        except InvalidJSON:
            pass
        except SpecError:
            if isinstance(yaml_problem, InvalidYAML):  # JSON, which says what it cannot hold
                raise
        raise


def _read_file(path: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_BYTES`; SpecError for a folder, for
    what is not a regular file (opened without waiting for a named pipe's writer) and for a
    larger file."""
    fd = open_to_read(path)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise SpecError(shown_file(path), [("", _folder_problem(path))])
        if not stat.S_ISREG(mode):
            problem = f"is {file_kind(mode)}, not a file: save the spec to a file"
            raise SpecError(shown_file(path), [("", problem)])
        chunks, size = [], 0
        with open(fd, "rb", closefd=False) as file:
            while chunk := file.read(1024 * 1024):
                size += len(chunk)
                if size > MAX_BYTES:
                    problem = f"is larger than {MAX_BYTES // 2**20} MiB: too large for a spec"
                    raise SpecError(shown_file(path), [("", problem)])
                chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _folder_problem(path: Path) -> str:
    """What is wrong with a folder given as a spec: a results folder says how to resume it."""
    from hypermax.results import SPEC_NAME, holds_own_spec

    if holds_own_spec(path) and not (path / "trials.jsonl").exists():  # a project's folder
        return f"is a folder, not a spec file: hypermax {path / SPEC_NAME} runs the spec in it"
    if (path / "trials.jsonl").exists() or (path / SPEC_NAME).exists():
        return f"is a results folder, not a spec: hypermax resume {path} continues its search"
    return "is a folder, not a spec file"
