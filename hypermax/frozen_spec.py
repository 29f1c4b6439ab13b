"""The spec a results folder froze, read back to resume its search, its paths resolved from
the folder of the spec it came from."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from hypermax.errors import ResultsError, SpecError, shown_file
from hypermax.journal_records import open_journal, read_header
from hypermax.results import ResultsFolder, holds_own_spec, read_text_of
from hypermax.results.checks import cut_short_at_start
from hypermax.results.lock import running_holder
from hypermax.shipped import OBJECTIVE_ENV, SHIPPED_FILE
from hypermax.spec import Spec, spec_from_dict

#: the paths of a spec that name files relative to its folder
_SPEC_FILES = ("function.src", "function.module", "function.cwd", "function.command")


def _header(journal: Path) -> dict[str, Any]:
    """The header of the journal, read alone: the resume reads the rest, once. A journal that
    is not a file (a named pipe) is a ResultsError here, before the spec is read."""
    try:
        with open_journal(journal):
            pass
    except OSError:
        pass  # none, or one that cannot be read: the resume says so
    return read_header(journal) or {}


def frozen_spec(results_dir: Path, overrides: dict[str, Any] | None = None) -> Spec:
    """The spec frozen in a results folder, with paths resolved from the folder of the spec it
    was frozen from (:meth:`ResultsFolder.ran_from`, else the frozen spec itself); its problems
    name the frozen copy, the file read."""
    import json

    folder = ResultsFolder(results_dir)
    if not folder.spec.exists() and (holder := running_holder(folder.path)) is not None:
        # a search starts there (its spec not frozen yet), or --fresh moves its search aside
        raise ResultsError(f"{results_dir}: in use by another hypermax ({holder})")
    if not folder.spec.exists() and not folder.exists():
        if cut_short_at_start(results_dir):
            raise ResultsError(
                f"{results_dir}: its search stopped before it froze its spec ({folder.spec.name});"
                f" start it again from its spec: hypermax run SPEC {results_dir}"
            )
        raise ResultsError(f"{results_dir}: not a hypermax results folder (no {folder.spec.name})")
    if not folder.exists() and holds_own_spec(results_dir):  # a project's folder
        raise ResultsError(
            f"{results_dir}: not a hypermax results folder (no {folder.journal.name}); its"
            f" {folder.spec.name} is a spec, not one a search froze: hypermax {folder.spec} runs it"
        )
    header = _header(folder.journal)
    if not folder.spec.exists():  # its journal is there: the spec it came from can resume it
        named = header.get("spec_path")
        spec = named if isinstance(named, str) and named else "SPEC"
        raise ResultsError(
            f"{results_dir}: its frozen spec {folder.spec.name} is missing; resume it from the "
            f"spec it came from: hypermax run {spec} {results_dir}"
        )
    try:
        doc = json.loads(read_text_of(folder.spec))
    except ValueError as exc:
        raise ResultsError(f"{folder.spec}: damaged ({exc})") from None
    except OSError as exc:
        raise ResultsError(f"{folder.spec}: cannot read it: {exc.strerror or exc}") from None
    if not isinstance(doc, dict):
        raise ResultsError(f"{folder.spec}: damaged (not a JSON object)")
    origin = folder.ran_from(header) or folder.spec  # a folder an older hypermax froze: itself
    function = doc.get("function")
    env = function.get("env") if isinstance(function, dict) else None
    if isinstance(env, dict) and OBJECTIVE_ENV in env:  # optimize()'s objective: the folder's
        env[OBJECTIVE_ENV] = str((folder.path / SHIPPED_FILE).resolve())
    renamed = _keep_name(doc, header.get("name"))
    try:
        loaded = spec_from_dict(doc, origin, overrides, named=shown_file(folder.spec))
    except SpecError as exc:
        from hypermax.quick import ORIGIN

        files = any(path.startswith(_SPEC_FILES) for path, _ in exc.problems)
        if not files or origin == folder.spec or origin.is_file():
            raise
        if origin.name == ORIGIN:  # no spec file: the folder hypermax quick ran in
            if origin.parent.is_dir():
                raise  # there: the problem is the command's own (a script renamed)
            gone = (
                f"{ORIGIN} ran this search in {origin.parent}, which is gone (its command"
                f" started there): the same {ORIGIN} command, run where the command's files"
                " are now, resumes it"
            )
        else:
            gone = (  # its src, module or cwd were looked for beside it: say why, what to do
                f"the spec it came from, {origin}, is gone (its relative paths start from its"
                f" folder): hypermax run SPEC {results_dir} resumes from the spec where it is now"
            )
        raise SpecError(exc.file, [*exc.problems, ("", gone)]) from None
    if renamed is None:
        return loaded
    said = (
        f"{folder.spec}: search.name: {renamed} is not used: a resumed search keeps the name it"
        f" started with ({loaded.search.name})"
    )
    return replace(loaded, notices=(*loaded.notices, said))


def _keep_name(doc: dict[str, Any], started: Any) -> str | None:
    """Put back in the frozen spec ``doc`` the name its search ``started`` with (the journal's
    header keeps it) when ``search.name`` was edited there, and return the edited name: the
    search is the folder's, under the name it has in every line of its history; None when the
    name is the same (or the folder holds no search yet)."""
    search = doc.get("search")
    if not isinstance(started, str) or not started or not isinstance(search, dict):
        return None
    name = search.get("name")
    if not isinstance(name, str) or name == started:
        return None
    search["name"] = started
    return name
