"""What to run for one trial and where its files go: the plan a runner anywhere runs it by."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hypermax.trial import Proposal

if TYPE_CHECKING:
    from hypermax.spec import FunctionSpec


@dataclass(frozen=True)
class TrialPlan:
    """What to run for one trial and where its files go; all a runner anywhere needs of it.

    Attributes:
        function: the spec's ``function`` section.
        spec_folder: where relative ``module``/``src``/``cwd`` paths start.
        proposal: the trial's id and params.
        trial_dir: the trial's own folder (created if missing).
        log_path: the trial's log, for its stdout, its stderr and hypermax's notes.
        verdict_wait: when early stopping judges the trial's reports, how long a
            ``python_function`` trial waits after each for the verdict on it (see
            :func:`.reports.send_report`); None: it never waits.
    """

    function: FunctionSpec
    spec_folder: Path
    proposal: Proposal
    trial_dir: Path
    log_path: Path
    verdict_wait: float | None = None
