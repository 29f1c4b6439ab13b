"""How losses, durations, values and params are written, on the dashboard and on the console."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hypermax.errors import printable
from hypermax.space import flatten

if TYPE_CHECKING:
    from hypermax.trial import Trial

SPARK_GLYPHS = "▁▂▃▄▅▆▇█"
#: Control characters (C0, DEL, C1) as the escapes Python writes them in: ``\n``, ``\x1b``.


def format_loss(loss: float | None) -> str:
    """A loss with six significant digits, ``-`` for none (and ``0`` for -0.0)."""
    return "-" if loss is None else f"{loss + 0.0:.6g}"


def format_duration(seconds: float | None) -> str:
    """``42s``, ``3m07s``, ``2h05m``; ``-`` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    total = round(max(0.0, seconds))
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m{total % 60:02d}s"
    return f"{total // 3600}h{total % 3600 // 60:02d}m"


def until_timeout(eta: float, timeout: float | None, elapsed: float) -> float:
    """An ETA that the search's ``timeout`` cuts short: the search ends then, trials left or
    not."""
    return eta if timeout is None else min(eta, max(0.0, timeout - elapsed))


def eta_text(eta: float) -> str:
    """``ETA 44s``; ``finishing`` once nothing is left by the estimate while the search goes
    on (its last trials running past their usual time, or past its ``timeout``): ``ETA 0s``
    there said it was over."""
    return "finishing" if eta <= 0 else f"ETA {format_duration(eta)}"


def format_trial_time(seconds: float | None) -> str:
    """A trial's time: tenths of a second under a minute (``0.4s``, ``12.3s``), else as
    :func:`format_duration` writes it."""
    if seconds is not None and math.isfinite(seconds) and 0 <= seconds < 59.95:
        return f"{seconds:.1f}s"
    return format_duration(seconds)


