"""A trial's files and command, made before its process starts: ahead of it, or as it starts."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING

from hypermax.errors import is_disk_full
from hypermax.execution import spawn

if TYPE_CHECKING:
    from hypermax.execution.spawn import Resolve
    from hypermax.execution.trial_files import TrialFiles
    from hypermax.execution.trial_log import LogSink
    from hypermax.execution.trial_plan import TrialPlan


#: what a folder no file can be made in answers: read-only (EROFS), immutable (EPERM), its
#: rights taken away (EACCES), a file in its place (ENOTDIR)
UNWRITABLE_ERRNOS = (errno.EROFS, errno.EPERM, errno.EACCES, errno.ENOTDIR)


class FolderUnwritable(OSError):
    """No trial's files can be made in the results folder (read-only, immutable, its rights
    taken away, a file in place of its ``trials``): not the trial's failure, but the folder's;
    the search stops, as for a journal it can no longer write. ``filename`` names the folder
    or file that refused."""


def folder_unwritable(exc: OSError, trial_dir: Path) -> FolderUnwritable:
    """The error of a trial's files that could not be made (``exc``, one of
    :data:`UNWRITABLE_ERRNOS`), naming the folder that refused: the trial's folder's own folder
    (``trials``) when ``trial_dir`` could not be made in it."""
    named = exc.filename
    where = os.fsdecode(named) if isinstance(named, str | bytes) else str(trial_dir)
    if not os.path.lexists(where):  # what could not be made: its folder refused
        where = os.path.dirname(where)
    return FolderUnwritable(exc.errno, exc.strerror, where)


class TrialSetup:
    """What one trial's process needs before it starts: its folder, params file and log, and
    its argv, environment, starting folder and token.

    Args:
        plan: what to run, and where its files go.
        spec_folder: where relative ``module``/``src``/``cwd`` paths start (resolved).
        files: the trial's files.
        resolve: how the host resolves a path.
    """

    def __init__(self, plan: TrialPlan, spec_folder: Path, files: TrialFiles, resolve: Resolve):
        self.plan = plan
        self.spec_folder = spec_folder
        self.files = files
        self.resolve = resolve
        self.log: LogSink | None = None  # the trial's log, once its files are made
        self._command_made: tuple[list[str], dict[str, str], str, str] | None = None

    def make(self) -> LogSink | str:
        """The trial's log, its files made unless they were made ahead; or why they cannot be.

        Files made ahead and removed since are made again.

        Raises the OSError of a full disk (or quota) met while writing the trial's files, or
        found before a trial prepared ahead starts (its files were written before), and
        :class:`FolderUnwritable` when the results folder refused them.
        """
        if self.log is not None and not self.files.room_left():
            self.discard()  # prepared before the disk filled up, which the files would have met
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.files.trial_dir))
        if self.log is not None and not self.files.are_there():
            self.discard()  # prepared ahead, then removed (by hand, with the results folder)
        if self.log is None:  # not prepared ahead
            earlier = os.path.lexists(self.files.trial_dir)  # an earlier run's folder
            try:
                self.log = self.files.make(self.plan.proposal.params, self.plan.proposal.again)
            except OSError as exc:
                if is_disk_full(exc):
                    raise  # not this trial's failure: no trial can start until there is room
                if exc.errno in UNWRITABLE_ERRNOS and not (earlier and self._inside(exc)):
                    # nor this: the folder's
                    raise folder_unwritable(exc, self.files.trial_dir) from None
                return f"cannot prepare the trial's files: {exc}"
        return self.log

    def _inside(self, exc: OSError) -> bool:
        """Whether ``exc`` is about a file inside the trial's own folder (one an earlier run
        of it may have left unwritable), rather than about the results folder."""
        named = exc.filename
        if not isinstance(named, str | bytes):
            return False
        return Path(os.fsdecode(named)).parent == self.files.trial_dir

    def command(self) -> tuple[list[str], dict[str, str], str, str]:
        """The trial's argv, environment, starting folder and token (made once: for a trial
        prepared ahead, while other trials run). Its files must be made."""
        if self._command_made is None:
            token = os.urandom(16).hex()  # as unique as a uuid4, without making one
            argv, env, cwd = spawn.trial_command(
                self.plan.function,
                self.spec_folder,
                self.plan.proposal,
                self.files,
                token,
                self.plan.verdict_wait,
                self.resolve,
            )
            self._command_made = (argv, env, cwd, token)
        return self._command_made

    def prepare(self) -> bool:
        """Make the trial's files ahead of :meth:`.TrialRun.start` (which then only starts its
        process): its folder, params file and log, and its command and environment, while other
        trials run. Only a trial whose folder and log are new is prepared (False otherwise, and
        nothing is made): what :meth:`discard` removes is then exactly what was made."""
        if not self.files.are_new():
            return False
        try:
            self.log = self.files.make(self.plan.proposal.params, self.plan.proposal.again)
        except OSError:
            self.discard()
            return False  # :meth:`.TrialRun.start` tries again, and says why if it fails
        with contextlib.suppress(
            Exception
        ):  # made again by :meth:`.TrialRun.start`, which says why
            self.command()
        return True

    def discard(self) -> None:
        """Remove what :meth:`prepare` made, for a trial that will not run."""
        if self.log is not None:
            self.log.close()
            self.log = None
        self.files.remove()
