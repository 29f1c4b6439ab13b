"""A spec's problems, all at once, through ``hypermax validate`` and ``hypermax run``.

Every problem is one ``file: json.path: message`` line; unknown keys say which key was meant;
a function that its file does not define is refused before any trial runs (the file is read,
never imported).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, run_cli_here

from hypermax.spec import load_spec
from hypermax.specfile.problems import MAX_PROBLEMS, report

X = {"type": "number", "min": 0, "max": 1}
FUNCTION = {"type": "python_function", "src": "model.py", "name": "train"}


def _spec(folder: Path, doc: dict[str, Any], name: str = "bad.json") -> Path:
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": X}},
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        **doc,
    }
    doc.setdefault("results", {"directory": str(folder / "results")})
    (folder / "model.py").write_text("def train(params):\n    return params['x']\n")
    path = folder / name
    path.write_text(json.dumps(doc))
    return path


MANY_PROBLEMS = {
    "hyperparameters": {
        "type": "object",
        "properties": {
            "lr": {"type": "number", "min": 0.1, "max": 0.01, "scailng": "logarithmic"},
            "units": {"type": "number", "min": 8, "max": 64, "rounding": 8, "default": 12.5},
            "act": {"type": "string", "enum": ["relu", "tanh"], "default": "elu"},
        },
    },
    "function": {"type": "python_function", "src": "model.py", "name": "trian"},
    "search": {"iteratoins": 10, "method": "random"},
    "ui": {"enabled": "no"},
}

EVERY_PROBLEM = [
    'bad.json: function.name: model.py defines no "trian" (it defines: train)',
    'bad.json: hyperparameters.properties.act.default: must be one of relu or tanh, got "elu"',
    'bad.json: hyperparameters.properties.lr: unknown key "scailng" (did you mean "scaling"?)',
    "bad.json: hyperparameters.properties.units.default: must be a whole number, got 12.5",
    'bad.json: search: unknown key "iteratoins" (did you mean "iterations"?)',
    'bad.json: ui.enabled: must be true or false, got "no"',
]


@pytest.mark.parametrize("command", [["validate"], ["run", "--no-ui"]])
def test_every_problem_at_once_one_line_each(tmp_path: Path, command: list[str]) -> None:
    spec = _spec(tmp_path, MANY_PROBLEMS)
    proc = run_cli(command[0], str(spec), *command[1:], cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == EVERY_PROBLEM
    assert not (tmp_path / "results").exists()


def test_a_problem_found_once_another_is_fixed_comes_later(tmp_path: Path) -> None:
    """The min/max problem of ``lr`` is only looked for once its keys are all known."""
    fixed = json.loads(json.dumps(MANY_PROBLEMS))
    del fixed["hyperparameters"]["properties"]["lr"]["scailng"]
    proc = run_cli_here("validate", str(_spec(tmp_path, fixed)), cwd=tmp_path)
    assert (
        "bad.json: hyperparameters.properties.lr.max: must be greater than min (0.1), got 0.01"
        in (proc.stderr.splitlines())
    )


def test_a_problem_of_early_stopping_is_named_beside_one_elsewhere_in_search(
    tmp_path: Path,
) -> None:
    """A method option out of range hid the early stopping problems: fixed, the next validate
    found another."""
    search = {
        "method": "cmaes",
        "cmaes": {"popsize": 1},
        "early_stopping": {"policy": "median", "eta": 3},
    }
    proc = run_cli_here("validate", str(_spec(tmp_path, {"search": search})), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "bad.json: search.cmaes.popsize: must be at least 2, got 1",
        'bad.json: search.early_stopping.eta: is only used by the asha policy, not by "median"',
    ]


def test_a_problem_of_the_function_is_named_beside_one_of_a_limit(tmp_path: Path) -> None:
    """A limit the schema refused (the README's "512MB") hid every problem that the function's
    own checks find: a variable's name, a function its file does not define."""
    function = {**FUNCTION, "name": "trian", "auto_kill_max_ram": "512MB", "env": {"A=B": "1"}}
    proc = run_cli_here("validate", str(_spec(tmp_path, {"function": function})), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        'bad.json: function.auto_kill_max_ram: must be a number, got "512MB"',
        'bad.json: function.env: no environment variable can have the name "A=B", which holds "="',
        'bad.json: function.name: model.py defines no "trian" (it defines: train)',
    ]


def test_a_misspelt_key_of_search_hides_no_problem_of_its_other_keys(tmp_path: Path) -> None:
    search = {"iteratoins": 10, "method": "grid"}
    proc = run_cli_here("validate", str(_spec(tmp_path, {"search": search})), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        'bad.json: hyperparameters.properties.x: needs grid values for the grid method: add "grid":'
        ' [values] or "grid_points": N',
        'bad.json: search: unknown key "iteratoins" (did you mean "iterations"?)',
    ]


def test_a_metric_the_schema_refused_hides_no_problem_of_the_others(tmp_path: Path) -> None:
    metrics = {
        "ram": {"type": "ram", "target": 100, "max": 500},  # no penalty_at_max
        "time": {"type": "time", "target_time": 5, "max_time": 5, "penalty_at_max": 0.1},
    }
    proc = run_cli_here("validate", str(_spec(tmp_path, {"metrics": metrics})), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        'bad.json: metrics.ram: missing required key "penalty_at_max"',
        "bad.json: metrics.time.max_time: must be greater than target_time (5), got 5",
    ]


def test_a_cluster_setting_the_schema_refused_hides_no_problem_of_its_address(
    tmp_path: Path,
) -> None:
    cluster = {"scheduler": "tcp://nowhere", "lost_scheduler_wait": -1}
    proc = run_cli_here("validate", str(_spec(tmp_path, {"cluster": cluster})), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "bad.json: cluster.lost_scheduler_wait: must be greater than 0, got -1",
        'bad.json: cluster.scheduler: needs a port, as in "tcp://nowhere:8786", got "tcp://nowhere"',
    ]


def test_past_the_most_problems_a_last_line_counts_the_rest() -> None:
    problems = [(("hyperparameters", "properties", f"p{i:03}"), "bad") for i in range(130)]
    lines = report(problems)
    assert len(lines) == MAX_PROBLEMS + 1
    assert lines[-1] == ("", f"and {130 - MAX_PROBLEMS} more problems")


@pytest.mark.parametrize(
    ("source", "function", "expected"),
    [
        pytest.param(
            "def train(params):\n    return 0\n",
            {"name": "trian"},
            'bad.json: function.name: model.py defines no "trian" (it defines: train)',
            id="src-misspelt",
        ),
        pytest.param(  # a dotted name's attribute was left to the run: every trial failed
            "class Model:\n    @staticmethod\n    def train(params):\n        return 0\n",
            {"name": "Model.trian"},
            'bad.json: function.name: model.py defines no "Model.trian" (Model defines: train)',
            id="src-misspelt-method",
        ),
        pytest.param(
            "class Model:\n    @staticmethod\n    def train(params):\n        return 0\n",
            {"name": "Modle.train"},
            'bad.json: function.name: model.py defines no "Modle" (it defines: Model)',
            id="src-misspelt-class",
        ),
        pytest.param(
            "def train(params)\n    return 0\n",
            {},
            "bad.json: function.name: model.py line 2: invalid Python: expected ':'",
            id="src-syntax-error",
        ),
        pytest.param(
            "def train(params):\n    return 0\n\0",
            {},
            "bad.json: function.name: model.py line 4: invalid Python: a NUL byte",
            id="src-nul-byte",
        ),
        pytest.param(
            "import os\n",
            {"module": "model", "src": None},
            'bad.json: function.name: model.py defines no "train"',
            id="module-beside-the-spec",
        ),
        pytest.param(
            "x = 1\n",
            {"module": "hypermax.test_model", "src": None, "name": "trainModel"},
            'bad.json: function.module: cannot find module "hypermax.test_model": it belonged '
            "to the original Hypermax; copy test_model.py beside the spec and name it "
            '"test_model"',
            id="a-module-of-the-original-package",
        ),
    ],
)
def test_the_function_is_checked_in_its_file_without_running_it(
    tmp_path: Path, source: str, function: dict[str, Any], expected: str
) -> None:
    marker = tmp_path / "ran"
    fn = {"type": "python_function", "src": "model.py", "name": "train", **function}
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": X}},
        "function": {k: v for k, v in fn.items() if v is not None},
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    (tmp_path / "model.py").write_text(f"open({str(marker)!r}, 'w').close()\n{source}")
    proc = run_cli_here("validate", str(path), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [expected]
    assert not marker.exists()


@pytest.mark.parametrize(
    "source",
    [
        "from helpers import *\n",
        "def __getattr__(name):\n    return lambda params: 0.0\n",
        "globals()['train'] = lambda params: 0.0\n",
        "try:\n    from fast import train\nexcept ImportError:\n    train = None\n",
        "if True:\n    train = lambda params: 0.0\n",
    ],
)
def test_a_name_defined_in_a_way_a_reader_may_not_see_is_left_to_the_run(
    tmp_path: Path, source: str
) -> None:
    (tmp_path / "model.py").write_text(source)
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": X}},
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
    }
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(doc))
    load_spec(path)  # no SpecError


