"""The method registry: schema.json, the optimizer loader and the command line agree with it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, run_cli_here

from hypermax.optimizers import (
    BUILTIN_METHODS,
    BaseOptimizer,
    OptimizerError,
    load_optimizer_class,
    make_optimizer,
    method_problem,
)
from hypermax.registry import (
    METHODS,
    PLUGIN_FORM,
    MethodInfo,
    available_methods,
    builtin_problem,
    missing_packages,
)
from hypermax.specfile.schema import spec_schema

RESERVED = [name for name, info in METHODS.items() if not info.available]


def search_schema() -> dict[str, Any]:
    return spec_schema()["$defs"]["search"]


def test_method_pattern_lists_every_registry_method_and_nothing_else() -> None:
    pattern = search_schema()["properties"]["method"]["pattern"]
    found = re.fullmatch(r"\^\((.*)\)\$", pattern)
    assert found is not None
    *names, plugin = found.group(1).split("|")
    assert names == list(METHODS)
    assert re.fullmatch(plugin, "my_pkg.optimizers:Greedy")
    assert not re.fullmatch(plugin, "tpe")


def test_method_error_message_and_description_list_the_registry() -> None:
    method = search_schema()["properties"]["method"]
    listed = ", ".join(METHODS)
    assert (
        method["errorMessage"]["pattern"]
        == f"must be one of {listed} or {PLUGIN_FORM}, got {{got}}"
    )
    described = ", ".join(f"{n} (default)" if n == method["default"] else n for n in METHODS)
    assert method["description"] == (
        f'The optimizer: {described}, or "{PLUGIN_FORM}" for a plugin.'
    )


def test_every_registry_method_and_nothing_else_has_an_options_object() -> None:
    properties = search_schema()["properties"]
    options = {
        key
        for key, subschema in properties.items()
        if subschema["description"].startswith("Options of the ")
    }
    assert options == set(METHODS)
    for name in METHODS:
        assert properties[name]["description"].startswith(f"Options of the {name} method")
        assert properties[name]["type"] == "object"
        assert properties[name]["additionalProperties"] is False


def test_builtin_methods_are_the_available_entries_and_load() -> None:
    assert (
        list(BUILTIN_METHODS)
        == available_methods()
        == [
            "tpe",
            "random",
            "anneal",
            "atpe",
            "hyperopt_tpe",
            "gp",
            "cmaes",
            "ngopt",
            "auto",
            "grid",
            "evolution",
            "ablation",
        ]
    )
    for name, target in BUILTIN_METHODS.items():
        assert target == METHODS[name].target
        cls = load_optimizer_class(name)
        assert issubclass(cls, BaseOptimizer)
        assert f"{cls.__module__}:{cls.__name__}" == target


def test_reserved_names_are_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    assert RESERVED == []  # this version provides every name the format reserves
    monkeypatch.setitem(METHODS, "someday", MethodInfo("someday", "a name kept for later"))
    message = (
        '"someday" is not available in this version; '
        "use tpe, random, anneal, atpe, hyperopt_tpe, gp, cmaes, ngopt, auto, grid, evolution, "
        'ablation or a "module:Class"'
    )
    assert builtin_problem("someday") == message
    assert method_problem("someday") == message
    with pytest.raises(OptimizerError) as caught:
        make_optimizer("someday", None, seed=1)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_methods_that_plan_their_trials_are_where_schema_json_keeps_iterations_default() -> None:
    planned = [name for name, info in METHODS.items() if info.planned]
    assert planned == ["grid", "ablation"]
    (rule,) = search_schema()["allOf"]
    assert rule["if"]["not"]["properties"]["method"]["enum"] == planned
    assert rule["then"]["properties"]["iterations"]["default"] == 100
    assert "default" not in search_schema()["properties"]["iterations"]


def test_missing_packages_name_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    needs = (("hypermax_no_such_package", "no-such-package"), ("json", "json"))
    fancy = MethodInfo("fancy", "a method for this test", BUILTIN_METHODS["tpe"], needs)
    monkeypatch.setitem(METHODS, "fancy", fancy)
    assert missing_packages("fancy") == ["no-such-package"]
    message = '"fancy" needs no-such-package: pip install no-such-package'
    assert builtin_problem("fancy") == message
    assert method_problem("fancy") == message
    assert missing_packages("tpe") == []
    assert builtin_problem("tpe") is None


def test_validate_names_the_method_from_the_registry(tmp_path: Path) -> None:
    (tmp_path / "objective.py").write_text("def train(params):\n    return 0.0\n")
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
        "function": {"type": "python_function", "module": "objective", "name": "train"},
        "search": {"method": "random", "iterations": 3},
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    result = run_cli_here("validate", "search.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "search.json: ok (1 searched parameter, 3 iterations, "
        f"method random: {METHODS['random'].summary})\n"
    )


@pytest.mark.parametrize("command", ["run", "sample"])
def test_help_lists_the_available_methods(command: str, tmp_path: Path) -> None:
    result = run_cli(command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for name in available_methods():
        assert f"{name} ({METHODS[name].summary})" in text
    for name in RESERVED:
        assert name not in text
    assert PLUGIN_FORM in text


def _setup_requirements() -> tuple[set[str], dict[str, set[str]]]:
    """The distribution names setup.py installs: always, and by extra."""
    import ast
    import re

    tree = ast.parse((Path(__file__).parent.parent / "setup.py").read_text())

    def names(node: ast.expr) -> set[str]:
        return {re.split(r"[<>=\[;! ]", req)[0] for req in ast.literal_eval(node)}

    extras: dict[str, set[str]] = {}
    always: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "EXTRAS":
            assert isinstance(node.value, ast.Dict)
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                assert isinstance(key, ast.Constant)
                extras[key.value] = names(value)
        if isinstance(node, ast.keyword) and node.arg == "install_requires":
            always = names(node.value)
    return always, extras


def test_a_method_that_needs_packages_names_the_extra_that_installs_them() -> None:
    """`pip install "hypermax[extra]"` installs every package a method's error names, or the
    packages are hypermax's own requirements."""
    always, extras = _setup_requirements()
    for name, info in METHODS.items():
        needed = {pip for _, pip in info.needs} - always
        if needed:
            assert info.extra in extras, name
            assert needed <= extras[info.extra], name
