"""An objective module that ignores SIGTERM when imported (it wants to finish what it started
rather than be stopped), and whose ``trial`` writes the names of the signals its process
ignores, one a line, to ``ignored`` in its trial folder (as ``ignored_signals``' does)."""

from __future__ import annotations

import signal

from ignored_signals import trial  # noqa: F401 (the objective)

signal.signal(signal.SIGTERM, signal.SIG_IGN)
