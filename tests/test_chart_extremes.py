"""The dashboard's loss chart with losses at the ends of the float range: a run that diverged
to 1e308, a killed trial's penalty far above every measured loss."""

from __future__ import annotations

import pytest

from hypermax.ui.chart import KILLED, POINT, render_chart


@pytest.mark.parametrize("log_scale", [False, True])
@pytest.mark.parametrize("loss", [1e308, 1.7e308, -1.7e308])
def test_losses_near_the_largest_float_are_drawn(loss, log_scale):
    lines = render_chart([(loss, "ok"), (loss, "ok")], [loss, loss], 40, 10, log_scale)
    assert len(lines) == 10 and all(len(line) == 40 for line in lines)
    assert sum(line.count(POINT) for line in lines) == 2  # one for each trial


def test_a_killed_trials_penalty_of_1e308_stays_on_the_top_edge():
    points = [(0.0, "ok"), (1e308, "killed"), (0.0, "ok")]
    lines = render_chart(points, [0.0, 0.0, 0.0], 40, 10, False)
    assert KILLED in lines[0]
    assert sum(line.count(POINT) for line in lines) == 2
