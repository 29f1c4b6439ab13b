"""hypermax plot on hand-written journals: many trials, odd param names."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

pytest.importorskip("matplotlib", reason="hypermax plot needs matplotlib (the plots extra)")

from hypermax.cli import main
from hypermax.plots.data import load_plot_data
from hypermax.trial import Trial


def _journal(folder, trials) -> None:
    """A results folder whose journal holds ``trials``: (params, state, loss) each."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [{"event": "header", "format": 1, "seed": 1, "spec_hash": "x"}]
    for i, (params, state, loss) in enumerate(trials, 1):
        lines.append({"event": "trial_started", "id": i, "params": params, "started_at": i})
        lines.append({"event": "trial_finished", "id": i, "state": state, "loss": loss})
    (folder / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))


def test_the_loss_chart_does_not_compare_every_trial_with_every_other(tmp_path, monkeypatch):
    from hypermax.plots.charts import loss_history

    trials = [
        ({"x": i / 400}, "ok" if i % 3 else "failed", i if i % 3 else None) for i in range(150)
    ]
    _journal(tmp_path / "r", trials)
    data = load_plot_data(tmp_path / "r")
    compared = 0
    equal = Trial.__eq__

    def counting(self, other):
        nonlocal compared
        compared += 1
        return equal(self, other)

    monkeypatch.setattr(Trial, "__eq__", counting)
    assert loss_history(data, tmp_path / "loss.png") is not None
    assert compared < len(data.trials)  # a membership test in a list made it 150 x 100


def test_which_params_vary_is_told_by_their_first_values_not_every_one(tmp_path, monkeypatch):
    """Whether a param varies was told by the JSON text of its value in every trial, for
    each param, each time the charts asked (three times): seconds at 50,000 trials."""
    from hypermax.plots import data as plot_data

    trials = [({"x": i / 400, "k": "ab"[i % 2], "n": i % 7, "c": 5}, "ok", i) for i in range(300)]
    _journal(tmp_path / "r", trials)
    data = load_plot_data(tmp_path / "r")
    texts = 0
    key = plot_data._key

    def counting(value):
        nonlocal texts
        texts += 1
        return key(value)

    monkeypatch.setattr(plot_data, "_key", counting)
    assert sorted(data.param_names()) == ["k", "n", "x"]  # c holds 5 throughout
    assert texts < 20  # one a param, and one for the second value of each that varies


def test_param_charts_of_long_and_look_alike_names_each_get_a_file(tmp_path, capsys, recwarn):
    long, smile, grin = "lr_" + "a" * 300, "size🙂", "size😀"
    trials = [({long: i, smile: i * 2, grin: 9 - i}, "ok", float(i)) for i in range(4)]
    _journal(tmp_path / "r", trials)
    assert main(["plot", str(tmp_path / "r")]) == 0, capsys.readouterr().err
    charts = sorted(p.name for p in (tmp_path / "r" / "plots").glob("param-*.png"))
    assert len(charts) == 3, charts
    assert all(len(name.encode()) <= 120 for name in charts)
    assert any(name.startswith("param-lr_aaaa") for name in charts)
    # the letters DejaVu Sans lacks are not one warning per letter and chart
    assert not [w for w in recwarn if "missing from font" in str(w.message)]


def test_long_param_names_stay_on_the_charts(tmp_path, capsys):
    """The axes of the parallel chart, the hotspots and a param's own chart, and the bars of the
    importance, named a param in full: a long name ran off the image (its look-alike with it)
    or took most of its width."""
    from PIL import Image

    long, alike = "lr_" + "a" * 300, "lr_" + "a" * 299 + "b"
    trials = [
        ({long: i, alike: (i * 7) % 5, "short": i % 3}, "ok", i % 5 + i / 10) for i in range(12)
    ]
    _journal(tmp_path / "r", trials)
    assert main(["plot", str(tmp_path / "r")]) == 0, capsys.readouterr().err
    charts = sorted((tmp_path / "r" / "plots").glob("*.png"))
    assert len(charts) == 7  # loss, importance, hotspot, parallel and a chart of each param
    for chart in charts:
        with Image.open(chart) as image:
            gray = image.convert("L")
            width, height = gray.size
            edges = [
                gray.getpixel((x, y)) for x in (0, 1, width - 2, width - 1) for y in range(height)
            ]
        assert min(edges) > 128, f"{chart.name}: something is drawn at the image's edge"


