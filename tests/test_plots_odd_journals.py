"""hypermax plot on journals that are out of the ordinary: a conditional branch none of the best
trials took, a run that diverged to a loss of 1e308, a param of 1e300."""

from __future__ import annotations

import json
import math
import random

import pytest

pytest.importorskip("matplotlib", reason="hypermax plot needs matplotlib (the plots extra)")

from hypermax.cli import main
from hypermax.plots.charts import parallel_coordinates
from hypermax.plots.data import load_plot_data


def _journal(folder, trials) -> None:
    """A results folder whose journal holds ``trials``: (params, loss) each, ``ok`` with a loss
    and ``failed`` without."""
    folder.mkdir()
    lines: list[dict] = [{"event": "header", "format": 1, "seed": 1, "spec_hash": "x"}]
    for i, (params, loss) in enumerate(trials, 1):
        lines.append({"event": "trial_started", "id": i, "params": params})
        state = "ok" if loss is not None else "failed"
        lines.append({"event": "trial_finished", "id": i, "state": state, "loss": loss})
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))


def test_a_branch_none_of_the_best_trials_took_leaves_the_parallel_chart_drawn(tmp_path):
    folder = tmp_path / "r"
    leaves = [{"shape": "leaves", "leaves": 10 + i} for i in range(2)]  # the two best
    depth = [{"shape": "depth", "depth": 2 + i} for i in range(3)]
    trials = [({"lr": i / 10, "tree": tree}, float(i)) for i, tree in enumerate(leaves + depth, 1)]
    _journal(folder, trials)
    drawn = parallel_coordinates(load_plot_data(folder), tmp_path / "parallel.png")
    assert drawn == tmp_path / "parallel.png" and drawn.stat().st_size > 0


def test_a_diverged_loss_and_a_huge_param_are_drawn_and_ranked(tmp_path, capsys):
    folder = tmp_path / "r"
    lrs = [0.1, 0.2, 1e300, 0.3, 0.4, 0.5, 10**400]  # an int no float holds
    losses = [1.0, 2.0, 1e308, 0.5, 3.0, 4.0, 5.0]
    _journal(
        folder,
        [
            ({"lr": lr, "n": i % 3}, loss)
            for i, (lr, loss) in enumerate(zip(lrs, losses, strict=True))
        ],
    )
    assert main(["plot", str(folder)]) == 0, capsys.readouterr().err
    written = capsys.readouterr().out
    assert len(written.splitlines()) == 1  # every param drawn: nothing more to say
    for chart in ("loss.png", "param-lr.png", "parallel.png", "importance.png"):
        assert chart in written and (folder / "plots" / chart).stat().st_size > 0
    assert load_plot_data(folder).importance.method == "forest"


def test_a_diverged_report_is_drawn_on_the_curves(tmp_path, capsys):
    """A report of 1.7e308 (or -1e308 then 1e308) left no ticks for the curves' axis: the
    command ended with an unexpected error."""
    folder = tmp_path / "r"
    _journal(folder, [({"x": 0.1}, 0.5), ({"x": 0.2}, 0.7)])
    reports = [(1, 0, -1e308), (1, 1, 1e308), (2, 0, 1.7e308)]
    journal = folder / "trials.jsonl"
    lines = []
    for line in journal.read_text().splitlines():  # each trial's reports before its end
        record = json.loads(line)
        if record["event"] == "trial_finished":
            lines += [
                json.dumps({"event": "trial_reported", "id": i, "step": s, "metrics": {"loss": v}})
                for i, s, v in reports
                if i == record["id"]
            ]
        lines.append(line)
    journal.write_text("\n".join(lines) + "\n")
    assert main(["plot", str(folder)]) == 0, capsys.readouterr().err
    assert "curves.png" in capsys.readouterr().out


