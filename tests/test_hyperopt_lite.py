"""A search that samples with hyperopt imports its ATPE module (and scipy.stats, about 0.4 s of
every start) only when it runs ATPE."""

from __future__ import annotations

import json

from conftest import quadratic
from test_startup import imported_by

SPEC = {
    "hyperparameters": {
        "type": "object",
        "properties": {"x": {"type": "number", "min": 0, "max": 1}},
    },
    "function": quadratic(),
}


def test_sampling_with_hyperopt_imports_no_atpe(tmp_path):
    (tmp_path / "search.json").write_text(json.dumps({**SPEC, "search": {"method": "random"}}))
    modules = imported_by("sample", "search.json", "-n", "2", cwd=tmp_path)
    assert {"hyperopt.rand", "hyperopt.anneal", "hyperopt.tpe"} <= modules  # all of hyperopt...
    assert "scipy.stats" not in modules  # ...but its ATPE


def test_atpe_imports_its_module_when_asked(tmp_path):
    (tmp_path / "search.json").write_text(json.dumps({**SPEC, "search": {"method": "atpe"}}))
    modules = imported_by("sample", "search.json", "-n", "1", cwd=tmp_path)
    assert {"hyperopt.atpe_models", "scipy.stats"} <= modules  # ATPE ran: its module was read
