"""Valid specs: JSON and YAML load alike, $ref resolves, defaults are filled in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli_here

from hypermax.errors import SpecError
from hypermax.space import Space
from hypermax.spec import load_spec, spec_from_dict
from hypermax.validation import TEMPLATES_FOLDER, resolve_and_validate, template_names

SPECS = Path(__file__).parent / "specs"

MINIMAL = {
    "hyperparameters": {
        "type": "object",
        "properties": {"x": {"type": "number", "min": 0, "max": 1}},
    },
    "function": {"type": "python_function", "module": "objective", "name": "train"},
}


def write_spec(folder: Path, doc: dict, name: str = "search.json") -> Path:
    """Write ``doc`` and an objective module beside it; return the spec's path."""
    (folder / "objective.py").write_text("def train(params):\n    return 0.0\n")
    path = folder / name
    path.write_text(json.dumps(doc))
    return path


def test_json_spec_loads_into_typed_sections() -> None:
    spec = load_spec(SPECS / "search.json")
    assert spec.function.module == "objective"
    assert spec.function.parallel == 2
    assert spec.function.auto_kill_max_ram == 512
    assert [m.name for m in spec.metrics] == ["auc", "time"]
    assert spec.metrics[0].direction == "increase"
    assert spec.search.name == "experiment1"
    assert spec.search.options == {"n_startup_jobs": 5}
    assert spec.search.iterations == 20
    assert spec.results_folder == Path("out") / "experiment1"
    assert spec.ui_enabled is False


def test_yaml_spec_is_the_same_search_as_json() -> None:
    from_json = load_spec(SPECS / "search.json")
    from_yaml = load_spec(SPECS / "search.yaml")
    assert from_yaml.raw == from_json.raw
    assert from_yaml.fingerprint() == from_json.fingerprint()


@pytest.mark.parametrize("name", ["search.json", "search.yaml", "with_refs.json"])
def test_cli_validate_accepts_valid_specs(name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hypermax", "validate", str(SPECS / name)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "ok" in result.stdout


def test_template_ref_resolves_to_the_bundled_space() -> None:
    spec = load_spec(SPECS / "with_refs.json")
    template = json.loads((TEMPLATES_FOLDER / "lightgbm.json").read_text())
    assert spec.hyperparameters["properties"]["booster"] == template["hyperparameters"]


def test_relative_refs_resolve_from_the_file_they_are_in() -> None:
    props = load_spec(SPECS / "with_refs.json").hyperparameters["properties"]
    optimizer = props["optimizer"]["properties"]
    assert optimizer["learning_rate"]["scaling"] == "logarithmic"
    # parts/optimizer.json names layers.yaml: found beside it in parts/, not beside the spec
    assert optimizer["momentum"] == {"type": "number", "min": 0.8, "max": 0.99}


def test_keys_beside_ref_override_the_referenced_node() -> None:
    props = load_spec(SPECS / "with_refs.json").hyperparameters["properties"]
    assert props["dropout"] == {"type": "number", "min": 0, "max": 0.5, "default": 0.25}


def test_ref_into_the_same_file_and_a_whole_section() -> None:
    spec = load_spec(SPECS / "with_refs.json")
    props = spec.hyperparameters["properties"]
    assert props["again"] == props["optimizer"]
    assert spec.function.module == "objective"
    assert spec.function.name == "train"


def test_ref_pointer_escapes_and_a_yaml_file(tmp_path: Path) -> None:
    """``~1`` is "/", ``~0`` is "~", %-escapes are decoded in the file name and the pointer."""
    (tmp_path / "my parts.yaml").write_text(
        "spaces:\n  a/b:\n    c~d: {type: number, min: 1, max: 2}\n  plain: {enum: [x]}\n"
    )
    doc = {
        **MINIMAL,
        "hyperparameters": {
            "type": "object",
            "properties": {
                "escaped": {"$ref": "my%20parts.yaml#/spaces/a~1b/c~0d"},
                "percent": {"$ref": "my parts.yaml#/spaces/pl%61in"},
            },
        },
    }
    props = load_spec(write_spec(tmp_path, doc)).hyperparameters["properties"]
    assert props == {
        "escaped": {"type": "number", "min": 1, "max": 2},
        "percent": {"enum": ["x"]},
    }


def test_defaults_are_filled_in(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, MINIMAL, "my search.json"))
    assert spec.raw["search"] == {"name": "my_search", "method": "tpe", "iterations": 100}
    assert spec.raw["function"]["parallel"] == 1
    assert spec.raw["function"]["kill_grace"] == 2
    assert spec.raw["results"] == {"directory": "results"}
    assert spec.search.name == "my_search"
    assert spec.function.kill_grace == 2.0


def test_metric_defaults_are_filled_in(tmp_path: Path) -> None:
    doc = {
        **MINIMAL,
        "metrics": {
            "auc": {"min": 0.5, "max": 1.0},
            "time": {"type": "time", "target_time": 1, "max_time": 2, "penalty_at_max": 1},
        },
    }
    spec = load_spec(write_spec(tmp_path, doc))
    assert spec.raw["metrics"]["auc"] == {
        "min": 0.5,
        "max": 1.0,
        "weight": 1,
        "direction": "decrease",
    }
    assert spec.raw["metrics"]["time"]["weight"] == 1
    assert "direction" not in spec.raw["metrics"]["time"]


def test_a_validated_spec_validates_again_unchanged(tmp_path: Path) -> None:
    """The frozen copy in a results folder must load as the same search."""
    for source in (SPECS / "search.json", SPECS / "with_refs.json"):
        first = load_spec(source)
        again = resolve_and_validate(first.raw, first.path)
        assert again == first.raw


