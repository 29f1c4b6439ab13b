"""What reading a spec imports, checked in a fresh interpreter: no optimizer, hyperopt or numpy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SPECS = Path(__file__).parent / "specs"
HEAVY = {"hypermax.optimizers", "hyperopt", "numpy"}


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code`` in tests/specs/."""
    report = "import json, sys; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\n{report}"],
        capture_output=True,
        text=True,
        cwd=SPECS,
        timeout=60,
        check=True,
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_importing_spec_imports_no_optimizer() -> None:
    loaded = modules_after("import hypermax.spec")
    assert "hypermax.validation" in loaded
    assert not HEAVY & loaded


def test_validating_a_spec_with_a_builtin_method_imports_no_optimizer() -> None:
    code = (
        "from hypermax.spec import load_spec\n"
        "assert load_spec('search.json').search.method == 'tpe'"
    )
    loaded = modules_after(code)
    assert "jsonschema" in loaded  # it was validated
    assert not HEAVY & loaded


def test_registry_imports_nothing_else_of_hypermax() -> None:
    loaded = modules_after("import hypermax.registry")
    assert {name for name in loaded if name.startswith("hypermax")} == {
        "hypermax",
        "hypermax.registry",
    }