@pytest.mark.parametrize(
    "source",
    [
        "class Base:\n    train = staticmethod(lambda params: 0.0)\nclass M(Base):\n    pass\n",
        "def deco(c):\n    return c\n@deco\nclass M:\n    pass\n",
        "class M:\n    for name in ['train']:\n        locals()[name] = 1\n",
        "class M:\n    pass\nM.train = staticmethod(lambda params: 0.0)\n",
        "class M(metaclass=type):\n    pass\n",
    ],
)
def test_a_method_defined_in_a_way_a_reader_may_not_see_is_left_to_the_run(
    tmp_path: Path, source: str
) -> None:
    (tmp_path / "model.py").write_text(source)
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": X}},
        "function": {"type": "python_function", "src": "model.py", "name": "M.train"},
    }
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(doc))
    load_spec(path)  # no SpecError


def test_yaml_numbers_with_an_exponent_are_numbers(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text("def train(params):\n    return 0\n")
    path = tmp_path / "search.yaml"
    path.write_text(
        "hyperparameters:\n"
        "  type: object\n"
        "  properties:\n"
        "    lr: {type: number, min: 1e-5, max: 1e-1, scaling: logarithmic, default: 1E-3}\n"
        "    decay: {enum: [5e+2, 1.5e3, -2e-2, '1e-3']}\n"
        "function: {type: python_function, src: model.py, name: train}\n"
        "search: {iterations: 1e2, loss_threshold: .5e-1}\n"
    )
    spec = load_spec(path)
    lr = spec.hyperparameters["properties"]["lr"]
    assert (lr["min"], lr["max"], lr["default"]) == (1e-5, 1e-1, 1e-3)
    assert spec.hyperparameters["properties"]["decay"]["enum"] == [500.0, 1500.0, -0.02, "1e-3"]
    assert (spec.search.iterations, spec.search.loss_threshold) == (100, 0.05)


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"type": "string", "enum": ["a", "b"]}, None),
        ({"type": "integer", "enum": [1, 2]}, None),
        ({"type": "boolean", "constant": True}, None),
        ({"type": "string", "const": "adam"}, None),
        (
            {"type": "object", "enum": ["a"]},
            "bad.json: hyperparameters.properties.p.type: must be one of string, number, "
            'integer or boolean, got "object"',
        ),
    ],
)
def test_a_type_beside_an_enum_or_a_constant(
    tmp_path: Path, node: dict[str, Any], expected: str | None
) -> None:
    doc = {"hyperparameters": {"type": "object", "properties": {"p": node}}}
    proc = run_cli_here("validate", str(_spec(tmp_path, doc)), cwd=tmp_path)
    if expected is None:
        assert proc.returncode == 0, proc.stderr
    else:
        assert (proc.returncode, proc.stderr.splitlines()) == (2, [expected])


