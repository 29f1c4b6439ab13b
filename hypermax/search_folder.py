"""Make a results folder ready for a search: lock it, read its history, check that it holds
this spec's search, and say what a resume or a fresh start does with it."""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypermax import __version__
from hypermax.callables import IDENTITY_FILE
from hypermax.errors import DiskFull, ResultsError, is_disk_full, printable, shown_file
from hypermax.execution.leftovers import StartedTrials, kill_trial_processes
from hypermax.journal import JOURNAL_NAME, Journal
from hypermax.journal_records import iter_records
from hypermax.journal_replay import FORMAT_VERSION, JournalState, replay
from hypermax.results import (
    LOCK_NAME,
    SPEC_NAME,
    FolderUnusable,
    ResultsFolder,
    check_new_search_folder,
    check_no_table_of_trials,
    holds_own_spec,
    is_frozen_spec,
    read_text_of,
    searches_named,
    unwritable,
)
from hypermax.resume_edits import edits_since_start, keep_search_name
from hypermax.shipped import SHIPPED_FILE
from hypermax.spec import Spec


@dataclass(frozen=True)
class Prepared:
    """A results folder made ready (locked, history read) for a search."""

    spec: Spec
    folder: ResultsFolder
    history: JournalState
    seed: int
    set_aside: Path | None = None  # where a fresh start moved the folder's earlier search
    #: for a search this run starts (the folder held no journal), the folders it made, the
    #: deepest first: what :func:`forget_new_search` removes; None for a search it resumes
    made: tuple[Path, ...] | None = None
    #: for a search it resumes, the folder's frozen spec as it was before this run froze its
    #: own: what :func:`forget_new_search` puts back when the search never ran
    frozen_before: str | None = None


def prepare(
    spec: Spec,
    folder_path: Path | None = None,
    fresh: bool = False,
    fresh_hint: str = "--fresh",
    path_name: Callable[[str], str] = str,
) -> Prepared:
    """Lock the results folder, read its history, and check that it belongs to this spec.

    ``fresh_hint`` names how the caller asks for a fresh start, for the error that says so, and
    ``path_name`` the spec path where the folder's search differs, as the caller's user wrote
    it (``hypermax quick``: ``--hp x`` for ``hyperparameters.properties.x.max``).
    """
    folder = ResultsFolder(folder_path or spec.results_folder)
    try:
        return _prepare(spec, folder, fresh, fresh_hint, path_name)
    except FolderUnusable as exc:
        if folder_path is not None:  # named on the command line (or by the caller)
            raise
        raise FolderUnusable(f"{shown_file(spec.path)}: results.directory: {exc}") from None
    except OSError as exc:
        if is_disk_full(exc):
            raise DiskFull(folder.path, exc) from None
        raise unwritable(folder.path, exc) from None


def prepare_run(
    spec: Spec,
    folder_path: Path | None = None,
    fresh: bool = False,
    fresh_hint: str = "--fresh",
    path_name: Callable[[str], str] = str,
    said_as: Callable[[str], str] = str,
) -> Prepared:
    """:func:`prepare` for a run of ``spec``, saying on stderr, one line each, what the user
    should know: the notices of the spec's keys that do nothing here (before the folder is
    used), then, for a search it resumes, what becomes of the parts of the spec edited since
    the search started (:func:`edits_since_start`: a changed seed is not used), or, for a fresh
    start, where the folder's earlier search went. ``said_as`` words each notice and edit as
    the caller's user gave the value (``hypermax run: --seed: ...`` for the seed of an
    option)."""
    for notice in spec.notices:
        print(said_as(notice), file=sys.stderr)
    folder = folder_path or spec.results_folder
    renamed = None if fresh else keep_search_name(folder, spec)
    if renamed is not None and renamed[1] is not None:
        spec = renamed[0]
        print(renamed[1], file=sys.stderr)
    said = [] if fresh else edits_since_start(folder, spec, fresh_hint, path_name)
    if not fresh:
        _say_a_long_read(spec.search.name, folder / JOURNAL_NAME)
    prepared = prepare(spec, folder_path, fresh, fresh_hint, path_name)
    if prepared.set_aside is not None:
        said.append(
            f"hypermax: {fresh_hint}: the search that was in {printable(str(prepared.folder.path))}"
            f" is now in {printable(str(prepared.set_aside))}"
        )
    for line in said:
        print(said_as(line), file=sys.stderr)
    return prepared