def test_a_search_of_many_params_charts_the_most_important_saying_so(tmp_path, capsys):
    folder = tmp_path / "r"
    noise = random.Random(1)  # p0 decides the loss; p1..p5 are noise
    _journal(
        folder,
        [
            ({"p0": i % 7, **{f"p{j}": noise.random() for j in range(1, 6)}}, i % 7)
            for i in range(12)
        ],
    )
    assert main(["plot", str(folder), "--params", "2"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out.splitlines()
    charts = sorted(p.name for p in (folder / "plots").glob("param-*.png"))
    ranked = [p.name for p in load_plot_data(folder).importance.params]
    assert ranked[0] == "p0" and charts == sorted(f"param-{n}.png" for n in ranked[:2])
    assert out[1] == "charts of the 2 most important of 6 params (--params 6 draws every one)"

    assert main(["plot", str(folder), "--params", "0"]) == 2
    assert capsys.readouterr().err.strip() == "hypermax plot: --params: must be at least 1, got 0"


@pytest.mark.parametrize("losses", [[None, 1.0, 2.0, None], [None, None]])
def test_the_loss_chart_shows_every_trial_those_without_a_loss_too(tmp_path, monkeypatch, losses):
    from hypermax.plots import charts

    folder = tmp_path / "r"
    _journal(folder, [({"x": i}, loss) for i, loss in enumerate(losses)])
    drawn = []
    monkeypatch.setattr(charts, "save_chart", lambda fig, path: drawn.append(fig) or path)
    charts.loss_history(load_plot_data(folder), tmp_path / "loss.png")
    low, high = drawn[0].axes[0].get_xlim()
    assert low < 1 and high > len(losses)  # the first and the last trial, failed, within it


@pytest.mark.parametrize("losses", [[1.0], [None], [1.0, 2.0]])
def test_the_loss_chart_of_a_trial_or_two_numbers_whole_trials(tmp_path, monkeypatch, losses):
    """matplotlib's whole-number ticks give way to 0.5, 0.6, ... when fewer than two whole
    numbers are in view (one trial): the trial axis says trial 1.3 no more."""
    from hypermax.plots import charts

    folder = tmp_path / "r"
    _journal(folder, [({"x": i}, loss) for i, loss in enumerate(losses)])
    drawn = []
    monkeypatch.setattr(charts, "save_chart", lambda fig, path: drawn.append(fig) or path)
    charts.loss_history(load_plot_data(folder), tmp_path / "loss.png")
    ax = drawn[0].axes[0]
    low, high = ax.get_xlim()
    shown = [tick for tick in ax.get_xticks() if low <= tick <= high]
    assert shown and all(tick == round(tick) for tick in shown)


def test_the_loss_chart_of_a_search_without_a_loss_has_no_loss_scale(tmp_path, monkeypatch):
    """Every trial failed: the loss axis was numbered -0.04 to 0.04, losses none of them had."""
    from hypermax.plots import charts

    folder = tmp_path / "r"
    _journal(folder, [({"x": i}, None) for i in range(3)])
    drawn = []
    monkeypatch.setattr(charts, "save_chart", lambda fig, path: drawn.append(fig) or path)
    charts.loss_history(load_plot_data(folder), tmp_path / "loss.png")
    ax = drawn[0].axes[0]
    assert list(ax.get_yticks()) == []
    assert ax.get_ylabel() == "loss (no trial has one)"


def test_the_loss_chart_of_a_search_of_a_long_name_keeps_its_title_on_the_image(
    tmp_path, monkeypatch
):
    """A search named in 100 characters (as many as a name may have): the title ran off both
    sides of the image, its count of trials with it; the name is cut in its middle."""
    from hypermax.plots import charts

    name = "s" * 60 + "-the-end-" + "z" * 31
    folder = tmp_path / name
    _journal(folder, [({"x": i}, float(i)) for i in range(3)])
    drawn = []
    monkeypatch.setattr(charts, "save_chart", lambda fig, path: drawn.append(fig) or path)
    charts.loss_history(load_plot_data(folder), tmp_path / "loss.png")
    fig = drawn[0]
    fig.tight_layout()
    fig.canvas.draw()
    title = fig.axes[0].title
    box = title.get_window_extent()
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width
    assert title.get_text().startswith("sss") and title.get_text().endswith("zz: loss of 3 trials")


def _reporting_journal(folder, metric: str, steps: int) -> None:
    """A results folder of three trials, each reporting ``metric`` at steps 1 to ``steps``."""
    folder.mkdir()
    lines: list[dict] = [{"event": "header", "format": 1, "seed": 1, "spec_hash": "x"}]
    for i in range(1, 4):
        lines.append({"event": "trial_started", "id": i, "params": {"x": i / 10}})
        for step in range(1, steps + 1):
            report = {"event": "trial_reported", "id": i, "step": step, "metrics": {metric: i}}
            lines.append(report)
        lines.append({"event": "trial_finished", "id": i, "state": "ok", "loss": float(i)})
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))


