"""matplotlib's config folder, for a user whose home cannot hold one.

matplotlib keeps its settings and font cache in ``~/.config/matplotlib`` (``$XDG_CONFIG_HOME``,
``$XDG_CACHE_HOME``; ``~/.matplotlib`` off Linux). When that cannot be made (a read-only or
missing home, as batch jobs and containers have), its import prints two lines of warnings on
stderr, in the middle of a search's console (``ngopt`` imports it through ``cma``) or of
``hypermax plot``. hypermax then imports it with a temporary folder of its own, removed at
exit, which is what matplotlib would have done, quietly; ``MPLCONFIGDIR`` set by the user is
left as it is, and trials do not see the folder.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

#: the environment variable that names matplotlib's config (and cache) folder
MPLCONFIGDIR = "MPLCONFIGDIR"


def import_matplotlib_quietly() -> None:
    """Import matplotlib (when installed and not imported yet) so that an unwritable default
    config folder makes it use a temporary one of hypermax's, with no warning printed."""
    if "matplotlib" in sys.modules or os.environ.get(MPLCONFIGDIR):
        return
    if all(_writable(folder) for folder in _default_folders()):
        return
    folder = tempfile.mkdtemp(prefix="hypermax-matplotlib-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ[MPLCONFIGDIR] = folder
    try:
        import matplotlib

        # both are looked up once, and kept: from here on they are the temporary folder
        matplotlib.get_configdir()
        matplotlib.get_cachedir()
    except ImportError:
        pass
    finally:
        del os.environ[MPLCONFIGDIR]  # trials started later see the user's environment


def _default_folders() -> tuple[Path, ...]:
    """Where matplotlib keeps its settings and its cache without ``MPLCONFIGDIR``."""
    try:
        home = Path.home()
    except (RuntimeError, KeyError):  # no home at all
        return (Path("/nonexistent/.matplotlib"),)
    if sys.platform.startswith(("linux", "freebsd")):
        config = os.environ.get("XDG_CONFIG_HOME") or home / ".config"
        cache = os.environ.get("XDG_CACHE_HOME") or home / ".cache"
        return (Path(config, "matplotlib"), Path(cache, "matplotlib"))
    return (home / ".matplotlib",)


def _writable(folder: Path) -> bool:
    """Whether matplotlib can use ``folder`` (made if missing), as matplotlib decides it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return folder.is_dir() and os.access(folder, os.W_OK)
