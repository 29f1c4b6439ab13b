"""Command-line counts the benchmark scripts accept: a whole number no smaller than a floor.

A count below what a figure needs (one trial to divide a span between two ends, one seed to take
a median of) is refused by argparse, which names the option and exits 2, before any search runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable


def at_least(floor: int, why: str = "") -> Callable[[str], int]:
    """An argparse ``type``: the whole number given, if it is ``floor`` or more; ``why`` is
    added to the refusal (what the figure needs that many for)."""

    def count(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"a whole number, not {text!r}") from None
        if value < floor:
            reason = f" ({why})" if why else ""
            raise argparse.ArgumentTypeError(f"at least {floor}, not {value}{reason}")
        return value

    return count
