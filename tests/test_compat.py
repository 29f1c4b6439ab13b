"""Specs written for the original Hypermax run unchanged, through the real command line.

The spec below uses every key its README documents and that its own searches carry
(``"type": "string"`` beside an ``enum`` and a ``constant``, ``mode``, ``scaling``, ``rounding``,
the ``hypermax_results`` section, ``results.graphs``, a module beside the spec, ...). Whole-number
roundings must reach the trial as ints however the params reach it.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import finished_records, journal_records, run_cli, run_cli_here

#: the trial function, in a file beside the spec: what it received, kept in its folder
MODEL = """
import json, os

def trainModel(params):
    with open(os.environ["HYPERMAX_PARAMS_FILE"]) as f:
        from_file = json.load(f)
    env = {k: v for k, v in os.environ.items() if k.startswith("HYPERMAX_PARAM_")}
    with open(os.path.join(os.environ["HYPERMAX_TRIAL_DIR"], "received.json"), "w") as f:
        json.dump({"params": params, "types": {k: type(v).__name__ for k, v in params.items()},
                   "file": from_file, "env": env}, f)
    return {"loss": params["learning_rate"] + params["layer1_size"] / 1000, "accuracy": 0.5}
"""

ORIGINAL_SPEC: dict[str, Any] = {
    "hyperparameters": {
        "type": "object",
        "properties": {
            "learning_rate": {
                "type": "number",
                "mode": "uniform",
                "scaling": "linear",
                "min": 0.1,
                "max": 3.0,
            },
            "weight_decay": {
                "type": "number",
                "mode": "uniform",
                "scaling": "logarithmic",
                "min": 2e-5,
                "max": 2e-3,
            },
            "activation": {"type": "string", "enum": ["relu", "elu", "selu", "rrelu"]},
            "batch": {"type": "integer", "enum": [32, 64]},
            "momentum": {"type": "number", "enum": [0.9, 0.99]},
            "layer1_size": {
                "type": "number",
                "mode": "uniform",
                "scaling": "logarithmic",
                "min": 32,
                "max": 96,
                "rounding": 16,
            },
            "layer1_layers": {
                "type": "number",
                "mode": "uniform",
                "scaling": "linear",
                "min": 1,
                "max": 3,
                "rounding": 1,
            },
            "optimizer": {
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {
                            "optimizerName": {"type": "string", "constant": "adam"},
                            "learningRate": {"type": "number", "min": 1e-5, "max": 1e-3},
                        },
                    },
                    {
                        "type": "object",
                        "properties": {
                            "optimizerName": {"type": "string", "constant": "sgd"},
                            "learningRate": {"type": "number", "min": 1e-5, "max": 1e-3},
                        },
                    },
                ]
            },
        },
    },
    "function": {
        "type": "python_function",
        "module": "model",
        "name": "trainModel",
        "parallel": 2,
        "auto_kill_max_time": 120.0,
        "auto_kill_max_ram": 512,
        "auto_kill_max_system_ram": 100000,
        "auto_kill_loss": 1.0,
    },
    "search": {"method": "random", "iterations": 6},
    "results": {"graphs": True},
    "ui": {"enabled": False},
    "hypermax_results": {
        "name": "cifar10_resnet",
        "upload_frequency": 10,
        "author": "Someone",
        "contact": "someone@example.com",
        "date": "August 8, 2018",
        "description": "A random search of a small ResNet on cifar10.",
        "algorithm": "convnet",
        "input_types": ["image"],
        "output_types": ["classification"],
        "metrics": ["accuracy"],
    },
}

WHOLE = ("layer1_size", "layer1_layers")
TRAIN = "def train(params):\n    return params['x']\n"
X_SPACE = {"type": "object", "properties": {"x": {"type": "number", "min": 0, "max": 1}}}


def _write_original(folder: Path, spec: dict[str, Any]) -> Path:
    (folder / "model.py").write_text(MODEL)
    doc = json.loads(json.dumps(spec))
    doc["results"]["directory"] = str(folder / "results")
    path = folder / "cifar10.json"
    path.write_text(json.dumps(doc, indent=2))
    return path


def test_a_spec_of_the_original_hypermax_runs_unchanged(tmp_path: Path) -> None:
    spec = _write_original(tmp_path, ORIGINAL_SPEC)
    notices = [
        "cifar10.json: hypermax_results.upload_frequency: results are not uploaded by this "
        "version; the section is kept as the search's metadata",
        "cifar10.json: results.graphs: this version draws no graphs into the results folder "
        "(the dashboard charts the search)",
    ]
    checked = run_cli_here("validate", str(spec), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.splitlines() == notices

    proc = run_cli(str(spec), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == notices  # once each, not an error
    folder = tmp_path / "results" / "cifar10_resnet"  # named by hypermax_results.name
    finished = finished_records(folder)
    assert len(finished) == 6 and all(r["state"] == "ok" for r in finished.values())

    started = {
        r["id"]: r["params"] for r in journal_records(folder) if r["event"] == "trial_started"
    }
    for trial_id, params in started.items():
        received = json.loads((folder / "trials" / str(trial_id) / "received.json").read_text())
        assert received["params"] == params == received["file"]
        for name in WHOLE:
            assert received["types"][name] == "int", (name, received["params"][name])
            assert type(params[name]) is int  # the journal holds them as JSON integers
            assert received["env"][f"HYPERMAX_PARAM_{name.upper()}"] == str(params[name])
        assert params["layer1_size"] % 16 == 0 and 32 <= params["layer1_size"] <= 96
        assert params["activation"] in ("relu", "elu", "selu", "rrelu")
        assert params["batch"] in (32, 64) and params["momentum"] in (0.9, 0.99)
        assert params["optimizer"]["optimizerName"] in ("adam", "sgd")

    rows = list(csv.DictReader((folder / "results.csv").open()))
    assert all(row["layer1_size"].isdigit() and row["layer1_layers"].isdigit() for row in rows)
    exported = run_cli_here("export", str(folder), "--format", "json", cwd=tmp_path)
    documents = json.loads(exported.stdout)["trials"]
    assert len(documents) == 6
    assert all(type(t["params"]["layer1_size"]) is int for t in documents)

    frozen = json.loads((folder / "search.json").read_text())
    assert frozen["hypermax_results"] == ORIGINAL_SPEC["hypermax_results"]
    shown = run_cli_here("show", str(folder), cwd=tmp_path).stdout.splitlines()
    assert shown[1:12] == [
        "metadata:",
        "  name              cifar10_resnet",
        "  upload_frequency  10",
        "  author            Someone",
        "  contact           someone@example.com",
        "  date              August 8, 2018",
        "  description       A random search of a small ResNet on cifar10.",
        "  algorithm         convnet",
        '  input_types       ["image"]',
        '  output_types      ["classification"]',
        '  metrics           ["accuracy"]',
    ]


def test_graphs_turned_off_gets_no_notice(tmp_path: Path) -> None:
    """``"graphs": false`` asks for no graphs, which is what it gets: nothing to say."""
    (tmp_path / "model.py").write_text(TRAIN)
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "module": "model", "name": "train"},
        "results": {"graphs": False},
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    checked = run_cli_here("validate", "search.json", cwd=tmp_path)
    assert (checked.returncode, checked.stderr) == (0, "")


def test_whole_number_rounding_reaches_an_executable_as_ints(tmp_path: Path) -> None:
    program = tmp_path / "train.py"
    program.write_text(
        "import json, os, sys\n"
        "with open(os.environ['HYPERMAX_PARAMS_FILE']) as f:\n"
        "    params = json.load(f)\n"
        "seen = {'argv': sys.argv[1:], 'env': os.environ['HYPERMAX_PARAM_UNITS'], "
        "'file': params}\n"
        "with open(os.path.join(os.environ['HYPERMAX_TRIAL_DIR'], 'seen.json'), 'w') as f:\n"
        "    json.dump(seen, f)\n"
        "print(params['units'] / 100)\n"
    )
    doc = {
        "hyperparameters": {
            "type": "object",
            "properties": {
                "units": {"type": "number", "min": 64, "max": 768, "rounding": 64},
                "depth": {"type": "number", "min": 1.5, "max": 4.5, "rounding": 1},
            },
        },
        "function": {
            "type": "executable",
            "command": [sys.executable, str(program), "{units}", "--depth={depth}"],
        },
        "search": {"name": "exe", "method": "random", "iterations": 4, "seed": 3},
        "results": {"directory": str(tmp_path / "results")},
    }
    spec = tmp_path / "search.json"
    spec.write_text(json.dumps(doc))
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "results" / "exe"
    for trial_id in range(1, 5):
        seen = json.loads((folder / "trials" / str(trial_id) / "seen.json").read_text())
        units, depth = seen["file"]["units"], seen["file"]["depth"]
        assert type(units) is int and type(depth) is int
        assert 2 <= depth <= 4  # the nearest whole numbers inside the fractional bounds
        assert seen["argv"] == [str(units), f"--depth={depth}"]
        assert seen["env"] == str(units)


@pytest.mark.parametrize(
    ("files", "module"),
    [
        pytest.param({"model.py": "m"}, "model", id="file-beside-the-spec"),
        pytest.param(
            {"nets/__init__.py": "", "nets/model.py": "m"}, "nets.model", id="package-beside"
        ),
        pytest.param({"nets/model.py": "m"}, "nets.model", id="namespace-package-beside"),
        pytest.param({"../site/installed_model.py": "m"}, "installed_model", id="installed"),
    ],
)
def test_a_module_is_found_the_ways_the_original_readme_names(
    tmp_path: Path, files: dict[str, str], module: str
) -> None:
    folder = tmp_path / "search"
    folder.mkdir()
    for name, content in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(TRAIN if content == "m" else content)
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "module": module, "name": "train"},
        "search": {"name": "found", "iterations": 2},  # finding the module is what counts
        "results": {"directory": str(tmp_path / "results")},
    }
    spec = folder / "search.json"
    spec.write_text(json.dumps(doc))
    env = {"PYTHONPATH": str(tmp_path / "site")}  # where an installed module would be
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    checked = run_cli("validate", str(spec), cwd=elsewhere, env=env)
    assert checked.returncode == 0, checked.stderr
    proc = run_cli(str(spec), "--no-ui", cwd=elsewhere, env=env)
    assert proc.returncode == 0, proc.stderr
    finished = finished_records(tmp_path / "results" / "found")
    assert [r["state"] for r in finished.values()] == ["ok", "ok"]


def test_a_src_file_imports_the_modules_beside_it_and_is_named_after_itself(
    tmp_path: Path,
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "layers.py").write_text("SCALE = 2.0\n")
    (models / "net.py").write_text(
        "import pickle\nimport layers\n\n"
        "def train(params):\n"
        "    assert pickle.loads(pickle.dumps(train)) is train  # importable by its own name\n"
        "    return params['x'] * layers.SCALE\n"
    )
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "src": "models/net.py", "name": "train"},
        "search": {"name": "src", "iterations": 2},  # importing the modules is what counts
        "results": {"directory": str(tmp_path / "results")},
    }
    spec = tmp_path / "search.json"
    spec.write_text(json.dumps(doc))
    proc = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    finished = finished_records(tmp_path / "results" / "src")
    assert [r["state"] for r in finished.values()] == ["ok", "ok"], finished


#: the results.csv the original Hypermax wrote for ORIGINAL_SPEC (csv ``unix`` dialect: every
#: cell quoted): a conditional is a column holding the index of the branch taken, and that
#: branch's params are named under the index (``optimizer.1.learningRate``), the other
#: branches' left blank; a rounded number is a float
ORIGINAL_RESULTS = """\
"trial","status","loss","time","log","error","activation","batch","layer1_layers","layer1_size","learning_rate","momentum","optimizer","optimizer.0.learningRate","optimizer.0.optimizerName","optimizer.1.learningRate","optimizer.1.optimizerName","weight_decay"
"0","ok","0.31","1.5","results/logs/trial_0.txt","","relu","32","2.0","64.0","0.5","0.9","0","0.0003","adam","","","0.0001"
"1","ok","0.21","1.2","results/logs/trial_1.txt","","elu","64","1.0","48.0","1.5","0.99","1","","","0.0001","sgd","0.00002"
"2","fail","","0.2","","Traceback","selu","64","3.0","96.0","2.5","0.9","1","","","0.0002","sgd","0.002"
"""


def test_the_original_hypermax_results_of_a_conditional_space_warm_start_a_search(
    tmp_path: Path,
) -> None:
    """Each row's branch is the one its index column names, its params those named under it."""
    (tmp_path / "old_results.csv").write_text(ORIGINAL_RESULTS)
    doc = json.loads(json.dumps(ORIGINAL_SPEC))
    doc["search"].update(iterations=1, warm_start="old_results.csv")
    spec = _write_original(tmp_path, doc)
    proc = run_cli(str(spec), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "warm start: learned from 3 of 3 trials" in proc.stdout
    folder = tmp_path / "results" / "cifar10_resnet"
    imported = [r for r in journal_records(folder) if r["event"] == "trial_imported"]
    assert [r["params"]["optimizer"] for r in imported] == [
        {"optimizerName": "adam", "learningRate": 0.0003},
        {"optimizerName": "sgd", "learningRate": 0.0001},
        {"optimizerName": "sgd", "learningRate": 0.0002},
    ]
    assert [r["loss"] for r in imported] == [0.31, 0.21, None]
    assert [r["params"]["layer1_size"] for r in imported] == [64, 48, 96]


@pytest.mark.parametrize(
    ("section", "form", "line"),
    [
        (
            "function",
            {
                "type": "remote",
                "hosts": ["localhost"],
                "command": "cd /home/me/cifar10; python test.py",
                "rsync": {"from": "code", "to": "/home/me/code"},
                "parallel": 1,
            },
            'function.type: "remote" (the original Hypermax\'s command run over ssh on each of'
            ' "hosts") is not available: run ssh as an "executable",'
            ' "command": ["ssh", "HOST", "COMMAND"]',
        ),
        (
            "search",
            {"method": "abh", "iterations": 10, "min_budget": 1, "max_budget": 30, "eta": 3},
            'search.method: "abh" (the original Hypermax\'s Adaptive Bayesian Hyperband) is not'
            ' available: "early_stopping": {"policy": "asha"} stops poor trials from their'
            " reports, as Hyperband does",
        ),
    ],
)
def test_a_form_of_the_original_hypermax_not_available_here_is_one_line(
    tmp_path: Path, section: str, form: dict[str, Any], line: str
) -> None:
    """Its own keys (``hosts``, ``min_budget``) are not named as unknown keys besides."""
    (tmp_path / "model.py").write_text(TRAIN)
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "module": "model", "name": "train"},
        section: form,
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    for command in ("validate", "run"):
        proc = run_cli_here(command, "search.json", cwd=tmp_path)
        assert proc.returncode == 2
        assert proc.stderr.splitlines() == [f"search.json: {line}"]
    doc[section]["parallel" if section == "function" else "iterations"] = "two"
    (tmp_path / "search.json").write_text(json.dumps(doc))
    proc = run_cli_here("validate", "search.json", cwd=tmp_path)  # other problems still said
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 2, proc.stderr