#: a journal this large takes most of a second or more to read (76 MiB took 3.4 s here): a resume
#: says it reads it, rather than leave the terminal silent
LONG_JOURNAL_BYTES = 16 << 20


def _say_a_long_read(name: str, journal: Path) -> None:
    """Say on stderr that the journal is being read, when it is long enough to take a while."""
    try:
        size = journal.stat().st_size
    except OSError:
        return  # no journal yet, or none to read: prepare() says what is wrong
    if size >= LONG_JOURNAL_BYTES:
        print(
            f"hypermax: resuming {name}: reading its journal ({size / 2**20:.0f} MiB)",
            file=sys.stderr,
            flush=True,
        )


def _prepare(
    spec: Spec,
    folder: ResultsFolder,
    fresh: bool,
    fresh_hint: str,
    path_name: Callable[[str], str],
) -> Prepared:
    if not folder.exists():  # the original Hypermax's results folder, given to resume it
        check_no_table_of_trials(folder.path)
    if not folder.exists() and holds_own_spec(folder.path):  # a project's folder (RESULTS_DIR .)
        raise ResultsError(
            f"{folder.path}: its {folder.spec.name} is a spec, not one a search froze, which a "
            "search there would write over: give the search a folder of its own"
        )
    held = None if folder.exists() else searches_named(folder.path)
    if held:  # results/ given for results/s: the search would go in beside them
        raise ResultsError(
            f"{folder.path}: holds the results folders of searches ({held}), not one:"
            f" --results {folder.path} puts this search in {folder.path / spec.search.name}"
        )
    if not folder.exists():
        check_new_search_folder(folder.path)
    if fresh and folder.exists():
        _can_move_aside(folder, spec, fresh_hint)
    made = _missing_folders(folder.path) if fresh or not folder.exists() else None
    folder.lock()
    set_aside = None
    try:
        if fresh and folder.exists():
            set_aside = folder.move_aside()  # under the lock, held: no other hypermax uses it
        folder.remove_leftovers()
        started = StartedTrials()
        # the metadata of the trials done, but the best's, stays in the journal (see replay)
        records = started.watch(iter_records(folder.journal))
        history = replay(records, folder.journal, all_metadata=False)
        kill_trial_processes(started.processes, folder.path / "trials")
        folder.remove_unrun(history.trials)
        header = history.header
        if header is not None and not spec.makes(header.get("spec_hash")):
            if is_frozen_spec(spec.raw, spec.path):  # the frozen spec, edited (resume)
                raise ResultsError(_frozen_spec_edited(folder, spec, header))
            raise ResultsError(
                f"{folder.path}: holds a search with another space, function or loss"
                f"{_changed(folder, spec, path_name)}; use {fresh_hint} to start anew"
                f" (the old folder is kept{_learn_from(folder, spec, fresh_hint)})"
            )
        other = _another_projects(folder, spec, header)
        if other is not None:
            raise ResultsError(
                f"{folder.path}: holds the search of {other}, a spec in another folder (its"
                f" relative paths name its own files); give this spec a search.name of its own,"
                f" or use {fresh_hint} to start anew (the old folder is kept)"
            )
        seed = search_seed(spec, header)
        frozen_before = _frozen_text(folder) if header is not None else None
        folder.write_spec(_with_seed(spec.raw, seed), spec.path)
        with Journal(folder.journal) as journal:  # one that cannot be appended to stops here
            if header is None:
                journal.append(
                    {
                        "event": "header",
                        "format": FORMAT_VERSION,
                        "hypermax": __version__,
                        "name": spec.search.name,
                        "spec_hash": spec.fingerprint(),
                        "spec_path": str(spec.path.resolve()),
                        "seed": seed,
                        "created_at": time.time(),
                    }
                )
    except BaseException:
        folder.unlock()
        raise
    return Prepared(spec, folder, history, seed, set_aside, made, frozen_before)


