"""A space with nothing to search (no params, or constants only) runs its one point, whatever
built-in method the spec names: a noisy training measured again and again."""

from __future__ import annotations

import pytest
from conftest import finished_records, run_cli

from hypermax.optimizers import make_optimizer
from hypermax.registry import METHODS, builtin_problem
from hypermax.space import Space
from hypermax.testing import drive

EMPTY = {"type": "object", "properties": {}}
CONSTANTS = {"type": "object", "properties": {"c": {"const": 3}}}
REPEATING = sorted(set(METHODS) - {"grid", "ablation"})


@pytest.mark.parametrize("method", REPEATING)
@pytest.mark.parametrize(("space", "point"), [(EMPTY, {}), (CONSTANTS, {"c": 3})])
def test_every_method_proposes_the_one_point_at_every_ask(method, space, point):
    if not METHODS[method].available:
        pytest.skip(builtin_problem(method))
    optimizer = make_optimizer(method, Space(space), seed=1)
    told = drive(optimizer, 4, lambda params: 0.5, parallel=2)
    assert [trial.params for trial in told] == [point] * 4


@pytest.mark.parametrize("method", ["random", "evolution"])
def test_a_search_without_params_runs_its_iterations(tmp_path, write_spec, method):
    (tmp_path / "train.py").write_text("def train(params):\n    return 0.25\n")
    spec = write_spec(
        {
            "hyperparameters": EMPTY,
            "function": {"type": "python_function", "src": "train.py", "name": "train"},
            "search": {"name": "same", "iterations": 3, "method": method},
        }
    )
    done = run_cli("run", str(spec), "--no-ui", cwd=tmp_path)
    assert done.returncode == 0, done.stderr  # before: an unexpected error at the first ask
    records = finished_records(tmp_path / "results" / "same")
    assert [r["state"] for r in records.values()] == ["ok"] * 3