def test_the_trials_the_original_hypermax_killed_or_saw_fail_are_all_imported(
    tmp_path: Path,
) -> None:
    """It recorded a trial it killed as ``fail`` with the ``auto_kill_loss`` as its loss (and
    its error said so), which a killed trial teaches here too; another ``fail`` has no loss."""
    (tmp_path / "old_results.csv").write_text(
        '"trial","status","loss","time","log","error","x"\n'
        '"0","ok","0.31","1.5","","","0.5"\n'
        '"1","fail","1.0","120.0","","Model was automatically killed.","0.7"\n'
        '"2","fail","0.2","0.2","","Traceback (most recent call last): ...","0.9"\n'
        '"3","fail","","0.2","","Traceback (most recent call last): ...","0.1"\n'
    )
    (tmp_path / "model.py").write_text(TRAIN)
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "module": "model", "name": "train"},
        "search": {"iterations": 1, "warm_start": "old_results.csv"},
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    proc = run_cli_here("search.json", "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "learned from 4 of 4 trials" in proc.stdout
    imported = [
        r
        for r in journal_records(tmp_path / "results" / "search")
        if r["event"] == "trial_imported"
    ]
    assert [(r["params"]["x"], r["loss"]) for r in imported] == [
        (0.5, 0.31),
        (0.7, 1.0),
        (0.9, None),
        (0.1, None),
    ]


@pytest.mark.parametrize("beside", [(), ("search.json", "guidance.json", "current_trials.json")])
def test_a_results_folder_of_the_original_hypermax_is_not_written_over(
    tmp_path: Path, beside: tuple[str, ...]
) -> None:
    """Its README resumes a search with ``hypermax search.json results_0/``: here that started
    a search in it whose results.csv replaced the original's, its trials lost. Its trials are
    learnt from by naming its table in ``search.warm_start``."""
    folder = tmp_path / "results_0"
    folder.mkdir()
    (folder / "results.csv").write_text(ORIGINAL_RESULTS)
    for name in beside:  # what the original wrote beside it (its search.json: the spec as run)
        (folder / name).write_text("{}")
    spec = _write_original(tmp_path, ORIGINAL_SPEC)
    proc = run_cli(str(spec), str(folder), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == (
        f"{folder}: holds a results.csv of trials but no trials.jsonl (the original Hypermax's,"
        " or a search's whose journal is gone), which a search there would write over: to"
        f' learn from its trials, give the spec "search": {{"warm_start":'
        f' "{folder / "results.csv"}"}} and the search a folder of its own'
    )
    assert (folder / "results.csv").read_text() == ORIGINAL_RESULTS
    assert not (folder / "trials.jsonl").exists()


def test_a_module_the_original_hypermax_found_in_the_current_folder_is_pointed_at(
    tmp_path: Path,
) -> None:
    """The original imported ``module`` from where it was started; here it is found beside the
    spec: a spec kept in another folder than its model is told how to name it."""
    (tmp_path / "model.py").write_text(TRAIN)
    (tmp_path / "searches").mkdir()
    doc = {
        "hyperparameters": X_SPACE,
        "function": {"type": "python_function", "module": "model", "name": "train"},
    }
    (tmp_path / "searches" / "search.json").write_text(json.dumps(doc))
    proc = run_cli_here("validate", "searches/search.json", cwd=tmp_path)
    assert (proc.returncode, proc.stderr.splitlines()) == (
        2,
        [
            "searches/search.json: function.module: cannot find module"
            f' "model" in {tmp_path / "searches"}'
            " (the current folder holds it, where the original Hypermax imported it from:"
            ' "src": "../model.py" names it from the spec\'s folder)'
        ],
    )
    doc["function"] = {"type": "python_function", "src": "../model.py", "name": "train"}
    (tmp_path / "searches" / "search.json").write_text(json.dumps(doc))
    assert run_cli_here("validate", "searches/search.json", cwd=tmp_path).returncode == 0
