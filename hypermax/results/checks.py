"""Whether a folder named on the command line is a results folder, or may become one."""

from __future__ import annotations

import csv
import itertools
import os
from pathlib import Path

from hypermax.callables import IDENTITY_FILE
from hypermax.errors import ResultsError, current_folder
from hypermax.journal import JOURNAL_NAME
from hypermax.results.files import SPEC_NAME
from hypermax.results.folder import TEMPORARY, ResultsFolder
from hypermax.results.lock import LOCK_NAME, running_holder
from hypermax.shipped import SHIPPED_FILE

#: the searches a folder of results folders names, at most
SEARCHES_NAMED = 5
#: what a results folder holds besides the temporaries of atomic writes: a folder that holds
#: anything else is not one, and a search there would mix its files with others (the plots
#: folder is ``hypermax.plots.PLOTS_FOLDER``)
RESULTS_NAMES = frozenset(
    {JOURNAL_NAME, SPEC_NAME, LOCK_NAME, "trials", "logs", "results.csv", "best.json", "plots"}
    | {SHIPPED_FILE, SHIPPED_FILE + ".tmp", IDENTITY_FILE, IDENTITY_FILE + ".tmp"}
)
#: the names of other files a refused folder's message names, at most
OTHERS_NAMED = 3


def check_results_folder(results_dir: str, strict: bool = True) -> None:
    """ResultsError when ``results_dir`` is not there, or is a folder of results folders
    (``results/``: it names a few of its searches); ``strict``: also when it has no journal
    (``resume`` takes a folder with a frozen spec and no journal yet)."""
    path = Path(results_dir)
    folder = ResultsFolder(path)
    if folder.exists():
        return
    if not os.path.exists(path):  # a name too long to be there is not there
        raise ResultsError(f"{results_dir}: no such results folder or spec")
    if not os.path.exists(folder.spec):
        named = searches_named(path)
        if named:
            raise ResultsError(
                f"{results_dir}: holds the results folders of searches, not one: name one of"
                f" {named}"
            )
    if strict:
        holder = running_holder(path)
        if holder is not None:  # a search starting there, or --fresh moving its search aside
            raise ResultsError(
                f"{results_dir}: no trials yet: a hypermax ({holder}) starts a search there"
            )
        if cut_short_at_start(path):
            raise ResultsError(
                f"{results_dir}: no trials: its search stopped as it started, before its journal"
                f" ({JOURNAL_NAME}) began; start it again from its spec: hypermax run SPEC"
                f" {results_dir}"
            )
        raise ResultsError(f"{results_dir}: not a hypermax results folder (no trials.jsonl)")


def cut_short_at_start(results_dir: Path) -> bool:
    """Whether a search started in ``results_dir`` and stopped before it wrote its frozen spec
    and journal (killed as it started): its lock file is there, or its trials' folder."""
    return (results_dir / LOCK_NAME).is_file() or (results_dir / "trials").is_dir()


def check_new_search_folder(path: Path) -> None:
    """ResultsError when a new search may not start in the folder ``path`` (one without a
    journal): it holds files a results folder does not (``/``, a home folder, a project's
    folder), which the search's files would mix with, or it is in the results folder of
    another search (``--results results/s`` for a search already in ``results/s``; or in its
    ``trials`` or ``logs``), among that search's own files. A folder not there yet, an empty one
    and one holding what a search left before its journal began are fine; so is one in the
    working folder of a trial (``results/s/trials/3/...``: a trial that runs a search)."""
    where = path if path.is_absolute() else current_folder(str(path)) / path
    shown = list(path.parents)  # the folders above as the user named them, then absolute
    for i, above in enumerate(where.parents):
        if ResultsFolder(above).exists():
            inside = where.relative_to(above).parts
            if len(inside) > 2 and inside[0] == "trials" and inside[1].isdigit():
                break  # in a trial's own folder, whose files are the trial's
            raise ResultsError(
                f"{path}: is inside the results folder of the search in"
                f" {shown[i] if i < len(shown) else above}: give the search a folder of its own"
            )
    try:
        names = sorted(os.listdir(path))
    except OSError:  # not there yet (or not a folder: making it says why)
        return
    others = [n for n in names if n not in RESULTS_NAMES and not TEMPORARY.fullmatch(n)]
    if others:
        named = ", ".join(others[:OTHERS_NAMED]) + (", ..." if len(others) > OTHERS_NAMED else "")
        raise ResultsError(
            f"{path}: holds other files than a search's ({named}), not the results of a"
            " search: give the search a folder of its own (a new or an empty one)"
        )


def check_no_table_of_trials(path: Path) -> None:
    """ResultsError when ``path``, a folder without a journal, holds a ``results.csv`` of
    trials (the original Hypermax's results folder, or a search's whose journal is gone): a
    search there would write its own over it, and those trials would be lost."""
    table = path / "results.csv"
    # os.path's: a name too long to be there is not there (a named pipe is no file: it waits)
    if os.path.exists(path / JOURNAL_NAME) or not os.path.isfile(table):
        return
    try:
        with table.open(encoding="utf-8", errors="replace", newline="") as f:
            rows = sum(1 for _ in itertools.islice(csv.reader(f), 2))
    except (OSError, csv.Error):
        rows = 2  # not readable as a table: not hypermax's to write over either
    if rows < 2:  # a header at most
        return
    raise ResultsError(
        f"{path}: holds a results.csv of trials but no {JOURNAL_NAME} (the original Hypermax's,"
        " or a search's whose journal is gone), which a search there would write over: to learn"
        f' from its trials, give the spec "search": {{"warm_start": "{table.absolute()}"}} and'
        " the search a folder of its own"
    )


def searches_named(path: Path) -> str | None:
    """The results folders of searches in ``path`` (``results/a, results/b``, the first few and
    how many more), None when it holds none."""
    searches = _searches_in(path)
    if not searches:
        return None
    named = ", ".join(str(path / name) for name in searches[:SEARCHES_NAMED])
    more = len(searches) - SEARCHES_NAMED
    return named + (f" (and {more} more)" if more > 0 else "")


def _searches_in(path: Path) -> list[str]:
    """The names of the results folders in ``path``, sorted (none when it cannot be read)."""
    try:
        return sorted(
            child.name
            for child in path.iterdir()
            if child.is_dir() and ResultsFolder(child).exists()
        )
    except OSError:
        return []