def _drawn_curves(tmp_path, monkeypatch, metric: str, steps: int):
    from hypermax.plots import charts

    _reporting_journal(tmp_path / "r", metric, steps)
    drawn = []
    monkeypatch.setattr(charts, "save_chart", lambda fig, path: drawn.append(fig) or path)
    charts.reported_curves(load_plot_data(tmp_path / "r"), tmp_path / "curves.png")
    fig = drawn[0]
    fig.tight_layout()
    fig.canvas.draw()
    return fig


def test_the_curves_of_trials_that_reported_once_number_whole_steps(tmp_path, monkeypatch):
    """Reports at step 1 alone: the step axis was numbered 0.945, 0.96, ... 1.05."""
    ax = _drawn_curves(tmp_path, monkeypatch, "acc", 1).axes[0]
    low, high = ax.get_xlim()
    shown = [tick for tick in ax.get_xticks() if low <= tick <= high]
    assert shown == [1.0]


def test_the_curves_of_a_long_metric_name_with_a_newline_stay_on_the_image(tmp_path, monkeypatch):
    """A reported metric's name is the trial's to choose: one of two lines and 100 characters
    made a title of two lines running off both sides, and an axis label taller than the chart;
    it is written on one line, cut in its middle, as a param's name."""
    metric = "validation accuracy\nof the model on the held-out " + "x" * 80
    fig = _drawn_curves(tmp_path, monkeypatch, metric, 3)
    ax = fig.axes[0]
    for text in (ax.title, ax.yaxis.label):
        box = text.get_window_extent()
        assert "\n" not in text.get_text() and "…" in text.get_text()
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width
        assert box.y0 >= 0 and box.y1 <= fig.bbox.height


def test_a_param_of_nan_and_infinity_is_drawn_as_the_importance_ranks_it(tmp_path, capsys):
    """A param of NaN in some trials, an infinity in another (a journal written by another
    tool, or edited by hand): the hotspot grid could not put NaN in a cell and plot ended in an
    unexpected error; such a param's values are drawn as values, not on a number's axis, as
    the importance ranks them (an enum)."""
    folder = tmp_path / "r"
    xs = [0.1 * (i % 6) for i in range(12)]  # each value twice: an enum's value once says nothing
    xs[4], xs[10], xs[3], xs[9] = math.nan, math.nan, math.inf, math.inf
    _journal(folder, [({"x": x, "y": (i * 7 % 12) / 12}, i + 1.0) for i, x in enumerate(xs)])
    assert main(["plot", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "hotspot.png" in out and "param-x.png" in out
    data = load_plot_data(folder)
    assert not data.numeric("x") and data.numeric("y")
    kinds = {p.name: p.kind for p in data.importance.params}
    assert kinds == {"x": "enum", "y": "number"}


def test_a_param_of_many_values_not_all_numbers_is_drawn_in_a_few_groups(tmp_path, monkeypatch):
    """A param of 114 numbers and a text ("auto", in 6 trials) has values, not a number's
    axis: its chart drew a box for each of the 115 values, the hotspot grid a column each, the
    parallel chart a label each (3,000 trials: minutes). The most common values are drawn, the
    rest as one group."""
    from hypermax.plots import charts
    from hypermax.plots.scales import MOST_VALUES

    folder = tmp_path / "r"
    rng = random.Random(4)
    trials = [
        ({"x": "auto" if i % 20 == 7 else rng.random(), "y": rng.random()}, None)
        for i in range(120)
    ]
    trials = [(p, (0.5 if p["x"] == "auto" else p["x"]) + p["y"]) for p, _ in trials]
    _journal(folder, trials)
    data = load_plot_data(folder)
    assert not data.numeric("x") and {p.name for p in data.importance.params} == {"x", "y"}
    drawn = []
    monkeypatch.setattr(charts, "save_chart", lambda fig, path: drawn.append(fig) or path)
    charts.param_chart(data, "x", tmp_path / "x.png")
    charts.hotspot_grid(data, tmp_path / "hot.png")
    charts.parallel_coordinates(data, tmp_path / "par.png")
    boxes, grid, parallel = (fig.axes[0] for fig in drawn)
    labels = [t.get_text() for t in boxes.get_xticklabels()]
    assert len(labels) == MOST_VALUES
    assert labels.count(f"({115 - (MOST_VALUES - 1)} other values)") == 1
    columns = grid.get_xticklabels() if grid.get_xlabel() == "x" else grid.get_yticklabels()
    assert len(columns) == 8 and columns[-1].get_text().endswith("other values)")
    assert len(parallel.texts) <= 3 * MOST_VALUES