def test_the_search_is_named_by_hypermax_results_made_safe_as_a_folder_name(
    tmp_path: Path,
) -> None:
    doc = {"hypermax_results": {"name": "my search (v2)"}}
    assert load_spec(_spec(tmp_path, doc, "original.json")).search.name == "my_search__v2_"
    doc = {"hypermax_results": {"name": "ignored"}, "search": {"name": "given"}}
    assert load_spec(_spec(tmp_path, doc, "original.json")).search.name == "given"


def test_an_environment_variable_that_no_process_can_have_is_a_spec_error(tmp_path: Path) -> None:
    """A name with "=" (or none) cannot be set: it was an unexpected error when the first trial
    started (ValueError: illegal environment variable name), or a variable no one could read."""
    env = {"A=B": "1", "": "2", "OK": "3"}
    spec = _spec(tmp_path, {"function": {**FUNCTION, "env": env}})
    proc = run_cli_here("run", str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        'bad.json: function.env: no environment variable can have the name "A=B", which holds "="',
        "bad.json: function.env: no environment variable can have an empty name",
    ]


def test_an_environment_variable_hypermax_sets_for_the_trial_is_a_spec_error(
    tmp_path: Path,
) -> None:
    """The spec's env set the protocol's variables, and hypermax overrode them without a word:
    the trial never saw the spec's value. PYTHONUNBUFFERED as 1, hypermax's own value, is no
    mistake, and a variable of the user's own that starts with HYPERMAX_ is theirs."""
    env = {
        "HYPERMAX_RESULT_FILE": "/tmp/result.json",
        "HYPERMAX_TRIAL_DIR": "here",
        "HYPERMAX_PARAM_X": "3",
        "PYTHONUNBUFFERED": "",
        "HYPERMAX_TRIAL_SITE": "1",
        "HYPERMAX_MY_OWN": "1",
    }
    spec = _spec(tmp_path, {"function": {**FUNCTION, "env": env}})
    proc = run_cli_here("validate", str(spec), cwd=tmp_path)
    assert proc.returncode == 2
    every = "is hypermax's to set for every trial"
    assert proc.stderr.splitlines() == [
        "bad.json: function.env.HYPERMAX_PARAM_X: is hypermax's to set: HYPERMAX_PARAM_<NAME>"
        " variables hold the trial's params",
        f"bad.json: function.env.HYPERMAX_RESULT_FILE: {every} (the path of the file the trial"
        " may write its result to)",
        f"bad.json: function.env.HYPERMAX_TRIAL_DIR: {every} (the trial's own folder)",
        f"bad.json: function.env.PYTHONUNBUFFERED: {every} (as 1, so that its output reaches its"
        " log as it is written)",
    ]
    ok = {"PYTHONUNBUFFERED": "1", "HYPERMAX_TRIAL_SITE": "1", "HYPERMAX_MY_OWN": "1"}
    spec = _spec(tmp_path, {"function": {**FUNCTION, "env": ok}})
    proc = run_cli_here("validate", str(spec), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_the_variables_a_spec_cannot_set_are_those_the_trial_protocol_sets() -> None:
    """validate names them without importing the protocol: every variable the protocol sets
    for a trial (all but the one a user sets to have trials start with site) is refused."""
    from hypermax.execution import child, protocol, reports
    from hypermax.specfile.trial_env import SET_BY_HYPERMAX

    names = {getattr(m, n) for m in (protocol, reports) for n in dir(m) if n.endswith("_ENV")}
    names |= {child.CODE_CACHE_ENV, "PYTHONUNBUFFERED"}
    assert set(SET_BY_HYPERMAX) == names - {protocol.TRIAL_SITE_ENV}
