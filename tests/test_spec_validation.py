"""Invalid specs through ``hypermax validate``: exit code 2 and the exact one-line errors."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from hypermax.errors import SpecError
from hypermax.spec import ClusterSpec, load_spec, spec_from_dict
from hypermax.specfile.problems import report
from hypermax.specfile.schema import SCHEMA_PATH, spec_schema
from hypermax.validation import folder_name
from hypermax.values import json_equal

OBJECTIVE = "def train(params):\n    return 0.0\n"


def hp(**properties: Any) -> dict[str, Any]:
    """An object node."""
    return {"type": "object", "properties": properties}


X = {"type": "number", "min": 0, "max": 1}
FUNCTION = {"type": "python_function", "module": "objective", "name": "train"}


def spec(**sections: Any) -> dict[str, Any]:
    """The minimal valid spec with some sections replaced (``None`` removes one)."""
    doc: dict[str, Any] = {"hyperparameters": hp(x=X), "function": dict(FUNCTION)}
    for key, value in sections.items():
        if value is None:
            doc.pop(key)
        else:
            doc[key] = value
    return doc


def function(**keys: Any) -> dict[str, Any]:
    """The minimal python_function section with some keys replaced (``None`` removes one)."""
    section = {**FUNCTION, **keys}
    return {key: value for key, value in section.items() if value is not None}


def validate(spec_path: Path) -> subprocess.CompletedProcess[str]:
    """``hypermax validate SPEC`` as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "hypermax", "validate", str(spec_path)],
        capture_output=True,
        text=True,
        cwd=spec_path.parent,
        timeout=60,
    )


#: run in one fresh interpreter: ``hypermax validate`` of each spec path in argv, from the
#: spec's folder, each with the modules and sys.path it found; prints their results as JSON
VALIDATE_EACH = """
import contextlib, io, json, os, sys
from hypermax.cli import main

results = []
for path in sys.argv[1:]:
    os.chdir(os.path.dirname(path))
    modules, search_path = set(sys.modules), list(sys.path)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["validate", path])
        except SystemExit as exc:
            code = exc.code
    folder = os.path.dirname(path)
    for name in set(sys.modules) - modules:  # a plugin a spec named is not the next one's
        if (getattr(sys.modules[name], "__file__", None) or "").startswith(folder):
            del sys.modules[name]
    sys.path[:] = search_path
    results.append({"returncode": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
print(json.dumps(results))
"""


