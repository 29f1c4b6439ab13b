"""A search that samples with hyperopt imports its ATPE module (and scipy.stats, about 0.4 s of
every start) only when it runs ATPE, and its TPE module (and scipy.special, 0.2 s) only when it
runs hyperopt's TPE."""

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
    assert not {m for m in modules if m.split(".")[0] == "scipy"}  # and its TPE: no scipy at all
    assert {"hyperopt.rand", "numpy"} <= modules  # it did sample


def test_atpe_imports_its_module_when_asked(tmp_path):
    (tmp_path / "search.json").write_text(json.dumps({**SPEC, "search": {"method": "atpe"}}))
    modules = imported_by("sample", "search.json", "-n", "1", cwd=tmp_path)
    assert {"hyperopt.atpe_models", "scipy.stats"} <= modules  # ATPE ran: its module was read


def test_hyperopt_tpe_imports_its_module_when_asked(tmp_path):
    search = {"method": "hyperopt_tpe"}
    (tmp_path / "search.json").write_text(json.dumps({**SPEC, "search": search}))
    modules = imported_by("sample", "search.json", "-n", "1", cwd=tmp_path)
    assert "scipy.special" in modules  # hyperopt's TPE ran: its module was read
    assert "scipy.stats" not in modules  # ATPE's stays unread
