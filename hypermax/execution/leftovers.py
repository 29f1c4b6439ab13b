"""On the next start, kill what a crashed hypermax left running of its trials."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import psutil

from hypermax.execution.kill import kill_ladder
from hypermax.execution.procfs import ProcInfo, read_proc, read_token
from hypermax.execution.protocol import TOKEN_ENV, TRIAL_DIR_ENV

log = logging.getLogger("hypermax")

#: SIGTERM → SIGKILL grace for leftovers of a crashed hypermax found on the next start
LEFTOVER_GRACE_SECONDS = 1.0


def kill_leftover_trials(
    records: Iterable[dict[str, Any]], trials_root: Path | None = None
) -> list[int]:
    """Kill what is left of trials that a crashed hypermax left running; return their pids.

    ``records`` are the journal's records: a ``trial_started`` record names the trial's main
    process by pid and create time, and a later ``trial_finished`` record for the same id means
    it ended (see :func:`kill_trial_processes`).
    """
    return kill_trial_processes(unfinished_trial_processes(records), trials_root)


def kill_trial_processes(
    roots: Iterable[tuple[int, float]], trials_root: Path | None = None
) -> list[int]:
    """Kill the trial processes ``roots`` names by pid and create time, those that are still
    alive, with their descendants, their session and every process carrying their token;
    return their pids. With ``trials_root`` (``<results>/trials``), any process whose
    ``HYPERMAX_TRIAL_DIR`` lies inside it is killed too: the grandchildren of a trial whose main
    process already died. Call it while holding the results folder's lock.
    """
    roots = list(roots)

    def find() -> list[ProcInfo]:
        return _leftovers(roots, trials_root)

    found = find()
    if not found:
        return []
    kill_ladder(find, LEFTOVER_GRACE_SECONDS, log.info, "leftovers of an earlier hypermax")
    return sorted(p.pid for p in found)


def _leftovers(roots: list[tuple[int, float]], trials_root: Path | None) -> list[ProcInfo]:
    """The live processes of the trials ``roots`` names, and those inside ``trials_root``."""
    found: dict[int, psutil.Process] = {}
    for pid, create_time in roots:
        root = _same_process(pid, create_time)
        if root is not None and not _of_another_search(root, trials_root):
            found.update((p.pid, p) for p in _tree_of(root))
    if trials_root is not None:
        inside = list(_processes_inside(trials_root))
        live = _of_live_searches(inside, trials_root.parent)
        found.update((p.pid, p) for p in inside if p.pid not in live)
    for pid in _me_and_my_ancestors():
        found.pop(pid, None)
    infos = (read_proc(pid) for pid in found)
    return [info for info in infos if info is not None and not info.zombie]


def unfinished_trial_processes(records: Iterable[dict[str, Any]]) -> list[tuple[int, float]]:
    """(pid, create time) of every trial the journal shows started and not finished."""
    started = StartedTrials()
    for record in records:
        started.note(record)
    return started.processes


class StartedTrials:
    """The processes of the trials that the journal records shown to it started and did not
    finish: kept as the records pass by (:meth:`watch`), which are not held."""

    def __init__(self) -> None:
        self._started: dict[Any, tuple[int, float]] = {}

    def note(self, record: dict[str, Any]) -> None:
        event = record.get("event")
        trial_id = record.get("id")
        if event == "trial_started":
            pid, create_time = record.get("pid"), record.get("create_time")
            if isinstance(pid, int) and isinstance(create_time, int | float) and pid > 0:
                self._started[trial_id] = (pid, float(create_time))
            else:
                self._started.pop(trial_id, None)
        elif event == "trial_finished":
            self._started.pop(trial_id, None)

    def watch(self, records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """``records``, noted as they pass."""
        for record in records:
            self.note(record)
            yield record

    @property
    def processes(self) -> list[tuple[int, float]]:
        """(pid, create time) of every trial started and not finished."""
        return list(self._started.values())


def _of_another_search(proc: psutil.Process, trials_root: Path | None) -> bool:
    """Whether ``proc``, a trial process a journal names, is a trial of another results folder
    that a hypermax searches now: the folder this one was copied from, whose journal named the
    same processes; they are that search's, not leftovers of this one."""
    try:
        trial_dir = proc.environ().get(TRIAL_DIR_ENV)
    except (OSError, psutil.Error):
        return False
    if trials_root is None or not trial_dir or not os.path.isabs(trial_dir):
        return False
    where = Path(trial_dir).resolve()
    if where.is_relative_to(trials_root.resolve()):
        return False
    from hypermax.results import ResultsFolder

    return ResultsFolder(where.parent.parent).searching() is True