def one_line(text: str) -> str:
    """``text`` with its control characters written as escapes (a newline as ``\\n``): it stays
    on one row of a table and cannot steer the terminal."""
    return printable(text)


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes (a wide letter, such as 学, takes two; a
    combining mark none), as urwid measures it for the dashboard: with ``wcwidth``."""
    if text.isascii():
        return len(text)
    import wcwidth  # urwid's measure; imported only for text beyond ASCII

    measure = getattr(wcwidth, "width", None) or wcwidth.wcswidth
    return max(0, int(measure(text)))


def padded(text: str, width: int) -> str:
    """``text`` with spaces up to ``width`` terminal columns (``str.ljust`` counts characters)."""
    return text + " " * max(0, width - columns(text))


#: what stands for a NaN or an infinity in the JSON :func:`json_value` makes, before it is
#: written as hypermax writes it everywhere a user reads a value: ``nan``, ``inf``, ``-inf``
_NOT_FINITE_MARK = "\x00hypermax-not-finite\x00"


def json_value(value: Any) -> str:
    """``value`` as exact JSON on one line, its letters as they are (``"ö"``, not ``"\\u00f6"``)
    and its control characters escaped (see :func:`one_line`); a NaN or an infinity, which JSON
    has no word for, as ``nan``, ``inf`` or ``-inf``, as :func:`exact_value`, the dashboard and
    ``results.csv`` write it (not Python's ``NaN``, ``Infinity``)."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str, allow_nan=False)
    except ValueError as exc:  # a NaN or an infinity somewhere in it
        if "Out of range float" not in str(exc):  # a list that holds itself: said as ever
            raise
        marked = json.dumps(_marked(value), ensure_ascii=False, default=str)
        mark = json.dumps(_NOT_FINITE_MARK)
        text = re.sub(f'"{re.escape(mark[1:-1])}(nan|-?inf)"', r"\1", marked)
    return one_line(text)


def _marked(value: Any) -> Any:
    """``value`` with each NaN or infinity as a text :func:`json_value` writes bare."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{_NOT_FINITE_MARK}{float(value)!r}"  # numpy's too
    if isinstance(value, dict):
        return {key: _marked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_marked(item) for item in value]
    return value


def format_value(value: Any) -> str:
    """A param or metric value, short and on one line: floats to four significant digits,
    strings bare (control characters escaped, see :func:`one_line`)."""
    if isinstance(value, bool) or value is None:
        return json_value(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int | str):
        return one_line(str(value))
    return json_value(value)


def exact_value(value: Any) -> str:
    """A value in full on one line, as ``results.csv`` has it: floats to the last digit that
    tells them apart (``repr``); anything else as :func:`format_value` writes it."""
    if isinstance(value, float):
        return repr(value)
    return format_value(value)


def format_params(
    params: Mapping[str, Any], limit: int | None = 200, *, short: bool = False
) -> str:
    """``name=value`` for each param under its flat dotted name.

    Args:
        params: nested or flat params.
        limit: the text is cut to this many characters, ending in ``...``; None keeps it whole.
        short: values as :func:`format_value` writes them, two spaces apart (the dashboard);
            otherwise exact JSON values, comma-separated (the console and ``hypermax show``).

    Example:
        >>> format_params({"opt": {"lr": 0.000123456, "name": "adam"}})
        'opt.lr=0.000123456, opt.name="adam"'
        >>> format_params({"opt": {"lr": 0.000123456, "name": "adam"}}, None, short=True)
        'opt.lr=0.0001235  opt.name=adam'
    """
    flat = flatten(dict(params), keep_empty=True)
    if short:
        text = "  ".join(f"{one_line(name)}={format_value(value)}" for name, value in flat.items())
    else:
        text = ", ".join(f"{one_line(name)}={json_value(value)}" for name, value in flat.items())
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."


def format_state(trial: Trial) -> str:
    """A trial's state; a stopped trial's with the step it reached: ``stopped@4``."""
    state = trial.state.value
    return f"{state}@{trial.step}" if state == "stopped" and trial.step is not None else state


def sparkline(values: Sequence[float], low: float | None = None, high: float | None = None) -> str:
    """One glyph a value, from ``▁`` at ``low`` to ``█`` at ``high`` (default: their range)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return ""
    low = min(finite) if low is None else low
    high = max(finite) if high is None else high
    span = high / 2 - low / 2  # halves: from -1e308 to 1e308 is beyond the largest float
    top = len(SPARK_GLYPHS) - 1
    cells = []
    for value in values:
        if not math.isfinite(value):
            cells.append(" ")
            continue
        level = 0.5 if span <= 0 else (min(max(value, low), high) / 2 - low / 2) / span
        cells.append(SPARK_GLYPHS[round(level * top)])
    return "".join(cells)


def trial_sections(trial: Trial) -> list[tuple[str, dict[str, Any]]]:
    """What a trial holds by name, in the order a trial is shown: its loss terms, metrics,
    flat params and metadata."""
    return [
        ("loss terms", trial.loss_terms),
        ("metrics", trial.metrics),
        ("params", flatten(trial.params, keep_empty=True)),
        ("metadata", trial.metadata),
    ]


def counted(count: int, noun: str) -> str:
    """``1 trial``, ``2 trials``: the count and its noun, plural but for one."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def trials_text(count: int) -> str:
    """``1 trial``, ``2 trials``."""
    return counted(count, "trial")


def unfinished_text(count: int) -> str:
    """What a resumed search says of its trials that had not finished: ``, 2 unfinished run
    again`` (nothing when there are none)."""
    if not count:
        return ""
    return f", {count} unfinished {'runs' if count == 1 else 'run'} again"


def not_run_text(count: int, done: int) -> str:
    """What a resumed search with no iterations left says of its ``count`` trials that had not
    finished (interrupted, or running at a crash), which would run again with more: ``; 2
    interrupted trials do not run again (--iterations 6 runs them)`` (nothing when none)."""
    if not count:
        return ""
    trials, do, them = ("trial", "does", "it") if count == 1 else ("trials", "do", "them")
    more = f"--iterations {done + count} runs {them}"
    return f"; {count} interrupted {trials} {do} not run again ({more})"


def short_names(names: Iterable[str]) -> dict[str, str]:
    """Each dotted name's shortest tail that no other name shares: ``optimizer.lr`` → ``lr``.

    A tail does not start at an array's index: ``layers.0`` stays ``layers.0``, not ``0``,
    which named nothing the reader could tell apart from another list's first item.

    The tails of each length are counted once (a name compared with every other one took
    seconds, at each redraw of the dashboard, for a list of thousands of params)."""
    names = list(dict.fromkeys(names))
    parts = {name: tuple(name.split(".")) for name in names}
    tails: Counter[tuple[str, ...]] = Counter()
    for split in parts.values():
        tails.update(split[-length:] for length in range(1, len(split) + 1))
    out = {}
    for name in names:
        split = parts[name]
        out[name] = next(
            (
                ".".join(split[-n:])
                for n in range(1, len(split) + 1)
                if tails[split[-n:]] == 1 and not split[-n].isdigit()
            ),
            name,
        )
    return out


def stopped_at(step: int | None) -> str:
    """What follows a stopped best trial's id: ``, stopped at step 3`` (``, stopped`` without a
    step)."""
    return ", stopped" if step is None else f", stopped at step {step}"