def test_a_plots_folder_that_cannot_be_written_is_one_line_naming_it(tmp_path, capsys):
    _journal(tmp_path / "r", [({"x": 0.5}, "ok", 1.0)])
    (tmp_path / "r" / "plots").write_text("a file in the way")
    assert main(["plot", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err == f"{tmp_path}/r/plots: cannot write the charts: a file is in the way\n"
    (tmp_path / "r" / "plots").unlink()
    (tmp_path / "r" / "plots").symlink_to(tmp_path / "gone")  # was "File exists" for both
    assert main(["plot", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err == f"{tmp_path}/r/plots: cannot write the charts: a link to nothing is in the way\n"


def test_a_frozen_spec_edited_out_of_shape_leaves_the_charts_on_linear_axes(tmp_path, capsys):
    _journal(tmp_path / "r", [({"x": 0.5}, "ok", 1.0), ({"x": 0.7}, "ok", 2.0)])
    (tmp_path / "r" / "search.json").write_text('{"hyperparameters": []}')
    assert main(["plot", str(tmp_path / "r")]) == 0, capsys.readouterr().err
    assert (tmp_path / "r" / "plots" / "param-x.png").exists()


def test_a_full_disk_leaves_the_charts_drawn_before_whole(small_disk, capsys):
    """A chart was written in place: the disk filling up as it was drawn left it cut short in
    place of the one drawn before, and the param charts were removed before any was drawn."""
    folder = small_disk / "r"
    trials = [({"x": i / 30, "n": i % 4}, "ok", (i - 15) ** 2 / 9) for i in range(30)]
    _journal(folder, trials)
    assert main(["plot", str(folder)]) == 0, capsys.readouterr().err
    plots = folder / "plots"
    before = {path.name: path.read_bytes() for path in plots.iterdir()}
    assert {"loss.png", "param-x.png", "param-n.png"} <= set(before)
    more = [({"x": i * 0.618 % 1, "n": i % 4}, "ok", i * 0.377 % 1) for i in range(400)]
    _journal(folder, more)  # larger charts than the disk has room for
    free = os.statvfs(small_disk)
    (small_disk / "filler").write_bytes(b"\0" * (free.f_bavail * free.f_frsize - 8192))
    assert main(["plot", str(folder)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{plots}/loss.png: cannot write the charts: No space left on device")
    after = {path.name: path.read_bytes() for path in plots.iterdir()}
    assert set(after) == set(before)  # no chart removed, no temporary file left
    cut = [name for name, png in after.items() if not png.endswith(b"IEND\xaeB`\x82")]
    assert not cut  # each chart is the one drawn before or a new one, whole


def test_a_chart_left_by_a_killed_plot_goes_but_not_one_being_drawn(tmp_path, capsys):
    _journal(tmp_path / "r", [({"x": 0.5}, "ok", 1.0), ({"x": 0.7}, "ok", 2.0)])
    plots = tmp_path / "r" / "plots"
    plots.mkdir()
    ended = subprocess.Popen(["true"])
    ended.wait()  # reaped: its pid names no process
    dead = plots / f".loss.png.tmp{ended.pid}"
    drawing = plots / f".loss.png.tmp{os.getppid()}"  # a process that runs
    dead.write_bytes(b"cut short")
    drawing.write_bytes(b"being drawn")
    assert main(["plot", str(tmp_path / "r")]) == 0, capsys.readouterr().err
    assert not dead.exists() and drawing.read_bytes() == b"being drawn"
