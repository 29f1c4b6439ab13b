"""The README's "Command line" block against each command's ``--help``: the same options, each
with the same metavar."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import run_cli_here

README = Path(__file__).resolve().parents[1] / "README.md"
#: an option as a usage line writes it: ``--parallel N``, ``-n N``, ``--no-ui``
OPTION = re.compile(r"\[?(--?[a-z][a-z-]*)(?: ([A-Z][A-Z_]*(?:\[[^\]]*\])?|csv\|json))?")


def readme_block() -> dict[str, set[tuple[str, str]]]:
    """Each command of the README's "Command line" block, with the options its usage names
    (a line's usage ends where its description starts, after a run of spaces)."""
    text = README.read_text()
    section = text[text.index("## Command line") :]
    block = section[section.index("```\n") + 4 :]
    block = block[: block.index("```")]
    commands: dict[str, set[tuple[str, str]]] = {}
    current = None
    for line in block.splitlines():
        if line.startswith("hypermax "):
            word = line.split()[1]
            current = word if word.islower() else None  # not hypermax SPEC
            if current is not None:
                commands[current] = set()
        elif not line.strip().startswith("["):  # a line of a description
            continue
        if current is not None:
            usage = re.split(r"\S {3,}", line.strip())[0]
            commands[current] |= set(OPTION.findall(usage))
    return commands


def help_usage(command: str, tmp_path: Path) -> set[tuple[str, str]]:
    """The options of ``hypermax COMMAND --help``'s usage lines, each with its metavar."""
    shown = run_cli_here(command, "--help", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    usage = shown.stdout.split("\n\n")[0].replace("{csv,json}", "csv|json")
    return set(OPTION.findall(usage)) - {("-h", "")}


def test_the_readme_names_each_command_s_options_as_its_help_does(tmp_path):
    """``quick``'s help said ``--results RESULTS`` and ``--method METHOD``, the README
    ``--results DIR`` and ``--method M``; ``--seed`` was ``S`` in the README, ``SEED`` in help."""
    block = readme_block()
    assert {"run", "resume", "validate", "sample", "show", "export", "plot", "quick"} <= set(block)
    for command, options in block.items():
        assert options == help_usage(command, tmp_path), command