def test_overrides_are_validated_with_the_spec(tmp_path: Path) -> None:
    path = write_spec(tmp_path, MINIMAL)
    spec = load_spec(path, {"search.iterations": 7, "function.parallel": 3})
    assert spec.search.iterations == 7
    assert spec.function.parallel == 3


def test_a_value_an_option_gives_is_refused_naming_the_option(tmp_path: Path) -> None:
    """Not the spec's path (``search.json: function.parallel: ...``), whose value the option
    replaced; for ``resume``, that of a file the user never wrote."""
    doc = {**MINIMAL, "search": {"method": "random", "iterations": 1}}
    doc["results"] = {"directory": str(tmp_path / "results")}
    path = write_spec(tmp_path, {**doc, "function": {**doc["function"], "parallel": 0}})
    done = run_cli_here("run", str(path), "--no-ui", "--iterations", "0", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        "search.json: function.parallel: must be at least 1, got 0",
        "hypermax run: --iterations: must be at least 1, got 0",
    ]
    path = write_spec(tmp_path, doc)
    assert run_cli_here("run", str(path), "--no-ui", cwd=tmp_path).returncode == 0
    for command in (
        ["run", str(path), "--parallel", "0"],
        ["resume", str(tmp_path / "results" / "search"), "--parallel", "0"],
        ["sample", str(path), "--seed", "-1"],
        ["validate", str(path), "--scheduler", "host"],
    ):
        done = run_cli_here(*command, cwd=tmp_path)
        assert (done.returncode, done.stdout) == (2, "")
        problem = {
            "--parallel": "must be at least 1, got 0",
            "--seed": "must be at least 0, got -1",
            "--scheduler": 'needs a port, as in "tcp://host:8786", got "host"',
        }[command[2]]
        assert done.stderr == f"hypermax {command[0]}: {command[2]}: {problem}\n"


def test_schema_key_is_accepted(tmp_path: Path) -> None:
    doc = {"$schema": "../hypermax/schema.json", **MINIMAL}
    assert load_spec(write_spec(tmp_path, doc)).search.method == "tpe"


def test_spec_from_dict_resolves_relative_to_the_given_path() -> None:
    doc = {
        "hyperparameters": {"$ref": "parts/optimizer.json#/optimizer"},
        **{"function": MINIMAL["function"]},
    }
    spec = spec_from_dict(doc, SPECS / "virtual.json")
    assert "learning_rate" in spec.hyperparameters["properties"]
    assert spec.search.name == "virtual"


def test_src_and_executable_functions(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "train.py").write_text("def train(params):\n    return 0.0\n")
    by_src = {
        **MINIMAL,
        "function": {"type": "python_function", "src": "code/train.py", "name": "train"},
    }
    assert load_spec(write_spec(tmp_path, by_src)).function.src == "code/train.py"
    by_command = {
        **MINIMAL,
        "function": {"type": "executable", "command": "python train.py --x {x}", "cwd": "code"},
    }
    spec = load_spec(write_spec(tmp_path, by_command))
    assert spec.function.command == ("python", "train.py", "--x", "{x}")


def test_module_inside_a_package_is_found_without_importing_it(tmp_path: Path) -> None:
    package = tmp_path / "pkgmarker"
    package.mkdir()
    marker = tmp_path / "imported"
    (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (package / "model.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n\ndef train(params):\n    return 0.0\n"
    )
    doc = {
        **MINIMAL,
        "function": {"type": "python_function", "module": "pkgmarker.model", "name": "train"},
    }
    path_before = list(sys.path)
    load_spec(write_spec(tmp_path, doc))
    assert not marker.exists()
    assert "pkgmarker" not in sys.modules
    assert sys.path == path_before


def test_module_in_a_folder_without_init_inside_a_package_is_found(tmp_path: Path) -> None:
    """``pkgouter.inner.model``, ``inner`` a folder without ``__init__.py`` (a namespace package,
    which Python imports): the search for it raised a KeyError, an unexpected error."""
    inner = tmp_path / "pkgouter" / "inner"
    inner.mkdir(parents=True)
    (tmp_path / "pkgouter" / "__init__.py").write_text("")
    (inner / "model.py").write_text("def train(params):\n    return 0.0\n")
    doc = {
        **MINIMAL,
        "function": {"type": "python_function", "module": "pkgouter.inner.model", "name": "trian"},
    }
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(tmp_path, doc))
    assert caught.value.problems == [
        (
            "function.name",
            'pkgouter/inner/model.py defines no "trian" (it defines: train)',
        )
    ]
    assert "pkgouter" not in sys.modules


def test_yaml_dates_stay_text(tmp_path: Path) -> None:
    (tmp_path / "objective.py").write_text("def train(params):\n    return 0.0\n")
    path = tmp_path / "search.yaml"
    path.write_text(
        "hyperparameters:\n  type: object\n  properties:\n    day: {constant: 2024-01-31}\n"
        "function: {type: python_function, module: objective, name: train}\n"
    )
    assert load_spec(path).hyperparameters["properties"]["day"] == {"constant": "2024-01-31"}


@pytest.mark.parametrize("name", template_names())
def test_every_template_is_a_valid_space(name: str, tmp_path: Path) -> None:
    doc = {**MINIMAL, "hyperparameters": {"$ref": f"template:{name}#/hyperparameters"}}
    space = Space.from_spec(load_spec(write_spec(tmp_path, doc)))
    assert space.labels()
    assert isinstance(space.defaults(), dict)


def test_templates_are_bundled() -> None:
    assert {"lightgbm", "xgboost", "random_forest"} <= set(template_names())
