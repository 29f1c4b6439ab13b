"""Trial functions that report with steps of every kind; ``params["kind"]`` picks one."""

from __future__ import annotations

from typing import Any

import hypermax


def train(params: dict[str, Any], reporter: Any) -> float:
    globals()[params["kind"]](reporter)
    return 0.5


def half_steps(reporter: Any) -> None:
    """Steps that are not whole: 0 and 1 once they were truncated."""
    reporter(0.5, loss=0.9)
    reporter(1.5, loss=0.8)


def text_step(reporter: Any) -> None:
    reporter("epoch1", loss=0.9)


def no_step(reporter: Any) -> None:
    hypermax.report(None, loss=0.9)


def whole_steps(reporter: Any) -> None:
    """A whole float, a numpy integer and a whole numpy float: steps 1, 2 and 3."""
    import numpy

    reporter(1.0, loss=0.9)
    reporter(numpy.int64(2), loss=0.8)
    hypermax.report(numpy.float32(3.0), loss=0.7)


def negative_steps(reporter: Any) -> None:
    """Evaluations before training at steps -3 and -1, then step 0."""
    reporter(-3, loss=0.9)
    hypermax.report(-1.0, loss=0.8)
    reporter(0, loss=0.7)


def big_reports(reporter: Any) -> None:
    """Three reports longer than hypermax reads (64 KiB), then a usable one."""
    for step in (1, 2, 3):
        reporter(step, loss=0.9, matrix=list(range(20000)))
    reporter(4, loss=0.8)
