"""Running trials: the runner seam, the local process runner and the watchdog.

Nothing here imports anything heavy: the child bootstrap lives in this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hypermax.execution.base import BaseRunner
    from hypermax.spec import Spec

__all__ = ["make_runner"]


def make_runner(spec: Spec) -> BaseRunner:
    """The runner for a search: today, trials as fresh processes on this machine.

    Example:
        >>> runner = make_runner(load_spec("search.json"))
        >>> runner.submit(proposal, trial_dir, log_path)
    """
    from hypermax.execution.launch import SubprocessLauncher
    from hypermax.execution.local import LocalRunner

    return LocalRunner(spec.function, spec.folder, launcher=SubprocessLauncher())
