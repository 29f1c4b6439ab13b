"""Views derived from the journal: ``results.csv``, ``best.json`` and JSON exports.

Each file is written to a temporary name and renamed into place, so a reader never sees half.
A trial's row of a table (its columns and cells) is :mod:`hypermax.table_rows`'.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from hypermax.best import best_trial
from hypermax.execution.protocol import write_atomic
from hypermax.journal import _finite as strict_json
from hypermax.journal import finished_record
from hypermax.space import flatten
from hypermax.table_rows import (
    FIXED_COLUMNS,
    apart_metrics,
    flat_params,
    param_column,
    row_parts,
    table_cell,
)
from hypermax.trial import Trial


def trials_csv(
    trials: Iterable[Trial],
    lines: CsvLines | None = None,
    others: Iterable[Trial] = (),
    params: Sequence[str] = (),
) -> str:
    """The trials as a CSV table (``results.csv``, ``hypermax export``), one row each; a warm
    start reads their params back from it as the journal holds them. ``lines``: the lines of
    the trials written before, kept for the next table (see :class:`CsvLines`). ``others``:
    trials without a row whose params have their columns all the same (a running trial's, or
    every trial's in the table of the best alone), so that the columns do not depend on which
    trials have ended or have a loss. ``params``: the flat names of the space's params
    (:meth:`~hypermax.space.Space.param_names`), as :class:`CsvLines` takes them."""
    return (lines or CsvLines(params)).table(trials, others)


class _Span(NamedTuple):
    """Where a line is in the table :class:`CsvLines` wrote last: its bytes from ``offset``."""

    offset: int
    length: int


class CsvLines:
    """The line of each trial of a table, kept from one table of the trials to the next, and
    the columns of its row: a table rewritten as trials end (``results.csv``) formats only the
    rows of the trials that ended since the last, and its lines all again only when the
    columns change (a trial of a branch none had taken), instead of every row at each rewrite,
    which kept a search of 20,000 trials busy rewriting results.csv. A trial is known by its
    object: a trial recorded again (a new object) gets its line made again.

    A table written to a file (:meth:`write`) keeps its lines there, not in memory: the file it
    wrote stays open (whatever replaces or removes it by its name since), and the next table
    copies each line it keeps from it; a file changed in place since (its size or time) has
    every line made again. Each trial costs where its line is, not the line.

    ``params``: the flat names of the space's params, in its order
    (:meth:`~hypermax.space.Space.param_names`): each has its column, whether a trial has it
    yet or not (a table of no trial has the columns of the search's params), in that order
    (a list's items side by side, a conditional's branches one after the other), and the
    params of no name among them (a trial of a space edited since) after them, in the order
    they first appear.
    """

    def __init__(self, params: Sequence[str] = ()) -> None:
        self._space = frozenset(params)  # the space's names, and their columns in its order
        self._space_columns = [param_column(name) for name in params]
        #: trial id -> the trial, the names of each group of its row's cells, and where its line
        #: is in the file last written: its offset and length
        self._kept: dict[int, tuple[Trial, _Shape, int, int]] = {}
        #: trial id -> the trial, the names of its params' cells, its :func:`apart_metrics` metrics
        self._names: dict[int, tuple[Trial, frozenset[str], frozenset[str]]] = {}
        self._taken: frozenset[str] = frozenset()  # the params' names of every row
        self._apart: frozenset[str] = frozenset()  # the _apart metrics of every row
        self._shapes: dict[_Shape, _Shape] = {}  # rows of the same names (most) share one
        self._name_sets: dict[frozenset[str], frozenset[str]] = {}  # and params of the same names
        self._columns: list[str] = []
        self._out = io.StringIO()
        self.rows_made = 0  # rows made of a trial's cells: once a trial, but for new columns
        #: the file last written, open, and its size and time then
        self._file: int | None = None
        self._stamp: tuple[int, int] = (0, 0)

    def table(self, trials: Iterable[Trial], others: Iterable[Trial] = ()) -> str:
        """The table of ``trials``, as text (``others``: as for :func:`trials_csv`)."""
        return "".join(
            self._read(line).decode() if isinstance(line, _Span) else line
            for _, _, line in self._lines(trials, others)
        )

    def write(self, path: Path, trials: Iterable[Trial], others: Iterable[Trial] = ()) -> None:
        """Write the table of ``trials`` to ``path`` as :func:`write_atomic` does: through a
        temporary file beside it, flushed to disk, and a rename (``others``: as for
        :func:`trials_csv`)."""
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            kept: dict[int, tuple[Trial, _Shape, int, int]] = {}
            with open(fd, "wb", closefd=False) as out:
                at = 0
                run = _Span(0, 0)  # kept lines one after another in the old file: copied at once
                for trial, shape, line in self._lines(trials, others):
                    if isinstance(line, _Span):
                        if run.offset + run.length != line.offset:
                            self._copy(run, out)
                            run = _Span(line.offset, 0)
                        run = _Span(run.offset, run.length + line.length)
                        length = line.length
                    else:
                        self._copy(run, out)
                        run = _Span(0, 0)
                        length = out.write(line.encode("utf-8", "backslashreplace"))
                    if trial is not None and shape is not None:
                        kept[trial.id] = (trial, shape, at, length)
                    at += length
                self._copy(run, out)
                out.flush()
                os.fsync(fd)
            os.replace(tmp, path)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        self.close()
        self._file, self._stamp, self._kept = fd, _stamp(fd), kept

    def close(self) -> None:
        """Let go of the file last written (the next table makes every line)."""
        if self._file is not None:
            os.close(self._file)
        self._file, self._kept = None, {}

    def _copy(self, span: _Span, out: BinaryIO) -> None:
        """Copy ``span`` of the file last written to ``out``, a MiB at a time."""
        done = 0
        while done < span.length:
            part = _Span(span.offset + done, min(span.length - done, 1 << 20))
            done += out.write(self._read(part))

    def _read(self, span: _Span) -> bytes:
        assert self._file is not None
        data = os.pread(self._file, span.length, span.offset)
        if len(data) != span.length:  # cut short in place while being read
            raise OSError(errno.EIO, "results.csv changed while it was read")
        return data

    def _lines(
        self, trials: Iterable[Trial], others: Iterable[Trial] = ()
    ) -> Iterator[tuple[Trial | None, _Shape | None, str | _Span]]:
        """The header, then each trial with the names of its row and its line, made now (a
        text) or kept (where it is in the file last written). ``others``: trials whose params
        have columns, without a row."""
        trials = list(trials)
        rows = {trial.id for trial in trials}
        others = [trial for trial in others if trial.id not in rows]
        every = [*trials, *others]  # those whose params have columns
        if self._file is not None and _stamp(self._file) != self._stamp:  # changed in place
            self.close()
        flats: dict[int, dict[str, Any]] = {}  # the flat params of the trials new here
        for trial in every:
            known = self._names.get(trial.id)
            if known is None or known[0] is not trial:
                flats[trial.id] = flat = flat_params(trial, table=True)
                names = frozenset(flat)
                apart = apart_metrics(trial)
                self._names[trial.id] = (
                    trial,
                    self._name_sets.setdefault(names, names),
                    self._name_sets.setdefault(apart, apart),
                )
        taken = frozenset(name for trial in every for name in self._names[trial.id][1])
        taken |= self._space  # a param no trial has yet has its column too
        apart = frozenset(name for trial in every for name in self._names[trial.id][2])
        if (taken, apart) != (self._taken, self._apart):  # a metric named like a param now in
            self._taken, self._apart, self._kept = taken, apart, {}  # another row: remade
        shown: list[tuple[Trial, _Shape, _Span | tuple[dict[str, Any], ...] | None]] = []
        for trial in trials:
            kept = self._kept.get(trial.id)
            if kept is not None and kept[0] is trial:
                shown.append((trial, kept[1], _Span(kept[2], kept[3])))
                continue
            parts = self._parts(trial, flats.get(trial.id))
            shape = tuple(tuple(part) for part in parts)
            shown.append((trial, self._shapes.setdefault(shape, shape), parts))
        groups: list[dict[str, None]] = [
            dict.fromkeys(FIXED_COLUMNS),
            {},
            dict.fromkeys(self._space_columns),
        ]
        seen: set[int] = set()
        params: list[tuple[int, Sequence[str]]] = []  # the first trial of each row's names
        for trial, shape, _ in shown:
            if id(shape) not in seen:
                seen.add(id(shape))
                groups[0].update(dict.fromkeys(shape[0]))
                groups[1].update(dict.fromkeys(shape[1]))
                params.append((trial.id, shape[2]))
        for trial in others:  # a column of each of their params, in the order of the trials
            flat = flats.get(trial.id) or flat_params(trial, table=True)
            params.append((trial.id, [param_column(name) for name in flat]))
        if others:
            params.sort(key=lambda first: first[0])
        for _, param_columns in params:
            groups[2].update(dict.fromkeys(param_columns))
        columns = [*dict.fromkeys(key for group in groups for key in group), "reason"]
        if columns != self._columns:
            self._columns, self._kept = columns, {}
            shown = [
                (trial, shape, None if isinstance(made, _Span) else made)
                for trial, shape, made in shown
            ]
        # the csv module quotes a cell that holds a character of its line ending, and only
        # those: with "\n" alone, a cell holding "\r" (a param's text) was written bare and
        # read back as two rows; each line's "\r\n" becomes "\n" in _line
        writer = csv.DictWriter(self._out, fieldnames=columns, lineterminator="\r\n")
        yield None, None, self._line(writer.writeheader)
        for trial, shape, made in shown:
            if isinstance(made, _Span):
                yield trial, shape, made
                continue
            parts = made or self._parts(trial)
            row = {k: table_cell(v) for part in parts for k, v in part.items()}
            row["reason"] = table_cell(trial.reason)
            yield trial, shape, self._line(lambda: writer.writerow(row))  # noqa: B023 - at once

    def _parts(
        self, trial: Trial, flat: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], ...]:
        self.rows_made += 1
        return row_parts(trial, True, self._taken, flat, self._apart)

    def _line(self, write: Callable[[], object]) -> str:
        """The line ``write`` writes, ended by "\n"."""
        self._out.seek(0)
        self._out.truncate()
        write()
        return self._out.getvalue().removesuffix("\r\n") + "\n"


def _stamp(fd: int) -> tuple[int, int]:
    """What tells that an open file was changed: its size and time."""
    found = os.fstat(fd)
    return found.st_size, found.st_mtime_ns


#: the names of a row's cells, group by group (:func:`row_parts`)
_Shape = tuple[tuple[str, ...], ...]


def trial_document(trial: Trial) -> dict[str, Any]:
    """A trial as a JSON document (export, best.json, ``Result.trials``): its journal record
    plus its params, NaN and infinities as the journal writes them (``"nan"``, ``"inf"``), so
    that the document is strict JSON, whether the trial was read from the journal or not."""
    return strict_json(_document(trial))


def _document(trial: Trial) -> dict[str, Any]:
    """:func:`trial_document` before its NaN and infinities are spelled as strings."""
    record = finished_record(trial)
    del record["event"], record["id"]
    flat = flatten(trial.params, keep_empty=True)  # an empty list is a value, as in the table
    document = {"trial": trial.id, "params": trial.params, "flat_params": flat}
    return {**document, **record}


def trial_json(trial: Trial) -> str:
    """:func:`trial_document` as one line of JSON text.

    Made by the json module's C encoder, which a document without NaN or infinities (nearly
    every one) goes through as it is: the document spelled out with their strings only when
    the encoder finds one."""
    document = _document(trial)
    try:
        return json.dumps(document, allow_nan=False, default=str)
    except ValueError:  # a NaN or an infinity somewhere in it
        return json.dumps(strict_json(document), default=str)


def export_json(trials: Iterable[Trial], importance: dict[str, Any]) -> str:
    """``hypermax export --format json``: ``{"trials": [...], "importance": {...}}``, each
    trial on a line of its own (:func:`trial_json`), the importance indented; strict JSON, NaN
    and infinities spelled ``"nan"``, ``"inf"`` throughout.

    A line a trial is what 50,000 trials take a second to write, where the json module's
    indenting encoder, written in Python, took several: and a line is a trial to ``grep``."""
    lines = ",\n    ".join(trial_json(trial) for trial in trials)
    listed = f"[\n    {lines}\n  ]" if lines else "[]"
    # an enum's best value may be NaN (a param of NaN in some trials): spelled as the trials'
    ranked = json.dumps(strict_json(importance), indent=2, default=str).replace("\n", "\n  ")
    return f'{{\n  "trials": {listed},\n  "importance": {ranked}\n}}\n'


def write_views(folder: Path, trials: Sequence[Trial], lines: CsvLines | None = None) -> None:
    """Rewrite ``results.csv`` and ``best.json`` from the finished trials (``lines``: those of
    ``results.csv`` kept from its last rewrite, see :class:`CsvLines`, which knows the space's
    params)."""
    finished = sorted((t for t in trials if t.state.finished), key=lambda t: t.id)
    running = [t for t in trials if not t.state.finished]  # their params' columns, no row
    if lines is None:
        write_atomic(folder / "results.csv", trials_csv(finished, others=running))
    else:
        lines.write(folder / "results.csv", finished, running)
    best = best_trial(finished)
    write_atomic(
        folder / "best.json",
        json.dumps(trial_document(best) if best else None, indent=2, default=str) + "\n",
    )