def validate_each(spec_paths: list[Path]) -> list[subprocess.CompletedProcess[str]]:
    """``hypermax validate`` of each spec, as :func:`validate` runs it but in one interpreter,
    whose start-up is paid once."""
    done = subprocess.run(
        [sys.executable, "-c", VALIDATE_EACH, *map(str, spec_paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [
        subprocess.CompletedProcess(["hypermax", "validate", str(path)], **result)
        for path, result in zip(spec_paths, json.loads(done.stdout), strict=True)
    ]


def write_files(folder: Path, files: dict[str, Any]) -> None:
    (folder / "objective.py").write_text(OBJECTIVE)
    for name, content in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content if isinstance(content, str) else json.dumps(content, indent=1))


# Each case: the files to write (the first is the spec) and the exact stderr lines.
# "{folder}" in an expected line is the folder the spec is in.
CASES = [
    pytest.param(
        {"bad.json": spec(function=function(auto_kill_max_ram="512MB"))},
        ['bad.json: function.auto_kill_max_ram: must be a number, got "512MB"'],
        id="wrong-type",
    ),
    pytest.param(
        {"bad.json": spec(resutls={"directory": "out"})},
        ['bad.json: unknown key "resutls" (did you mean "results"?)'],
        id="unknown-top-level-key",
    ),
    pytest.param(
        {"bad.json": spec(search={"iteratons": 10})},
        ['bad.json: search: unknown key "iteratons" (did you mean "iterations"?)'],
        id="unknown-key-in-section",
    ),
    pytest.param(  # a key in another case was named without the key meant
        {
            "bad.json": spec(
                hyperparameters=hp(x={"type": "number", "MIN": 0, "max": 1}, y={"Type": "number"})
            )
        },
        [
            'bad.json: hyperparameters.properties.x: unknown key "MIN" (did you mean "min"?)',
            'bad.json: hyperparameters.properties.x: missing required key "min"',
            'bad.json: hyperparameters.properties.y: is not a hyperparameter node: give it "type",'
            ' "enum", "constant", "anyOf" or "oneOf" (it has "Type": did you mean "type"?)',
        ],
        id="key-in-another-case",
    ),
    pytest.param(  # on one line, as JSON writes it: the line break was printed as it is
        {"bad.json": spec(search={'say "hi"\nthere': 10})},
        ['bad.json: search: unknown key "say \\"hi\\"\\nthere"'],
        id="unknown-key-with-a-line-break",
    ),
    pytest.param(  # the JSON path too: the line break in a param's name was printed as it is
        {
            "bad.json": spec(
                hyperparameters={"type": "object", "properties": {"a\nb": {"enum": []}}}
            )
        },
        ['bad.json: hyperparameters.properties."a\\nb".enum: must not be empty'],
        id="a-param-name-with-a-line-break",
    ),
    pytest.param(
        {"bad.json": spec(function=function(name=None))},
        ['bad.json: function: missing required key "name"'],
        id="missing-required-key",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=None)},
        ['bad.json: missing required key "hyperparameters"'],
        id="missing-section",
    ),
    pytest.param(
        {"bad.json": spec(search={"method": "tpee"})},
        [
            "bad.json: search.method: must be one of tpe, random, anneal, atpe, hyperopt_tpe, "
            'gp, cmaes, ngopt, auto, grid, evolution, ablation or module:Class, got "tpee"'
        ],
        id="bad-method",
    ),
    pytest.param(
        {"bad.json": spec(search={"method": "grid"})},
        [
            "bad.json: hyperparameters.properties.x: needs grid values for the grid method: "
            'add "grid": [values] or "grid_points": N'
        ],
        id="grid-over-a-number-without-grid-values",
    ),
    pytest.param(
        {"bad.json": spec(search={"method": "my_optimizers:Greedy"})},
        ['bad.json: search.method: cannot find module "my_optimizers" in {folder}'],
        id="plugin-module-missing",
    ),
    pytest.param(
        {
            "bad.json": spec(search={"method": "my_optimizers:Greedy"}),
            "my_optimizers.py": "import numpyy\n",
        },
        [
            'bad.json: search.method: cannot import "my_optimizers": '
            "ModuleNotFoundError: No module named 'numpyy'"
        ],
        id="plugin-module-fails-to-import",
    ),
    pytest.param(
        {
            "bad.json": spec(search={"method": "my_optimizers:Greedy"}),
            "my_optimizers.py": "import sys\n\nsys.exit(3)\n",
        },
        ['bad.json: search.method: cannot import "my_optimizers": SystemExit: 3'],
        id="plugin-module-exits-as-it-is-imported",
    ),
    pytest.param(
        {
            "bad.json": spec(search={"method": "my_optimizers:Greedy"}),
            "my_optimizers.py": (
                "from hypermax.optimizers import BaseOptimizer\n\n\n"
                "class Greedy(BaseOptimizer):\n    def ask(self, trial_id):\n        pass\n"
            ),
        },
        ['bad.json: search.method: "my_optimizers:Greedy" does not implement tell'],
        id="plugin-without-tell",
    ),
    pytest.param(
        {
            "bad.json": spec(search={"method": "my_optimizers:Greedy"}),
            "my_optimizers.py": (
                "from hypermax.optimizers import BaseOptimizer\n\n\n"
                "class Greedy(BaseOptimizer):\n"
                "    def __init__(self, space, seed, options=None):\n"
                "        super().__init__(space, seed, options)\n\n"
                "    def ask(self, trial_id):\n        pass\n\n"
                "    def tell(self, trial):\n        pass\n"
            ),
        },
        [
            'bad.json: search.method: "my_optimizers:Greedy" cannot be built: its '
            "__init__(space, seed, options=None) must take (space, seed, options=None, "
            "budget=None) and pass them to BaseOptimizer.__init__ (or prepare its state in "
            "setup() instead)"
        ],
        id="plugin-init-without-budget",
    ),
    pytest.param(
        {
            "bad.json": spec(search={"method": "my_optimizers:Greedy"}),
            "my_optimizers.py": "class Gredy:\n    pass\n",
        },
        ['bad.json: search.method: module "my_optimizers" has no "Greedy"'],
        id="plugin-class-missing",
    ),
    pytest.param(
        {
            "bad.json": spec(search={"method": "my_optimizers:LocalSerch"}),
            "my_optimizers.py": (
                "from hypermax.optimizers import BaseOptimizer\n\n\n"
                "class LocalSearch(BaseOptimizer):\n    pass\n\n\n"
                "class LocalSearchSettings:\n    pass\n"
            ),
        },
        [
            'bad.json: search.method: module "my_optimizers" has no "LocalSerch" (did you mean '
            '"LocalSearch"?)'
        ],
        id="plugin-class-misspelt",
    ),
    pytest.param(
        {
            "bad.json": spec(search={"method": "random:Greedy"}),
            "random.py": "class Greedy:\n    pass\n",
        },
        [
            f'bad.json: search.method: module "random" has no "Greedy" (the module of that name '
            f"is {random.__file__}, not {{folder}}/random.py: rename random.py)"
        ],
        id="plugin-module-named-as-one-of-pythons",
    ),
    pytest.param(
        {
            "bad.json": spec(search={"method": "my_optimizers:Greedy"}),
            "my_optimizers.py": "class Greedy:\n    pass\n",
        },
        [
            'bad.json: search.method: "my_optimizers:Greedy" is not a subclass of '
            "hypermax.optimizers.BaseOptimizer"
        ],
        id="plugin-not-an-optimizer",
    ),
    pytest.param(
        {
            "bad.json": spec(
                cluster={
                    "scheduler": "http://host:8786",
                    "security": {"tls_ca_file": "ca.pem", "tls_client_key": "key.pem"},
                }
            )
        },
        [
            'bad.json: cluster.scheduler: unknown protocol "http://" (use tcp://, tls://, ws://, '
            'wss://, ucx://), got "http://host:8786"',
            'bad.json: cluster.security.tls_ca_file: cannot find file "ca.pem" in {folder}',
            'bad.json: cluster.security.tls_client_key: cannot find file "key.pem" in {folder}',
            "bad.json: cluster.security.tls_client_key: is only used with tls_client_cert",
        ],
        id="cluster-address-and-tls-files",
    ),
    pytest.param(
        {"bad.json": spec(cluster={"scheduler": "tcp://host:87x6"})},
        [
            "bad.json: cluster.scheduler: must end in a port number from 1 to 65535, "
            'got "tcp://host:87x6"'
        ],
        id="cluster-port",
    ),
    pytest.param(
        {"bad.json": spec(cluster={"scheduler": "tcp://:8786"})},
        [
            'bad.json: cluster.scheduler: must be a scheduler address like "tcp://host:8786", '
            'got "tcp://:8786"'
        ],
        id="cluster-host",
    ),
    pytest.param(
        {
            "bad.json": spec(
                cluster={"scheduler": "tcp://host:8786", "security": {"require_encryption": True}}
            )
        },
        [
            'bad.json: cluster.security: is for a "tls://" or "wss://" scheduler address, '
            'got "tcp://host:8786"'
        ],
        id="cluster-security-without-tls",
    ),
    pytest.param(
        {
            "bad.json": spec(
                cluster={
                    "scheduler": "",
                    "resources": {"GPU": 0},
                    "lost_worker_reruns": -1,
                    "lost_scheduler_wait": 0,
                    "workers": 3,
                }
            )
        },
        [
            'bad.json: cluster: unknown key "workers"',
            "bad.json: cluster.lost_scheduler_wait: must be greater than 0, got 0",
            "bad.json: cluster.lost_worker_reruns: must be at least 0, got -1",
            "bad.json: cluster.resources.GPU: must be greater than 0, got 0",
            "bad.json: cluster.scheduler: must not be empty",
        ],
        id="cluster-schema",
    ),
    pytest.param(
        {"bad.json": spec(search={"early_stopping": {"policy": "median", "eta": 3}})},
        ['bad.json: search.early_stopping.eta: is only used by the asha policy, not by "median"'],
        id="early-stopping-key-of-another-policy",
    ),
    pytest.param(
        {"bad.json": spec(search={"early_stopping": {"policy": "asha", "grace_steps": 2}})},
        [
            "bad.json: search.early_stopping.grace_steps: is only used by the median policy, "
            'not by "asha"'
        ],
        id="early-stopping-grace-with-asha",
    ),
    pytest.param(
        {"bad.json": spec(search={"early_stopping": {"policy": "asha", "eta": 1}})},
        ["bad.json: search.early_stopping.eta: must be at least 2, got 1"],
        id="early-stopping-eta-below-2",
    ),
    pytest.param(
        {"bad.json": spec(search={"early_stopping": {"eta": 3, "max_steps": 27}})},
        [
            "bad.json: search.early_stopping: has options but no policy, so nothing would be "
            'stopped: add "policy": "median" or "asha"'
        ],
        id="early-stopping-options-without-a-policy",
    ),
    pytest.param(
        {"bad.json": spec(search={"early_stopping": {"policy": "asha", "min_trials": 2.5}})},
        ["bad.json: search.early_stopping.min_trials: must be an integer, got 2.5"],
        id="early-stopping-min-trials-not-integer",
    ),
    pytest.param(
        {
            "bad.json": spec(
                search={"early_stopping": {"policy": "asha", "min_steps": 4, "max_steps": 4}}
            )
        },
        ["bad.json: search.early_stopping.max_steps: must be greater than min_steps (4), got 4"],
        id="early-stopping-no-rung-before-the-end",
    ),
    pytest.param(  # its first rung, by default, is step 1: no report before the end is judged
        {"bad.json": spec(search={"early_stopping": {"policy": "asha", "max_steps": 1}})},
        [
            "bad.json: search.early_stopping.max_steps: must be greater than min_steps, by "
            "default (1), got 1"
        ],
        id="early-stopping-no-rung-before-the-end-by-default",
    ),
    pytest.param(
        {"bad.json": spec(search={"early_stopping": {"policy": "median", "intervall": 5}})},
        ['bad.json: search.early_stopping: unknown key "intervall"'],
        id="early-stopping-unknown-key",
    ),
    pytest.param(  # a step is below 2**63: 1e30 was taken as a step no trial can reach
        {"bad.json": spec(search={"early_stopping": {"policy": "median", "grace_steps": 1e30}})},
        [
            "bad.json: search.early_stopping.grace_steps: must be below 2**63, as a step is, got "
            "1e+30"
        ],
        id="early-stopping-step-past-a-step",
    ),
    pytest.param(  # 1e30 trials was taken, and said as 1000000000000000019884624838656
        {"bad.json": spec(search={"iterations": 1e30})},
        ["bad.json: search.iterations: must be below 2**63, got 1e+30"],
        id="iterations-past-a-count",
    ),
    pytest.param(  # Maggy's median rule judges on a timer: here there is none
        {"bad.json": spec(search={"early_stopping": {"policy": "median", "interval": 5}})},
        [
            'bad.json: search.early_stopping: unknown key "interval" (early stopping has no '
            "interval: a trial is judged at every report)"
        ],
        id="early-stopping-no-interval",
    ),
    pytest.param(  # Optuna's and Ray Tune's names: what they are called here
        {
            "bad.json": spec(
                search={"early_stopping": {"policy": "asha", "reduction_factor": 2, "max_t": 27}}
            )
        },
        [
            'bad.json: search.early_stopping: unknown keys "reduction_factor" (it is "eta" '
            'here), "max_t" (it is "max_steps" here)'
        ],
        id="early-stopping-keys-of-other-tools",
    ),
    pytest.param(
        {"bad.json": spec(function=function(parallel=0))},
        ["bad.json: function.parallel: must be at least 1, got 0"],
        id="parallel-0",
    ),
    pytest.param(
        {"bad.json": spec(search={"iterations": 2.5})},
        ["bad.json: search.iterations: must be an integer, got 2.5"],
        id="iterations-not-integer",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=hp(x={"type": "number", "min": 1, "max": 1}))},
        [
            "bad.json: hyperparameters.properties.x.max: must be greater than min (1), got 1: "
            'for one value, write {"constant": 1}'
        ],
        id="min-not-below-max",
    ),
    pytest.param(
        {
            "bad.json": spec(
                hyperparameters=hp(
                    layers={
                        "type": "array",
                        "items": [{"type": "integer", "min": 8, "max": 4}, X],
                    }
                )
            )
        },
        [
            "bad.json: hyperparameters.properties.layers.items.0.max: "
            "must be greater than min (8), got 4"
        ],
        id="min-not-below-max-in-tuple",
    ),
    pytest.param(
        {
            "bad.json": spec(
                hyperparameters=hp(
                    lr={"type": "number", "min": 0, "max": 0.1, "scaling": "logarithmic"}
                )
            )
        },
        [
            "bad.json: hyperparameters.properties.lr.min: "
            "must be greater than 0 with logarithmic scaling, got 0"
        ],
        id="log-scaling-min-0",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=hp(x={**X, "default": 2}))},
        ["bad.json: hyperparameters.properties.x.default: must be between 0 and 1, got 2"],
        id="default-outside-range",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=hp(act={"enum": ["relu", "tanh"], "default": "elu"}))},
        [
            "bad.json: hyperparameters.properties.act.default: "
            'must be one of relu or tanh, got "elu"'
        ],
        id="default-not-in-enum",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=hp(act={"enum": []}))},
        ["bad.json: hyperparameters.properties.act.enum: must not be empty"],
        id="enum-empty",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=hp(x={"min": 0, "max": 1}))},
        [
            "bad.json: hyperparameters.properties.x: is not a hyperparameter node: "
            'give it "type", "enum", "constant", "anyOf" or "oneOf" (it has "min": a number'
            ' node has "type": "number")'
        ],
        id="node-without-kind",
    ),
    pytest.param(  # it said: (it has "properties": did you mean "properties"?)
        {"bad.json": spec(hyperparameters={"properties": {"x": {"enum": [1, 2]}}})},
        [
            "bad.json: hyperparameters: is not a hyperparameter node: "
            'give it "type", "enum", "constant", "anyOf" or "oneOf" (it has "properties": an'
            ' object node has "type": "object")',
            'bad.json: hyperparameters: must be an object node ("type": "object" with'
            ' "properties")',
        ],
        id="space-without-type",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=hp(x={"type": "float", "min": 0, "max": 1}))},
        [
            "bad.json: hyperparameters.properties.x.type: "
            'must be one of object, number, integer or array, got "float"'
        ],
        id="unknown-node-type",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=hp(x={"type": "number", "mode": "normal", "mean": 0}))},
        ['bad.json: hyperparameters.properties.x: missing required key "stddev"'],
        id="normal-without-stddev",
    ),
    pytest.param(  # tpe failed: `low <= high` must hold; the others gave the bound alone
        {
            "bad.json": spec(
                hyperparameters=hp(
                    x={"type": "number", "mode": "normal", "mean": 5, "stddev": 1, "max": 1},
                    y={"type": "integer", "mode": "normal", "mean": 0.5, "stddev": 1, "min": 0},
                )
            )
        },
        ["bad.json: hyperparameters.properties.x.mean: must be at most 1, got 5"],
        id="normal-mean-past-its-bounds",
    ),
    pytest.param(  # results.csv had a column without a name, which a warm start passed over
        {"bad.json": spec(hyperparameters=hp(**{"": {"type": "number", "min": 0, "max": 1}}))},
        [
            'bad.json: hyperparameters.properties: has a parameter named "", an empty name:'
            " give it one"
        ],
        id="empty-param-name",
    ),
    pytest.param(
        {
            "bad.json": spec(
                hyperparameters=hp(
                    layers={"type": "array", "items": X, "minItems": 3, "maxItems": 2}
                )
            )
        },
        [
            "bad.json: hyperparameters.properties.layers.maxItems: "
            "must be at least minItems (3), got 2"
        ],
        id="min-items-above-max-items",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters={"enum": [1, 2]})},
        ['bad.json: hyperparameters: must be an object node ("type": "object" with "properties")'],
        id="hyperparameters-not-an-object-node",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=X)},
        [
            'bad.json: hyperparameters.type: must be "object": the top of the space is an '
            'object node, got "number"'
        ],
        id="hyperparameters-a-number-node",
    ),
    pytest.param(  # two lines were due one: the list of a node's types, then "object" alone
        {"bad.json": spec(hyperparameters={"type": "python_function"})},
        [
            'bad.json: hyperparameters.type: must be "object": the top of the space is an '
            'object node, got "python_function"'
        ],
        id="hyperparameters-of-an-unknown-type",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=hp(model={"$ref": "nothere.json"}))},
        ['bad.json: hyperparameters.properties.model: $ref "nothere.json": file not found'],
        id="ref-missing-file",
    ),
    pytest.param(
        {
            "bad.json": spec(hyperparameters={"$ref": "space.json#/hyperparameters/nope"}),
            "space.json": {"hyperparameters": hp(x=X)},
        },
        [
            'bad.json: hyperparameters: $ref "space.json#/hyperparameters/nope": '
            "space.json has no /hyperparameters/nope"
        ],
        id="ref-bad-pointer",
    ),
    pytest.param(
        {
            "bad.json": spec(hyperparameters={"$ref": "space.json#/hyperparameter/properties"}),
            "space.json": {"hyperparameters": {"properties": {"x": X}}},
        },
        [
            'bad.json: hyperparameters: $ref "space.json#/hyperparameter/properties": '
            "space.json has no /hyperparameter/properties"
            " (did you mean #/hyperparameters/properties?)"
        ],
        id="ref-mistyped-pointer",
    ),
    pytest.param(  # only the first $ref that could not be followed was said
        {
            "bad.json": spec(
                hyperparameters=hp(
                    a={"$ref": "nothere.json"},
                    b=X,
                    c={"$ref": "space.json#/dpth"},
                    d={"$ref": "template:xgbost#/hyperparameters"},
                )
            ),
            "space.json": {"depth": X},
        },
        [
            'bad.json: hyperparameters.properties.a: $ref "nothere.json": file not found',
            'bad.json: hyperparameters.properties.c: $ref "space.json#/dpth": space.json has'
            " no /dpth (did you mean #/depth?)",
            'bad.json: hyperparameters.properties.d: $ref "template:xgbost#/hyperparameters":'
            ' unknown template "xgbost" (did you mean xgboost? templates: example,'
            " hist_gradient_boosting, lightgbm,"
            " logistic_regression, mlp, random_forest, svc, xgboost)",
        ],
        id="refs-that-cannot-be-followed-are-each-said",
    ),
    pytest.param(  # only the first problem of the file was said, and without its JSON path
        {
            "bad.json": spec(hyperparameters={"$ref": "space.yaml#/hyperparameters"}),
            "space.yaml": "hyperparameters: {}\nx: 1\nx: 2\ny: 1\ny: 2\n",
        },
        [
            'bad.json: hyperparameters: $ref "space.yaml#/hyperparameters": line 3: duplicate'
            ' key "x"; line 5: duplicate key "y"',
        ],
        id="ref-to-a-file-with-problems-says-each",
    ),
    pytest.param(
        {
            "bad.json": spec(hyperparameters={"$ref": "space.json#/hyperparameters"}),
            "space.json": '{"hyperparameters": {"type": "object", "type": "object"}}',
        },
        [
            'bad.json: hyperparameters: $ref "space.json#/hyperparameters": hyperparameters:'
            ' duplicate key "type"',
        ],
        id="ref-to-a-file-with-a-problem-says-where-in-it",
    ),
    pytest.param(
        {
            "bad.json": spec(
                hyperparameters=hp(c={"$ref": "template:svc#/hyperparameters/properties/c"})
            )
        },
        [
            'bad.json: hyperparameters.properties.c: $ref "template:svc#/hyperparameters/'
            'properties/c": template:svc has no /hyperparameters/properties/c (did you mean'
            " #/hyperparameters/properties/C?)"
        ],
        id="ref-pointer-in-another-case",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters={"$ref": "template:catboost#/hyperparameters"})},
        [
            'bad.json: hyperparameters: $ref "template:catboost#/hyperparameters": '
            'unknown template "catboost" (templates: example, hist_gradient_boosting, lightgbm, '
            "logistic_regression, mlp, random_forest, svc, xgboost)"
        ],
        id="ref-unknown-template",
    ),
    pytest.param(
        {
            "bad.json": spec(hyperparameters={"$ref": "parts/space.json"}),
            "parts/space.json": hp(x={"$ref": "missing.yaml#/x"}),
        },
        [
            'parts/space.json: properties.x: $ref "missing.yaml#/x": file not found '
            "(via the $ref at bad.json: hyperparameters)"
        ],
        id="ref-inside-referenced-file",
    ),
    pytest.param(
        {
            "bad.json": spec(hyperparameters={"$ref": "parts/space.json", "bogus": 1}),
            "parts/space.json": hp(x={**X, "bogus2": 1}),
        },
        [
            'bad.json: hyperparameters: unknown key "bogus"',
            'parts/space.json: properties.x: unknown key "bogus2" '
            "(via the $ref at bad.json: hyperparameters)",
        ],
        id="ref-unknown-key-beside-it",
    ),
    pytest.param(
        {
            "bad.json": spec(hyperparameters={"$ref": "a.json"}),
            "a.json": hp(x={"$ref": "b.json"}),
            "b.json": {"$ref": "a.json"},
        },
        [
            'b.json: $ref "a.json": forms a cycle: a.json -> b.json -> a.json '
            "(via the $ref at a.json: properties.x)"
        ],
        id="ref-cycle",
    ),
    pytest.param(
        {
            "bad.json": spec(hyperparameters={"$ref": "space.json"}),
            "space.json": '{"type": "object",\n "properties": {}\n',
        },
        [
            'bad.json: hyperparameters: $ref "space.json": line 3: invalid JSON: '
            "Expecting ',' delimiter"
        ],
        id="ref-invalid-json",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=hp(x={"$ref": 5}))},
        ["bad.json: hyperparameters.properties.x: $ref must be a string, got 5"],
        id="ref-not-a-string",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=hp(x={"$ref": "https://example.com/space.json#/x"}))},
        [
            'bad.json: hyperparameters.properties.x: $ref "https://example.com/space.json#/x": '
            "only files and templates can be referenced"
        ],
        id="ref-to-a-url",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=hp(x={"$ref": "space.json#x"})), "space.json": {}},
        [
            'bad.json: hyperparameters.properties.x: $ref "space.json#x": '
            "the part after # must be a JSON pointer such as #/hyperparameters"
        ],
        id="ref-fragment-not-a-pointer",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=hp(x={"$ref": "#/function/name", "min": 0}))},
        [
            'bad.json: hyperparameters.properties.x: $ref "#/function/name": '
            "names a value that is not an object, so keys beside $ref cannot apply"
        ],
        id="ref-keys-beside-a-value",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=hp(x={"$ref": "#/function/name/0"}))},
        [
            'bad.json: hyperparameters.properties.x: $ref "#/function/name/0": '
            "bad.json has no /function/name/0"
        ],
        id="ref-pointer-into-a-string",
    ),
    pytest.param(
        {
            "bad.json": spec(hyperparameters=hp(x={"$ref": "space.json#/items/-1"})),
            "space.json": {"items": [X]},
        },
        [
            'bad.json: hyperparameters.properties.x: $ref "space.json#/items/-1": '
            "space.json has no /items/-1"
        ],
        id="ref-negative-index",
    ),
    pytest.param(
        {
            "bad.json": spec(hyperparameters=hp(x={"$ref": "space.json#/items/first"})),
            "space.json": {"items": [X]},
        },
        [
            'bad.json: hyperparameters.properties.x: $ref "space.json#/items/first": '
            "space.json has no /items/first"
        ],
        id="ref-word-into-a-list",
    ),
    pytest.param(
        {
            "bad.json": spec(hyperparameters=hp(x={"$ref": "parts.json#/a"})),
            "parts.json": {"a": {"$ref": "#/b"}, "b": {"$ref": "#/a"}},
        },
        [
            'parts.json: b: $ref "#/a": forms a cycle: parts.json#/a -> parts.json#/b -> '
            "parts.json#/a (via the $ref at parts.json: a)"
        ],
        id="ref-cycle-inside-one-file",
    ),
    pytest.param(
        {
            "bad.yaml": (
                "hyperparameters:\n"
                "  type: object\n"
                "  properties: !!python/object/apply:os.system ['echo pwned']\n"
            )
        },
        ["bad.yaml: line 3: YAML tag !!python/object/apply:os.system is not allowed"],
        id="yaml-python-tag",
    ),
    pytest.param(
        {"bad.yaml": "search:\n  iterations: 5\n  seed: 1\n  iterations: 6\n"},
        ['bad.yaml: line 4: duplicate key "iterations"'],
        id="yaml-duplicate-key",
    ),
    pytest.param(  # only one was said, and the outer one first, whatever its line
        {
            "bad.yaml": (
                "hyperparameters:\n  properties:\n    lr: 1\n    lr: 2\n"
                "search: {iterations: 3}\nsearch: {iterations: 5}\n"
            )
        },
        ['bad.yaml: line 4: duplicate key "lr"', 'bad.yaml: line 6: duplicate key "search"'],
        id="yaml-duplicate-keys-each-in-the-order-of-their-lines",
    ),
    pytest.param(  # a merge key's own mapping: its keys went unchecked (a crash, exit 1)
        {"bad.yaml": "<<: {1: 2}\nsearch:\n  <<: [{seed: 1}, {name: a, name: b}]\n"},
        ["bad.yaml: line 1: key 1 must be a string (quote it)"],
        id="yaml-merged-key-not-a-string",
    ),
    pytest.param(
        {"bad.yaml": "search:\n  <<: [{seed: 1}, {name: a, name: b}]\n"},
        ['bad.yaml: line 2: duplicate key "name"'],
        id="yaml-merged-duplicate-key",
    ),
    pytest.param(
        {"bad.yaml": "search:\n  name: [a\n"},
        ["bad.yaml: line 3: invalid YAML: expected ',' or ']', but got '<stream end>'"],
        id="yaml-syntax",
    ),
    pytest.param(
        {"bad.json": '{"search": {"iterations": 5, "iterations": 6}}'},
        ['bad.json: search: duplicate key "iterations"'],
        id="json-duplicate-key",
    ),
    pytest.param(
        {"bad.json": '{\n  "search": {"iterations": 5}\n  "function": {}\n}\n'},
        ["bad.json: line 3: invalid JSON: Expecting ',' delimiter"],
        id="json-syntax",
    ),
    pytest.param(
        {"bad.json": "[1, 2]"},
        ["bad.json: must be an object with the spec's sections"],
        id="top-level-not-an-object",
    ),
    pytest.param(
        {"bad.json": spec(function=function(module="modle"))},
        ['bad.json: function.module: cannot find module "modle" in {folder}'],
        id="module-not-found",
    ),
    pytest.param(
        {"bad.json": spec(function=function(module="objective.py"))},
        [
            "bad.json: function.module: must be a module name, not a file name "
            '(use "src": "objective.py")'
        ],
        id="module-is-a-file-name",
    ),
    pytest.param(
        {"bad.json": spec(function=function(module=None, src="train.py"))},
        ['bad.json: function.src: cannot find file "train.py" in {folder}'],
        id="src-missing",
    ),
    pytest.param(  # one line, the name as JSON writes it: the line break was printed as it is
        {"bad.json": spec(function=function(module=None, src='my "new"\ntrain.py'))},
        ['bad.json: function.src: cannot find file "my \\"new\\"\\ntrain.py" in {folder}'],
        id="src-missing-with-a-line-break",
    ),
    pytest.param(
        {"bad.json": spec(function=function(src="objective.py"))},
        ['bad.json: function: give "module" or "src", not both'],
        id="module-and-src",
    ),
    pytest.param(
        {"bad.json": spec(function=function(module=None))},
        ['bad.json: function: needs "module" or "src"'],
        id="neither-module-nor-src",
    ),
    pytest.param(
        {"bad.json": spec(function={"type": "executable"})},
        ['bad.json: function: missing required key "command"'],
        id="executable-without-command",
    ),
    pytest.param(
        {"bad.json": spec(function={"type": "executable", "command": []})},
        ["bad.json: function.command: must not be empty"],
        id="executable-empty-command",
    ),
    pytest.param(
        {"bad.json": spec(function={"type": "executable", "command": "python 'train.py"})},
        ["bad.json: function.command: cannot be split into arguments: No closing quotation"],
        id="executable-unsplittable-command",
    ),
    pytest.param(
        {"bad.json": spec(function={"type": "executable", "command": ["trian-model", "{x}"]})},
        ['bad.json: function.command.0: cannot find program "trian-model" on PATH'],
        id="executable-program-not-on-path",
    ),
    pytest.param(
        {"bad.json": spec(function={"type": "executable", "command": ["trian\nmodel"]})},
        ['bad.json: function.command.0: cannot find program "trian\\nmodel" on PATH'],
        id="executable-program-with-a-line-break",
    ),
    pytest.param(
        {"bad.json": spec(function={"type": "executable", "command": "./train.sh --x {x}"})},
        ['bad.json: function.command: cannot find program "./train.sh" in {folder}'],
        id="executable-relative-program-missing",
    ),
    pytest.param(
        {
            "bad.json": spec(function={"type": "executable", "command": ["bin/train.sh"]}),
            "bin/train.sh": "#!/bin/sh\necho 0.5\n",
        },
        ['bad.json: function.command.0: "bin/train.sh" is not executable (chmod +x bin/train.sh)'],
        id="executable-program-not-executable",
    ),
    pytest.param(
        {"bad.json": spec(function=function(cwd="nowhere"))},
        ['bad.json: function.cwd: cannot find folder "nowhere" in {folder}'],
        id="python-function-cwd-missing",
    ),
    pytest.param(
        {"bad.json": spec(function=function(cwd="objective.py"))},
        ['bad.json: function.cwd: "objective.py" is not a folder'],
        id="cwd-is-a-file",
    ),
    pytest.param(
        {"bad.json": spec(function=function(cwd="/no/such/folder"))},
        ['bad.json: function.cwd: cannot find folder "/no/such/folder"'],
        id="absolute-cwd-missing",
    ),
    pytest.param(
        {
            "bad.json": spec(
                function={"type": "executable", "command": ["./train.sh"], "cwd": "nowhere"}
            )
        },
        # the program is not looked for in a folder that is not there
        ['bad.json: function.cwd: cannot find folder "nowhere" in {folder}'],
        id="executable-cwd-missing",
    ),
    pytest.param(
        {
            "bad.json": spec(function={"type": "executable", "command": ["python3", "train.py"]}),
            "train.py": "print(0.5)\n",
        },
        [
            "bad.json: function.command.1: a trial starts in its own folder, where there is no "
            '"train.py": add "cwd": "." to start trials in the spec\'s folder, or name the script '
            "by its absolute path"
        ],
        id="python-script-beside-the-spec",
    ),
    pytest.param(
        {
            "bad.json": spec(
                function={
                    "type": "executable",
                    "command": [sys.executable, "-u", "-X", "dev", "src/train.py", "{x}"],
                }
            ),
            "src/train.py": "print(0.5)\n",
        },
        [
            "bad.json: function.command.4: a trial starts in its own folder, where there is no "
            '"src/train.py": add "cwd": "." to start trials in the spec\'s folder, or name the '
            "script by its absolute path"
        ],
        id="this-python-and-options-before-the-script",
    ),
    pytest.param(
        {
            "bad.json": spec(
                function={"type": "executable", "command": "python3 -u train.py --x {x}"}
            ),
            "train.py": "print(0.5)\n",
        },
        [
            "bad.json: function.command: a trial starts in its own folder, where there is no "
            '"train.py": add "cwd": "." to start trials in the spec\'s folder, or name the script '
            "by its absolute path"
        ],
        id="python-script-in-a-string-command",
    ),
    pytest.param(
        {
            "bad.json": spec(
                function={"type": "executable", "command": ["python3", "train.py"], "cwd": "src"}
            ),
            "train.py": "print(0.5)\n",
            "src/other.py": "print(0.5)\n",
        },
        ['bad.json: function.command.1: cannot find the script "train.py" in {folder}/src'],
        id="python-script-missing-from-the-cwd",
    ),
    pytest.param(  # passed: every trial then failed on a script that is in neither folder
        {
            "bad.json": spec(function={"type": "executable", "command": "python3 trian.py {x}"}),
            "train.py": "print(0.5)\n",
        },
        ['bad.json: function.command: cannot find the script "trian.py" in {folder}'],
        id="python-script-missing-without-a-cwd",
    ),
    pytest.param(  # a path out of the trial's own folder is not judged from the spec's
        {
            "bad.json": spec(
                function={
                    "type": "executable",
                    "command": "python3 ../../../../t.py {x}",
                    "parallel": "x",
                }
            ),
        },
        ['bad.json: function.parallel: must be an integer, got "x"'],
        id="python-script-out-of-the-trial-folder-is-not-judged",
    ),
    pytest.param(  # passed: the reader is run by -m, and what it runs was not looked at
        {
            "bad.json": spec(
                function={
                    "type": "executable",
                    "command": [
                        "python3",
                        "-P",
                        "-m",
                        "hypermax.quick.metric_line",
                        "v",
                        "--",
                        "python3",
                        "trian.py",
                        "{x}",
                    ],
                    "cwd": ".",
                }
            ),
            "train.py": "print(0.5)\n",
        },
        ['bad.json: function.command.7: cannot find the script "trian.py" in {folder}'],
        id="python-script-missing-behind-the-quick-metric-reader",
    ),
    pytest.param(
        {
            "bad.json": spec(
                function={"type": "executable", "command": "python3 -u /no/such/train.py {x}"}
            )
        },
        ['bad.json: function.command: cannot find the script "/no/such/train.py"'],
        id="python-script-missing-at-its-absolute-path",
    ),
    pytest.param(
        {
            "bad.json": spec(
                function={"type": "executable", "command": "train {x} 2>&1 | tee 'a|b.log'"}
            )
        },
        [
            'bad.json: function.command: ">&1" is shell syntax, and the command is not run by a '
            'shell: quote it to pass it to the program, or run one ("command": ["sh", "-c", '
            '"..."])'
        ],
        id="shell-syntax-in-a-string-command",
    ),
    pytest.param(
        {
            "bad.json": spec(
                function={"type": "executable", "command": "train --tag=a#1 '#2' # the trainer"}
            )
        },
        [
            'bad.json: function.command: "#" is shell syntax, and the command is not run by a '
            'shell: quote it to pass it to the program, or run one ("command": ["sh", "-c", '
            '"..."])'
        ],
        id="shell-comment-in-a-string-command",
    ),
    pytest.param(
        {"bad.json": spec(function={"type": "shell", "command": "true"})},
        ['bad.json: function.type: must be one of python_function or executable, got "shell"'],
        id="bad-function-type",
    ),
    pytest.param(
        {
            "bad.json": spec(
                metrics={
                    "time": {
                        "type": "time",
                        "target_time": 10,
                        "max_time": 10,
                        "penalty_at_max": 0.1,
                    }
                }
            )
        },
        ["bad.json: metrics.time.max_time: must be greater than target_time (10), got 10"],
        id="time-metric-target-not-below-max",
    ),
    pytest.param(
        {"bad.json": spec(metrics={"time": {"type": "time", "target_time": 1, "max_time": 10}})},
        ['bad.json: metrics.time: missing required key "penalty_at_max"'],
        id="time-metric-without-penalty",
    ),
    pytest.param(
        {"bad.json": spec(metrics={"rss": {"type": "ram", "target": 800, "penalty_at_max": 1}})},
        [
            'bad.json: metrics.rss: missing required key "max" '
            "(MiB at which RAM adds penalty_at_max)"
        ],
        id="ram-metric-without-max",
    ),
    pytest.param(
        {
            "bad.json": spec(
                hyperparameters=hp(
                    lr={
                        "type": "number",
                        "mode": "normal",
                        "mean": 0,
                        "stddev": 1,
                        "scaling": "logarithmic",
                    }
                )
            )
        },
        [
            "bad.json: hyperparameters.properties.lr.mean: "
            "must be greater than 0 with logarithmic scaling, got 0"
        ],
        id="log-normal-mean-0",
    ),
    pytest.param(
        {"bad.json": spec(metrics={"auc": {"min": 1.0, "max": 0.5, "direction": "up"}})},
        [
            'bad.json: metrics.auc.direction: must be one of increase or decrease, got "up"',
        ],
        id="metric-bad-direction",
    ),
    pytest.param(
        {"bad.json": spec(metrics={"auc": {"min": 0.5, "max": 1.0, "direction": "max"}})},
        [
            'bad.json: metrics.auc.direction: must be one of increase or decrease, got "max"'
            ' (did you mean "increase"?)',
        ],
        id="metric-direction-as-search-says-it",
    ),
    pytest.param(  # as optimize(space=...) takes a list: the spec's node for it was unsaid
        {"bad.json": spec(hyperparameters=hp(depth=[1, 2], none=[]))},
        [
            "bad.json: hyperparameters.properties.depth: must be a hyperparameter node (an"
            ' object), got an array (a list to choose from is {"enum": [1, 2]})',
            "bad.json: hyperparameters.properties.none: must be a hyperparameter node (an"
            " object), got an array",
        ],
        id="hyperparameter-a-list-as-the-api-space-writes-it",
    ),
    pytest.param(
        {"bad.json": spec(search={"direction": "increase", "metric": "auc"})},
        [
            'bad.json: search.direction: must be one of min or max, got "increase"'
            ' (did you mean "max"?)',
        ],
        id="search-direction-as-a-metric-says-it",
    ),
    pytest.param(
        {"bad.json": spec(metrics={"auc": {"min": 1.0, "max": 0.5}})},
        ["bad.json: metrics.auc.max: must be greater than min (1.0), got 0.5"],
        id="metric-min-not-below-max",
    ),
    pytest.param(  # every loss was the same: the target flattened the whole range
        {
            "bad.json": spec(
                metrics={
                    "auc": {"min": 0.9, "max": 1, "direction": "increase", "target": 0.9},
                    "err": {"min": 0, "max": 1, "target": 5},
                    "ok": {"min": 0.9, "direction": "increase", "target": 0.95},
                }
            )
        },
        [
            "bad.json: metrics.auc.target: must be greater than min (0.9), got 0.9:"
            " every value down to min would count as the target",
            "bad.json: metrics.err.target: must be less than max (1), got 5:"
            " every value up to max would count as the target",
        ],
        id="metric-target-at-the-worst-end",
    ),
    pytest.param(
        {"bad.json": spec(metrics={"auc": {"min": 0.5}}, search={"direction": "max"})},
        [
            "bad.json: search.direction: cannot be used with a metrics section: "
            "the metrics define the loss"
        ],
        id="direction-with-metrics",
    ),
    pytest.param(
        {"bad.json": spec(search={"early_stopping": {"policy": "mean"}})},
        ['bad.json: search.early_stopping.policy: must be one of median, asha or none, got "mean"'],
        id="early-stopping-policy",
    ),
    pytest.param(
        {"bad.json": spec(search={"name": "../elsewhere"})},
        [
            'bad.json: search.name: must be usable as a folder name (letters, digits, "_", '
            '"-" and ".", not starting with "." or "-"), got "../elsewhere"'
        ],
        id="search-name-not-a-folder-name",
    ),
    pytest.param(
        {"bad.json": spec(search={"name": "日本語" * 33})},
        ["bad.json: search.name: is 297 bytes in UTF-8, more than a search's name may have (240)"],
        id="search-name-too-long-for-a-folder",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=hp(**{"a\nb": {"type": "number", "min": 1, "max": 0}}))},
        ['bad.json: hyperparameters.properties."a\\nb".max: must be greater than min (1), got 0'],
        id="a-newline-in-a-param-name-stays-on-the-line",
    ),
    pytest.param(
        {"bad.json": spec(search={"method": "random", "tpe": {"gamma": 0.2}})},
        ['bad.json: search.tpe: options for method "tpe", but the method is "random"'],
        id="options-for-another-method",
    ),
    pytest.param(
        {"bad.json": spec(hyperparameters=hp(a={"type": "number", "min": -1e308, "max": 1e308}))},
        [
            "bad.json: hyperparameters.properties.a.max: is too far from min:"
            " max - min is more than a float holds"
        ],
        id="number-range-wider-than-a-float",
    ),
    pytest.param(
        {
            "bad.json": spec(
                hyperparameters=hp(
                    a={"type": "number", "mode": "normal", "mean": 0, "stddev": 1e308},
                    b={
                        "type": "number",
                        "mode": "normal",
                        "mean": 1,
                        "stddev": 800,
                        "scaling": "logarithmic",
                    },
                    c={
                        "type": "number",
                        "mode": "normal",
                        "mean": 1e308,
                        "stddev": 1e307,
                        "min": 0,
                    },
                    e={  # no stddev is small enough: the mean's own draws overflow
                        "type": "number",
                        "mode": "normal",
                        "mean": 1.7976931348623157e308,  # the largest float
                        "stddev": 1,
                        "scaling": "logarithmic",
                        "min": 1,
                    },
                    f={  # 1e308 is exp(709.2): 10 stddev of 1e-9 above it are still floats
                        "type": "number",
                        "mode": "normal",
                        "mean": 1e308,
                        "stddev": 1e-9,
                        "scaling": "logarithmic",
                    },
                    d={  # bounded on both sides: a far draw is taken at a bound
                        "type": "number",
                        "mode": "normal",
                        "mean": 0,
                        "stddev": 1e308,
                        "min": -1,
                        "max": 1,
                    },
                )
            )
        },
        [
            "bad.json: hyperparameters.properties.a.stddev: is too large with no min or max:"
            " a draw 10 stddev from the mean is more than a float holds; give a min and a max",
            "bad.json: hyperparameters.properties.b.stddev: is too large with logarithmic scaling"
            " and no min or max: a draw 10 stddev from the mean of ln(value) underflows to 0 or"
            " overflows a float; give a min and a max, or a stddev of at most 70.84",
            "bad.json: hyperparameters.properties.c.stddev: is too large with no max:"
            " a draw 10 stddev from the mean is more than a float holds; give a max",
            "bad.json: hyperparameters.properties.e.stddev: is too large with logarithmic scaling"
            " and no max: a draw 10 stddev from the mean of ln(value) overflows a float; give a"
            " max",
        ],
        id="normal-prior-wider-than-a-float",
    ),
    pytest.param(
        {
            "bad.json": spec(
                hyperparameters=hp(
                    a={"type": "number", "min": 1, "max": 10, "rounding": 5, "default": 1},
                    b={"type": "number", "min": 0, "max": 1, "rounding": 0.25, "default": 0.5},
                    c={"type": "integer", "min": 0, "max": 64, "rounding": 16, "default": 20},
                )
            )
        },
        [  # a of 1 ran as 5, c of 20 as 16: not the default the spec gives
            "bad.json: hyperparameters.properties.a.default: must be a multiple of rounding (5),"
            " got 1",
            "bad.json: hyperparameters.properties.c.default: must be a multiple of rounding (16),"
            " got 20",
        ],
        id="default-off-the-rounding-step",
    ),
    pytest.param(
        {
            "bad.json": spec(
                hyperparameters=hp(
                    a={"type": "number", "min": 0, "max": 1e308, "rounding": 0.5},
                    b={"type": "number", "min": -1e10, "max": 1, "rounding": 1e-300},
                    c={
                        "type": "number",
                        "mode": "normal",
                        "mean": 0,
                        "stddev": 1,
                        "rounding": 1e-320,
                    },
                )
            )
        },
        [
            "bad.json: hyperparameters.properties.a.rounding: is too small for max:"
            " max / rounding is more than a float holds",
            "bad.json: hyperparameters.properties.b.rounding: is too small for min:"
            " min / rounding is more than a float holds",
            "bad.json: hyperparameters.properties.c.rounding: is too small:"
            " 1 / rounding is more than a float holds",
        ],
        id="rounding-too-small-for-a-float",
    ),
    pytest.param(
        {
            "bad.json": spec(
                hyperparameters=hp(
                    a={"type": "array", "items": X, "minItems": 1, "maxItems": 200},
                    b={"type": "array", "items": {"type": "array", "items": X}, "maxItems": 5},
                )
            )
        },
        [
            "bad.json: hyperparameters.properties.a.maxItems: each length from 1 to 200 "
            "searches items of its own: 20,101 params, more than the 10,000 a list may search",
        ],
        id="list-too-long",
    ),
    pytest.param(
        {"bad.json": spec(search={"tpe": {"gamma": 1.5}})},
        ["bad.json: search.tpe.gamma: must be less than 1, got 1.5"],
        id="tpe-gamma-range",
    ),
    pytest.param(
        {"bad.json": spec(ui={"enabled": "yes"})},
        ['bad.json: ui.enabled: must be true or false, got "yes"'],
        id="ui-enabled-not-boolean",
    ),
    pytest.param(
        {"bad.json": spec(function=function(env={"DEBUG": 1}))},
        [  # YAML's OMP_NUM_THREADS: 1 is a number, not the text a variable holds
            'bad.json: function.env.DEBUG: must be a string (quote it: "1"), got 1'
        ],
        id="env-value-not-a-string",
    ),
    pytest.param(
        {"bad.json": spec(function=function(env={"A=B": "1", "": "2", "OK": "3"}))},
        [
            'bad.json: function.env: no environment variable can have the name "A=B", which'
            ' holds "="',
            "bad.json: function.env: no environment variable can have an empty name",
        ],
        id="env-name-not-a-variable-name",
    ),
    pytest.param(
        {"bad.json": spec(function=function(env={"DATA": "x" * 131067, "FITS": "x" * 131066}))},
        [
            "bad.json: function.env.DATA: is 131,073 bytes long as a variable (NAME=value), more"
            " than the 131,072 the system lets one be"
        ],
        id="env-value-too-long-for-a-variable",
    ),
    pytest.param(
        {"bad.json": spec(function=function(module=None, src="/dev/null"))},
        ['bad.json: function.src: "/dev/null" is a device, not a file'],
        id="src-a-device",
    ),
    pytest.param(
        {"bad.json": spec(function={"type": "executable", "command": ["/dev/null", "x"]})},
        ['bad.json: function.command.0: "/dev/null" is a device, not a program'],
        id="program-a-device",
    ),
    pytest.param(
        {"bad.json": spec(function=function(kill_grace=1e10))},
        ["bad.json: function.kill_grace: must be at most 86400, got 10000000000.0"],
        id="kill-grace-past-what-a-timer-holds",
    ),
    pytest.param(
        {
            "bad.json": spec(
                hyperparameters=hp(a={"type": "number", "min": 0}, b={"enum": []}),
                function=function(parallel=0, auto_kill_max_ram="1G"),
                search={"iterations": 0, "method": "tpee"},
                extra=True,
            )
        },
        [
            'bad.json: unknown key "extra"',
            'bad.json: function.auto_kill_max_ram: must be a number, got "1G"',
            "bad.json: function.parallel: must be at least 1, got 0",
            'bad.json: hyperparameters.properties.a: missing required key "max"',
            "bad.json: hyperparameters.properties.b.enum: must not be empty",
            "bad.json: search.iterations: must be at least 1, got 0",
            "bad.json: search.method: must be one of tpe, random, anneal, atpe, hyperopt_tpe, "
            'gp, cmaes, ngopt, auto, grid, evolution, ablation or module:Class, got "tpee"',
        ],
        id="every-problem-at-once",
    ),
]