def _frozen_text(folder: ResultsFolder) -> str | None:
    """The text of ``folder``'s frozen spec; None when it cannot be read."""
    try:
        return read_text_of(folder.spec)
    except (OSError, ValueError):
        return None


def _missing_folders(path: Path) -> tuple[Path, ...]:
    """``path`` and the folders above it that are not there yet, the deepest first."""
    missing = []
    for folder in (path, *path.parents):
        if os.path.lexists(folder):
            break
        missing.append(folder)
    return tuple(missing)


def forget_new_search(prepared: Prepared) -> None:
    """Undo what preparing a search that never ran made, and let its folder go: its journal
    (the header alone), its frozen spec, lock, the objective ``optimize()`` shipped, its empty
    ``trials`` and ``logs``, and the folders made for it. A folder that was there before
    stays, as it was (a fresh start's, its earlier search moved aside, stays empty). Nothing
    for a search it resumed, but its frozen spec, which is put back as it was: options that
    could not run (``resume --scheduler`` where no scheduler answers) are not the ones the next
    resume takes."""
    from hypermax.execution.protocol import write_atomic

    folder = prepared.folder
    if prepared.made is None:
        if prepared.frozen_before is not None:
            with contextlib.suppress(OSError):
                write_atomic(folder.spec, prepared.frozen_before)
        folder.unlock()
        return
    for name in (JOURNAL_NAME, SPEC_NAME, LOCK_NAME, SHIPPED_FILE, IDENTITY_FILE):
        with contextlib.suppress(OSError):
            os.unlink(folder.path / name)
    folder.unlock()
    for empty in (folder.path / "trials", folder.path / "logs", *prepared.made):
        with contextlib.suppress(OSError):  # not empty: something else put files there
            os.rmdir(empty)


def _can_move_aside(folder: ResultsFolder, spec: Spec, fresh_hint: str) -> None:
    """ResultsError when a fresh start cannot move ``folder`` aside: it holds the current folder
    (a search run from inside its results folder, ``RESULTS_DIR .``), which would move with it,
    or the spec, which would go with the old search (and its files beside it)."""
    where = folder.path.resolve()
    try:
        here: Path | None = Path.cwd().resolve()
    except FileNotFoundError:  # removed while a shell was in it: it is in no folder any more
        here = None
    if here is not None and here.is_relative_to(where):
        held = "the current folder"
    elif spec.path.is_relative_to(where) or spec.path.resolve().is_relative_to(where):
        held = f"the spec {shown_file(spec.path)}"
    else:
        return
    raise ResultsError(
        f"{folder.path}: {fresh_hint} cannot move the results folder aside: it holds {held};"
        " give the search a folder of its own"
    )


def _another_projects(
    folder: ResultsFolder, spec: Spec, header: dict[str, Any] | None
) -> Path | None:
    """The spec file, still there in another folder than ``spec``'s, whose search ``folder``
    holds: two projects' specs alike but for the files their relative paths name (a ``src``
    beside each), run from one folder, would mix their losses in one search. None for the
    folder of a spec moved since (it is not there any more), of a new search, and for a spec
    that names no file from its folder (absolute paths alone)."""
    function = spec.function
    program = function.command[0] if function.command else ""
    beside = (  # a file named from the spec's folder
        function.module is not None  # found beside the spec, maybe
        or any(path and not os.path.isabs(path) for path in (function.src, function.cwd))
        or ("/" in program and not os.path.isabs(program))
    )
    if header is None or not beside:  # every file named as the other spec names it
        return None
    was = folder.ran_from(header)
    try:
        if was is None or not was.is_file() or os.path.samefile(was.resolve().parent, spec.folder):
            return None
        if os.path.samefile(was, folder.spec):  # a resume from the frozen copy, which names itself
            return None
    except OSError:
        return None
    return was


