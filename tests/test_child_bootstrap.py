"""A fresh python_function trial's bootstrap: what it imports, and that its shortcuts (params
marshalled in the environment, plain results written without json) say what the files say."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import pytest

from hypermax.execution import protocol
from hypermax.execution.launch import SubprocessLauncher
from hypermax.execution.local import LocalRunner
from hypermax.spec import FunctionSpec
from hypermax.trial import Outcome, Proposal, TrialState

OBJECTIVE = """
import sys
LOADED_BEFORE = sorted(m for m in ("json", "runpy", "signal") if m in sys.modules)
import json, os
from pathlib import Path
def look(params):
    folder = Path(os.environ["HYPERMAX_TRIAL_DIR"])
    (folder / "seen.json").write_text(json.dumps({
        "params": params, "loaded": LOADED_BEFORE, "argv0": sys.argv[0], "path": sys.path,
    }))
    return {"loss": params["x"] * 2, "name": "plain", "done": True, "none": None}
"""


def run_fresh(tmp_path: Path, source: str, name: str, params: dict) -> tuple[Outcome, Path]:
    """Run ``source``'s function ``name`` as one fresh trial (``objective.py`` in ``tmp_path``):
    its Outcome and its folder (its log is ``tmp_path / "1.log"``)."""
    (tmp_path / "objective.py").write_text(source)
    function = FunctionSpec(type="python_function", src=str(tmp_path / "objective.py"), name=name)
    runner = LocalRunner(function, tmp_path, launcher=SubprocessLauncher())
    try:
        runner.submit(Proposal(1, params, {}), tmp_path / "trials" / "1", tmp_path / "1.log")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            outcomes = [e for e in runner.poll(0.5) if isinstance(e, Outcome)]
            if outcomes:
                return outcomes[0], tmp_path / "trials" / "1"
        raise AssertionError("no outcome")
    finally:
        runner.close()


def _run_one(tmp_path: Path, params: dict) -> tuple[Outcome, dict]:
    outcome, folder = run_fresh(tmp_path, OBJECTIVE, "look", params)
    return outcome, json.loads((folder / "seen.json").read_text())


def test_a_fresh_trial_imports_no_json_runpy_or_signal_before_its_module(tmp_path):
    params = {"x": 0.5, "layers": [{"units": 3}], "name": 'é\n"', "off": None, "on": True}
    outcome, seen = _run_one(tmp_path, params)
    assert outcome.state is TrialState.OK, outcome.reason
    assert outcome.result == {"loss": 1.0, "name": "plain", "done": True, "none": None}
    assert seen["params"] == params  # what the params file says
    assert seen["loaded"] == []  # json, runpy and signal (which imports enum) stay out
    # as ``python -m`` started it: the bootstrap's file, the trial's folder on the path
    assert seen["argv0"].endswith(os.path.join("hypermax", "execution", "child.py"))
    assert str((tmp_path / "trials" / "1").resolve()) in seen["path"]
    assert "" not in seen["path"]  # a folder named once, not "wherever the trial is now"


VALUES = [
    0.25,
    1,
    -3,
    10**30,
    1e300,
    5e-324,
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    None,
    "a b",
    {"loss": 0.1, "acc": 1, "model": "m.pkl", "ok": True, "gone": None},
    {"nested": {"a": 1}},
    'say "hi"',
    "back\\slash",
    "é",
    "tab\there",
    {1: 2},
    [1, 2],
    (1,),
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_plain_json_is_what_dump_json_makes_or_nothing(value):
    text = protocol.plain_json(value)
    assert text is None or text == protocol.dump_json(value)


def test_plain_json_covers_numbers_and_flat_dicts_of_plain_values():
    plain = [v for v in VALUES if protocol.plain_json(v) is not None]
    assert len(plain) == 14


def test_packed_params_read_as_the_file_reads(tmp_path, monkeypatch):
    params = {"x": 0.1, "n": 3, "big": 10**20, "layers": [{"a": "é"}], "t": True, "z": None}
    text = json.dumps(params)
    (tmp_path / "p.json").write_text(text)
    monkeypatch.setenv(protocol.PARAMS_FILE_ENV, str(tmp_path / "p.json"))
    packed = protocol.pack_params(text)
    assert packed is not None
    monkeypatch.setenv(protocol.PARAMS_PACKED_ENV, packed)
    assert protocol.read_params() == params == json.loads(text)
    monkeypatch.setenv(protocol.PARAMS_PACKED_ENV, "not hex")  # unreadable: the file then
    assert protocol.read_params() == params
    assert protocol.pack_params(json.dumps({"x": "y" * protocol.MAX_PACKED})) is None
