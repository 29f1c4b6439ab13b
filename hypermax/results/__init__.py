"""The results folder ``<results.directory>/<search.name>/``: its layout and its lock.

:class:`ResultsFolder` (:mod:`.folder`) names the files of one search's folder and makes, locks
and tidies it; :mod:`.making` makes a folder where its path points and says why a path cannot
hold one; :mod:`.lock` keeps a folder to one hypermax and tells whether one runs its search;
:mod:`.files` reads its small text files (the frozen spec, the lock); :mod:`.checks` says
whether a folder named on the command line is a results folder, or may become one.
"""

from __future__ import annotations

from hypermax.results.checks import (
    OTHERS_NAMED,
    RESULTS_NAMES,
    SEARCHES_NAMED,
    check_new_search_folder,
    check_no_table_of_trials,
    check_results_folder,
    searches_named,
)
from hypermax.results.files import (
    SPEC_CODE,
    SPEC_NAME,
    SPEC_ORIGIN,
    SPEC_RAN,
    frozen_param_names,
    frozen_space,
    holds_own_spec,
    is_frozen_spec,
    read_text_of,
)
from hypermax.results.folder import ResultsFolder
from hypermax.results.lock import LOCK_CLOCK_SLACK, LOCK_NAME
from hypermax.results.making import ROOM_IN_FOLDER, FolderUnusable, unwritable

__all__ = [
    "LOCK_CLOCK_SLACK",
    "LOCK_NAME",
    "OTHERS_NAMED",
    "RESULTS_NAMES",
    "ROOM_IN_FOLDER",
    "SEARCHES_NAMED",
    "SPEC_CODE",
    "SPEC_NAME",
    "SPEC_ORIGIN",
    "SPEC_RAN",
    "FolderUnusable",
    "ResultsFolder",
    "check_new_search_folder",
    "check_no_table_of_trials",
    "check_results_folder",
    "frozen_param_names",
    "frozen_space",
    "holds_own_spec",
    "is_frozen_spec",
    "read_text_of",
    "searches_named",
    "unwritable",
]