def _changed(folder: ResultsFolder, spec: Spec, path_name: Callable[[str], str]) -> str:
    """`` (hyperparameters.properties.x.max differs)``: where the spec differs from the one the
    folder's search was started with, when its frozen copy can say."""
    import json

    from hypermax.spec import first_difference

    try:
        before = json.loads(read_text_of(folder.spec))
    except (OSError, ValueError):
        return ""
    where = first_difference(before, spec.raw) if isinstance(before, dict) else None
    if where is None:
        return ""
    if where.startswith(LIMITS):  # a limit: not a run setting, as parallel is
        return (
            f" ({path_name(where)} differs: a limit decides which trials it kills, and their loss)"
        )
    return f" ({path_name(where)} differs)"


def _learn_from(folder: ResultsFolder, spec: Spec, fresh_hint: str) -> str:
    """``; "search": {"warm_start": "results/s"} in search.json learns from its trials``: how
    the search a fresh start sets aside teaches the new one (a warm start that names the old
    folder reads it where it went), for a spec file run with ``--fresh`` and for
    ``optimize(fresh=True)`` (``search={"warm_start": ...}``); "" for ``hypermax quick``,
    which has no warm start, and for a spec that names one already."""
    import json

    api = fresh_hint == "fresh=True"
    if spec.search.warm_start or not (api or (fresh_hint == "--fresh" and spec.path.is_file())):
        return ""
    where = folder.path.resolve()
    try:
        named = str(where.relative_to(spec.folder.resolve()))  # as the spec's paths start there
    except ValueError:
        named = str(where)
    warm = json.dumps({"warm_start": named}, ensure_ascii=False)
    if api:
        return f"; search={warm} learns from its trials"
    return f'; "search": {warm} in {shown_file(spec.path)} learns from its trials'


#: the spec paths of the limits of a trial, which make the search (not run settings)
LIMITS = "function.auto_kill_"


def _frozen_spec_edited(folder: ResultsFolder, spec: Spec, header: dict[str, Any]) -> str:
    """Why the frozen spec of ``folder``, edited, cannot resume its search: the JSON path
    edited, found against the spec the search last ran from while that spec still makes it;
    and what to do, since the frozen spec cannot start anew in the folder that holds it."""
    from hypermax.errors import HypermaxError
    from hypermax.spec import first_difference, load_spec

    where = None
    origin = folder.ran_from(header)
    try:
        if origin is not None and not os.path.samefile(origin, folder.spec):
            before = load_spec(origin)
            if before.makes(header.get("spec_hash")):
                where = first_difference(before.raw, spec.raw)
    except (HypermaxError, OSError):
        pass  # gone, or no spec any more: no path to name
    import json

    held = f"the search that {printable(str(folder.path))} holds"
    limit = "; a limit decides which trials it kills, and their loss"
    what = (
        f"{where} differs from {held} (a resume keeps its space, function and loss"
        f"{limit if where.startswith(LIMITS) else ''})"
        if where
        else f"its space, function or loss differs from {held} (a resume keeps them)"
    )
    warm = json.dumps({"warm_start": str(folder.path.resolve())}, ensure_ascii=False)
    return (
        f"{printable(str(folder.spec))}: {what}: undo that edit to resume it, or copy the spec"
        f' out of the folder for a search of its own ("search": {printable(warm)} there learns'
        " from this one's trials)"
    )


def _with_seed(raw: dict[str, Any], seed: int) -> dict[str, Any]:
    """The spec ``raw`` to freeze, its ``search.seed``, when it gives one, the ``seed`` the
    search runs with: a resumed search keeps its own, whatever the spec (or ``--seed``) says
    now, and its frozen spec says which it is."""
    search = raw.get("search")
    if not isinstance(search, dict) or search.get("seed") in (None, seed):
        return raw
    return {**raw, "search": {**search, "seed": seed}}


def search_seed(spec: Spec, header: dict[str, Any] | None) -> int:
    """The seed of the spec's search: the one its journal ``header`` keeps, else
    ``search.seed``, else one drawn now."""
    if header is not None and isinstance(header.get("seed"), int):
        return int(header["seed"])  # a resumed search keeps the seed it started with
    if spec.search.seed is not None:
        return int(spec.search.seed)
    return secrets.randbelow(2**31)
