"""hypermax plot, show --importance and export --format json on real results folders."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from conftest import OBJECTIVES, run_cli, run_cli_here

pytest.importorskip("matplotlib", reason="hypermax plot needs matplotlib (the plots extra)")
from PIL import Image, ImageStat

from hypermax.plots.data import load_plot_data

SPEC = {
    "hyperparameters": {
        "type": "object",
        "properties": {
            "lr": {"type": "number", "min": 1e-5, "max": 1, "scaling": "logarithmic"},
            "opt": {"enum": ["adam", "sgd"]},
            "depth": {"type": "integer", "min": 1, "max": 9},
        },
    },
    "function": {
        "type": "python_function",
        "src": str(OBJECTIVES / "landscape.py"),
        "name": "train",
        "parallel": 2,
        "auto_kill_max_time": 1,
        "kill_grace": 0.5,
    },
    "search": {"name": "landscape", "method": "random", "iterations": 24, "seed": 11},
}


@pytest.fixture(scope="module")
def searched(tmp_path_factory) -> Path:
    """A finished search of 24 trials: ok, failed (tiny lr) and killed (depth 9 with sgd)."""
    root = tmp_path_factory.mktemp("plots")
    doc = dict(SPEC)
    points = [{"lr": 0.5, "opt": "sgd", "depth": 9}, {"lr": 1.5e-5, "opt": "adam", "depth": 2}]
    doc["search"] = {**doc["search"], "points": points}
    doc["results"] = {"directory": str(root / "results")}
    (root / "search.json").write_text(json.dumps(doc))
    ran = run_cli_here("search.json", "--no-ui", cwd=root)
    assert ran.returncode == 0, ran.stderr
    return root / "results" / "landscape"


def _not_blank(path: Path) -> None:
    """A PNG that opens, has a sensible size, and is not one flat colour."""
    with Image.open(path) as image:
        assert image.format == "PNG" and image.width >= 400 and image.height >= 200
        stddev = ImageStat.Stat(image.convert("L")).stddev[0]
    assert stddev > 10, f"{path.name} looks blank (pixel stddev {stddev:.1f})"


def test_plot_draws_every_chart_as_a_real_image(searched):
    states = [
        json.loads(line)["state"]
        for line in (searched / "trials.jsonl").read_text().splitlines()
        if '"trial_finished"' in line
    ]
    assert {"ok", "failed", "killed"} <= set(states)  # the search has every kind to mark
    drawn = run_cli_here("plot", str(searched), cwd=searched.parent)
    assert drawn.returncode == 0, drawn.stderr
    plots = searched / "plots"
    expected = {
        "loss.png",
        "importance.png",
        "hotspot.png",
        "parallel.png",
        "curves.png",
        "param-lr.png",
        "param-opt.png",
        "param-depth.png",
    }
    assert {p.name for p in plots.iterdir()} == expected
    assert drawn.stdout.startswith(f"{plots}: loss.png, importance.png, hotspot.png")
    for path in plots.iterdir():
        _not_blank(path)


def test_the_charts_know_which_params_are_log_scaled_and_rank_the_one_that_matters(searched):
    data = load_plot_data(searched)
    assert data.log_params == {"lr"}
    assert data.importance.params[0].name == "lr"
    assert set(data.param_names()) == {"lr", "opt", "depth"}
    assert data.numeric("depth") and not data.numeric("opt")


def test_show_importance_and_the_json_export_rank_the_params(searched):
    shown = run_cli_here("show", str(searched), "--importance", cwd=searched.parent)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    at = lines.index(next(line for line in lines if line.startswith("param importance")))
    assert lines[at].startswith("param importance (a random forest, ")
    assert lines[at + 1].split() == ["param", "importance", "rho", "best"]
    assert lines[at + 2].split()[0] == "lr"
    exported = json.loads(
        run_cli_here("export", str(searched), "--format", "json", cwd=searched.parent).stdout
    )
    importance = exported["importance"]
    assert importance["method"] == "forest" and importance["params"][0]["name"] == "lr"
    assert sum(p["importance"] for p in importance["params"]) == pytest.approx(1.0)
    assert importance["trials"] == sum(t["loss"] is not None for t in exported["trials"])
    opt = next(p for p in importance["params"] if p["name"] == "opt")
    assert opt["kind"] == "enum" and opt["best_value"] == "adam"


def _journal(folder: Path, trials: int) -> Path:
    """A results folder whose journal holds ``trials`` trials with reports; every third was
    stopped early (as early stopping records one). Only the journal: no frozen spec."""
    folder.mkdir()
    records: list[dict] = [{"event": "header", "format": 1, "name": folder.name, "seed": 1}]
    for trial_id in range(1, trials + 1):
        stopped = trial_id % 3 == 0
        params = {"x": trial_id / 10, "kind": "a" if trial_id % 2 else "b"}
        records.append({"event": "trial_started", "id": trial_id, "params": params})
        steps = 2 if stopped else 5
        for step in range(1, steps + 1):
            metrics = {"loss": trial_id + 1 / step}
            records.append(
                {"event": "trial_reported", "id": trial_id, "step": step, "metrics": metrics}
            )
        state = "stopped" if stopped else "ok"
        records.append(
            {
                "event": "trial_finished",
                "id": trial_id,
                "state": state,
                "loss": trial_id + 1 / steps,
            }
        )
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


def test_early_stopped_trials_and_their_curves_are_drawn(tmp_path):
    folder = _journal(tmp_path / "stopped", 6)
    drawn = run_cli_here("plot", str(folder), cwd=tmp_path)
    assert drawn.returncode == 0, drawn.stderr
    for name in ("loss.png", "curves.png", "param-x.png", "param-kind.png"):
        _not_blank(folder / "plots" / name)
    data = load_plot_data(folder)
    assert [t.state.value for t in data.trials].count("stopped") == 2
    assert data.log_params == frozenset()  # no frozen spec: linear axes


def test_open_uses_the_desktop_viewer_or_says_there_is_none(tmp_path):
    folder = _journal(tmp_path / "small", 2)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = {"PATH": str(bin_dir)}
    alone = run_cli("plot", str(folder), "--open", cwd=tmp_path, env=env)
    assert alone.returncode == 0, alone.stderr
    assert "no desktop viewer found (xdg-open)" in alone.stdout
    opened = tmp_path / "opened"
    viewer = bin_dir / ("open" if sys.platform == "darwin" else "xdg-open")
    viewer.write_text(f'#!/bin/sh\necho "$1" > {opened}.tmp && /bin/mv {opened}.tmp {opened}\n')
    viewer.chmod(0o755)
    shown = run_cli("plot", str(folder), "--open", cwd=tmp_path, env=env)
    assert shown.returncode == 0, shown.stderr
    deadline = time.monotonic() + 30
    while not opened.exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # the viewer runs detached: wait for the file it writes
    assert opened.read_text().strip() == str(folder / "plots")


def test_without_matplotlib_plot_says_what_to_install(searched, tmp_path):
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from hypermax.cli import main\n"
        f"sys.exit(main(['plot', {str(searched)!r}]))\n"
    )
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ
    )
    assert done.returncode == 2
    assert done.stderr == "hypermax plot: needs matplotlib: pip install 'hypermax[plots]'\n"


def test_plot_on_a_folder_that_is_not_a_results_folder_is_one_line(tmp_path):
    refused = run_cli_here("plot", str(tmp_path), cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr == f"{tmp_path}: not a hypermax results folder (no trials.jsonl)\n"
