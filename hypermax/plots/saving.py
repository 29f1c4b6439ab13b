"""A chart saved as a PNG, whole or not at all (:func:`save_chart`)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from matplotlib.figure import Figure

DPI = 110


#: the name a chart is drawn under before it takes its own (``.loss.png.tmp<pid>``)
TEMPORARY_NAME = ".{name}.tmp{pid}"


def save_chart(fig: Figure, path: Path) -> Path:
    """Save ``fig`` as ``path`` through a temporary file beside it and a rename: a chart cut
    short (a full disk, Ctrl-C) never takes the place of the one drawn before, nor is left
    half-written for a viewer to show."""
    fig.tight_layout()
    tmp = path.with_name(TEMPORARY_NAME.format(name=path.name, pid=os.getpid()))
    try:
        fig.savefig(tmp, dpi=DPI, format="png")
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.filename in (None, tmp, str(tmp)):
            exc.filename = str(path)  # the chart is what could not be written
        raise
    return path
