"""Bundled templates: listed, validated, written by ``hypermax init``, and run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import finished_records, run_cli_here

from hypermax.space import Space
from hypermax.spec import load_spec, spec_from_dict
from hypermax.templates import FOLDER, load_template, templates

ROOT = Path(__file__).resolve().parents[1]
MODELS = [
    "hist_gradient_boosting",
    "lightgbm",
    "logistic_regression",
    "mlp",
    "random_forest",
    "svc",
    "xgboost",
]


def test_templates_lists_each_bundled_template_on_one_line(tmp_path):
    listed = run_cli_here("templates", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert names == sorted(p.stem for p in FOLDER.glob("*.json"))
    assert set(MODELS) | {"example"} == set(names)
    lightgbm = next(line for line in listed.stdout.splitlines() if line.startswith("lightgbm "))
    assert "LGBMClassifier" in lightgbm


@pytest.mark.parametrize("name", MODELS)
def test_every_template_is_a_valid_search_that_names_its_source(name, tmp_path):
    template = load_template(name)
    assert "https://" in template.document["hyperparameters"]["description"]
    (tmp_path / "objective.py").write_text(template.objective())
    spec = spec_from_dict(template.spec(), tmp_path / "search.json")
    assert spec.search.name == name and spec.function.src == "objective.py"
    assert Space.from_spec(spec).defaults() is not None  # the first trial runs the defaults
    # the space is reachable by $ref from any spec, unchanged
    by_ref = spec_from_dict(
        {**template.spec(), "hyperparameters": {"$ref": f"template:{name}#/hyperparameters"}},
        tmp_path / "search.json",
    )
    assert by_ref.hyperparameters == spec.hyperparameters


def test_init_writes_a_template_s_spec_and_objective_and_never_overwrites(tmp_path):
    made = run_cli_here("init", "svc", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "wrote search.json and objective.py (svc)" in made.stdout
    spec = load_spec(str(tmp_path / "search.json"))
    assert spec.search.name == "svc"
    assert (tmp_path / "objective.py").read_text() == (FOLDER / "svc.py").read_text()

    (tmp_path / "search.json").unlink()  # objective.py is still there: nothing is written
    again = run_cli_here("init", "lightgbm", cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr == "hypermax init: objective.py exists already; nothing was written\n"
    assert not (tmp_path / "search.json").exists()


def test_init_without_a_name_writes_the_readme_example(tmp_path):
    made = run_cli_here("init", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    written = json.loads((tmp_path / "search.json").read_text())
    example = json.loads((ROOT / "search.example.json").read_text())
    assert written["function"].pop("src") == "objective.py"
    assert example["function"].pop("src") == "examples/objective.py"
    assert written == example
    objective = (ROOT / "examples" / "objective.py").read_text()
    assert (tmp_path / "objective.py").read_text() == objective
    assert load_spec(str(tmp_path / "search.json")).search.name == "example"


def test_an_unknown_template_is_one_line_naming_the_known_ones(tmp_path):
    refused = run_cli_here("init", "catboost", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.startswith('hypermax init: no template "catboost" (templates: example, ')
    assert len(refused.stderr.splitlines()) == 1 and not list(tmp_path.iterdir())


def test_init_takes_a_template_name_in_another_case_and_says_the_nearest_to_a_typo(tmp_path):
    """``LightGBM`` found no template, and a near miss was not told the name it meant."""
    made = run_cli_here("init", "LightGBM", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("wrote search.json and objective.py (lightgbm)")
    assert json.loads((tmp_path / "search.json").read_text())["search"]["name"] == "lightgbm"
    refused = run_cli_here("init", "lightgmb", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.startswith(
        'hypermax init: no template "lightgmb" (did you mean lightgbm? templates: example, '
    )


def test_a_ref_to_a_template_in_another_case_is_followed(tmp_path):
    spec = tmp_path / "search.json"
    ref = {"$ref": "template:SVC#/hyperparameters"}
    function = {"type": "executable", "command": ["true"]}
    spec.write_text(json.dumps({"hyperparameters": ref, "function": function}))
    assert load_spec(str(spec)).hyperparameters == load_template("svc").document["hyperparameters"]


@pytest.mark.parametrize("name", MODELS)
def test_each_template_runs_three_trials(name, tmp_path):
    template = next(t for t in templates() if t.name == name)
    if not template.installed():
        pytest.skip(f"{name} needs {', '.join(template.missing())}, which is not installed")
    assert run_cli_here("init", name, cwd=tmp_path).returncode == 0
    ran = run_cli_here(
        "search.json",
        "--no-ui",
        "--iterations",
        "3",
        "--parallel",
        "3",
        "--seed",
        "8",  # trials 2 and 3 are small models: every template's three trials take seconds
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    finished = finished_records(tmp_path / "results" / name)
    assert [r["state"] for r in finished.values()] == ["ok"] * 3
    assert all(0 <= r["loss"] <= 1 for r in finished.values())  # 1 - AUC
    assert finished[1]["loss"] < 0.05  # the defaults, tried first, are a sound classifier


@pytest.mark.parametrize(
    "objective",
    [*(FOLDER / f"{name}.py" for name in ["example", *MODELS]), ROOT / "examples" / "objective.py"],
)
def test_an_objective_imports_its_libraries_and_reads_its_data_once_not_per_trial(objective):
    """With preload (the default) the module is imported once and every trial forked from it:
    what ``train`` imports or loads itself, every trial pays for again (a second of CPU)."""
    import ast

    tree = ast.parse(objective.read_text())
    (train,) = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert not [node for node in ast.walk(train) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert "load_breast_cancer" not in ast.unparse(train)


def test_init_in_a_removed_folder_or_with_an_empty_name_is_one_line(tmp_path, monkeypatch, capsys):
    from hypermax.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["init", ""]) == 2  # a "$NAME" left unset is not the example
    assert capsys.readouterr().err.startswith('hypermax init: no template "" (templates: ')
    assert not list(tmp_path.iterdir())
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # a shell still in a folder that was removed
    assert main(["init", "svc"]) == 2
    assert capsys.readouterr().err == (
        "hypermax init: the current folder no longer exists (it was removed): "
        "change to one that does\n"
    )


def test_init_beside_a_link_to_a_missing_file_says_it_exists(tmp_path, monkeypatch, capsys):
    """It said "cannot write .../search.json: File exists", as if the folder were at fault."""
    from hypermax.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "search.json").symlink_to(tmp_path / "missing.json")
    assert main(["init"]) == 2
    assert capsys.readouterr().err == (
        "hypermax init: search.json exists already; nothing was written\n"
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["search.json"]


@pytest.mark.parametrize("ref", ["template:svc", "template:svc#"])
def test_a_ref_to_a_whole_space_template_names_where_its_space_is(ref, tmp_path):
    """It said the template 'is not a hyperparameter node: give it "type", ...' (two lines)."""
    spec = tmp_path / "search.json"
    spec.write_text(
        json.dumps(
            {
                "hyperparameters": {"$ref": ref},
                "function": {"type": "executable", "command": ["true"]},
            }
        )
    )
    refused = run_cli_here("validate", str(spec), cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr == (
        'search.json: hyperparameters: $ref "template:svc": a template\'s space is at '
        '#/hyperparameters: "template:svc#/hyperparameters"\n'
    )


def test_a_template_names_only_the_modules_it_needs_that_are_missing(tmp_path):
    """``templates`` and ``init`` named every module a template imports, installed or not:
    ``(needs xgboost, sklearn)`` and ``pip install xgboost scikit-learn`` with scikit-learn
    there."""
    import importlib.util

    svc = load_template("svc")
    lacking = type(svc)(svc.name, svc.summary, ("no_such_module_here", "json"), svc.document)
    assert lacking.missing() == ("no_such_module_here",)
    xgboost = load_template("xgboost")
    if xgboost.missing() != ("xgboost",):
        pytest.skip("needs xgboost missing and scikit-learn installed")
    assert importlib.util.find_spec("sklearn") is not None
    listed = run_cli_here("templates", cwd=tmp_path)
    assert "(needs xgboost)\n" in listed.stdout
    written = run_cli_here("init", "xgboost", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert written.stdout.splitlines()[1] == "the objective needs: pip install xgboost"


def default_branches(node: object, path: str = "") -> list[tuple[str, object]]:
    """The conditionals of a template's space whose branch is described as the library's
    default, each with that branch's constant value."""
    found: list[tuple[str, object]] = []
    if isinstance(node, dict):
        for key, child in node.get("properties", {}).items():
            found += default_branches(child, f"{path}.{key}".lstrip("."))
        for branch in node.get("anyOf", []):
            if "(default)" in branch.get("description", "") and "constant" in branch:
                found.append((path, branch["constant"]))
    return found


