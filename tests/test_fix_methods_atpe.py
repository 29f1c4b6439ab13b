"""hyperopt's ATPE finds a parameter's value by its name with every ``.<digits>.`` taken out,
which the labels of a leaf inside an array (``layers#2.0.units``) have: the atpe method proposes
for such spaces all the same."""

from __future__ import annotations

import json
import logging
import random

import pytest

from hypermax.cli import main
from hypermax.optimizers import make_optimizer
from hypermax.space import Space

pytestmark = pytest.mark.usefixtures("in_tmp_path")  # errors name files from here

NUMBER = {"type": "number", "min": 0, "max": 1}


def test_atpe_proposes_objects_and_tuples_inside_arrays():
    pytest.importorskip("lightgbm")
    pytest.importorskip("sklearn")
    item = {"type": "object", "properties": {"units": NUMBER, "e": {"enum": [1, 2]}}}
    layers = {"type": "array", "minItems": 1, "maxItems": 2, "items": item}
    pair = {"type": "array", "items": [{"type": "array", "items": [NUMBER, NUMBER]}, NUMBER]}
    space = Space({"type": "object", "properties": {"layers": layers, "pair": pair}})
    optimizer = make_optimizer("atpe", space, 1)
    for trial_id in (1, 2, 3):
        proposal = optimizer.ask(trial_id)
        assert space.encode(proposal.params) == space.active(proposal.internal)
        assert set(proposal.params["layers"][0]) == {"units", "e"}


def test_atpe_gives_a_leaf_inside_an_array_a_name_no_key_of_the_space_has():
    """ATPE knows ``a.1.b`` as ``a/1/b``: beside a key ``"a/1/b"``, another name."""
    pytest.importorskip("lightgbm")
    pytest.importorskip("sklearn")
    nested = {
        "type": "object",
        "properties": {"1": {"type": "object", "properties": {"b": NUMBER}}},
    }
    space = Space({"type": "object", "properties": {"a/1/b": NUMBER, "a": nested}})
    proposal = make_optimizer("atpe", space, 1).ask(1)
    assert set(proposal.params) == {"a/1/b", "a"}
    assert space.encode(proposal.params) == proposal.internal


def test_a_normal_number_is_a_spec_error_for_atpe_which_needs_bounds(tmp_path, capsys):
    pytest.importorskip("lightgbm")
    pytest.importorskip("sklearn")
    normal = {"type": "number", "mode": "normal", "mean": 0, "stddev": 1}
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": NUMBER, "a": normal}},
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {"method": "atpe"},
    }
    (tmp_path / "model.py").write_text("def train(params):\n    return 0.0\n")
    spec = tmp_path / "search.json"
    spec.write_text(json.dumps(doc))
    assert main(["validate", str(spec)]) == 2
    assert capsys.readouterr().err == (
        "search.json: hyperparameters.properties.a.mode: atpe cannot search a number of mode "
        '"normal" (hyperopt\'s ATPE takes every number as uniform between its "min" and "max"): '
        'make it "uniform", or use another method\n'
    )


def _loss(params):
    return params["x"]


def test_atpe_keeps_hyperopt_s_timings_out_of_the_log_of_a_program_that_calls_it(tmp_path, caplog):
    pytest.importorskip("lightgbm")
    pytest.importorskip("sklearn")
    import hypermax

    with caplog.at_level(logging.INFO):  # the program logs at INFO
        result = hypermax.optimize(
            _loss, space={"x": "0.0:1.0"}, iterations=3, method="atpe", results_dir=tmp_path
        )
    assert len(result.trials) == 3
    # before: "build_posterior_wrapper took 0.000202 seconds", "TPE using 2/2 trials ..."
    assert [r.getMessage() for r in caplog.records if r.name.startswith("hyperopt")] == []
    assert logging.getLogger("hyperopt").level == logging.NOTSET


def test_an_atpe_ask_leaves_the_program_s_random_state_to_its_other_threads(monkeypatch):
    """ATPE draws from the module ``random``: seeded for the ask and put back after, the global
    generator gave another thread of the program seeded draws meanwhile, and took back the
    draws it made (the next ones repeated them)."""
    pytest.importorskip("lightgbm")
    from hyperopt import atpe

    space = Space({"type": "object", "properties": {"x": NUMBER}})
    recommend = atpe.ATPEOptimizer.recommendNextParameters
    drawn: list[float] = []

    def meanwhile(*args, **kwargs):
        drawn.append(random.random())  # what another thread of the program draws meanwhile
        return recommend(*args, **kwargs)

    monkeypatch.setattr(atpe.ATPEOptimizer, "recommendNextParameters", meanwhile)
    random.seed(7)
    expected = [random.random() for _ in range(2)]
    random.seed(7)
    make_optimizer("atpe", space, 1).ask(1)
    assert [*drawn, random.random()] == expected


def test_the_first_atpe_ask_of_a_process_draws_from_its_own_generators(monkeypatch):
    """hyperopt's atpe module is imported on its first use (hypermax.space.hyperopt_lite):
    the generators put in the stand-in for it were not the module's, and the first ask of a
    process drew from the global ones, unseeded: a seeded search's first trial differed from
    one run to the next."""
    pytest.importorskip("lightgbm")
    import sys

    import hyperopt

    from hypermax.deferred import _Deferred

    space = Space({"type": "object", "properties": {"x": NUMBER}})
    expected = make_optimizer("atpe", space, 5).ask(1).params
    stand_in = _Deferred("hyperopt.atpe")  # as before the module's first use
    monkeypatch.setitem(sys.modules, "hyperopt.atpe", stand_in)
    monkeypatch.setattr(hyperopt, "atpe", stand_in)
    random.seed(7)
    before = random.getstate()
    assert make_optimizer("atpe", space, 5).ask(1).params == expected
    assert random.getstate() == before