@pytest.fixture(scope="module")
def validated(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every case of :data:`CASES` written into a folder of its own and validated, by case id."""
    paths = {}
    for case in CASES:
        folder = tmp_path_factory.mktemp("case")
        files = case.values[0]
        write_files(folder, files)
        paths[str(case.id)] = folder / next(iter(files))
    return dict(zip(paths, validate_each(list(paths.values())), strict=True))


@pytest.mark.parametrize(("files", "expected"), CASES)
def test_invalid_spec_is_one_line_per_problem(
    files: dict[str, Any],
    expected: list[str],
    validated: dict[str, subprocess.CompletedProcess[str]],
    request: pytest.FixtureRequest,
) -> None:
    result = validated[request.node.callspec.id]
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    folder = str(Path(result.args[2]).parent.resolve())
    assert result.stderr.splitlines() == [line.replace("{folder}", folder) for line in expected]


def test_missing_spec_file(tmp_path: Path) -> None:
    result = validate(tmp_path / "nothere.json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["nothere.json: cannot read: No such file or directory"]


def test_load_spec_raises_spec_error_with_path_and_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path, {"bad.json": spec(function=function(parallel=0))})
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "bad.json")
    assert caught.value.file == "bad.json"
    assert caught.value.problems == [("function.parallel", "must be at least 1, got 0")]


def test_report_sorts_by_path_with_indices_in_number_order() -> None:
    problems = [
        (("a", 10), "ten"),
        (("a", 2), "two"),
        (("a", 2), "two"),
        ((), "top"),
    ]
    assert report(problems) == [("", "top"), ("a.2", "two"), ("a.10", "ten")]


def test_json_equality_of_enum_values() -> None:
    assert json_equal(1, 1.0)
    assert not json_equal(True, 1)
    assert json_equal([1, {"a": False}], [1.0, {"a": False}])
    assert not json_equal({"a": 1}, {"b": 1})


def undescribed_properties(schema: Any, where: str = "#") -> list[str]:
    """Properties without a description, walking the subschemas (not the ``if`` conditions)."""
    if not isinstance(schema, dict):
        return []
    missing = []
    for group in ("properties", "patternProperties"):
        for name, sub in schema.get(group, {}).items():
            if "description" not in sub:
                missing.append(f"{where}/{group}/{name}")
            missing += undescribed_properties(sub, f"{where}/{group}/{name}")
    for name, sub in schema.get("$defs", {}).items():
        missing += undescribed_properties(sub, f"{where}/$defs/{name}")
    for key in ("items", "additionalProperties", "then", "else", "not"):
        missing += undescribed_properties(schema.get(key), f"{where}/{key}")
    for i, sub in enumerate(schema.get("allOf", [])):
        missing += undescribed_properties(sub, f"{where}/allOf/{i}")
    return missing


def test_schema_is_valid_and_describes_every_property() -> None:
    schema = spec_schema()
    Draft202012Validator.check_schema(schema)
    assert schema == json.loads(SCHEMA_PATH.read_text())
    assert undescribed_properties(schema) == []


def test_schema_sections_reject_unknown_keys() -> None:
    schema = spec_schema()
    assert schema["additionalProperties"] is False
    sections = [schema["properties"][name] for name in ("results", "ui")]
    sections += [schema["$defs"][name] for name in ("function", "metric", "search", "cluster")]
    sections.append(schema["$defs"]["cluster"]["properties"]["security"])
    assert all(section["additionalProperties"] is False for section in sections)


def test_scheduler_flag_sets_the_cluster_scheduler_checked_like_the_section(tmp_path: Path) -> None:
    write_files(tmp_path, {"search.json": spec()})
    result = subprocess.run(
        [sys.executable, "-m", "hypermax", "search.json", "--scheduler", "http://127.0.0.1:8786"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == (
        'hypermax run: --scheduler: unknown protocol "http://" (use tcp://, tls://, ws://, '
        'wss://, ucx://), got "http://127.0.0.1:8786"\n'
    )
    assert not (tmp_path / "results").exists()


def test_the_cluster_section_freezes_with_its_defaults_and_absolute_tls_files(
    tmp_path: Path,
) -> None:
    write_files(tmp_path, {"ca.pem": "", "search.json": spec()})
    doc = spec(
        cluster={
            "scheduler": "tls://10.0.0.7:8786",
            "resources": {"GPU": 1},
            "security": {"tls_ca_file": "ca.pem", "require_encryption": True},
        }
    )
    frozen = spec_from_dict(doc, tmp_path / "search.json")
    assert frozen.cluster == ClusterSpec(
        scheduler="tls://10.0.0.7:8786",
        resources={"GPU": 1.0},
        security={"tls_ca_file": str((tmp_path / "ca.pem").resolve()), "require_encryption": True},
        lost_worker_reruns=3,
        lost_scheduler_wait=60.0,
    )
    assert frozen.raw["cluster"]["lost_worker_reruns"] == 3
    assert spec_from_dict(spec(), tmp_path / "search.json").cluster is None


def test_a_name_from_the_original_metadata_is_cut_to_what_a_folder_name_holds() -> None:
    """100 letters of 3 bytes are 300 bytes: the run could not make the folder."""
    name = folder_name("日本語" * 40)
    assert name == "日本語" * 26 + "日本" and len(name.encode()) == 240