@pytest.mark.parametrize("name", MODELS)
def test_the_first_trial_of_a_template_takes_the_branch_described_as_the_default(name, tmp_path):
    """random_forest's and hist_gradient_boosting's first trial ran ``max_depth`` 6 or 10,
    the default of the other branch, not the unlimited depth both libraries default to."""
    template = load_template(name)
    (tmp_path / "objective.py").write_text(template.objective())
    spec = spec_from_dict(template.spec(), tmp_path / "search.json")
    defaults = Space.from_spec(spec).defaults()
    assert defaults is not None
    for path, value in default_branches(template.document["hyperparameters"]):
        assert defaults[path] == value, path


def test_templates_names_a_missing_library_by_what_pip_installs(monkeypatch, capsys):
    """The list said ``(needs sklearn)``, the name ``pip install`` refuses, where ``init``
    said ``pip install scikit-learn``."""
    import hypermax.templates as bundled

    monkeypatch.setattr(bundled.Template, "missing", lambda self: ("sklearn",))
    assert bundled.cmd_templates(None) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.endswith("  (needs scikit-learn)") for line in lines)


@pytest.mark.parametrize("name", MODELS)
def test_each_param_of_a_template_names_its_library_default(name):
    """As the README says; lightgbm's boosting_type and svc's kernel named none."""
    properties = load_template(name).document["hyperparameters"]["properties"]
    for key, node in properties.items():
        described = [node.get("description", "")]
        described += [branch.get("description", "") for branch in node.get("anyOf", [])]
        assert any("default" in text for text in described), key
