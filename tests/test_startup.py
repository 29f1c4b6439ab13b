"""Start-up: what the command line imports for ``--help``, ``validate`` and ``show``.

Timing belongs in benchmarks/startup.py; these pin what makes it fast: each command imports
only what it needs, checked in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import quadratic, run_cli

from hypermax.cli import build_parser

HEAVY = ("jsonschema", "yaml", "numpy", "hyperopt", "scipy", "urwid", "psutil")


def imported_by(*argv: str, cwd: Path) -> set[str]:
    """The modules a fresh interpreter holds after ``hypermax ARGV`` ran in it."""
    script = (
        "import sys\n"
        "from hypermax.cli import main\n"
        "try:\n"
        f"    main({list(argv)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(' '.join(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    return set(proc.stderr.split())


def test_help_imports_argparse_and_the_errors_only(tmp_path):
    modules = imported_by("--help", cwd=tmp_path)
    ours = {m for m in modules if m.startswith("hypermax")}
    cli = {"cli", "cli.failures", "cli.options", "cli.parser", "cli.program", "cli.stdout"}
    # hypermax.output: the help is written as every command's output is (errno and sys only)
    assert ours == {
        "hypermax",
        "hypermax.entry",
        "hypermax.errors",
        "hypermax.output",
        "hypermax.shared_state",
    } | {f"hypermax.{name}" for name in cli}
    assert not modules & {*HEAVY, "typing", "shutil", "dataclasses"}


def test_help_lists_quick_as_its_own_parser_does():
    assert build_parser(quick=False).format_help() == build_parser().format_help()


def test_validate_imports_no_optimizer_or_runner(tmp_path, write_spec):
    spec = write_spec(
        {
            "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
            "function": quadratic(),
        }
    )
    modules = imported_by("validate", str(spec), cwd=tmp_path)
    assert "hypermax.spec" in modules  # it did validate
    assert not modules & {"numpy", "hyperopt", "scipy", "urwid", "psutil"}
    assert not any(m.startswith(("hypermax.optimizers", "hypermax.execution")) for m in modules)


def test_show_imports_no_spec_machinery_nor_optimizer(tmp_path, write_spec):
    spec = write_spec(
        {
            "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
            "function": quadratic(),
            "search": {"name": "s", "method": "random", "iterations": 2},
        }
    )
    assert run_cli(str(spec), "--no-ui", cwd=tmp_path).returncode == 0
    folder = tmp_path / "results" / "s"
    assert json.loads((folder / "search.json").read_text())["search"]["method"] == "random"
    modules = imported_by("show", str(folder), cwd=tmp_path)
    assert "hypermax.journal" in modules  # it did read the trials
    assert not modules & set(HEAVY)
    assert not modules & {"hypermax.spec", "hypermax.validation"}
    assert not any(m.startswith("hypermax.optimizers") for m in modules)