def _of_live_searches(procs: list[psutil.Process], folder: Path) -> set[int]:
    """The pids of ``procs`` (inside the ``trials`` of the results ``folder``) that are trials
    of a hypermax alive now that searches another folder: their results folder was moved aside
    (their ``HYPERMAX_TRIAL_DIR`` still names its old path) while it ran. A process is one when
    a process above it holds the lock of a results folder whose search runs (not ``folder``);
    one that left its trial's tree (a daemon) is one when a process of its trial's token is."""
    mine = _me_and_my_ancestors()
    live: set[int] = set()
    tokens: dict[int, str | None] = {}
    for proc in procs:
        tokens[proc.pid] = read_token(proc.pid)
        try:
            above = proc.parents()
        except psutil.Error:
            continue
        if any(p.pid not in mine and _holds_a_live_lock(p.pid, folder) for p in above):
            live.add(proc.pid)
    live_tokens = {tokens[pid] for pid in live} - {None, ""}
    return live | {pid for pid, token in tokens.items() if token in live_tokens}


def _holds_a_live_lock(pid: int, folder: Path) -> bool:
    """Whether process ``pid`` holds the lock file of a results folder other than ``folder``
    whose search runs now (see :func:`hypermax.results.lock.searching`)."""
    from hypermax.results import LOCK_NAME
    from hypermax.results.lock import searching

    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if not target.startswith("/") or os.path.basename(target) != LOCK_NAME:
            continue
        held = Path(target).parent
        if held != folder.resolve() and searching(held) is True:
            return True
    return False


def _same_process(pid: int, create_time: float) -> psutil.Process | None:
    try:
        proc = psutil.Process(pid)
        if abs(proc.create_time() - create_time) < 0.01 and _running(proc):
            return proc
    except psutil.Error:
        return None
    return None


def _tree_of(root: psutil.Process) -> Iterator[psutil.Process]:
    """The root, its descendants, its session and the holders of its token."""
    yield root
    with contextlib.suppress(psutil.Error):
        yield from root.children(recursive=True)
    try:
        token = root.environ().get(TOKEN_ENV)
        since = root.create_time()
    except psutil.Error:
        token, since = None, 0.0
    for proc in psutil.process_iter():
        try:
            if proc.create_time() < since:
                continue
            if os.getsid(proc.pid) == root.pid or (token and read_token(proc.pid) == token):
                yield proc
        except (OSError, psutil.Error):
            continue


def _processes_inside(trials_root: Path) -> Iterator[psutil.Process]:
    """Processes whose ``HYPERMAX_TRIAL_DIR`` is a folder inside ``trials_root``. A relative
    one is none that hypermax set (it names a trial's folder by its absolute path), and is not
    read from this process's folder, which may be gone."""
    root = trials_root.resolve()
    for proc in psutil.process_iter():
        try:
            trial_dir = proc.environ().get(TRIAL_DIR_ENV)
        except (OSError, psutil.Error):
            continue
        if not trial_dir or not os.path.isabs(trial_dir):
            continue
        if Path(trial_dir).resolve().is_relative_to(root) and _running(proc):
            yield proc


def _me_and_my_ancestors() -> set[int]:
    pids = {os.getpid()}
    with contextlib.suppress(psutil.Error):
        pids.update(p.pid for p in psutil.Process().parents())
    return pids


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
