"""hypermax plot on a search with a conditional space whose best trials all took one branch."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("matplotlib", reason="hypermax plot needs matplotlib (the plots extra)")

from hypermax.plots.charts import parallel_coordinates
from hypermax.plots.data import load_plot_data


def test_a_branch_none_of_the_best_trials_took_leaves_the_parallel_chart_drawn(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    leaves = [{"shape": "leaves", "leaves": 10 + i} for i in range(2)]  # the two best
    depth = [{"shape": "depth", "depth": 2 + i} for i in range(3)]
    lines: list[dict] = [{"event": "header", "format": 1, "seed": 1, "spec_hash": "x"}]
    for i, tree in enumerate([*leaves, *depth], 1):
        lines.append({"event": "trial_started", "id": i, "params": {"lr": i / 10, "tree": tree}})
        lines.append({"event": "trial_finished", "id": i, "state": "ok", "loss": float(i)})
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    drawn = parallel_coordinates(load_plot_data(folder), tmp_path / "parallel.png")
    assert drawn == tmp_path / "parallel.png" and drawn.stat().st_size > 0
