"""Top-level keys that start with ``x-`` are extension keys, ignored, as in docker-compose
files: a place for YAML anchors that the space reuses. Anywhere else they stay unknown keys."""

from __future__ import annotations

from conftest import OBJECTIVES

from hypermax.cli import main
from hypermax.spec import load_spec

ANCHORED = f"""
x-rate: &rate {{type: number, min: 0.0001, max: 1, scaling: logarithmic}}
x-notes: tuned for the small dataset
hyperparameters:
  type: object
  properties:
    lr: *rate
    decay:
      <<: *rate
      max: 0.1
function: {{type: python_function, src: "{OBJECTIVES / "quadratic.py"}", name: train}}
"""


def test_an_x_key_holds_anchors_the_space_reuses(tmp_path):
    path = tmp_path / "search.yaml"
    path.write_text(ANCHORED)
    properties = load_spec(path).hyperparameters["properties"]
    assert properties["lr"]["max"] == 1 and properties["decay"]["max"] == 0.1
    assert properties["decay"]["scaling"] == "logarithmic"


def test_an_x_key_below_the_top_is_still_unknown(tmp_path, monkeypatch, capsys):
    text = ANCHORED.replace("name: train}", "name: train, x-note: 1}")
    (tmp_path / "search.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "search.yaml"]) == 2
    assert capsys.readouterr().err.startswith('search.yaml: function: unknown key "x-note"')


def test_a_node_and_a_metric_may_carry_a_title_and_a_description(tmp_path):
    """As the README says of both: a metric's title was an unknown key."""
    text = ANCHORED.replace("lr: *rate", "lr: {<<: *rate, title: rate, description: of SGD}")
    text += "metrics:\n  loss: {min: 0, title: the loss, description: what train returns}\n"
    (tmp_path / "search.yaml").write_text(text)
    spec = load_spec(tmp_path / "search.yaml")
    assert spec.hyperparameters["properties"]["lr"]["title"] == "rate"
    assert [metric.name for metric in spec.metrics] == ["loss"]


def test_a_top_level_key_that_holds_anchors_is_told_the_x_prefix(tmp_path, monkeypatch, capsys):
    """A YAML user's usual place for anchors, a top-level ``base:``, said only ``unknown key
    "base"``: the x- prefix that keeps it was the README's alone."""
    text = ANCHORED.replace("x-rate:", "base:").replace("x-notes:", "x-typo: {}\nserach:")
    (tmp_path / "search.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "search.yaml"]) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        'search.yaml: unknown keys "base", "serach" (did you mean "search"?) (a key that starts'
        ' with "x-" is ignored, a place for anchors: "x-base")'
    )
