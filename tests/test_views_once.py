"""A view the writer's thread cannot write (a folder in the way of ``best.json``) is logged
once for each file and cause, in one line, not at every rewrite all search long; the search's
end still says it (tests/test_views.py, tests/test_results_folder_use.py)."""

from __future__ import annotations

import logging

from fake_trials.helpers import wait_until

from hypermax.trial import Trial, TrialState
from hypermax.views import ViewWriter


def _trials(count: int) -> list[Trial]:
    return [
        Trial(id=i, params={"x": i}, internal={}, state=TrialState.OK, loss=1.0 / i)
        for i in range(1, count + 1)
    ]


def _rewrite(writer: ViewWriter, count: int) -> None:
    writer.submit(_trials(count))
    wait_until(writer.idle, 10, "the rewrite to end")


def test_a_view_in_the_way_is_logged_once_per_file_and_cause(tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="hypermax")
    (tmp_path / "best.json").mkdir()  # as `mkdir -p results/NAME/best.json` before a run
    writer = ViewWriter(tmp_path)
    for count in (1, 2, 3):
        _rewrite(writer, count)
    assert (tmp_path / "results.csv").read_text().count("\n") == 4  # the other view goes on
    (tmp_path / "results.csv").unlink()
    (tmp_path / "results.csv").mkdir()  # another file in the way: said too, once
    for count in (4, 5):
        _rewrite(writer, count)
    writer.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "hypermax"]
    assert lines == [
        f"cannot rewrite results.csv and best.json: IsADirectoryError: Is a directory (writing "
        f"{tmp_path / name}); said once, the journal holds every trial"
        for name in ("best.json", "results.csv")
    ]
    assert not any(r.exc_info for r in caplog.records)  # one line each, no traceback
