"""Specs that try to take the machine down: they are refused at once, in one line, exit 2.

A few hundred bytes of YAML aliases (or ``$ref``s) can stand for billions of values; a document
can nest deeper than the checks' stack. A legitimate spec, however deep or aliased, still loads.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from conftest import run_cli, run_cli_here

from hypermax.errors import SpecError
from hypermax.space import Space
from hypermax.spec import load_spec
from hypermax.specfile.limits import MAX_DEPTH
from hypermax.specfile.reader import parse_document
from hypermax.specfile.refs import MAX_REF_CHAIN

FUNCTION_YAML = "function: {type: executable, command: ['true']}\n"


def billion_laughs() -> str:
    """Eight levels of aliases, nine each: an enum of 9**9 (387 million) values in 600 bytes."""
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for previous, name in zip("abcdefg", "bcdefgh", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    body = "\n".join("  " + line for line in lines)
    return (
        f"parts:\n{body}\n"
        "hyperparameters:\n  type: object\n  properties:\n"
        "    x: {enum: [*h, *h, *h, *h, *h, *h, *h, *h, *h]}\n" + FUNCTION_YAML
    )


def test_an_alias_bomb_is_refused_at_once_in_little_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs())
    assert len(bomb.read_bytes()) < 700
    # the child's peak RSS, measured by a parent that runs nothing else
    measure = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run([sys.executable, '-m', 'hypermax', 'validate', sys.argv[1]],"
        " capture_output=True, text=True, timeout=120)\n"
        "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stderr.write(p.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", measure, str(bomb)], capture_output=True, text=True, timeout=150
    )
    code, peak_kib = map(int, proc.stdout.split())
    assert code == 2
    assert proc.stderr.splitlines() == [
        "bomb.yaml: line 7: alias *e expands the document past 100,000 values"
    ]
    assert peak_kib < 200 * 1024  # the expanded document would take gigabytes


def test_reading_an_alias_bomb_allocates_little(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs())
    small = tmp_path / "small.yaml"
    small.write_text("a: [1, 2]\n")
    parse_document(small)  # yaml imported and its loader built before measuring
    tracemalloc.start()
    try:
        with pytest.raises(SpecError):
            parse_document(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024


def test_an_alias_inside_the_value_it_names_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "cycle.yaml"
    path.write_text("hyperparameters: &top\n  type: object\n  properties: {x: *top}\n")
    with pytest.raises(SpecError) as caught:
        parse_document(path)
    assert caught.value.lines() == [
        "cycle.yaml: line 3: alias *top refers to a value that holds it"
    ]


def deep_space(levels: int) -> dict:
    node: dict = {"type": "number", "min": 0, "max": 1, "rounding": 0.5}
    for level in range(levels):
        node = {"type": "object", "properties": {f"l{level}": node, "c": {"enum": [1, 2]}}}
    return node


def test_a_deep_aliased_legitimate_spec_loads_and_samples(tmp_path: Path) -> None:
    """40 levels of objects (about 80 of JSON nesting), a node reused through an alias and a
    merge key: within the bounds, so it loads, builds its space and proposes params."""
    path = tmp_path / "deep.yaml"
    path.write_text(
        "hyperparameters:\n"
        "  type: object\n"
        "  properties:\n"
        "    a: &common {type: number, min: 1, max: 1000, scaling: logarithmic}\n"
        "    b: {<<: *common, rounding: 1}\n"
        "    c: *common\n"
        f"    deep: {json.dumps(deep_space(40))}\n"
        "function: {type: executable, command: ['true']}\n"
    )
    spec = load_spec(path)
    assert spec.hyperparameters["properties"]["b"]["rounding"] == 1
    assert len(Space.from_spec(spec).labels()) == 3 + 40 + 1
    proc = run_cli_here("sample", str(path), "-n", "2", "--seed", "1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    params = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(params) == 2 and all(type(p["b"]) is int for p in params)


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 20_000])
def test_a_document_nested_too_deep_is_one_line(tmp_path: Path, levels: int) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"hyperparameters": ' + "[" * levels + "]" * levels + "}")
    proc = run_cli("validate", str(path), cwd=tmp_path)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1
    assert "nested more than 100 levels deep" in proc.stderr
    assert "Traceback" not in proc.stderr


def _validate_ref_to(tmp_path: Path, parts: dict, ref: str) -> list[str]:
    """``hypermax validate`` of a spec whose one param is ``{"$ref": ref}`` into ``parts.json``:
    its exit code must be 2; its stderr lines."""
    (tmp_path / "parts.json").write_text(json.dumps(parts))
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": {"$ref": ref}}},
        "function": {"type": "executable", "command": ["true"]},
    }
    path = tmp_path / "search.json"
    path.write_text(json.dumps(doc))
    proc = run_cli("validate", str(path), cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    return proc.stderr.splitlines()


def test_refs_that_multiply_are_refused_at_the_ref_written_in_the_spec(tmp_path: Path) -> None:
    parts = {
        f"l{i}": {"a": {"$ref": f"#/l{i + 1}"}, "b": {"$ref": f"#/l{i + 1}"}} for i in range(40)
    }
    parts["l40"] = {"type": "number", "min": 0, "max": 1}
    assert _validate_ref_to(tmp_path, parts, "parts.json#/l0") == [
        'search.json: hyperparameters.properties.x: $ref "parts.json#/l0": '
        "expands the spec past 100,000 values"
    ]


def test_a_long_chain_of_refs_is_refused(tmp_path: Path) -> None:
    chain = {f"c{i}": {"$ref": f"#/c{i + 1}"} for i in range(5000)}
    chain["c5000"] = {"type": "number", "min": 0, "max": 1}
    assert _validate_ref_to(tmp_path, chain, "parts.json#/c0") == [
        f'search.json: hyperparameters.properties.x: $ref "parts.json#/c0": starts a chain of '
        f"more than {MAX_REF_CHAIN} $refs"
    ]


def test_a_spec_that_holds_too_many_values_without_refs_says_so(tmp_path: Path) -> None:
    """Nothing expanded it: the list written out past the bound is named, not its item."""
    doc = {
        "hyperparameters": {"type": "object", "properties": {"e": {"enum": list(range(100_001))}}},
        "function": {"type": "executable", "command": ["true"]},
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    proc = run_cli("validate", str(tmp_path / "search.json"), cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "search.json: hyperparameters.properties.e.enum: the spec passes the 100,000 values"
        " a spec may hold here"
    ]
