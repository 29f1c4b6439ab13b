"""The command that wraps a ``hypermax quick`` trial in the metric reader, as portable as it can be.

``python3 -P -m hypermax.quick.metric_line METRIC --`` where the ``python3`` on ``PATH`` imports
this hypermax as a trial would (its ``PYTHONPATH``: the spec's folder first), so that a saved spec
runs on another machine, or in another checkout, as it is; else this interpreter by its path; else
the helper's command (:func:`~hypermax.execution.spawn.helper_argv`), which loads hypermax from
its folder by absolute path, for when a ``hypermax.py`` beside the spec or on ``PYTHONPATH``
would stand in for it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

MODULE = "hypermax.quick.metric_line"

#: what the probe prints: the file the reader's module is imported from
_PROBE = f"import {MODULE} as m; print(m.__file__)"


def reader_command(metric: str, folder: Path) -> list[str]:
    """The metric reader's argv up to the command it wraps (``--`` included), for a spec whose
    trials get ``folder`` first on their ``PYTHONPATH``."""
    for python in _interpreters():
        if _imports_this_reader(python, folder):
            return [python, "-P", "-m", MODULE, metric, "--"]
    from hypermax.execution.spawn import helper_argv

    return [*helper_argv(MODULE, "main"), metric, "--"]


def _interpreters() -> list[str]:
    """``python3`` when ``PATH`` has one (a name any machine with Python resolves), then this
    interpreter by its path."""
    found = ["python3"] if shutil.which("python3") else []
    return [*found, sys.executable]


def _imports_this_reader(python: str, folder: Path) -> bool:
    """Whether ``python -P`` imports the reader from this hypermax with a trial's
    ``PYTHONPATH`` (``folder``, hypermax's own folder when no site folder holds it, then
    yours), as a trial of the spec gets it."""
    from hypermax.execution.spawn import python_path
    from hypermax.quick import metric_line
    from hypermax.scripts import path_list_from

    env = dict(os.environ)
    if "PYTHONPATH" in env:
        env["PYTHONPATH"] = path_list_from(env["PYTHONPATH"], os.getcwd())
    env["PYTHONPATH"] = python_path(env, str(folder), own_interpreter=False)
    from hypermax.execution.process_start import run_briefly

    try:
        probe = run_briefly([python, "-P", "-c", _PROBE], 30, env=env, cwd=folder)
    except (OSError, subprocess.SubprocessError, ValueError):
        return False
    lines = probe.output.splitlines()
    return (
        probe.exit_code == 0
        and bool(lines)
        and os.path.realpath(os.fsdecode(lines[-1])) == os.path.realpath(metric_line.__file__)
    )
