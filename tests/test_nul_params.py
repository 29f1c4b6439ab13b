"""A param whose value holds a NUL byte (an enum of raw strings): no command line or environment
variable can carry one. An executable given it in its command line fails that trial with the
reason; a ``python_function`` gets it through the params file as it is."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import finished_records

from hypermax.cli import main

pytestmark = pytest.mark.usefixtures("in_tmp_path")  # errors name files from here

SPACE = {"type": "object", "properties": {"s": {"enum": ["a\u0000b", "x"]}}}


def _run(tmp_path, capsys, function: dict) -> dict:
    spec = {
        "hyperparameters": SPACE,
        "function": function,
        "search": {"name": "nul", "method": "grid"},
        "results": {"directory": str(tmp_path / "out")},
    }
    (tmp_path / "s.json").write_text(json.dumps(spec))
    assert main([str(tmp_path / "s.json"), "--no-ui"]) == 0, capsys.readouterr().err
    return finished_records(tmp_path / "out" / "nul")


def test_an_executable_given_a_nul_in_its_command_line_fails_that_trial(tmp_path, capsys):
    command = [sys.executable, "-c", "print(0.5)", "{s}"]
    records = _run(tmp_path, capsys, {"type": "executable", "command": command})
    assert records[1]["state"] == "failed"
    assert records[1]["reason"] == (
        "cannot start: its command line holds a NUL byte (\\x00), which no program can be given"
    )
    assert records[2]["state"] == "ok"


def test_a_python_function_without_preload_gets_a_nul_in_its_params(tmp_path, capsys):
    (tmp_path / "f.py").write_text("def f(p):\n    return 0.25 if p['s'] == 'a\\x00b' else 1\n")
    function = {"type": "python_function", "src": str(tmp_path / "f.py"), "name": "f"}
    records = _run(tmp_path, capsys, {**function, "preload": False})
    assert (records[1]["state"], records[1]["loss"]) == ("ok", 0.25)


@pytest.mark.parametrize(
    ("section", "where"),
    [
        ({"function": {"env": {"A": "x\u0000y"}}}, "function.env.A"),
        ({"results": {"directory": "r\u0000"}}, "results.directory"),
        ({"function": {"cwd": "a\u0000"}}, "function.cwd"),
    ],
)
def test_a_nul_in_a_spec_outside_its_space_is_a_spec_error(tmp_path, capsys, section, where):
    (tmp_path / "f.py").write_text("def f(p):\n    return 0\n")
    spec = {
        "hyperparameters": SPACE,
        "function": {"type": "python_function", "src": "f.py", "name": "f"},
    }
    for key, value in section.items():
        spec[key] = {**spec.get(key, {}), **value}
    (tmp_path / "s.json").write_text(json.dumps(spec))
    assert main(["validate", str(tmp_path / "s.json")]) == 2
    assert capsys.readouterr().err == (
        f"s.json: {where}: holds a NUL byte (\\u0000), which no file name, command line or "
        "environment variable can hold\n"
    )
