"""``cmaes`` with a ``popsize`` of 2 or 3 (its smallest): the ``cmaes`` package's rank-mu
learning rate is 0 there, and its set-up divided by it, which printed numpy's RuntimeWarning to
the terminal (``sample``) or to ``logs/hypermax.log`` (a run). Nothing of it now: the strategy
learns by its rank-one update alone, as the package means it to."""

from __future__ import annotations

import json

import pytest
from conftest import quadratic, run_cli


@pytest.mark.parametrize(("popsize", "names"), [(2, ["x"]), (3, ["x", "y"])])
def test_a_small_popsize_prints_no_library_warning(tmp_path, popsize, names):
    number = {"type": "number", "min": 0, "max": 1}
    spec = {
        "hyperparameters": {"type": "object", "properties": dict.fromkeys(names, number)},
        "function": quadratic(),
        "search": {
            "name": "c",
            "method": "cmaes",
            "cmaes": {"popsize": popsize},
            "iterations": 2 * popsize + 1,
            "seed": 1,
        },
        "results": {"directory": "res"},
    }
    (tmp_path / "search.json").write_text(json.dumps(spec))
    sampled = run_cli("sample", "search.json", "-n", "2", cwd=tmp_path)
    assert sampled.returncode == 0, sampled.stderr
    assert sampled.stderr == ""
    ran = run_cli("run", "search.json", "--no-ui", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "Warning" not in ran.stdout + ran.stderr
    log = tmp_path / "res" / "c" / "logs" / "hypermax.log"
    assert not log.exists() or "Warning" not in log.read_text()
