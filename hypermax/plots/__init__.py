"""``hypermax plot``: PNG charts of a results folder, written to ``<folder>/plots/``.

``loss.png`` (loss per trial, best-so-far line, killed, failed and stopped trials marked),
``param-NAME.png`` for each param (a number against the loss, log axes where it is searched so;
an enum as box plots), ``parallel.png`` (parallel coordinates of the best 20 % of the trials),
``importance.png``, ``hotspot.png`` (the mean loss over the two most important params) and
``curves.png`` (the reported curves, early-stopped trials marked). Needs matplotlib (the
``plots`` extra); this package is imported only by the ``plot`` command.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from hypermax.errors import (
    EXIT_OK,
    ResultsError,
    SearchFailed,
    UsageError,
    is_disk_full,
    printable,
)
from hypermax.output import write_out

if TYPE_CHECKING:
    from hypermax.plots.data import PlotData

__all__ = ["cmd_plot", "write_plots"]

PLOTS_FOLDER = "plots"
#: how many params (the most important) get a chart of their own, a bar of importance and an
#: axis of the parallel coordinates, unless ``hypermax plot --params N`` says otherwise: past
#: that, charts grow unreadable (300 params: a 12,000-pixel bar chart) and slow to draw
MOST_PARAMS = 20


def write_plots(results_dir: Path, most_params: int | None = MOST_PARAMS) -> list[Path]:
    """Draw every chart the search has data for into ``results_dir/plots/``; return the files.
    The charts of params draw the ``most_params`` most important of them (None: every one).

    Raises:
        hypermax.errors.ResultsError: ``results_dir`` is not a results folder, or its
            ``plots`` folder cannot be written (SearchFailed, exit 1, when its disk is full).
        ImportError: matplotlib is not installed.
    """
    return _write_plots(results_dir, most_params)[0]


def _write_plots(results_dir: Path, most_params: int | None) -> tuple[list[Path], int]:
    """:func:`write_plots`, and how many params there were to draw."""
    from hypermax.matplotlib_config import import_matplotlib_quietly

    import_matplotlib_quietly()
    import matplotlib

    matplotlib.use("Agg")  # files only: never a window, whatever the environment says
    from hypermax.plots.data import load_plot_data

    data = dataclasses.replace(load_plot_data(results_dir), most_params=most_params)
    with warnings.catch_warnings():
        # a param named in a script the font lacks: its letters are boxes, said once per
        # letter per chart by matplotlib (dozens of lines); a long name: the layout gives up
        warnings.filterwarnings("ignore", "Glyph .* missing from font")
        warnings.filterwarnings("ignore", "Tight layout not applied")
        warnings.filterwarnings("ignore", "overflow encountered", RuntimeWarning)  # 1e308 losses
        try:
            return _draw(data, results_dir / PLOTS_FOLDER), len(data.param_names())
        except OSError as exc:
            failure = SearchFailed if is_disk_full(exc) else ResultsError
            raise failure(_cannot_write(results_dir / PLOTS_FOLDER, exc)) from None


def _cannot_write(folder: Path, exc: OSError) -> str:
    """Why the charts cannot be written into ``folder``, naming the file or folder at fault."""
    where = exc.filename or folder
    why = exc.strerror or str(exc)
    if isinstance(exc, FileExistsError) and Path(where) == folder:  # its mkdir: no folder there
        why = "a file is in the way" if folder.exists() else "a link to nothing is in the way"
    return f"{where}: cannot write the charts: {why}"


def _draw(data: PlotData, out: Path) -> list[Path]:
    from hypermax.plots import charts

    out.mkdir(exist_ok=True)
    for left in out.glob(".*.png.tmp*"):  # of a hypermax plot killed as it drew
        pid = left.name.rpartition(".tmp")[2]
        with contextlib.suppress(ValueError, PermissionError, FileNotFoundError):
            try:
                os.kill(int(pid), 0)  # another plot, drawing now: its chart stays
            except ProcessLookupError:
                left.unlink()
    written = [
        charts.loss_history(data, out / "loss.png"),
        charts.importance_chart(data, out / "importance.png"),
        charts.hotspot_grid(data, out / "hotspot.png"),
        charts.parallel_coordinates(data, out / "parallel.png"),
        charts.reported_curves(data, out / "curves.png"),
    ]
    for name in data.drawn_params():
        written.append(charts.param_chart(data, name, out / f"param-{_file_name(name)}.png"))
    drawn = [path for path in written if path is not None]
    for old in out.glob("param-*.png"):
        if old not in drawn:
            old.unlink()  # params of an earlier spec (or no longer drawn) must not linger
    return drawn


#: bytes of a param's name kept in its chart's file name (a file name holds 255 at most)
NAME_BYTES = 80


def _file_name(name: str) -> str:
    """A param's name in a file name: letters of any script kept; a name that had to be
    changed (other characters, too long) gets a hash of itself, so that names differ."""
    safe = re.sub(r"[^\w.-]", "_", name)
    short = safe.encode()[:NAME_BYTES].decode(errors="ignore")
    if short == name:
        return name
    return f"{short}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def cmd_plot(args: argparse.Namespace) -> int:
    """``hypermax plot DIR [--open]``."""
    from hypermax.matplotlib_config import import_matplotlib_quietly

    import_matplotlib_quietly()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("hypermax plot: needs matplotlib: pip install 'hypermax[plots]'") from None
    if args.params < 1:
        raise UsageError(f"hypermax plot: --params: must be at least 1, got {args.params}")
    results_dir = Path(args.results_dir)
    written, params = _write_plots(results_dir, args.params)
    folder = results_dir / PLOTS_FOLDER
    drawn = ", ".join(p.name for p in written) or "nothing to draw yet"
    lines = [f"{printable(str(folder))}: {drawn}"]  # a newline in its name would end the line
    if params > args.params:
        lines.append(
            f"charts of the {args.params} most important of {params} params "
            f"(--params {params} draws every one)"
        )
    write_out("".join(f"{line}\n" for line in lines), "plot")
    if args.open:
        _open(folder)
    return EXIT_OK


def _open(folder: Path) -> None:
    """Open the folder with the desktop's viewer, where there is one."""
    opener = shutil.which("open" if sys.platform == "darwin" else "xdg-open")
    if opener is None:
        print("no desktop viewer found (xdg-open); the charts are in the folder above")
        return
    subprocess.Popen(
        [opener, str(folder)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
